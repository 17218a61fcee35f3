"""LRG070 axolotl-constant-ratio-out-of-range: axolotl cosine_constant_lr_ratio outside 0 ...
1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example

CODE = "LRG070"

FIRES = {
    "just above 1": """
base_model: ./tiny-llama
learning_rate: 1.0e-5
cosine_min_lr_ratio: 0.1
cosine_constant_lr_ratio: 1.01
""",
    "negative": """
base_model: ./tiny-llama
learning_rate: 1.0e-5
cosine_min_lr_ratio: 0.1
cosine_constant_lr_ratio: -0.1
""",
}

SILENT = {
    "exactly 1": """
base_model: ./tiny-llama
learning_rate: 1.0e-5
cosine_min_lr_ratio: 0.1
cosine_constant_lr_ratio: 1.0
""",
    "exactly 0": """
base_model: ./tiny-llama
learning_rate: 1.0e-5
cosine_min_lr_ratio: 0.1
cosine_constant_lr_ratio: 0.0
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "cosine_constant_lr_ratio"]
    assert finding.value == 80
    assert "cosine_constant_lr_ratio: 0.8" in finding.fix
    assert "cosine_constant_lr_ratio" in finding.message


def test_silent_on_the_corrected_example(tmp_path: Path) -> None:
    assert check_text(tmp_path, corrected(CODE), CODE) == []


@pytest.mark.parametrize("text", FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE)


@pytest.mark.parametrize("text", SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE) == []
