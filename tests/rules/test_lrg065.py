"""LRG065 scheduled-rate-not-finite: The scheduler gives a rate that is NaN, infinite or
negative during the run.

Run on real torch schedulers through ``torch_lrguard.check_scheduler`` (skipped where
torch is not installed)."""

from __future__ import annotations

import pytest

from tests.rules.support import check_objects, corrected, example, scheduler_snippet

CODE = "LRG065"

FIRES = {
    "one NaN factor at the last step": (
        "lr_scheduler.LambdaLR(optimizer, lambda step: float('nan') if step == 999 else 1.0)",
        1000,
    ),
}

SILENT = {
    "a factor that reaches 0 at the end": (
        "lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / 1000)",
        1000,
    ),
}


def test_fires_on_the_example_naming_field_value_and_fix() -> None:
    (finding,) = check_objects(CODE, example(CODE))
    assert finding.field == "scheduler"
    assert "max(0.0, ...)" in finding.fix


def test_silent_on_the_corrected_example() -> None:
    assert check_objects(CODE, corrected(CODE)) == []


@pytest.mark.parametrize(("scheduler", "steps"), FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(scheduler: str, steps: int) -> None:
    assert check_objects(CODE, scheduler_snippet(scheduler, steps))


@pytest.mark.parametrize(("scheduler", "steps"), SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(scheduler: str, steps: int) -> None:
    assert check_objects(CODE, scheduler_snippet(scheduler, steps)) == []
