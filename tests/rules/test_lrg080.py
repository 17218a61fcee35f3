"""LRG080 deepspeed-scheduler-replaces-schedule: A DeepSpeed scheduler section replaces
lr_scheduler_type and its kwargs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example

CODE = "LRG080"

FIRES = {
    "a DeepSpeed scheduler under a plain linear schedule with warmup": """
learning_rate: 2.0e-5
max_steps: 1000
warmup_steps: 100
per_device_train_batch_size: 8
deepspeed:
  scheduler:
    type: WarmupDecayLR
    params: {warmup_min_lr: 0, warmup_max_lr: auto, warmup_num_steps: auto, total_num_steps: auto}
lr_scheduler_type: cosine
""",
}

SILENT = {
    "an optimizer section only": """
learning_rate: 2.0e-5
max_steps: 1000
warmup_steps: 100
per_device_train_batch_size: 8
deepspeed:
  optimizer:
    type: AdamW
    params: {lr: auto}
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "deepspeed"]
    assert finding.value == "WarmupLR"
    assert "Remove the scheduler section" in finding.fix
    assert "deepspeed" in finding.message


def test_silent_on_the_corrected_example(tmp_path: Path) -> None:
    assert check_text(tmp_path, corrected(CODE), CODE) == []


@pytest.mark.parametrize("text", FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE)


@pytest.mark.parametrize("text", SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE) == []
