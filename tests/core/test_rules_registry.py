"""Every rule has a stable code, a unique name and all doc sections."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import lrguard.rules
from lrguard import all_rules, get_rule
from lrguard.findings import Severity
from lrguard.rules import RULE_MODULES, Rule, register, rule_codes

CONTRACT_CODES = {"LRG001", "LRG002", "LRG003", "LRG004", "LRG005", "LRG006"}


def test_codes_names_and_docs():
    rules = all_rules()
    codes = [r.code for r in rules]
    assert len(codes) == len(set(codes))
    assert len({r.name for r in rules}) == len(rules)
    for rule in rules:
        assert re.fullmatch(r"LRG\d{3}", rule.code), rule.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
        assert rule.missing_sections() == [], rule.code
        text = rule.explain()
        for title in ("What it does", "Why is this bad?", "Example", "Fix"):
            assert f"## {title}" in text


def test_contract_codes_are_registered_with_their_meaning():
    present = {r.code for r in all_rules()}
    assert {"LRG001", "LRG002", "LRG003", "LRG004"} <= present
    assert get_rule("lrg001").name == "initial-lr-below-min"
    assert get_rule("LRG002").name == "min-not-below-peak"
    assert get_rule("LRG003").name == "lr-not-positive-finite"
    assert get_rule("LRG004").name == "number-as-string"


def test_a_rule_without_a_doc_section_is_refused():
    with pytest.raises(ValueError, match="lacks doc sections"):
        register(
            Rule(
                code="LRG999",
                name="undocumented",
                severity=Severity.INFO,
                summary="x",
                what="x",
                why="",
                example="x",
                fix="x",
            )
        )


def test_unknown_code_lists_the_known_ones():
    with pytest.raises(KeyError, match="known rules: LRG001"):
        get_rule("LRG998")


RULES_DIR = Path(lrguard.rules.__file__).parent


def test_the_table_lists_every_rule_module_in_code_order():
    files = {p.stem for p in RULES_DIR.glob("lrg*.py")}
    assert set(RULE_MODULES.values()) == files, "RULE_MODULES and the rule modules disagree"
    assert list(RULE_MODULES) == sorted(RULE_MODULES)
    assert rule_codes() == list(RULE_MODULES)
    for code, module in RULE_MODULES.items():
        assert module[:6].upper() == code, module
        text = (RULES_DIR / f"{module}.py").read_text(encoding="utf-8")
        assert re.search(rf'^CODE = "{code}"$', text, re.MULTILINE), f"{module}: no CODE"
        assert re.search(r"^register\(\n    Rule\(\n        code=CODE,$", text, re.MULTILINE), (
            f"{module}: register(...) does not use CODE"
        )
        assert not re.search(rf'(?<![\w"])"{code}"', text.replace(f'CODE = "{code}"', "")), (
            f"{module}: the code written as a literal instead of CODE"
        )


def test_each_module_registers_the_rule_the_table_names():
    for code, module in RULE_MODULES.items():
        imported = importlib.import_module(f"lrguard.rules.{module}")
        assert code == imported.CODE
        assert get_rule(code).code == code
    assert [r.code for r in all_rules()] == list(RULE_MODULES)


def test_a_rule_the_table_does_not_list_is_refused():
    rule = get_rule("LRG009")
    with pytest.raises(ValueError, match="not in RULE_MODULES"):
        register(rule._replace(code="LRG999", name="not-in-the-table"))


def _loaded_after(code: str) -> tuple[list[str], list[str]]:
    """Run ``code`` in a fresh interpreter: the rule modules and the costly modules it loaded."""
    script = (
        "import json, sys\n"
        f"{code}\n"
        "rules = sorted(m.rsplit('.', 1)[1] for m in sys.modules "
        "if m.startswith('lrguard.rules.lrg'))\n"
        f"costly = sorted(m for m in {COSTLY!r} if m in sys.modules)\n"
        "print(json.dumps([rules, costly]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    rules, costly = json.loads(done.stdout.strip().splitlines()[-1])
    return rules, costly


COSTLY = ("lrguard.trajectory", "lrguard.annealing", "lrguard.schedules.deepspeed", "difflib")


def test_importing_the_registry_imports_no_rule():
    rules, costly = _loaded_after("import lrguard.rules")
    assert rules == [] and costly == []


def test_get_rule_imports_only_that_rule():
    rules, _ = _loaded_after("from lrguard.rules import get_rule; get_rule('lrg062')")
    assert rules == ["lrg062_rate_near_zero"]


def test_a_selected_check_imports_only_the_selected_rules():
    rules, costly = _loaded_after(
        "from lrguard.plan import ParamGroupPlan, TrainingPlan\n"
        "from lrguard.rules import check_plan\n"
        "group = ParamGroupPlan(index=0, lr=1e-5, min_lr=1e-4)\n"
        "plan = TrainingPlan(framework='flair', param_groups=[group])\n"
        "found = check_plan(plan, select=['LRG00'], ignore=['LRG007'])\n"
        "assert [f.code for f in found] == ['LRG001'], found"
    )
    assert rules == [m for c, m in RULE_MODULES.items() if c.startswith("LRG00") and c != "LRG007"]
    assert costly == []


def test_a_full_check_imports_every_rule_but_no_replay_or_deepspeed_table():
    rules, costly = _loaded_after(
        "from lrguard.plan import SchedulePlan, TrainingPlan\n"
        "from lrguard.rules import check_plan\n"
        "plan = TrainingPlan(framework='hf', learning_rate=1e-5, max_steps=100,"
        " schedule=SchedulePlan(name='linear', total_steps=100))\n"
        "check_plan(plan)"
    )
    assert rules == list(RULE_MODULES.values())
    assert costly == []
