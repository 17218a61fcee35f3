"""LRG021 scheduler-kwargs-ignored: lr_scheduler_kwargs given to a schedule that silently
ignores them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example, hf_codes

CODE = "LRG021"

FIRES = {
    "constant with any keyword": """
lr_scheduler_type: constant
lr_scheduler_kwargs: {num_cycles: 1}
""",
}

SILENT = {
    "empty kwargs": """
lr_scheduler_type: constant_with_warmup
lr_scheduler_kwargs: {}
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "lr_scheduler_kwargs"]
    assert finding.value == {"min_lr": 1e-06}
    assert "Remove lr_scheduler_kwargs" in finding.fix
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
        (
            {"lr_scheduler_type": "constant_with_warmup", "lr_scheduler_kwargs": {"min_lr": 1e-6}},
            None,
            None,
            ["LRG021"],
        ),
        (
            {"lr_scheduler_type": "inverse_sqrt", "lr_scheduler_kwargs": {"timescale": 5}},
            None,
            "4.57.6",
            ["LRG021"],
        ),
        (
            {"lr_scheduler_type": "inverse_sqrt", "lr_scheduler_kwargs": {"timescale": 5}},
            None,
            "5.0.0",
            [],
        ),
    ],
)
def test_on_hf_arguments(args, steps, version, expected):
    assert hf_codes(args, steps, version) == expected
