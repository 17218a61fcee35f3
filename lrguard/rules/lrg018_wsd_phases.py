"""LRG018 wsd-phases-exceed-run: warmup_stable_decay phases longer than the run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Adjustment, Rule, register
from lrguard.rules._hf import (
    adjust_kwarg,
    finding,
    kw_field,
    label,
    read_built_schedule,
    read_schedule,
)

if TYPE_CHECKING:  # the policy is pydantic: not imported on the command line's path
    from lrguard.policy import GuardPolicy

CODE = "LRG018"


def check_wsd(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG018: warmup + (stable) + num_decay_steps > total steps."""
    view = read_built_schedule(plan)
    if view is None or view.name != "warmup_stable_decay" or not view.total:
        return
    decay, stable, warmup = view.kw("num_decay_steps"), view.kw("num_stable_steps"), view.warmup()
    if decay is None or decay.value is None or warmup is None or warmup >= view.total:
        return  # LRG005 / LRG006 report those
    total, dname = view.total, label(plan, kw_field("num_decay_steps"))
    if stable is None:
        if warmup + decay.value <= total:
            return
        yield finding(
            plan,
            CODE,
            Severity.WARNING,
            kw_field("num_decay_steps"),
            decay.raw,
            f"{dname}={fmt(decay.raw)} + {warmup} warmup steps > the run's {total} steps: the "
            "stable phase is negative, the decay starts before warmup ends and the rate never "
            f"reaches {label(plan, 'learning_rate')}.",
            f"Set {dname}<={total - warmup} (the steps after warmup).",
        )
        return
    if stable.value is None or warmup + stable.value + decay.value <= total:
        return
    sname = label(plan, kw_field("num_stable_steps"))
    yield finding(
        plan,
        CODE,
        Severity.WARNING,
        kw_field("num_stable_steps"),
        stable.raw,
        f"{warmup} warmup + {sname}={fmt(stable.raw)} + {dname}={fmt(decay.raw)} > the run's "
        f"{total} steps: training ends before the decay does, above the minimum rate.",
        f"Make warmup + num_stable_steps + num_decay_steps = {total}, or drop num_stable_steps.",
    )


def _fixable(finding_: Finding) -> bool:
    return finding_.field == kw_field("num_decay_steps")


def fix_decay(plan: TrainingPlan, finding_: Finding, policy: GuardPolicy) -> Adjustment:
    """``num_decay_steps`` = the steps after warmup (no stable phase; the peak is reached)."""
    view = read_schedule(plan)
    total = view.total if view is not None and view.total else 0
    warmup = (view.warmup() or 0) if view is not None else 0
    return adjust_kwarg(plan, "num_decay_steps", max(1, total - warmup))


register(
    Rule(
        code=CODE,
        name="wsd-phases-exceed-run",
        severity=Severity.WARNING,
        summary="warmup_stable_decay phases longer than the run: peak or floor never reached.",
        what="Adds warmup, num_stable_steps (when given) and num_decay_steps of "
        "warmup_stable_decay and compares them with the run's optimizer steps.",
        why="Without num_stable_steps, transformers computes a negative stable phase and the "
        "decay starts before warmup ends: the peak is never reached. With it, the run ends "
        "mid-phase.",
        example=(
            "lr_scheduler_type: warmup_stable_decay\n"
            "max_steps: 40\n"
            "lr_scheduler_kwargs: {num_decay_steps: 100}"
        ),
        corrected=(
            "lr_scheduler_type: warmup_stable_decay\n"
            "max_steps: 40\n"
            "lr_scheduler_kwargs: {num_decay_steps: 10}"
        ),
        fix="Keep warmup + stable + decay within the run; adjust mode sets num_decay_steps "
        "to the steps after warmup when num_stable_steps is not given.",
        check=check_wsd,
        adjust=fix_decay,
        can_adjust=_fixable,
    )
)
