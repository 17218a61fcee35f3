"""LRG014 plateau-mode-mismatch: plateau ``mode`` that contradicts ``greater_is_better``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Adjustment, Rule, register
from lrguard.rules._hf import adjust_kwarg, finding, kw_field, label, read_built_schedule

if TYPE_CHECKING:  # the policy is pydantic: not imported on the command line's path
    from lrguard.policy import GuardPolicy

CODE = "LRG014"


def _expected(plan: TrainingPlan) -> str | None:
    greater = plan.metric.greater_is_better
    if isinstance(greater, str):
        greater = {"true": True, "false": False}.get(greater.strip().lower())
    return None if not isinstance(greater, bool) else ("max" if greater else "min")


def check_mode(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG014: reduce_lr_on_plateau / greedy ``mode`` vs ``greater_is_better``."""
    view = read_built_schedule(plan)
    if view is None or view.spec is None or not view.spec.metric_driven or view.kwargs is None:
        return
    expected = _expected(plan)
    mode = view.kwargs.get("mode", view.spec.kwargs["mode"])
    if expected is None or mode == expected or mode not in ("min", "max"):
        return
    name = label(plan, kw_field("mode"))
    shown = f"{name}={fmt(mode)}" + ("" if "mode" in view.kwargs else " (the default)")
    metric = plan.metric.name
    direction = "drops while the model improves" if mode == "min" else "drops while it worsens"
    yield finding(
        plan,
        CODE,
        Severity.WARNING,
        kw_field("mode"),
        mode,
        f"{shown} but {label(plan, 'metric_for_best_model')}={fmt(metric)} with "
        f"{label(plan, 'greater_is_better')}={expected == 'max'}: {view.name} treats the "
        f"metric the wrong way round and the rate {direction}.",
        f"Set {name}: {expected!r} (Trainer never derives it from greater_is_better).",
    )


def fix_mode(plan: TrainingPlan, finding_: Finding, policy: GuardPolicy) -> Adjustment:
    """``mode`` = 'max' when greater_is_better, else 'min'."""
    return adjust_kwarg(plan, "mode", _expected(plan))


register(
    Rule(
        code=CODE,
        name="plateau-mode-mismatch",
        severity=Severity.WARNING,
        summary="reduce_lr_on_plateau / greedy mode contradicts greater_is_better.",
        what="Compares the plateau schedule's mode (default 'min') with the direction "
        "greater_is_better gives metric_for_best_model.",
        why="Trainer steps the plateau schedule with metric_for_best_model but never sets "
        "its mode: with an accuracy metric the default 'min' sees every improvement as a "
        "plateau and lowers the rate while the model gets better.",
        example=(
            "lr_scheduler_type: reduce_lr_on_plateau\n"
            "eval_strategy: epoch\n"
            "metric_for_best_model: accuracy\n"
            "greater_is_better: true   # mode stays 'min'"
        ),
        corrected=(
            "lr_scheduler_type: reduce_lr_on_plateau\n"
            "eval_strategy: epoch\n"
            "metric_for_best_model: accuracy\n"
            "greater_is_better: true\n"
            "lr_scheduler_kwargs: {mode: max}"
        ),
        fix="Set lr_scheduler_kwargs.mode to 'max' for metrics where higher is better; "
        "adjust mode derives it from greater_is_better.",
        check=check_mode,
        adjust=fix_mode,
    )
)
