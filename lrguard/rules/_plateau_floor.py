"""The floor of ``reduce_lr_on_plateau`` / ``greedy`` (LRG012 / LRG013) and its fix."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lrguard.defaults import DEFAULT_MIN_LR_RATIO, ratio_text
from lrguard.findings import Finding
from lrguard.numbers import fmt, tidy
from lrguard.plan import TrainingPlan
from lrguard.rules import Adjustment
from lrguard.rules._floor import floor_at_peak, floor_finding, lower_floor
from lrguard.rules._hf import label

if TYPE_CHECKING:  # the policy is pydantic: not imported on the command line's path
    from lrguard.policy import GuardPolicy


def plateau_floor_findings(plan: TrainingPlan, code: str, consequence: str) -> Iterator[Finding]:
    """A plateau floor at (warning) or above (error) the peak, for rule ``code``."""
    found = floor_at_peak(plan, code)
    if found is None:
        return
    name = label(plan, "lr_scheduler_kwargs.min_lr")
    ratio = DEFAULT_MIN_LR_RATIO
    fix = f"Set {name}<={fmt(tidy(found.peak * ratio))} ({ratio_text(ratio)} the peak) or lower."
    yield from floor_finding(found, code, f"({found.view.name}) {consequence}", fix)


def fix_plateau_floor(plan: TrainingPlan, finding_: Finding, policy: GuardPolicy) -> Adjustment:
    """``min_lr = learning_rate * plateau_min_lr_ratio``: room for several reductions (three by
    ReduceLROnPlateau's factor 0.1 at the default 0.001), not just one."""
    return lower_floor(plan, finding_, policy.plateau_min_lr_ratio)
