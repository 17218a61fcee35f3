"""LRG001 initial-lr-below-min: a param group starts below its own minimum."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._groups import fix_floor, group_numbers, usable_pair

CODE = "LRG001"


def _consequence(plan: TrainingPlan) -> str:
    if plan.stops_at_min_lr:
        return "Flair stops after epoch 1 ('learning rate too small - quitting training!')"
    return "the rate starts below its floor and annealing cannot lower it"


def check_below_min(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG001: initial rate strictly below the group's minimum."""
    for g in group_numbers(plan):
        pair = usable_pair(g)
        if pair is None or not pair[0] < pair[1]:
            continue
        lr, min_lr = pair
        grp = g.group
        yield Finding(
            code=CODE,
            severity=Severity.ERROR,
            message=(
                f"{grp.lr_field}={fmt(lr)} ({grp.label}) < {grp.min_lr_field}={fmt(min_lr)}: "
                f"{_consequence(plan)}."
            ),
            location=grp.label,
            field=grp.min_lr_field,
            value=min_lr,
            fix=(
                f"Set {grp.min_lr_field}<={fmt(lr * plan.min_lr_ratio)} or "
                f"{grp.lr_field}>={fmt(min_lr)}."
            ),
        )


register(
    Rule(
        code=CODE,
        name="initial-lr-below-min",
        severity=Severity.ERROR,
        summary="A param group's initial learning rate is below its minimum learning rate.",
        what="Compares every param group's initial learning rate with its minimum "
        "(Flair's min_learning_rate, scalar or per group).",
        why="Flair 0.13-0.15 checks lr < min_learning_rate after every evaluation and quits "
        "training, ignoring patience: learning_rate=1e-5 with the default min 1e-4 trains one "
        "epoch of the many asked for.",
        example=(
            "flair_train:\n"
            "  learning_rate: 1.0e-5   # min_learning_rate defaults to 1e-4\n"
            "  patience: 10\n"
            "  max_epochs: 100"
        ),
        corrected=(
            "flair_train:\n"
            "  learning_rate: 1.0e-5\n"
            "  min_learning_rate: 1.0e-6\n"
            "  patience: 10\n"
            "  max_epochs: 100"
        ),
        fix="Lower the minimum below the initial rate (min_learning_rate=lr*0.1 is Flair "
        "<= 0.12's own rule), or raise the initial rate; LRGuardPlugin does either with "
        "on_violation='adjust'.",
        check=check_below_min,
        adjust=fix_floor,
    )
)
