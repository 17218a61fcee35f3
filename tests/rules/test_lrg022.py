"""LRG022 plateau-floor-reached: a plateau schedule lowered every learning rate to its min_lr.

An event rule: it names what happens during training, so it is tested on the worst case
``lrguard simulate`` computes (the metric never improves)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrguard.rules import get_rule
from tests.rules.support import corrected, example, floor_reached, simulate_text

CODE = "LRG022"

PLATEAU = """
lr_scheduler_type: reduce_lr_on_plateau
learning_rate: 1.0e-5
max_steps: 100
eval_strategy: steps
eval_steps: 10
lr_scheduler_kwargs: {{min_lr: 1.0e-7, patience: {patience}}}
"""


def test_the_example_reaches_the_floor(tmp_path: Path) -> None:
    assert floor_reached(simulate_text(tmp_path, example(CODE)))


def test_the_corrected_example_does_not(tmp_path: Path) -> None:
    assert not floor_reached(simulate_text(tmp_path, corrected(CODE)))


@pytest.mark.parametrize(("patience", "reached"), [(3, True), (4, False)])
def test_two_reductions_must_fit_in_ten_evaluations(
    tmp_path: Path, patience: int, reached: bool
) -> None:
    sim = simulate_text(tmp_path, PLATEAU.format(patience=patience))
    assert floor_reached(sim) is reached
    assert sim.floor == pytest.approx(1e-7)


def test_the_rule_is_an_event() -> None:
    assert get_rule(CODE).check is None
