"""LRG033 duplicate-key: A key given twice in one mapping of a config file: only the last one
counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example

CODE = "LRG033"

FIRES = {
    "a key twice in a nested mapping": """
lr_scheduler_type: cosine_with_min_lr
lr_scheduler_kwargs:
  min_lr: 1.0e-6
  min_lr: 1.0e-7
""",
}

SILENT = {
    "one key in two mappings": """
flair_train:
  learning_rate: 0.1
flair_fine_tune:
  learning_rate: 5.0e-5
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "learning_rate"]
    assert "Keep one learning_rate" in finding.fix
    assert "learning_rate" in finding.message


def test_silent_on_the_corrected_example(tmp_path: Path) -> None:
    assert check_text(tmp_path, corrected(CODE), CODE) == []


@pytest.mark.parametrize("text", FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE)


@pytest.mark.parametrize("text", SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE) == []


# -- through the command line (lrguard check) ------------------------------------------------
@pytest.mark.parametrize(
    "name, text, lines",
    [
        ("dup.yaml", "learning_rate: 1.0e-5\nmax_steps: 100\nlearning_rate: 1.0e-3\n", (1, 3)),
        (
            "dup.json",
            '{"learning_rate": 1e-5,\n "max_steps": 100,\n "learning_rate": 1e-3}',
            (1, 3),
        ),
        (
            "nested.yaml",
            "learning_rate: 1.0e-5\nmax_steps: 100\nlr_scheduler_type: cosine_with_min_lr\n"
            "lr_scheduler_kwargs:\n  min_lr: 1.0e-6\n  min_lr: 1.0e-7\n",
            (5, 6),
        ),
    ],
)
def test_duplicate_keys_are_reported_with_both_lines(run, write, name, text, lines):
    code, out, _ = run("check", write(name, text), "--no-config", "--select", "LRG033")
    first, last = lines
    assert code == 0, out
    assert f"{name}:{last}: LRG033 [warning]" in out
    assert f"(lines {first} and {last})" in out
