"""LRG016 unknown-scheduler-type: lr_scheduler_type that the targeted transformers version does
not have."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example, hf_codes

CODE = "LRG016"

FIRES = {
    "a misspelt schedule": """
lr_scheduler_type: cosine_warmup_min_lr
""",
}

SILENT = {
    "the name as transformers spells it": """
lr_scheduler_type: cosine_warmup_with_min_lr
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "lr_scheduler_type"]
    assert finding.value == "cosine_min_lr"
    assert "cosine_with_min_lr" in finding.fix
    assert "lr_scheduler_type" in finding.message


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
        ({"lr_scheduler_type": "greedy"}, None, "4.57.6", ["LRG016"]),
        ({"lr_scheduler_type": "cosine_wth_min_lr"}, None, None, ["LRG016"]),
    ],
)
def test_on_hf_arguments(args, steps, version, expected):
    assert hf_codes(args, steps, version) == expected
