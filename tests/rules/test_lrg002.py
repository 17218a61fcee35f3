"""LRG002 min-not-below-peak: The minimum learning rate is not below the peak: equal (warning),
or above it (error)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrguard.adapters.hf_args import plan_from_hf_args
from lrguard.rules import check_plan
from tests.rules.support import check_text, corrected, example, flair_codes, hf_codes

CODE = "LRG002"

FIRES = {
    "floor equal to the peak": """
lr_scheduler_type: cosine_with_min_lr
learning_rate: 1.0e-5
lr_scheduler_kwargs: {min_lr: 1.0e-5}
""",
    "flair minimum equal to the rate": """
flair_train:
  learning_rate: 1.0e-4
  min_learning_rate: 1.0e-4
""",
}

SILENT = {
    "floor just below the peak": """
lr_scheduler_type: cosine_with_min_lr
learning_rate: 1.0e-5
lr_scheduler_kwargs: {min_lr: 9.9e-6}
""",
    "flair minimum just below the rate": """
flair_train:
  learning_rate: 1.0e-4
  min_learning_rate: 9.9e-5
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "lr_scheduler_kwargs.min_lr"]
    assert finding.value == pytest.approx(0.0001)
    assert "min_lr_rate: 0.1" in finding.fix
    assert "lr_scheduler_kwargs.min_lr" in finding.message


def test_silent_on_the_corrected_example(tmp_path: Path) -> None:
    assert check_text(tmp_path, corrected(CODE), CODE) == []


@pytest.mark.parametrize("text", FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE)


@pytest.mark.parametrize("text", SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE) == []


# -- on Hugging Face TrainingArguments values (a plain plan, no transformers import) --------
@pytest.mark.parametrize(
    ("args", "steps", "version", "expected"),
    [
        (
            {
                "learning_rate": 1e-5,
                "lr_scheduler_type": "cosine_with_min_lr",
                "lr_scheduler_kwargs": {"min_lr": 1e-5},
            },
            None,
            None,
            ["LRG002"],
        ),
        (
            {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr_rate": 2}},
            None,
            None,
            ["LRG002"],
        ),
    ],
)
def test_on_hf_arguments(args, steps, version, expected):
    assert hf_codes(args, steps, version) == expected


def test_messages_name_field_value_limit_and_fix():
    plan = plan_from_hf_args(
        {
            "learning_rate": 1e-5,
            "lr_scheduler_type": "cosine_with_min_lr",
            "lr_scheduler_kwargs": {"min_lr": 1e-4},
        }
    )
    (finding,) = check_plan(plan)
    assert finding.message.startswith("lr_scheduler_kwargs.min_lr=0.0001")
    assert "learning_rate=1e-05" in finding.message and "10x the peak" in finding.message
    assert finding.fix.startswith("Set min_lr<=1e-06")


# -- on Flair's train / fine_tune keywords (a plain plan, no flair import) -------------------
@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"learning_rate": 1e-4}, ["LRG002"]),
    ],
)
def test_rule_codes_for_flair_kwargs(kwargs, expected):
    assert flair_codes(kwargs) == expected


# -- through the command line (lrguard check) ------------------------------------------------
def test_axolotl_mapping_names_the_axolotl_key(run, write):
    path = write(
        "ax.yaml",
        "base_model: x\nlearning_rate: 2.0e-5\ncosine_min_lr_ratio: 1.0\nnum_epochs: 1\n",
    )
    code, out, _ = run("check", path)
    assert code == 0
    assert f"{path}:3: LRG002 [info] cosine_min_lr_ratio=1: a floor at the peak" in out
    assert "constant after warmup" in out and "Nothing to change if a constant rate" in out
    assert "for a decay set cosine_min_lr_ratio below 1" in out
    assert "not below learning_rate" not in out  # a ratio is not compared with a rate


def test_a_floor_ratio_is_compared_with_1_not_with_the_rate(run, write):
    base = "learning_rate: 1.0e-5\nmax_steps: 100\nlr_scheduler_type: {}\n"
    cases = [
        ("cosine_with_min_lr", "lr_scheduler_kwargs: {min_lr_rate: 1.5}", "min_lr_rate=1.5"),
        (
            "warmup_stable_decay",
            "lr_scheduler_kwargs: {min_lr_ratio: 2, num_decay_steps: 10}",
            "min_lr_ratio=2",
        ),
    ]
    for name, kwargs, shown in cases:
        rc, out, _ = run("check", write("ratio.yaml", base.format(name) + kwargs + "\n"))
        line = next(x for x in out.splitlines() if "LRG002" in x)
        assert rc == 1 and "[error]" in line, out
        assert f"{shown} is above 1 (a fraction of learning_rate=1e-05)" in line, line
