"""LRG009 plateau-anneal and LRG010 patience-exhausted-at-floor: decisions taken in training.

These rules have no configuration check: they name what the guard does during a run so
that every log line and JSON-lines record carries a stable code.
"""

from __future__ import annotations

from lrguard.findings import Severity
from lrguard.rules import Rule, register

register(
    Rule(
        code="LRG009",
        name="plateau-anneal",
        severity=Severity.INFO,
        summary="The learning rate was annealed on a plateau (never below the floor).",
        what="Records each plateau anneal the guard applies: epoch, rates before and after, "
        "the floor.",
        why="Annealing changes the run; the record shows when and how far, so a stalled run "
        "can be explained from the log alone.",
        example="lrguard LRG009 [annealed at epoch 5] 4 epochs without improvement "
        "(patience=3): learning rate 0.1 -> 0.05 (floor 0.0001).",
        fix="Nothing to fix; tune anneal_factor / patience if annealing starts too early.",
    )
)

register(
    Rule(
        code="LRG010",
        name="patience-exhausted-at-floor",
        severity=Severity.INFO,
        summary="Training stopped: patience was exhausted with every rate at its floor.",
        what="Records the guard's only reason to stop a run on its own: the metric did not "
        "improve for more than `patience` evaluations while no rate could be lowered.",
        why="Stock Flair stops the moment a rate is below min_learning_rate, whatever the "
        "patience; the guard stops only when annealing has nothing left to try.",
        example="lrguard LRG010 [stopped at epoch 45] 4 epochs without improvement "
        "(patience=3) at the floor lr=0.0001: stopping; best-model.pt holds epoch 1.",
        fix="Lower min_learning_rate to allow more anneals, or raise patience.",
    )
)
