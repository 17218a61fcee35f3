"""``hf_lrguard.axolotl`` in one process: the config check at registration, the ``lrguard:``
block in axolotl's own config schema, and the read-back of a fix from a built scheduler."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

pytest.importorskip("axolotl")

import torch  # noqa: E402
from axolotl.utils.dict import DictDefault  # noqa: E402

from hf_lrguard import saved_decisions  # noqa: E402
from hf_lrguard.axolotl import (  # noqa: E402
    LRGuardPlugin,
    check_config,
    expected_schedule,
    read_back,
    read_policy,
)
from lrguard import GuardPolicy, LRGuardError  # noqa: E402

BASE = {"base_model": "./tiny", "learning_rate": 1.0e-5, "micro_batch_size": 2}


def test_register_fixes_the_config_axolotl_then_validates():
    cfg = DictDefault({**BASE, "cosine_min_lr_ratio": 10, "lrguard": {"min_lr_ratio": 0.05}})
    plugin = LRGuardPlugin()
    plugin.register(cfg)
    assert cfg["cosine_min_lr_ratio"] == 0.05
    assert [(d.rule, d.before, d.after) for d in plugin.decisions] == [
        ("LRG002", {"cosine_min_lr_ratio": 10}, {"cosine_min_lr_ratio": 0.05})
    ]
    assert plugin.expected.lr_scheduler_kwargs == {"min_lr_rate": 0.05}


def test_lrguard_block_is_part_of_axolotls_schema():
    from axolotl.integrations.base import PluginManager
    from axolotl.integrations.config import merge_input_args

    manager = PluginManager.get_instance()
    saved = dict(manager.plugins)
    manager.plugins.clear()
    manager.register("hf_lrguard.axolotl.LRGuardPlugin")
    try:
        _, schema = merge_input_args()
    finally:
        manager.plugins.clear()
        manager.plugins.update(saved)
    config = {
        **BASE,
        "datasets": [{"path": "tiny.jsonl", "ds_type": "json", "type": "completion"}],
        "gradient_accumulation_steps": 1,
        "sequence_len": 32,
    }
    valid = schema.model_validate({**config, "lrguard": {"on_violation": "error"}})
    assert valid.lrguard == GuardPolicy(on_violation="error")
    with pytest.raises(ValueError, match="lrguard.on_violation"):
        schema.model_validate({**config, "lrguard": {"on_violation": "stop"}})


def test_without_the_plugin_axolotl_drops_the_block_silently():
    from axolotl.utils.schemas.config import AxolotlInputConfig

    config = {
        **BASE,
        "datasets": [{"path": "tiny.jsonl", "ds_type": "json", "type": "completion"}],
        "gradient_accumulation_steps": 1,
        "sequence_len": 32,
        "lrguard": {"on_violation": "stop"},
    }
    assert "lrguard" not in AxolotlInputConfig.model_validate(config).model_dump()


def test_docs_block_names_a_plugin_axolotl_loads():
    from axolotl.integrations.base import load_plugin

    page = Path(__file__).resolve().parents[2] / "docs" / "transformers.md"
    text = page.read_text(encoding="utf-8")
    blocks = [yaml.safe_load(b) for b in re.findall(r"^```yaml\n(.*?)^```", text, re.S | re.M)]
    config = next(b for b in blocks if isinstance(b, dict) and "plugins" in b)
    assert config["plugins"] == ["hf_lrguard.axolotl.AxolotlGuardPlugin"]  # not the old alias
    assert isinstance(load_plugin(config["plugins"][0]), LRGuardPlugin)
    assert read_policy(config) == GuardPolicy(**config["lrguard"])


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"on_violation": "stop"}, "lrguard.on_violation='stop'"),
        ({"min_lr_ratio": 2}, "lrguard.min_lr_ratio=2"),
        ({"min_lr": 0.1}, "lrguard.min_lr=0.1: Extra inputs are not permitted. Fix: remove it"),
        ("error", "lrguard='error': must be a mapping"),
    ],
)
def test_bad_policy_block_is_refused_with_the_fix(options, expected):
    with pytest.raises(LRGuardError, match="Fix:") as err:
        LRGuardPlugin().register(DictDefault({**BASE, "lrguard": options}))
    assert expected in str(err.value)


@pytest.mark.parametrize(
    ("log_file", "why"),
    [
        ("../../x.jsonl", "leads out of output_dir"),
        ("logs/../../x.jsonl", "leads out of output_dir"),
        ("/tmp/lrguard.jsonl", "an absolute path"),
        ("C:\\runs\\x.jsonl", "an absolute path"),
        (".", "names no file inside output_dir"),
    ],
)
def test_log_file_outside_output_dir_is_refused_with_the_fix(log_file, why):
    cfg = DictDefault({**BASE, "cosine_min_lr_ratio": 10, "lrguard": {"log_file": log_file}})
    with pytest.raises(LRGuardError) as err:
        LRGuardPlugin().register(cfg)
    message = str(err.value)
    assert message.startswith(f"lrguard.log_file={log_file!r}: {why}")
    assert "Fix: set lrguard.log_file to a file name inside output_dir" in message
    assert cfg["cosine_min_lr_ratio"] == 10  # refused before anything was checked or fixed


@pytest.mark.parametrize("log_file", ["decisions.jsonl", "logs/lrguard.jsonl", None])
def test_log_file_inside_output_dir_is_accepted(log_file):
    assert read_policy({"lrguard": {"log_file": log_file}}).log_file == log_file


def test_error_without_a_safe_fix_is_refused_even_under_adjust():
    cfg = {**BASE, "cosine_min_lr_ratio": 0.1, "cosine_constant_lr_ratio": 80}
    with pytest.raises(LRGuardError) as err:
        check_config(cfg, GuardPolicy())
    assert "LRG070 cosine_constant_lr_ratio=80 is not a fraction of the run" in str(err.value)
    assert "Fix: Set cosine_constant_lr_ratio: 0.8" in str(err.value)


def test_warn_reports_and_changes_nothing():
    cfg = {**BASE, "cosine_min_lr_ratio": 10}
    decisions = check_config(cfg, GuardPolicy(on_violation="warn"))
    assert [(d.rule, d.action.value) for d in decisions] == [("LRG002", "warned")]
    assert cfg["cosine_min_lr_ratio"] == 10


def _built(ratio: float, total: int = 20):
    """axolotl's own cosine-with-floor schedule, built by axolotl's function."""
    from axolotl.utils.schedulers import get_cosine_schedule_with_min_lr

    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-5)
    scheduler = get_cosine_schedule_with_min_lr(
        optimizer, num_warmup_steps=2, num_training_steps=total, min_lr_ratio=ratio
    )
    args = SimpleNamespace(get_warmup_steps=lambda steps: 2)
    return args, optimizer, scheduler


def test_read_back_accepts_the_fix_only_when_the_built_scheduler_uses_it():
    expected = expected_schedule({**BASE, "cosine_min_lr_ratio": 0.1})
    assert read_back(expected, *_built(0.1), 20) is None
    problem = read_back(expected, *_built(10.0), 20)
    assert problem is not None and "differs from cosine_with_min_lr" in problem


def test_read_back_replays_schedules_without_a_closed_form():
    expected = expected_schedule(
        {**BASE, "cosine_min_lr_ratio": 0.1, "cosine_constant_lr_ratio": 0.8}
    )
    assert expected.lr_scheduler_type is None
    assert read_back(expected, *_built(0.1), 20) is None
    assert "rises to" in read_back(expected, *_built(10.0), 20)


@pytest.mark.parametrize(("built_ratio", "action"), [(0.1, "adjusted"), (10.0, "warned")])
def test_a_fix_is_logged_as_adjusted_only_when_the_built_run_uses_it(built_ratio, action, tmp_path):
    from transformers import TrainerControl, TrainerState, TrainingArguments

    from hf_lrguard.axolotl import AxolotlGuardCallback
    from lrguard import read_jsonl

    cfg = {**BASE, "cosine_min_lr_ratio": 10}
    decisions = check_config(cfg, GuardPolicy())
    guard = AxolotlGuardCallback(GuardPolicy(), decisions, expected_schedule(cfg))
    args = TrainingArguments(
        output_dir=str(tmp_path),
        lr_scheduler_type="cosine",
        max_steps=20,
        warmup_steps=2,
        report_to="none",
    )
    state = TrainerState(max_steps=20)
    _, optimizer, scheduler = _built(built_ratio)  # 10: a trainer ignoring the fixed config
    guard.on_init_end(args, state, TrainerControl())
    guard.on_train_begin(args, state, TrainerControl(), optimizer=optimizer, lr_scheduler=scheduler)
    records = read_jsonl(tmp_path / "lrguard.jsonl")
    assert [(r["rule"], r["action"]) for r in records] == [("LRG002", action)]
    assert ("Not applied: the built schedule's rate" in records[0]["message"]) == (
        action == "warned"
    )
    assert saved_decisions(state) == records
    assert not state.log_history  # decisions never enter log_history
