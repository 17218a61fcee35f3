"""LRG009 plateau-anneal: the learning rate was annealed on a plateau (never below the floor).

An event rule: it names what happens during training, so it is tested on the worst case
``lrguard simulate`` computes (the metric never improves)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrguard.rules import get_rule
from tests.rules.support import annealed, corrected, example, simulate_text

CODE = "LRG009"

FLAIR = """
flair_train:
  learning_rate: 0.1
  patience: 3
  max_epochs: {epochs}
"""


def test_the_example_anneals(tmp_path: Path) -> None:
    assert annealed(simulate_text(tmp_path, example(CODE)))


def test_the_corrected_example_does_not(tmp_path: Path) -> None:
    assert not annealed(simulate_text(tmp_path, corrected(CODE)))


@pytest.mark.parametrize(("epochs", "anneals"), [(5, False), (6, True)])
def test_first_anneal_after_patience_plus_one_bad_epochs(
    tmp_path: Path, epochs: int, anneals: bool
) -> None:
    # epoch 1 sets the best score; epochs 2-5 are four without improvement (> patience 3)
    assert annealed(simulate_text(tmp_path, FLAIR.format(epochs=epochs))) is anneals


def test_never_below_the_floor(tmp_path: Path) -> None:
    sim = simulate_text(tmp_path, FLAIR.format(epochs=200))
    rates = [r for r in sim.series["lr_lrguard"] if r == r]
    assert sim.floor is not None and min(rates) >= sim.floor * (1 - 1e-9)


def test_the_rule_is_an_event() -> None:
    assert get_rule(CODE).check is None
