"""LRG021 scheduler-kwargs-ignored: kwargs given to a schedule that silently drops them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lrguard.findings import Finding, Severity
from lrguard.plan import TrainingPlan
from lrguard.rules import Adjustment, Rule, register
from lrguard.rules._hf import finding, label, read_built_schedule

if TYPE_CHECKING:  # the policy is pydantic: not imported on the command line's path
    from lrguard.policy import GuardPolicy

CODE = "LRG021"


def check_ignored_kwargs(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG021: kwargs given to a schedule that ``get_scheduler`` calls without them."""
    view = read_built_schedule(plan)
    if view is None or view.spec is None or not view.spec.ignores_kwargs or not view.kwargs:
        return
    name = label(plan, "lr_scheduler_kwargs")
    version = f"transformers {plan.framework_version}" if plan.framework_version else "transformers"
    yield finding(
        plan,
        CODE,
        Severity.WARNING,
        "lr_scheduler_kwargs",
        view.kwargs,
        f"{name}={view.kwargs} has no effect: {version} builds "
        f"lr_scheduler_type={view.name!r} without lr_scheduler_kwargs and drops them silently.",
        f"Remove {name}, or choose a schedule that takes them (e.g. cosine_with_min_lr for "
        "min_lr / min_lr_rate).",
    )


def fix_ignored(plan: TrainingPlan, finding_: Finding, policy: GuardPolicy) -> Adjustment:
    """Drop the kwargs (the run is unchanged: the schedule never received them)."""
    new_plan = plan.clone()
    new_plan.schedule.kwargs = {}
    return Adjustment(
        new_plan, {"lr_scheduler_kwargs": finding_.value}, {"lr_scheduler_kwargs": {}}
    )


register(
    Rule(
        code=CODE,
        name="scheduler-kwargs-ignored",
        severity=Severity.WARNING,
        summary="lr_scheduler_kwargs given to a schedule that silently ignores them.",
        what="Flags lr_scheduler_kwargs with constant, constant_with_warmup, and inverse_sqrt "
        "on transformers 4.x: get_scheduler calls them without the kwargs.",
        why="A floor or timescale the user set has no effect and nothing says so.",
        example=("lr_scheduler_type: constant_with_warmup\nlr_scheduler_kwargs: {min_lr: 1.0e-6}"),
        corrected="lr_scheduler_type: constant_with_warmup",
        fix="Remove the kwargs or pick a schedule that takes them; adjust mode removes them "
        "(the run is identical, the config stops claiming otherwise).",
        check=check_ignored_kwargs,
        adjust=fix_ignored,
    )
)
