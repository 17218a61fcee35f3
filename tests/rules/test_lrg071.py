"""LRG071 axolotl-schedule-option-ignored: An axolotl schedule setting that the configured
schedule never reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example

CODE = "LRG071"

FIRES = {
    "the floor under one_cycle": """
base_model: ./tiny-llama
learning_rate: 1.0e-5
lr_scheduler: one_cycle
cosine_min_lr_ratio: 0.1
""",
}

SILENT = {
    "quadratic warmup without a floor": """
base_model: ./tiny-llama
learning_rate: 1.0e-5
lr_scheduler: cosine
lr_quadratic_warmup: true
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "cosine_min_lr_ratio"]
    assert finding.value == pytest.approx(0.1)
    assert "Remove lr_quadratic_warmup" in finding.fix
    assert "cosine_min_lr_ratio" in finding.message


def test_silent_on_the_corrected_example(tmp_path: Path) -> None:
    assert check_text(tmp_path, corrected(CODE), CODE) == []


@pytest.mark.parametrize("text", FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE)


@pytest.mark.parametrize("text", SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE) == []
