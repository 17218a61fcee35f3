"""LRG032 invalid-setting: A training setting whose value cannot be used (not a number, out of
range)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example, hf_codes

CODE = "LRG032"

FIRES = {
    "negative epochs": """
flair_train:
  max_epochs: -1
""",
}

SILENT = {
    "one epoch": """
flair_train:
  max_epochs: 1
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "max_epochs"]
    assert finding.value == 0
    assert "whole number >= 1" in finding.fix
    assert "max_epochs" in finding.message


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
        ({"warmup_steps": 0.5}, 10, "5.2.0", []),  # 5.x: a fraction is a ratio
        ({"warmup_steps": 0.5}, 10, "4.57.6", ["LRG032"]),  # 4.57 refuses it
        ({"warmup_steps": 0.5}, 10, None, ["LRG032"]),  # version unknown: both readings
        ({"warmup_steps": 12.5}, 100, "5.2.0", ["LRG032"]),  # 5.x truncates a non-integer
    ],
)
def test_on_hf_arguments(args, steps, version, expected):
    assert hf_codes(args, steps, version) == expected
