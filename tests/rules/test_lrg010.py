"""LRG010 patience-exhausted-at-floor: training stopped, patience exhausted with every rate at
its floor.

An event rule: it names what happens during training, so it is tested on the worst case
``lrguard simulate`` computes (the metric never improves)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrguard.rules import get_rule
from tests.rules.support import corrected, example, simulate_text, stopped

CODE = "LRG010"

FLAIR = """
flair_train:
  learning_rate: 1.0e-3
  min_learning_rate: 1.0e-4
  patience: 1
  max_epochs: {epochs}
"""


def test_the_example_stops(tmp_path: Path) -> None:
    assert stopped(simulate_text(tmp_path, example(CODE)))


def test_the_corrected_example_does_not(tmp_path: Path) -> None:
    assert not stopped(simulate_text(tmp_path, corrected(CODE)))


@pytest.mark.parametrize(("epochs", "stops"), [(10, False), (11, True)])
def test_stops_only_once_the_floor_and_patience_are_both_used_up(
    tmp_path: Path, epochs: int, stops: bool
) -> None:
    assert stopped(simulate_text(tmp_path, FLAIR.format(epochs=epochs))) is stops


def test_the_rule_is_an_event() -> None:
    assert get_rule(CODE).check is None
