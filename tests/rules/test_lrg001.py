"""LRG001 initial-lr-below-min: A param group's initial learning rate is below its minimum
learning rate."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrguard import check_plan
from lrguard.adapters.flair_kwargs import flair_plan
from tests.rules.support import check_text, corrected, example, flair_codes

CODE = "LRG001"

FIRES = {
    "rate just below the minimum": """
flair_train:
  learning_rate: 9.9e-5
  min_learning_rate: 1.0e-4
""",
}

SILENT = {
    "rate equal to the minimum (LRG002's case)": """
flair_train:
  learning_rate: 1.0e-4
  min_learning_rate: 1.0e-4
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "min_learning_rate"]
    assert finding.value == pytest.approx(0.0001)
    assert "min_learning_rate<=" in finding.fix
    assert "min_learning_rate" in finding.message


def test_silent_on_the_corrected_example(tmp_path: Path) -> None:
    assert check_text(tmp_path, corrected(CODE), CODE) == []


@pytest.mark.parametrize("text", FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE)


@pytest.mark.parametrize("text", SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE) == []


# -- on Flair's train / fine_tune keywords (a plain plan, no flair import) -------------------
@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"learning_rate": 1e-5, "decoder_learning_rate": 1e-3}, ["LRG001"]),
    ],
)
def test_rule_codes_for_flair_kwargs(kwargs, expected):
    assert flair_codes(kwargs) == expected


def test_seed_case_finding_message():
    finding = check_plan(flair_plan({"learning_rate": 1e-5, "patience": 10}))[0]
    assert finding.render() == (
        "LRG001 learning_rate=1e-05 (param group 0) < min_learning_rate=0.0001: Flair stops "
        "after epoch 1 ('learning rate too small - quitting training!'). "
        "Fix: Set min_learning_rate<=1e-06 or learning_rate>=0.0001."
    )
