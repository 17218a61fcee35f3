"""LRG063 schedule-restarts: A schedule that is not cyclic falls and rises again many times in
the run.

Run on real torch schedulers through ``torch_lrguard.check_scheduler`` (skipped where
torch is not installed)."""

from __future__ import annotations

import pytest

from tests.rules.support import check_objects, corrected, example, scheduler_snippet

CODE = "LRG063"

FIRES = {
    "five restarts": (
        "lr_scheduler.CosineAnnealingLR(optimizer, T_max=100)",
        1000,
    ),
}

SILENT = {
    "one rise at the end": (
        "lr_scheduler.CosineAnnealingLR(optimizer, T_max=500)",
        1000,
    ),
}


def test_fires_on_the_example_naming_field_value_and_fix() -> None:
    (finding,) = check_objects(CODE, example(CODE))
    assert finding.field == "scheduler"
    assert finding.value == 50
    assert "T_max=1000" in finding.fix


def test_silent_on_the_corrected_example() -> None:
    assert check_objects(CODE, corrected(CODE)) == []


@pytest.mark.parametrize(("scheduler", "steps"), FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(scheduler: str, steps: int) -> None:
    assert check_objects(CODE, scheduler_snippet(scheduler, steps))


@pytest.mark.parametrize(("scheduler", "steps"), SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(scheduler: str, steps: int) -> None:
    assert check_objects(CODE, scheduler_snippet(scheduler, steps)) == []
