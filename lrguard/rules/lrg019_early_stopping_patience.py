"""LRG019 early-stopping-patience-in-evaluations: patience counts evaluations."""

from __future__ import annotations

import math
from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._hf import finding, label, read_schedule

CODE = "LRG019"


def _eval_interval(plan: TrainingPlan, total: int | None) -> int | None:
    """Optimizer steps between evaluations with ``eval_strategy='steps'``."""
    steps = parse_number(plan.evaluation.get("eval_steps")).value
    if steps is None or not math.isfinite(steps) or steps <= 0:
        return None
    if steps < 1:  # a ratio of the run
        return None if total is None else max(1, math.ceil(total * steps))
    return int(steps)


def check_patience(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG019: EarlyStoppingCallback patience that spans less than an epoch (or 10 % of run)."""
    view = read_schedule(plan)
    if view is None or not plan.early_stopping:
        return
    if plan.evaluation.get("eval_strategy") != "steps":
        return
    patience = parse_number(plan.early_stopping.get("patience")).value
    interval = _eval_interval(plan, view.total)
    if patience is None or interval is None or not view.total:
        return
    per_epoch = parse_number(plan.evaluation.get("steps_per_epoch")).value
    window = patience * interval
    if per_epoch:
        if window >= per_epoch:
            return
        scale = f"less than one epoch ({fmt(int(per_epoch))} steps)"
        wanted = math.ceil(per_epoch / interval)
    else:
        if window >= 0.1 * view.total:
            return
        scale = f"less than 10% of the run's {view.total} steps"
        wanted = math.ceil(0.1 * view.total / interval)
    stop = min(view.total, int((patience + 1) * interval))
    yield finding(
        plan,
        CODE,
        Severity.WARNING,
        "early_stopping_patience",
        plan.early_stopping.get("patience"),
        f"EarlyStoppingCallback(early_stopping_patience={fmt(plan.early_stopping['patience'])}) "
        f"counts evaluations, not epochs: with {label(plan, 'eval_strategy')}='steps' and "
        f"{label(plan, 'eval_steps')}={interval} the patience spans {fmt(int(window))} steps, "
        f"{scale}; training can stop at step {stop} of {view.total}.",
        f"Set early_stopping_patience>={wanted}, or evaluate less often "
        f"({label(plan, 'eval_steps')}).",
    )


register(
    Rule(
        code=CODE,
        name="early-stopping-patience-in-evaluations",
        severity=Severity.WARNING,
        summary="EarlyStoppingCallback patience counts evaluations, which can be a few steps.",
        what="With eval_strategy='steps', multiplies early_stopping_patience by eval_steps and "
        "flags a window shorter than one epoch (or 10% of the run when epochs are unknown).",
        why="Patience is read as epochs but counted in evaluations: with eval_steps=1 and "
        "patience=1 a 40-step run stopped at step 2.",
        example=(
            "max_steps: 1000\n"
            "eval_strategy: steps\n"
            "eval_steps: 1\n"
            "metric_for_best_model: loss\n"
            "load_best_model_at_end: true\n"
            "early_stopping_patience: 1   # EarlyStoppingCallback"
        ),
        corrected=(
            "max_steps: 1000\n"
            "eval_strategy: steps\n"
            "eval_steps: 100\n"
            "save_steps: 100\n"
            "metric_for_best_model: loss\n"
            "load_best_model_at_end: true\n"
            "early_stopping_patience: 3"
        ),
        fix="Raise early_stopping_patience to cover at least an epoch of evaluations, or "
        "evaluate less often.",
        check=check_patience,
    )
)
