"""LRG067 metric-worst-case-near-zero: A metric-driven scheduler can lower the rate to almost
nothing.

Run on real torch schedulers through ``torch_lrguard.check_scheduler`` (skipped where
torch is not installed)."""

from __future__ import annotations

import pytest

from tests.rules.support import check_objects, corrected, example, scheduler_snippet

CODE = "LRG067"

FIRES = {
    "min_lr just below 1% of the peak": (
        "lr_scheduler.ReduceLROnPlateau(optimizer, patience=2, min_lr=9e-6)",
        100,
    ),
}

SILENT = {
    "min_lr at 1% of the peak": (
        "lr_scheduler.ReduceLROnPlateau(optimizer, patience=2, min_lr=1e-5)",
        100,
    ),
}


def test_fires_on_the_example_naming_field_value_and_fix() -> None:
    (finding,) = check_objects(CODE, example(CODE))
    assert finding.field == "scheduler"
    assert finding.value == 10
    assert "min_lr=1e-05" in finding.fix


def test_silent_on_the_corrected_example() -> None:
    assert check_objects(CODE, corrected(CODE)) == []


@pytest.mark.parametrize(("scheduler", "steps"), FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(scheduler: str, steps: int) -> None:
    assert check_objects(CODE, scheduler_snippet(scheduler, steps))


@pytest.mark.parametrize(("scheduler", "steps"), SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(scheduler: str, steps: int) -> None:
    assert check_objects(CODE, scheduler_snippet(scheduler, steps)) == []
