"""LRG005 scheduler-kwargs-mismatch: Scheduler kwargs unknown to, missing for, or conflicting
in the chosen schedule."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example, hf_codes

CODE = "LRG005"

FIRES = {
    "two floors that conflict": """
lr_scheduler_type: cosine_with_min_lr
lr_scheduler_kwargs: {min_lr: 1.0e-6, min_lr_rate: 0.1}
""",
    "cosine_with_min_lr without any floor": """
lr_scheduler_type: cosine_with_min_lr
""",
}

SILENT = {
    "the schedule's own keyword": """
lr_scheduler_type: cosine
lr_scheduler_kwargs: {num_cycles: 0.5}
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "lr_scheduler_kwargs.min_lr"]
    assert finding.value == pytest.approx(1e-06)
    assert "Remove min_lr" in finding.fix
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
        ({"lr_scheduler_type": "cosine_with_min_lr"}, None, None, ["LRG005"]),
        (
            {
                "lr_scheduler_type": "cosine_with_min_lr",
                "lr_scheduler_kwargs": {"min_lr": 1e-6, "min_lr_rate": 0.1},
            },
            None,
            None,
            ["LRG005"],
        ),
        (
            {"lr_scheduler_type": "cosine", "lr_scheduler_kwargs": {"eta_min": 0}},
            None,
            None,
            ["LRG005"],
        ),
        ({"lr_scheduler_kwargs": {"num_training_steps": 9}}, None, None, ["LRG005"]),
        ({"lr_scheduler_type": "warmup_stable_decay"}, None, None, ["LRG005"]),
        (
            {
                "lr_scheduler_type": "warmup_stable_decay",
                "lr_scheduler_kwargs": {"num_decay_steps": 5, "decay_type": "exp"},
            },
            None,
            None,
            ["LRG005"],
        ),
    ],
)
def test_on_hf_arguments(args, steps, version, expected):
    assert hf_codes(args, steps, version) == expected
