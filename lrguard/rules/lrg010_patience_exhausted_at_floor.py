"""LRG010 patience-exhausted-at-floor: an event rule, the guard's only reason to stop a run."""

from __future__ import annotations

from lrguard.findings import Severity
from lrguard.rules import Rule, register

CODE = "LRG010"


register(
    Rule(
        code=CODE,
        name="patience-exhausted-at-floor",
        severity=Severity.INFO,
        summary="Training stopped: patience was exhausted with every rate at its floor.",
        what="Records the guard's only reason to stop a run on its own: the metric did not "
        "improve for more than `patience` evaluations while no rate could be lowered.",
        why="Stock Flair stops the moment a rate is below min_learning_rate, whatever the "
        "patience; the guard stops only when annealing has nothing left to try.",
        example=(
            "flair_train:   # floor reached after 4 anneals, then patience runs out\n"
            "  learning_rate: 1.0e-3\n"
            "  min_learning_rate: 1.0e-4\n"
            "  patience: 1\n"
            "  max_epochs: 50"
        ),
        corrected=(
            "flair_train:\n"
            "  learning_rate: 1.0e-3\n"
            "  min_learning_rate: 1.0e-4\n"
            "  patience: 1\n"
            "  max_epochs: 5"
        ),
        fix="Lower min_learning_rate to allow more anneals, or raise patience.",
    )
)
