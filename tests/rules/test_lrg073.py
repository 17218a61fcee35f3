"""LRG073 lr-group-rate-invalid: An axolotl lr_groups entry without a usable rate, or group
rates one_cycle ignores."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example

CODE = "LRG073"

FIRES = {
    "a negative rate": """
base_model: ./tiny-llama
learning_rate: 1.0e-5
lr_groups:
  - name: embeddings
    modules: [embed_tokens]
    lr: -1.0e-6
""",
    "no rate": """
base_model: ./tiny-llama
learning_rate: 1.0e-5
lr_groups:
  - name: embeddings
    modules: [embed_tokens]
""",
}

SILENT = {
    "a tiny positive rate": """
base_model: ./tiny-llama
learning_rate: 1.0e-5
lr_groups:
  - name: embeddings
    modules: [embed_tokens]
    lr: 1.0e-12
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "lr_groups[0].lr"]
    assert finding.value == 0
    assert "positive rate" in finding.fix
    assert "lr_groups[0].lr" in finding.message


def test_silent_on_the_corrected_example(tmp_path: Path) -> None:
    assert check_text(tmp_path, corrected(CODE), CODE) == []


@pytest.mark.parametrize("text", FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE)


@pytest.mark.parametrize("text", SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE) == []
