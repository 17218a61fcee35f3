"""LRG090 range-test-suggestion: a learning-rate range test suggested an initial rate and a
floor.

Run on the sweep the range test records: the rule "fires" when its decision carries a rate."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from lrguard.findings import Decision
from lrguard.range_test import SweepRecorder, SweepSettings
from tests.rules.support import corrected, example

CODE = "LRG090"


def sweep_decision(sweep: SweepSettings, loss_at: Callable[[float], float]) -> Decision:
    """Record ``sweep`` with ``loss_at(lr)`` as the loss at each rate; the result's decision."""
    recorder = SweepRecorder(sweep)
    for step in range(sweep.num_steps):
        lr = sweep.rate(step)
        if not recorder.record(lr, loss_at(lr)):
            break
    return recorder.result().decision("test")


def documented(snippet: str) -> Decision:
    namespace: dict[str, object] = {"SweepSettings": SweepSettings}
    exec(compile(snippet, f"{CODE} example", "exec"), namespace)
    return sweep_decision(namespace["sweep"], namespace["loss_at"])


def test_the_example_suggests_a_rate_inside_the_sweep_and_says_why() -> None:
    decision = documented(example(CODE))
    assert decision.rule == CODE
    rate = decision.after["learning_rate"]
    assert 1e-6 <= rate <= 1.0
    assert "suggested learning rate" in decision.message and "why:" in decision.message


def test_the_corrected_example_suggests_nothing_and_says_so() -> None:
    decision = documented(corrected(CODE))
    assert decision.rule == CODE and decision.after is None
    assert "no suggestion" in decision.message


SWEEP = SweepSettings(start_lr=1e-6, end_lr=1.0, num_steps=60)


@pytest.mark.parametrize(("fall", "suggests"), [(1e-12, False), (1e-9, True)])
def test_a_fall_must_clear_the_noise_margin(fall: float, suggests: bool) -> None:
    decision = sweep_decision(SWEEP, lambda lr: 1.0 - fall * math.log10(lr / 1e-6))
    assert (decision.after is not None) is suggests
