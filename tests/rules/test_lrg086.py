"""LRG086 deepspeed-config-not-read: The DeepSpeed config named by deepspeed: could not be
read: not checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrguard.findings import Finding
from tests.rules.support import check_text, corrected, example

CODE = "LRG086"

FIRES = {
    "a JSON file that does not parse": (
        """
learning_rate: 2.0e-5
max_steps: 1000
deepspeed: broken.json
""",
        {"broken.json": "{not json"},
    ),
}

SILENT = {
    "a JSON file next to the config": (
        """
learning_rate: 2.0e-5
max_steps: 1000
deepspeed: ds.json
""",
        {"ds.json": '{"zero_optimization": {"stage": 2}}'},
    ),
}


def _check(tmp_path: Path, case: tuple[str, dict[str, str]]) -> list[Finding]:
    text, files = case
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    return check_text(tmp_path, text, CODE)


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "deepspeed"]
    assert finding.value == "no/such/ds_config.json"
    assert "Run lrguard check from the directory" in finding.fix
    assert "deepspeed" in finding.message


def test_silent_on_the_corrected_example(tmp_path: Path) -> None:
    assert check_text(tmp_path, corrected(CODE), CODE) == []


@pytest.mark.parametrize("case", FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(tmp_path: Path, case: tuple[str, dict[str, str]]) -> None:
    assert _check(tmp_path, case)


@pytest.mark.parametrize("case", SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(tmp_path: Path, case: tuple[str, dict[str, str]]) -> None:
    assert _check(tmp_path, case) == []
