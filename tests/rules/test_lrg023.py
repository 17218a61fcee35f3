"""LRG023 warmup-ignored: Warmup set for a schedule without a warmup phase."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example, hf_codes

CODE = "LRG023"

FIRES = {
    "a warmup ratio": """
lr_scheduler_type: constant
warmup_ratio: 0.1
""",
    "one warmup step": """
lr_scheduler_type: constant
warmup_steps: 1
""",
}

SILENT = {
    "zero warmup steps": """
lr_scheduler_type: constant
warmup_steps: 0
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "warmup_steps"]
    assert finding.value == 100
    assert "constant_with_warmup" in finding.fix
    assert "warmup_steps" in finding.message


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
        ({"lr_scheduler_type": "constant", "warmup_steps": 10}, None, None, ["LRG023"]),
    ],
)
def test_on_hf_arguments(args, steps, version, expected):
    assert hf_codes(args, steps, version) == expected
