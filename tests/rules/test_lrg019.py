"""LRG019 early-stopping-patience-in-evaluations: EarlyStoppingCallback patience counts
evaluations, which can be a few steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example, hf_codes

CODE = "LRG019"

FIRES = {
    "patience spanning just under a tenth of the run": """
max_steps: 1000
eval_strategy: steps
eval_steps: 99
save_steps: 99
metric_for_best_model: loss
load_best_model_at_end: true
early_stopping_patience: 1
""",
}

SILENT = {
    "patience spanning a tenth of the run": """
max_steps: 1000
eval_strategy: steps
eval_steps: 100
save_steps: 100
metric_for_best_model: loss
load_best_model_at_end: true
early_stopping_patience: 1
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "early_stopping_patience"]
    assert finding.value == 1
    assert "early_stopping_patience>=100" in finding.fix
    assert "early_stopping_patience" in finding.message


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
                "eval_strategy": "steps",
                "eval_steps": 1,
                "early_stopping_patience": 1,
                "metric_for_best_model": "loss",
            },
            40,
            None,
            ["LRG019"],
        ),
        (
            {
                "eval_strategy": "steps",
                "eval_steps": 10,
                "early_stopping_patience": 3,
                "metric_for_best_model": "loss",
            },
            40,
            None,
            [],
        ),
    ],
)
def test_on_hf_arguments(args, steps, version, expected):
    assert hf_codes(args, steps, version) == expected
