"""LRG034 unused-suppression: A '# lrguard: ignore[...]' comment that suppresses no finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example

CODE = "LRG034"

FIRES = {
    "a code no rule reports on that line": """
learning_rate: 1.0e-5
warmup_ratio: 0.1  # lrguard: ignore[LRG006]
""",
}

SILENT = {
    "a suppression that suppresses": """
learning_rate: .nan  # lrguard: ignore[LRG003]
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = found
    assert finding.location and finding.line
    assert "Remove LRG001" in finding.fix


def test_silent_on_the_corrected_example(tmp_path: Path) -> None:
    assert check_text(tmp_path, corrected(CODE), CODE) == []


@pytest.mark.parametrize("text", FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE)


@pytest.mark.parametrize("text", SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE) == []
