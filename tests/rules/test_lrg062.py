"""LRG062 rate-near-zero-most-of-run: The rate stays below a small fraction of its peak for
most of the run.

Run on real torch schedulers through ``torch_lrguard.check_scheduler`` (skipped where
torch is not installed)."""

from __future__ import annotations

import pytest

from tests.rules.support import check_objects, corrected, example, scheduler_snippet

CODE = "LRG062"

FIRES = {
    "below 1% for just over half the run": (
        "lr_scheduler.ExponentialLR(optimizer, gamma=0.99)",
        1000,
    ),
}

SILENT = {
    "below 1% for about a third of the run": (
        "lr_scheduler.ExponentialLR(optimizer, gamma=0.993)",
        1000,
    ),
}


def test_fires_on_the_example_naming_field_value_and_fix() -> None:
    (finding,) = check_objects(CODE, example(CODE))
    assert finding.field == "scheduler"
    assert finding.value == 910
    assert "gamma=0.99541" in finding.fix


def test_silent_on_the_corrected_example() -> None:
    assert check_objects(CODE, corrected(CODE)) == []


@pytest.mark.parametrize(("scheduler", "steps"), FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(scheduler: str, steps: int) -> None:
    assert check_objects(CODE, scheduler_snippet(scheduler, steps))


@pytest.mark.parametrize(("scheduler", "steps"), SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(scheduler: str, steps: int) -> None:
    assert check_objects(CODE, scheduler_snippet(scheduler, steps)) == []
