"""LRG031 scheduler-kwarg-at-top-level: A scheduler keyword (min_lr, eta_min, lr_end ...) at
the top level of a config."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example

CODE = "LRG031"

FIRES = {
    "min_lr at the top level": """
base_model: ./tiny-llama
lr_scheduler: cosine
learning_rate: 5.0e-6
min_lr: 7.0e-7
""",
}

SILENT = {
    "the floor as axolotl reads it": """
base_model: ./tiny-llama
lr_scheduler: cosine
learning_rate: 5.0e-6
cosine_min_lr_ratio: 0.14
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "eta_min"]
    assert finding.value == pytest.approx(7e-07)
    assert "cosine_min_lr_ratio: 0.14" in finding.fix
    assert "eta_min" in finding.message


def test_silent_on_the_corrected_example(tmp_path: Path) -> None:
    assert check_text(tmp_path, corrected(CODE), CODE) == []


@pytest.mark.parametrize("text", FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE)


@pytest.mark.parametrize("text", SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE) == []
