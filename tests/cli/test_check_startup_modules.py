"""``lrguard check`` of a YAML config loads only what checking needs: its start-up is a
budget (``benchmarks/bench_startup.py``). No ``dataclasses`` (it imports ``inspect``, and with
it ``ast``, ``dis`` and ``tokenize``), no ``copy`` (``weakref``), no ``json``, and none of the
rules that cannot fire on the config's plan (``lrguard.rules.rules_silent_on``: the rules
about a run, DeepSpeed's and axolotl's for a plain Hugging Face config) — which find nothing
in any example or corpus config, so leaving them out changes no finding.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lrguard.checking import CheckOptions, check_paths, check_source
from lrguard.rules import (
    AXOLOTL_RULES,
    DEEPSPEED_RULES,
    RULE_MODULES,
    RUN_ONLY,
    all_rules,
    check_plan,
    rules_silent_on,
)
from tests.cli.conftest import CORPUS, CORPUS_WIDE

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

HEAVY = ("dataclasses", "inspect", "ast", "dis", "tokenize", "copy", "weakref", "json")
"""Standard-library modules a check of a YAML config does not need."""

CONFIG = (
    "learning_rate: 1.0e-5\n"
    "lr_scheduler_type: cosine_with_min_lr\n"
    "lr_scheduler_kwargs:\n"
    "  min_lr: 1.0e-4\n"
    "max_steps: 1000\n"
    "warmup_steps: 100\n"
)

DEEPSPEED_FILES = {
    "ds_warmup_decay.json": (
        '{"zero_optimization": {"stage": 2},\n'
        ' "optimizer": {"type": "AdamW", "params": {"lr": 3e-5}},\n'
        ' "scheduler": {"type": "WarmupDecayLR", "params": {"warmup_min_lr": 1e-4,\n'
        ' "warmup_max_lr": 3e-5, "warmup_num_steps": 100, "total_num_steps": 50}}}\n'
    ),
    "ds_cosine.json": (
        '{"zero_optimization": {"stage": 2},\n'
        ' "optimizer": {"type": "AdamW", "params": {"lr": 3e-5}},\n'
        ' "scheduler": {"type": "WarmupCosineLR", "params": {"cos_min_ratio": 1.5,\n'
        ' "warmup_num_steps": 10, "total_num_steps": 1000}}}\n'
    ),
}
"""Standalone DeepSpeed configs with problems DeepSpeed's rules find."""


def _loaded_by_check(tmp_path: Path) -> tuple[int, str, set[str]]:
    """Run ``lrguard check`` on ``CONFIG`` in a fresh interpreter: its exit code, its output
    and the modules it imported (those the interpreter had at start-up left out)."""
    config = tmp_path / "train.yaml"
    config.write_text(CONFIG)
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "from lrguard.cli import main\n"
        f"status = main(['check', {str(config)!r}, '--no-config'])\n"
        "print('MODULES', status, ' '.join(sorted(set(sys.modules) - before)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    output, _, last = done.stdout.rstrip("\n").rpartition("\n")
    marker, status, *modules = last.split(" ")
    assert marker == "MODULES", done.stdout
    return int(status), output, set(modules)


def test_a_check_of_a_yaml_config_imports_no_heavy_module(tmp_path):
    status, output, modules = _loaded_by_check(tmp_path)
    assert status == 1 and "LRG002 [error]" in output  # the check ran and found the floor
    assert "yaml" in modules and "lrguard.checking" in modules
    assert sorted(m for m in HEAVY if m in modules) == []


def test_a_check_imports_only_the_rules_that_can_fire(tmp_path):
    _, _, modules = _loaded_by_check(tmp_path)
    loaded = {code for code, name in RULE_MODULES.items() if f"lrguard.rules.{name}" in modules}
    assert loaded == set(RULE_MODULES) - RUN_ONLY - DEEPSPEED_RULES - AXOLOTL_RULES


def _config_plans() -> list[tuple[str, object]]:
    """The plan of every example config, every rule's example and corrected config, and every
    config of the corpora."""
    plans = []
    paths = [EXAMPLES, *(p for p in (CORPUS, CORPUS_WIDE) if p.is_dir())]
    for report in check_paths(paths, CheckOptions()):
        if report.result.plan is not None:
            plans.append((str(report.path), report.result.plan))
    for name, text in DEEPSPEED_FILES.items():
        report = check_source(text, Path(name), CheckOptions())
        plans.append((name, report.result.plan))
    for rule in all_rules():
        if rule.example_kind != "config":
            continue
        for label, text in (("example", rule.example), ("corrected", rule.corrected)):
            report = check_source(text, Path("train.yaml"), CheckOptions())
            if report.result.plan is not None:
                plans.append((f"{rule.code} {label}", report.result.plan))
    return plans


def test_the_rules_left_out_find_nothing_in_any_config():
    assert set(RULE_MODULES) >= RUN_ONLY | DEEPSPEED_RULES | AXOLOTL_RULES
    plans = _config_plans()
    kinds = {plan.source.kind for _, plan in plans if plan.source is not None}
    assert {"hf", "llamafactory", "axolotl", "flair", "deepspeed"} <= kinds
    assert any(plan.source.deepspeed for _, plan in plans if plan.source.kind != "deepspeed")
    # the rules left out of one plan do fire on others: the check below can fail
    fired = {f.code for _, plan in plans for f in check_plan(plan)}
    assert {"LRG070", "LRG080", "LRG083"} <= fired
    found = {
        where: [f.code for f in check_plan(plan, select=sorted(rules_silent_on(plan)))]
        for where, plan in plans
    }
    assert {where: codes for where, codes in found.items() if codes} == {}
