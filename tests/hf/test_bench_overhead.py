"""The overhead benchmark measures what it claims: a costly callback misses the budget."""

from __future__ import annotations

import time

import pytest
from transformers import TrainerCallback

from benchmarks.bench_hf_overhead import BUDGET, measure

pytestmark = [pytest.mark.hf, pytest.mark.slow]


class Busy(TrainerCallback):
    """Burns 3 ms of CPU per step: a callback that is clearly over budget."""

    def on_step_end(self, args, state, control, **kwargs):
        start = time.process_time()
        while time.process_time() - start < 0.003:
            pass


def test_budget_can_fail():
    assert measure(steps=50, repeats=1, callback_factory=Busy) > BUDGET
