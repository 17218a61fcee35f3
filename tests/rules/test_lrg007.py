"""LRG007 anneal-budget: How many plateau anneals fit between the initial rate and the floor,
and the earliest epoch training can stop."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrguard import check_plan
from lrguard.adapters.flair_kwargs import flair_plan
from tests.rules.support import check_text, corrected, example, flair_codes

CODE = "LRG007"

FIRES = {
    "room for one anneal": """
flair_train:
  learning_rate: 2.0e-4
  min_learning_rate: 1.0e-4
  anneal_factor: 0.5
""",
}

SILENT = {
    "no plateau annealing under a linear schedule": """
flair_fine_tune:
  learning_rate: 5.0e-5
  max_epochs: 1
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "min_learning_rate"]
    assert finding.value == pytest.approx(0.0001)
    assert "" in finding.fix
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
        ({"learning_rate": 0.1}, ["LRG007"]),
        ({"learning_rate": 0.1, "min_learning_rate": 0.08}, ["LRG007"]),
    ],
)
def test_rule_codes_for_flair_kwargs(kwargs, expected):
    assert flair_codes(kwargs) == expected


def test_zero_anneals_is_a_warning_with_the_earliest_stop():
    finding = check_plan(flair_plan({"learning_rate": 0.1, "min_learning_rate": 0.08}))[0]
    assert finding.severity == "warning"
    assert "0 anneal(s)" in finding.message
    assert "stop after epoch 5 of 100" in finding.message  # best at 1, patience 3, stop at 5


def test_anneal_budget_numbers_for_flair_defaults():
    message = check_plan(flair_plan({"learning_rate": 0.1}))[0].message
    assert "9 anneal(s)" in message
    assert "training can stop after epoch 41 of 100" in message  # stock Flair
