"""LRG014 plateau-mode-mismatch: reduce_lr_on_plateau / greedy mode contradicts
greater_is_better."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example, hf_codes

CODE = "LRG014"

FIRES = {
    "mode max for a loss": """
lr_scheduler_type: reduce_lr_on_plateau
eval_strategy: epoch
metric_for_best_model: loss
greater_is_better: false
lr_scheduler_kwargs: {mode: max}
""",
}

SILENT = {
    "the default mode for a loss": """
lr_scheduler_type: reduce_lr_on_plateau
eval_strategy: epoch
metric_for_best_model: loss
greater_is_better: false
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "lr_scheduler_kwargs.mode"]
    assert finding.value == "min"
    assert "mode: 'max'" in finding.fix
    assert "lr_scheduler_kwargs.mode" in finding.message


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
            {
                "lr_scheduler_type": "reduce_lr_on_plateau",
                "eval_strategy": "epoch",
                "metric_for_best_model": "f1",
            },
            None,
            None,
            ["LRG014"],
        ),
    ],
)
def test_on_hf_arguments(args, steps, version, expected):
    assert hf_codes(args, steps, version) == expected
