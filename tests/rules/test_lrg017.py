"""LRG017 scheduler-kwargs-not-mapping: lr_scheduler_kwargs that is not a mapping or a JSON
object."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example, hf_codes

CODE = "LRG017"

FIRES = {
    "a list": """
lr_scheduler_type: cosine_with_min_lr
lr_scheduler_kwargs: [1.0e-6]
""",
}

SILENT = {
    "a JSON object in a string": """
lr_scheduler_type: cosine_with_min_lr
lr_scheduler_kwargs: '{"min_lr": 1.0e-6}'
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "lr_scheduler_kwargs"]
    assert finding.value == "min_lr=1e-6"
    assert "as a mapping" in finding.fix
    assert "lr_scheduler_kwargs" in finding.message


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
        ({"lr_scheduler_kwargs": "[1, 2]"}, None, None, ["LRG017"]),
        ({"lr_scheduler_kwargs": 3}, None, None, ["LRG017"]),
    ],
)
def test_on_hf_arguments(args, steps, version, expected):
    assert hf_codes(args, steps, version) == expected
