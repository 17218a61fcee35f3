"""LRG012 plateau-min-lr-not-below-lr and LRG013 greedy-min-lr-above-lr."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, tidy
from lrguard.plan import TrainingPlan
from lrguard.rules import Adjustment, Rule, register
from lrguard.rules._hf import adjust_kwarg, finding, hf_view, kw_field, label

if TYPE_CHECKING:  # the policy is pydantic: not imported on the command line's path
    from lrguard.policy import GuardPolicy


def _min_lr_findings(plan: TrainingPlan, schedule: str, code: str) -> Iterator[Finding]:
    view = hf_view(plan)
    if view is None or view.name != schedule or view.peak is None or view.kwargs is None:
        return
    min_lr = view.kw_or_default("min_lr")
    if min_lr is None or not min_lr.is_finite_non_negative or min_lr.value < view.peak:
        return
    name, lr_name = label(plan, kw_field("min_lr")), label(plan, "learning_rate")
    shown = f"{name}={fmt(min_lr.raw)}" + ("" if "min_lr" in view.kwargs else " (the default)")
    if schedule == "greedy":
        consequence = (
            "GreedyLR clamps every reduction at min_lr, so plateaus never lower the rate, "
            "while improvements still raise it (up to max_lr): the rate can only grow."
        )
    else:
        consequence = "ReduceLROnPlateau can never lower the rate; plateaus change nothing."
    yield finding(
        plan,
        code,
        Severity.WARNING,
        kw_field("min_lr"),
        min_lr.raw,
        f"{shown} is not below {lr_name}={fmt(view.peak)} ({schedule}): {consequence}",
        f"Set {name}<={fmt(tidy(view.peak * 0.1))} (0.1x the peak).",
    )


def check_plateau_min(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG012: reduce_lr_on_plateau min_lr >= learning_rate."""
    yield from _min_lr_findings(plan, "reduce_lr_on_plateau", "LRG012")


def check_greedy_min(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG013: greedy min_lr (default 1e-3) >= learning_rate."""
    yield from _min_lr_findings(plan, "greedy", "LRG013")


def fix_min_lr(plan: TrainingPlan, finding_: Finding, policy: GuardPolicy) -> Adjustment:
    """``min_lr = learning_rate * min_lr_ratio``."""
    view = hf_view(plan)
    peak = view.peak if view is not None and view.peak is not None else 0.0
    return adjust_kwarg(plan, "min_lr", tidy(peak * policy.min_lr_ratio))


register(
    Rule(
        code="LRG012",
        name="plateau-min-lr-not-below-lr",
        severity=Severity.WARNING,
        summary="reduce_lr_on_plateau with min_lr at or above learning_rate: it never drops.",
        what="Compares lr_scheduler_kwargs.min_lr of reduce_lr_on_plateau with learning_rate.",
        why="torch's ReduceLROnPlateau clamps every reduction at min_lr: with min_lr >= the "
        "rate, plateau annealing is silently a constant schedule.",
        example="lr_scheduler_type: reduce_lr_on_plateau\nlearning_rate: 1.0e-5\n"
        "lr_scheduler_kwargs: {min_lr: 1.0e-4}",
        fix="Set min_lr to a fraction of learning_rate; adjust mode sets min_lr = "
        "learning_rate * min_lr_ratio.",
        check=check_plateau_min,
        adjust=fix_min_lr,
    )
)

register(
    Rule(
        code="LRG013",
        name="greedy-min-lr-above-lr",
        severity=Severity.WARNING,
        summary="greedy (transformers 5.x) with min_lr (default 1e-3) at or above learning_rate.",
        what="Compares lr_scheduler_kwargs.min_lr of the greedy schedule, 1e-3 when not "
        "given, with learning_rate.",
        why="GreedyLR reduces to max(lr * factor, min_lr) and raises to min(lr / factor, "
        "max_lr): with the default min_lr 1e-3 and a fine-tuning rate such as 2e-5 no plateau "
        "ever lowers the rate, every run of improvements raises it.",
        example="lr_scheduler_type: greedy\nlearning_rate: 2.0e-5   # min_lr defaults to 1e-3",
        fix="Set min_lr below learning_rate; adjust mode sets min_lr = learning_rate * "
        "min_lr_ratio.",
        check=check_greedy_min,
        adjust=fix_min_lr,
    )
)
