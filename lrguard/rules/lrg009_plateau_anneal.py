"""LRG009 plateau-anneal: an event rule naming each plateau anneal the guard applies."""

from __future__ import annotations

from lrguard.findings import Severity
from lrguard.rules import Rule, register

CODE = "LRG009"


register(
    Rule(
        code=CODE,
        name="plateau-anneal",
        severity=Severity.INFO,
        summary="The learning rate was annealed on a plateau (never below the floor).",
        what="Records each plateau anneal the guard applies: epoch, rates before and after, "
        "the floor.",
        why="Annealing changes the run; the record shows when and how far, so a stalled run "
        "can be explained from the log alone.",
        example=(
            "flair_train:   # the metric stalls: annealing starts after epoch 4\n"
            "  learning_rate: 0.1\n"
            "  patience: 3\n"
            "  max_epochs: 50"
        ),
        corrected=(
            "flair_train:   # too short to anneal even in the worst case\n"
            "  learning_rate: 0.1\n"
            "  patience: 3\n"
            "  max_epochs: 3"
        ),
        fix="Nothing to fix; tune anneal_factor / patience if annealing starts too early.",
    )
)
