"""The Flair overhead benchmark measures what it claims: a costly plugin misses the budget."""

from __future__ import annotations

import time
from typing import Any

from flair.trainers.plugins import TrainerPlugin

from benchmarks.bench_flair_overhead import BUDGET, measure


class Busy(TrainerPlugin):
    """Burns 2 ms of CPU per batch: clearly over budget."""

    @TrainerPlugin.hook
    def after_training_batch(self, **kw: Any) -> None:
        start = time.process_time()
        while time.process_time() - start < 0.002:
            pass


def test_budget_can_fail():
    assert measure(repeats=1, plugin_factory=Busy) > BUDGET


def test_guard_overhead_is_small():
    assert measure(repeats=1) < 1.5  # generous here: `make bench` holds the 1 % budget
