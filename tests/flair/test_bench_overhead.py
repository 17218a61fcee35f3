"""The Flair overhead benchmark measures what it claims: a costly plugin misses the budget."""

from __future__ import annotations

import time
from typing import Any

from flair.trainers.plugins import TrainerPlugin

from benchmarks.bench_flair_overhead import BUDGET, measure


class Busy(TrainerPlugin):
    """Burns 5 ms per evaluation: clearly over a 1 % budget on a run of a few seconds."""

    @TrainerPlugin.hook
    def after_evaluation(self, **kw: Any) -> None:
        start = time.perf_counter()
        while time.perf_counter() - start < 0.005:
            pass


def test_budget_can_fail():
    assert measure(repeats=1, plugin_factory=Busy) > BUDGET
