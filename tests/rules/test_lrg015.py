"""LRG015 plateau-without-evaluation: reduce_lr_on_plateau / greedy in a run that never
evaluates."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example, hf_codes

CODE = "LRG015"

FIRES = {
    "greedy never evaluated": """
lr_scheduler_type: greedy
eval_strategy: 'no'
""",
}

SILENT = {
    "evaluated every few steps": """
lr_scheduler_type: reduce_lr_on_plateau
eval_strategy: steps
eval_steps: 10
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "eval_strategy"]
    assert finding.value == "no"
    assert "eval_strategy: steps" in finding.fix
    assert "eval_strategy" in finding.message


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
        ({"lr_scheduler_type": "reduce_lr_on_plateau"}, None, None, ["LRG015"]),
    ],
)
def test_on_hf_arguments(args, steps, version, expected):
    assert hf_codes(args, steps, version) == expected
