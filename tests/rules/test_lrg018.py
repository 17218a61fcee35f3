"""LRG018 wsd-phases-exceed-run: warmup_stable_decay phases longer than the run: peak or floor
never reached."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example, hf_codes

CODE = "LRG018"

FIRES = {
    "warmup and decay one step longer than the run": """
lr_scheduler_type: warmup_stable_decay
max_steps: 40
warmup_steps: 10
lr_scheduler_kwargs: {num_decay_steps: 31}
""",
}

SILENT = {
    "warmup and decay exactly the run": """
lr_scheduler_type: warmup_stable_decay
max_steps: 40
warmup_steps: 10
lr_scheduler_kwargs: {num_decay_steps: 30}
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "lr_scheduler_kwargs.num_decay_steps"]
    assert finding.value == 100
    assert "num_decay_steps<=40" in finding.fix
    assert "lr_scheduler_kwargs.num_decay_steps" in finding.message


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
                "lr_scheduler_type": "warmup_stable_decay",
                "lr_scheduler_kwargs": {"num_decay_steps": 50},
            },
            40,
            None,
            ["LRG018"],
        ),
        (
            {
                "lr_scheduler_type": "warmup_stable_decay",
                "lr_scheduler_kwargs": {"num_decay_steps": 20, "num_stable_steps": 30},
            },
            40,
            None,
            ["LRG018"],
        ),
    ],
)
def test_on_hf_arguments(args, steps, version, expected):
    assert hf_codes(args, steps, version) == expected
