"""LRG081 deepspeed-value-mismatch: A DeepSpeed scheduler value that differs from
TrainingArguments: train() raises."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example

CODE = "LRG081"

FIRES = {
    "one step more than the run": """
learning_rate: 2.0e-5
max_steps: 1000
warmup_steps: 100
per_device_train_batch_size: 8
deepspeed:
  scheduler:
    type: WarmupDecayLR
    params: {warmup_min_lr: 0, warmup_max_lr: auto, warmup_num_steps: auto, total_num_steps: 1001}
""",
}

SILENT = {
    "exactly the run's steps": """
learning_rate: 2.0e-5
max_steps: 1000
warmup_steps: 100
per_device_train_batch_size: 8
deepspeed:
  scheduler:
    type: WarmupDecayLR
    params: {warmup_min_lr: 0, warmup_max_lr: auto, warmup_num_steps: auto, total_num_steps: 1000}
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "deepspeed"]
    assert finding.value == 100000
    assert 'total_num_steps: "auto"' in finding.fix
    assert "deepspeed" in finding.message


def test_silent_on_the_corrected_example(tmp_path: Path) -> None:
    assert check_text(tmp_path, corrected(CODE), CODE) == []


@pytest.mark.parametrize("text", FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE)


@pytest.mark.parametrize("text", SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE) == []


def test_a_step_count_beyond_float_range_is_a_finding_not_an_internal_error(
    tmp_path: Path,
) -> None:
    exact = SILENT["exactly the run's steps"]
    ds = exact.replace("total_num_steps: 1000", "total_num_steps: -" + "9" * 400)
    assert ds != exact
    (finding,) = check_text(tmp_path, ds, CODE)
    assert finding.field == "deepspeed" and "total_num_steps" in finding.message
