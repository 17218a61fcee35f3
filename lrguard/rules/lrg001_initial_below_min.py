"""LRG001 initial-lr-below-min and LRG002 min-not-below-peak, for param groups."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._groups import fix_floor, group_numbers, usable_pair


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
            code="LRG001",
            severity=Severity.ERROR,
            message=(
                f"{grp.lr_field}={fmt(lr)} ({grp.label}) < {grp.min_lr_field}={fmt(min_lr)}: "
                f"{_consequence(plan)}."
            ),
            location=grp.label,
            field=grp.min_lr_field,
            value=min_lr,
            fix=(f"Set {grp.min_lr_field}<={fmt(lr * 0.1)} or {grp.lr_field}>={fmt(min_lr)}."),
        )


def check_equal_min(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG002 (param groups): minimum equal to the initial rate leaves no room to anneal."""
    for g in group_numbers(plan):
        pair = usable_pair(g)
        if pair is None or pair[0] != pair[1]:
            continue
        lr, min_lr = pair
        grp = g.group
        stop = (
            "Flair stops at the first plateau without annealing"
            if plan.stops_at_min_lr
            else "the rate can never be lowered"
        )
        yield Finding(
            code="LRG002",
            severity=Severity.WARNING,
            message=(
                f"{grp.min_lr_field}={fmt(min_lr)} ({grp.label}) equals "
                f"{grp.lr_field}={fmt(lr)}: {stop}."
            ),
            location=grp.label,
            field=grp.min_lr_field,
            value=min_lr,
            fix=f"Set {grp.min_lr_field}={fmt(lr * 0.1)} (0.1x the initial rate).",
        )


register(
    Rule(
        code="LRG001",
        name="initial-lr-below-min",
        severity=Severity.ERROR,
        summary="A param group's initial learning rate is below its minimum learning rate.",
        what="Compares every param group's initial learning rate with its minimum "
        "(Flair's min_learning_rate, scalar or per group).",
        why="Flair 0.13-0.15 checks lr < min_learning_rate after every evaluation and quits "
        "training, ignoring patience: learning_rate=1e-5 with the default min 1e-4 trains one "
        "epoch of the many asked for.",
        example="trainer.train(path, learning_rate=1e-5, patience=10, max_epochs=100)  "
        "# min_learning_rate defaults to 1e-4",
        fix="Lower the minimum below the initial rate (min_learning_rate=lr*0.1 is Flair "
        "<= 0.12's own rule), or raise the initial rate; LRGuardPlugin does either with "
        "on_violation='adjust'.",
        check=check_below_min,
        adjust=fix_floor,
    )
)

register(
    Rule(
        code="LRG002",
        name="min-not-below-peak",
        severity=Severity.WARNING,
        summary="The minimum learning rate is not below the peak: equal, or above it.",
        what="Flags a minimum (Flair min_learning_rate, HF min_lr / lr_end / eta_min) that "
        "equals or exceeds the initial (peak) learning rate.",
        why="Equal: the rate can never decay, Flair stops at the first plateau. Above: Hugging "
        "Face cosine_with_min_lr 'decays' upwards and ends the run at min_lr, ten times the "
        "peak for lr 1e-5 / min_lr 1e-4.",
        example="lr_scheduler_type: cosine_with_min_lr\nlearning_rate: 1.0e-5\n"
        "lr_scheduler_kwargs: {min_lr: 1.0e-4}",
        fix="Set the minimum to a fraction of the peak, 0.1x by convention "
        "(min_lr_rate: 0.1), or 0 to decay fully.",
        check=check_equal_min,
        adjust=fix_floor,
    )
)
