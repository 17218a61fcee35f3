"""LRG050 invalid-annealing-setting: A plateau-annealing setting (anneal_factor, patience) that
cannot be used."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example, flair_codes

CODE = "LRG050"

FIRES = {
    "anneal_factor 1: the rate never falls": """
flair_train:
  anneal_factor: 1
""",
    "anneal_factor 0": """
flair_train:
  anneal_factor: 0
""",
}

SILENT = {
    "anneal_factor just below 1": """
flair_train:
  anneal_factor: 0.99
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "anneal_factor"]
    assert finding.value == 2
    assert "between 0 and 1" in finding.fix
    assert "anneal_factor" in finding.message


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
        ({"anneal_factor": 1.0}, ["LRG050"]),
        ({"patience": -2, "initial_extra_patience": 1.5}, ["LRG050", "LRG050"]),
    ],
)
def test_rule_codes_for_flair_kwargs(kwargs, expected):
    assert flair_codes(kwargs) == expected
