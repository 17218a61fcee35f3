"""LRG025 early-stopping-before-plateau on plans and on config files (no transformers import).

The counts the rule relies on are checked against the real Trainer, ReduceLROnPlateau,
GreedyLR and EarlyStoppingCallback in ``tests/hf/test_early_stopping_plateau.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lrguard.adapters.hf_args import plan_from_hf_args
from lrguard.checking import CheckOptions, check_paths
from lrguard.rules import check_plan
from lrguard.schedules.table import GREEDY_DEFAULTS, PLATEAU_DEFAULTS
from tests.rules.support import check_text, corrected, example

CODE = "LRG025"


def _args(patience=None, stop=3, name="reduce_lr_on_plateau", **extra):
    kwargs = {} if patience is None else {"patience": patience}
    args = {
        "learning_rate": 2e-5,
        "lr_scheduler_type": name,
        "lr_scheduler_kwargs": kwargs,
        "eval_strategy": "epoch",
        "metric_for_best_model": "loss",
        "early_stopping_patience": stop,
    }
    args.update(extra)
    return args


def _found(args, version="4.57.6"):
    plan = plan_from_hf_args(args, transformers_version=version)
    return [f for f in check_plan(plan) if f.code == CODE]


@pytest.mark.parametrize(("patience", "stop"), [(2, 1), (2, 2), (2, 3), (0, 1), (5, 0)])
def test_fires_up_to_patience_plus_one(patience, stop):
    found = _found(_args(patience, stop))
    assert len(found) == 1
    message = found[0].message
    assert f"early_stopping_patience={stop}" in message
    assert f"lr_scheduler_kwargs.patience={patience}" in message
    assert f"at the {patience + 1}" in message
    assert f"Set early_stopping_patience>={patience + 2}" in found[0].fix


def test_same_evaluation_is_said():
    (found,) = _found(_args(2, 3))
    assert "in the evaluation that stops the run" in found.message
    (earlier,) = _found(_args(2, 2))
    assert "in the evaluation that stops the run" not in earlier.message
    assert "lr_scheduler_kwargs.patience<=0" in earlier.fix


@pytest.mark.parametrize(("patience", "stop"), [(2, 4), (0, 2), (3, 20)])
def test_silent_when_a_reduction_gets_to_train(patience, stop):
    assert _found(_args(patience, stop)) == []


def test_default_patience_comes_from_the_schedule_table():
    default = PLATEAU_DEFAULTS["patience"]
    (found,) = _found(_args(None, default + 1))
    assert f"patience={default} (default)" in found.message
    assert _found(_args(None, default + 2)) == []


def test_greedy_on_transformers_5():
    default = GREEDY_DEFAULTS["patience"]
    (found,) = _found(_args(None, default, name="greedy", lr_scheduler_kwargs={}), "5.2.0")
    assert found.message.startswith("EarlyStoppingCallback(early_stopping_patience=10)")
    assert "greedy (patience=10 (default))" in found.message
    assert _found(_args(1, 3, name="greedy"), "5.2.0") == []


@pytest.mark.parametrize(
    "args",
    [
        _args(2, 2, name="cosine"),  # not metric-driven
        {k: v for k, v in _args(2, 2).items() if k != "early_stopping_patience"},
        _args(2, 2, eval_strategy="no"),  # LRG020's
        _args(2, "three"),  # not a number: nothing to compare
        _args("x", 2),
        _args(2, -1),
    ],
)
def test_silent_without_the_facts(args):
    assert _found(args) == []


def test_string_numbers_are_read():
    (found,) = _found(_args("4", "3"))
    assert "at the 5th" in found.message


CONFIGS = {
    "hf.yaml": (
        "learning_rate: 2.0e-5\n"
        "lr_scheduler_type: reduce_lr_on_plateau\n"
        "lr_scheduler_kwargs: {patience: 3}\n"
        "eval_strategy: epoch\n"
        "save_strategy: epoch\n"
        "metric_for_best_model: loss\n"
        "load_best_model_at_end: true\n"
        "early_stopping_patience: {stop}\n",
        "early_stopping_patience",
    ),
    "llamafactory.yaml": (
        "model_name_or_path: ./tiny\n"
        "stage: sft\n"
        "do_train: true\n"
        "finetuning_type: lora\n"
        "dataset: alpaca_en_demo\n"
        "template: llama3\n"
        "output_dir: out\n"
        "learning_rate: 1.0e-4\n"
        "lr_scheduler_type: reduce_lr_on_plateau\n"
        "lr_scheduler_kwargs: {patience: 3}\n"
        "eval_strategy: steps\n"
        "eval_steps: 50\n"
        "save_steps: 50\n"
        "val_size: 0.1\n"
        "metric_for_best_model: eval_loss\n"
        "load_best_model_at_end: true\n"
        "early_stopping_steps: {stop}\n",
        "early_stopping_steps",
    ),
    "axolotl.yaml": (
        "base_model: ./tiny-llama\n"
        "learning_rate: 1.0e-5\n"
        "lr_scheduler: reduce_lr_on_plateau\n"
        "lr_scheduler_kwargs: {patience: 3}\n"
        "warmup_steps: 0\n"
        "val_set_size: 0.1\n"
        "eval_steps: 10\n"
        "save_steps: 10\n"
        "micro_batch_size: 2\n"
        "num_epochs: 3\n"
        "early_stopping_patience: {stop}\n",
        "early_stopping_patience",
    ),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_lrguard_check_reads_each_tools_setting(tmp_path: Path, name: str):
    text, key = CONFIGS[name]
    bad, good = tmp_path / f"bad-{name}", tmp_path / f"good-{name}"
    bad.write_text(text.replace("{stop}", "4"), encoding="utf-8")
    good.write_text(text.replace("{stop}", "5"), encoding="utf-8")
    reports = check_paths([bad, good], CheckOptions())
    assert [r.result.status for r in reports] == ["checked", "checked"]
    found = [f for f in reports[0].findings if f.code == CODE]
    assert len(found) == 1, [f.render() for f in reports[0].findings]
    assert found[0].location == key and found[0].line == text.count("\n")
    assert f"EarlyStoppingCallback({key}=4)" in found[0].message
    assert f"Set {key}>=5" in found[0].fix
    assert [f for f in reports[1].findings if f.code == CODE] == []


# -- the documented example, through lrguard check -------------------------------------------
def test_fires_on_the_example_naming_field_value_and_fix(tmp_path):
    (finding,) = check_text(tmp_path, example("LRG025"), "LRG025")
    assert finding.field == "early_stopping_patience" and finding.value == 3
    assert "early_stopping_patience>=5" in finding.fix


def test_silent_on_the_corrected_example(tmp_path):
    assert check_text(tmp_path, corrected("LRG025"), "LRG025") == []
