"""LRG072 warmup-steps-and-ratio: axolotl warmup_steps and warmup_ratio both set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example

CODE = "LRG072"

FIRES = {
    "one warmup step and a ratio": """
base_model: ./tiny-llama
learning_rate: 1.0e-5
warmup_steps: 1
warmup_ratio: 0.03
""",
}

SILENT = {
    "only warmup_steps": """
base_model: ./tiny-llama
learning_rate: 1.0e-5
warmup_steps: 100
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "warmup_ratio"]
    assert finding.value == pytest.approx(0.03)
    assert "Keep one" in finding.fix
    assert "warmup_ratio" in finding.message


def test_silent_on_the_corrected_example(tmp_path: Path) -> None:
    assert check_text(tmp_path, corrected(CODE), CODE) == []


@pytest.mark.parametrize("text", FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE)


@pytest.mark.parametrize("text", SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE) == []
