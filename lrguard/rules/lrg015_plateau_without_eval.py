"""LRG015 plateau-without-evaluation: a metric-driven schedule in a run that never evaluates."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._hf import finding, label, read_built_schedule

CODE = "LRG015"


def check_plateau_eval(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG015: reduce_lr_on_plateau / greedy with ``eval_strategy`` 'no'."""
    view = read_built_schedule(plan)
    if view is None or view.spec is None or not view.spec.metric_driven:
        return
    strategy = plan.evaluation.get("eval_strategy")
    if strategy not in ("no", None):
        return
    name = label(plan, "eval_strategy")
    yield finding(
        plan,
        CODE,
        Severity.ERROR,
        "eval_strategy",
        strategy,
        f"{label(plan, 'lr_scheduler_type')}={fmt(view.name)} is stepped with an evaluation "
        f"metric but {name}={fmt(strategy or 'no')}: TrainingArguments refuses it "
        "('requires an eval strategy'); without evaluation the rate would never change.",
        f"Set {name}: steps (with eval_steps) or epoch, or use a step schedule such as cosine.",
    )


register(
    Rule(
        code=CODE,
        name="plateau-without-evaluation",
        severity=Severity.ERROR,
        summary="reduce_lr_on_plateau / greedy in a run that never evaluates.",
        what="Flags metric-driven schedules (reduce_lr_on_plateau, greedy) with "
        "eval_strategy 'no'.",
        why="These schedules only move when Trainer evaluates; TrainingArguments raises a "
        "ValueError, and a config checked in CI should fail before a job is queued.",
        example=("lr_scheduler_type: reduce_lr_on_plateau\neval_strategy: 'no'"),
        corrected=("lr_scheduler_type: reduce_lr_on_plateau\neval_strategy: epoch"),
        fix="Evaluate (eval_strategy: steps or epoch) or choose a step schedule.",
        check=check_plateau_eval,
    )
)
