"""LRG064 warmup-never-completes: The rate warms up but never reaches the optimizer's learning
rate.

Run on real torch schedulers through ``torch_lrguard.check_scheduler`` (skipped where
torch is not installed)."""

from __future__ import annotations

import pytest

from tests.rules.support import check_objects, corrected, example, scheduler_snippet

CODE = "LRG064"

FIRES = {
    "warmup twice the run": (
        "lr_scheduler.LinearLR(optimizer, start_factor=0.01, total_iters=2000)",
        1000,
    ),
}

SILENT = {
    "warmup exactly the run": (
        "lr_scheduler.LinearLR(optimizer, start_factor=0.01, total_iters=999)",
        1000,
    ),
}


def test_fires_on_the_example_naming_field_value_and_fix() -> None:
    (finding,) = check_objects(CODE, example(CODE))
    assert finding.field == "scheduler"
    assert "total_iters=100" in finding.fix


def test_silent_on_the_corrected_example() -> None:
    assert check_objects(CODE, corrected(CODE)) == []


@pytest.mark.parametrize(("scheduler", "steps"), FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(scheduler: str, steps: int) -> None:
    assert check_objects(CODE, scheduler_snippet(scheduler, steps))


@pytest.mark.parametrize(("scheduler", "steps"), SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(scheduler: str, steps: int) -> None:
    assert check_objects(CODE, scheduler_snippet(scheduler, steps)) == []
