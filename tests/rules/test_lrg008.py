"""LRG008 min-lr-list-length: A per-group min_learning_rate list whose length differs from the
param groups."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example, flair_codes

CODE = "LRG008"

FIRES = {
    "two minimums for one group": """
flair_train:
  learning_rate: 1.0e-5
  min_learning_rate: [1.0e-6, 1.0e-7]
""",
}

SILENT = {
    "a single float": """
flair_train:
  learning_rate: 1.0e-5
  min_learning_rate: 1.0e-6
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "min_learning_rate"]
    assert finding.value == [1e-06, 1e-07, 1e-08]
    assert "one minimum per param group" in finding.fix
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
        ({"learning_rate": 0.1, "min_learning_rate": [1e-4, 1e-5]}, ["LRG008"]),
    ],
)
def test_rule_codes_for_flair_kwargs(kwargs, expected):
    assert flair_codes(kwargs) == expected
