"""LRG011 polynomial-lr-end-not-below-lr: ``polynomial`` with ``lr_end`` >= the peak."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, tidy
from lrguard.plan import TrainingPlan
from lrguard.rules import Adjustment, Rule, register
from lrguard.rules._floor import floor_at_peak, floor_finding, lower_floor
from lrguard.rules._hf import label

if TYPE_CHECKING:  # the policy is pydantic: not imported on the command line's path
    from lrguard.policy import GuardPolicy

CODE = "LRG011"


def check_lr_end(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG011: ``lr_end`` (default 1e-7) not below ``learning_rate``: an error either way,
    transformers refuses to build the schedule."""
    found = floor_at_peak(plan, CODE)
    if found is None:
        return
    name = label(plan, "lr_scheduler_kwargs.lr_end")
    yield from floor_finding(
        found,
        CODE,
        "polynomial raises ValueError ('lr_end must be smaller than initial lr') in "
        "trainer.train().",
        f"Set {name}<={fmt(tidy(found.peak * 0.1))} (0.1x the peak).",
        error_at_peak=True,
    )


def fix_lr_end(plan: TrainingPlan, finding_: Finding, policy: GuardPolicy) -> Adjustment:
    """``lr_end = learning_rate * min_lr_ratio``."""
    return lower_floor(plan, finding_, policy.min_lr_ratio)


register(
    Rule(
        code=CODE,
        name="polynomial-lr-end-not-below-lr",
        severity=Severity.ERROR,
        summary="polynomial schedule whose lr_end (default 1e-7) is not below learning_rate.",
        what="Compares lr_scheduler_kwargs.lr_end (1e-7 when not given) of the polynomial "
        "schedule with learning_rate.",
        why="transformers raises ValueError only when the schedule is built inside "
        "trainer.train(), after the model and data are loaded; very small learning rates "
        "hit the 1e-7 default without the user ever setting lr_end.",
        example="lr_scheduler_type: polynomial\nlearning_rate: 1.0e-5\n"
        "lr_scheduler_kwargs: {lr_end: 1.0e-4}",
        fix="Set lr_end below learning_rate; adjust mode sets lr_end = learning_rate * "
        "min_lr_ratio.",
        corrected="lr_scheduler_type: polynomial\nlearning_rate: 1.0e-5\n"
        "lr_scheduler_kwargs: {lr_end: 1.0e-6}",
        check=check_lr_end,
        adjust=fix_lr_end,
    )
)
