"""LRG011 polynomial-lr-end-not-below-lr: polynomial schedule whose lr_end (default 1e-7) is
not below learning_rate."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example, hf_codes

CODE = "LRG011"

FIRES = {
    "lr_end equal to the rate": """
lr_scheduler_type: polynomial
learning_rate: 1.0e-5
lr_scheduler_kwargs: {lr_end: 1.0e-5}
""",
    "the default lr_end 1e-7 equal to the rate": """
lr_scheduler_type: polynomial
learning_rate: 1.0e-7
""",
}

SILENT = {
    "lr_end just below the rate": """
lr_scheduler_type: polynomial
learning_rate: 1.0e-5
lr_scheduler_kwargs: {lr_end: 9.9e-6}
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "lr_scheduler_kwargs.lr_end"]
    assert finding.value == pytest.approx(0.0001)
    assert "lr_end<=" in finding.fix
    assert "lr_scheduler_kwargs.lr_end" in finding.message


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
        ({"lr_scheduler_type": "polynomial", "learning_rate": 1e-7}, None, None, ["LRG011"]),
    ],
)
def test_on_hf_arguments(args, steps, version, expected):
    assert hf_codes(args, steps, version) == expected
