"""LRG007 anneal-budget: how much plateau annealing fits between the rate and the floor."""

from __future__ import annotations

import math
from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._groups import group_numbers, usable_pair

CODE = "LRG007"


def full_anneals(lr: float, floor: float, factor: float) -> int | None:
    """How many times ``lr`` can be multiplied by ``factor`` and stay >= ``floor``.

    The count ``k`` is the largest with ``lr * factor**k >= floor`` (up to a relative 1e-12,
    so ``floor = lr * factor**k`` itself counts); it is estimated with logarithms and settled
    by a bisection on that exact test, so any factor takes microseconds.

    Returns:
        The count, or None when it is unbounded: no floor (``floor <= 0``), a factor >= 1 or
        an infinite rate.

    Example:
        >>> full_anneals(0.1, 1e-4, 0.5)
        9
        >>> full_anneals(0.1, 1e-4, 0.999999999)
        6907755470
    """
    if floor <= 0:
        return None
    threshold = floor * (1 - 1e-12)

    def fits(count: int) -> bool:
        return lr * factor**count >= threshold

    if factor >= 1 or lr == math.inf:
        return None if fits(1) else 0
    if not factor > 0 or not fits(1):
        return 0
    estimate = (math.log(threshold) - math.log(lr)) / math.log1p(factor - 1)
    low = max(int(estimate) - 2, 1)  # fits(low) after the loop below; fits(high) never
    while not fits(low):
        low = max(low // 2, 1)
        if low == 1:
            break
    high = low + 4
    while fits(high):
        low, high = high, 2 * high
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low


def check_anneal_budget(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG007: anneals that fit and the earliest epoch plateau annealing can stop at."""
    if plan.annealing is None or not plan.max_epochs or not plan.param_groups:
        return
    pairs = [usable_pair(g) for g in group_numbers(plan)]
    if any(p is None or p[0] <= p[1] for p in pairs):
        return  # unusable, below-min or equal values are other rules' findings
    lrs = tuple(p[0] for p in pairs if p is not None)
    floors = tuple(p[1] for p in pairs if p is not None)
    flair_stops = plan.stops_at_min_lr and not plan.guarded
    stop_rule = "flair" if flair_stops else "guard"
    from lrguard.annealing import worst_case_trajectory

    traj = worst_case_trajectory(lrs, floors, plan.annealing, plan.max_epochs, stop_rule)
    a = plan.annealing
    counts = [full_anneals(lr, floor, a.factor) for lr, floor in zip(lrs, floors, strict=True)]
    bounded = [c for c in counts if c is not None]
    anneals = min(bounded) if bounded else None
    stop = (
        f"training can stop after epoch {traj.stop_epoch} of {plan.max_epochs}"
        if traj.stop_epoch is not None
        else f"all {plan.max_epochs} epochs run even then"
    )
    count = "unbounded" if anneals is None else str(anneals)
    message = (
        f"{count} anneal(s) by anneal_factor={fmt(a.factor)} fit between "
        f"learning_rate={fmt(lrs[0])} and min_learning_rate={fmt(floors[0])}; with "
        f"patience={a.patience}, if the metric never improves after epoch 1, {stop}."
    )
    if anneals == 0 and traj.stop_epoch is not None:
        consequence = (
            " The first plateau ends training without annealing."
            if flair_stops
            else " The first plateau anneals straight to the floor."
        )
        yield Finding(
            code=CODE,
            severity=Severity.WARNING,
            message=message + consequence,
            location="annealing",
            field="min_learning_rate",
            value=floors[0],
            fix=f"Set min_learning_rate<={fmt(lrs[0] * a.factor)} to allow at least one anneal.",
        )
    else:
        yield Finding(
            code=CODE,
            severity=Severity.INFO,
            message=message,
            location="annealing",
            field="min_learning_rate",
            value=floors[0],
        )


register(
    Rule(
        code=CODE,
        name="anneal-budget",
        severity=Severity.INFO,
        summary="How many plateau anneals fit between the initial rate and the floor, and the "
        "earliest epoch training can stop.",
        what="Simulates plateau annealing in the worst case (the metric never improves after "
        "epoch 1) and reports the anneals that fit and the epoch training would stop, "
        "against max_epochs.",
        why="With the floor close to the initial rate, the first plateau ends training with "
        "no annealing at all; with it far below, the run never stops early. Either can be "
        "intended, but should be known before the run.",
        example=(
            "flair_train:\n"
            "  learning_rate: 0.1\n"
            "  min_learning_rate: 1.0e-4\n"
            "  anneal_factor: 0.5\n"
            "  patience: 3\n"
            "  max_epochs: 100"
        ),
        corrected=(
            "flair_fine_tune:   # a linear schedule: no plateau annealing\n"
            "  learning_rate: 5.0e-5\n"
            "  max_epochs: 10"
        ),
        fix="Choose min_learning_rate = learning_rate * anneal_factor**k for the k anneals "
        "you want to allow.",
        check=check_anneal_budget,
    )
)
