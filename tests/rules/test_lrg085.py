"""LRG085 deepspeed-default-applies: A DeepSpeed scheduler param left out: DeepSpeed's default
replaces the run's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example

CODE = "LRG085"

FIRES = {
    "WarmupLR without warmup_num_steps": """
learning_rate: 2.0e-5
max_steps: 1000
warmup_steps: 100
per_device_train_batch_size: 8
deepspeed:
  scheduler:
    type: WarmupLR
    params: {warmup_min_lr: 0, warmup_max_lr: auto}
""",
}

SILENT = {
    "every param written as auto": """
learning_rate: 2.0e-5
max_steps: 1000
warmup_steps: 100
per_device_train_batch_size: 8
deepspeed:
  scheduler:
    type: WarmupLR
    params: {warmup_min_lr: 0, warmup_max_lr: auto, warmup_num_steps: auto}
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "deepspeed"]
    assert finding.value == pytest.approx(0.001)
    assert 'warmup_max_lr: "auto"' in finding.fix
    assert "deepspeed" in finding.message


def test_silent_on_the_corrected_example(tmp_path: Path) -> None:
    assert check_text(tmp_path, corrected(CODE), CODE) == []


@pytest.mark.parametrize("text", FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE)


@pytest.mark.parametrize("text", SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE) == []
