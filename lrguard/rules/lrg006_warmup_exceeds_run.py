"""LRG006 warmup-exceeds-run: warmup as long as or longer than the training run.

Hugging Face schedules (the warmup ``Trainer`` computes), and the ``warmup_num_steps`` of a
DeepSpeed config checked on its own against its ``total_num_steps`` (or ``--steps``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from lrguard.defaults import DEFAULT_WARMUP_FRACTION
from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number, tidy
from lrguard.plan import TrainingPlan
from lrguard.rules import Adjustment, Rule, register
from lrguard.rules._deepspeed import ds_finding, ds_view, standalone
from lrguard.rules._hf import finding, label, read_built_schedule

if TYPE_CHECKING:  # the policy is pydantic: not imported on the command line's path
    from lrguard.policy import GuardPolicy

CODE = "LRG006"
FIXED_RATIO = DEFAULT_WARMUP_FRACTION
"""Warmup the fix sets: 10 % of the run (the BERT fine-tuning convention)."""


def fitting_warmup(total: int) -> int:
    """Warmup steps the fix sets: 10 % of the run, at least 1, and always shorter than the
    run, so that at least one step trains at the peak (0 for a one-step run).

    Example:
        >>> fitting_warmup(1000), fitting_warmup(5), fitting_warmup(1)
        (100, 1, 0)
    """
    return min(total - 1, max(1, math.ceil(total * FIXED_RATIO)))


def fitting_ratio(total: int) -> float:
    """The warmup ratio the fix sets: ``FIXED_RATIO`` unless that leaves no step at the peak."""
    return FIXED_RATIO if math.ceil(total * FIXED_RATIO) < total else 0.0


def _from_ratio(plan: TrainingPlan) -> bool:
    steps = parse_number(plan.schedule.warmup_steps).value or 0.0
    return steps == 0 and plan.schedule.warmup_ratio is not None


def _deepspeed_warmup(plan: TrainingPlan) -> Iterator[Finding]:
    """A DeepSpeed config on its own: ``warmup_num_steps`` >= the run's steps."""
    view = ds_view(plan)
    if view is None or view.spec is None or not view.total:
        return
    if "warmup_num_steps" not in view.params or "warmup_num_steps" not in view.spec.params:
        return
    warmup = view.number("warmup_num_steps")
    if warmup is None or warmup < view.total:
        return
    whose = "total_num_steps" if "total_num_steps" in view.params else f"--steps {view.total}"
    peak = view.peak()
    top = f" {fmt(peak)}" if peak is not None else ""
    yield ds_finding(
        CODE,
        Severity.WARNING,
        view,
        f"{view.where('warmup_num_steps')}={fmt(warmup)} >= the run's {view.total} steps "
        f"({whose}): {view.spec.name} is still warming up when training ends and never "
        f"reaches its peak{top}.",
        f"Set warmup_num_steps: {fitting_warmup(view.total)} or fewer in "
        f"{view.deepspeed.label} (10% of the run).",
        key="warmup_num_steps",
        value=warmup,
    )


def check_warmup(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG006: warmup steps >= total optimizer steps (only when the total is known)."""
    if standalone(plan):
        yield from _deepspeed_warmup(plan)
        return
    view = read_built_schedule(plan)
    if view is None or view.spec is None or not view.spec.uses_warmup or not view.total:
        return
    warmup = view.warmup()
    if warmup is None or warmup < view.total:
        return
    field = "warmup_ratio" if _from_ratio(plan) else "warmup_steps"
    raw = getattr(plan.schedule, field)
    given = f"{label(plan, field)}={fmt(raw)}"
    if field == "warmup_ratio" or warmup != raw:
        given += f" ({warmup} steps)"
    reached = ""
    if view.peak is not None:
        top = tidy(view.peak * (view.total - 1) / max(1, warmup))
        reached = f" (at most {fmt(top)})"
    new = fitting_warmup(view.total)
    yield finding(
        plan,
        CODE,
        Severity.WARNING,
        field,
        raw,
        f"{given} >= the run's {view.total} optimizer steps: the rate is still warming up "
        f"when training ends and never reaches {label(plan, 'learning_rate')}"
        f"{'=' + fmt(view.peak) if view.peak is not None else ''}{reached}.",
        f"Set {label(plan, 'warmup_ratio')}: {fitting_ratio(view.total)} or less."
        if field == "warmup_ratio"
        else f"Set {label(plan, 'warmup_steps')}: {new} or fewer (10% of the run, shorter "
        "than it).",
    )


def fix_warmup(plan: TrainingPlan, finding_: Finding, policy: GuardPolicy) -> Adjustment:
    """Warmup = 10 % of the run and shorter than it (``warmup_ratio`` when the ratio was set,
    else steps)."""
    new_plan = plan.clone()
    total = plan.schedule.total_steps or 1
    if finding_.field == "warmup_ratio":
        before = plan.schedule.warmup_ratio
        new_plan.schedule.warmup_ratio = fitting_ratio(total)
        after = {"warmup_ratio": new_plan.schedule.warmup_ratio}
        return Adjustment(new_plan, {"warmup_ratio": before}, after)
    before = plan.schedule.warmup_steps
    new_plan.schedule.warmup_steps = fitting_warmup(total)
    return Adjustment(
        new_plan, {"warmup_steps": before}, {"warmup_steps": new_plan.schedule.warmup_steps}
    )


register(
    Rule(
        code=CODE,
        name="warmup-exceeds-run",
        severity=Severity.WARNING,
        summary="Warmup as long as or longer than the training run.",
        what="Compares the warmup Trainer computes (warmup_steps, or warmup_ratio / a "
        "fractional warmup_steps times the total) with the run's optimizer steps; for a "
        "DeepSpeed config checked on its own, warmup_num_steps with total_num_steps.",
        why="The rate rises linearly for the whole run and never reaches learning_rate; "
        "nothing in the logs says so, the run just learns less.",
        example=("max_steps: 40\nwarmup_steps: 100"),
        corrected=("max_steps: 40\nwarmup_steps: 4"),
        fix="Warm up for a fraction of the run (10% is the BERT convention); adjust mode "
        "sets warmup to 10% of the total steps.",
        check=check_warmup,
        adjust=fix_warmup,
    )
)
