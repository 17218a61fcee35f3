"""LRG020 early-stopping-prerequisites: EarlyStoppingCallback lacking a metric or evaluation."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._hf import finding, label, read_schedule

CODE = "LRG020"


def check_prerequisites(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG020: EarlyStoppingCallback without metric_for_best_model or without evaluation."""
    if read_schedule(plan) is None or not plan.early_stopping:
        return
    if plan.metric.name is None:
        name = label(plan, "metric_for_best_model")
        yield finding(
            plan,
            CODE,
            Severity.ERROR,
            "metric_for_best_model",
            None,
            f"EarlyStoppingCallback is used but {name} is not set: transformers checks it with "
            "a bare assert in trainer.train() (AssertionError; under python -O an "
            "AttributeError at the first evaluation).",
            f"Set {name}: eval_loss (and load_best_model_at_end: true).",
        )
    strategy = plan.evaluation.get("eval_strategy")
    if strategy in ("no", None):
        name = label(plan, "eval_strategy")
        yield finding(
            plan,
            CODE,
            Severity.ERROR,
            "eval_strategy",
            strategy,
            f"EarlyStoppingCallback is used but {name}={fmt(strategy or 'no')}: transformers "
            "checks it with a bare assert in trainer.train() (under python -O the run never "
            "evaluates and never stops early).",
            f"Set {name}: steps (with eval_steps) or epoch.",
        )


register(
    Rule(
        code=CODE,
        name="early-stopping-prerequisites",
        severity=Severity.ERROR,
        summary="EarlyStoppingCallback without metric_for_best_model or without evaluation.",
        what="Checks what EarlyStoppingCallback asserts in on_train_begin: "
        "metric_for_best_model is set and eval_strategy is not 'no'.",
        why="transformers uses bare asserts: an AssertionError after loading, or under "
        "python -O no check at all and an early stop that never happens.",
        example=(
            "learning_rate: 2.0e-5\n"
            "eval_strategy: 'no'\n"
            "early_stopping_patience: 3   # EarlyStoppingCallback"
        ),
        corrected=(
            "learning_rate: 2.0e-5\n"
            "eval_strategy: epoch\n"
            "save_strategy: epoch\n"
            "metric_for_best_model: loss\n"
            "load_best_model_at_end: true\n"
            "early_stopping_patience: 3"
        ),
        fix="Set metric_for_best_model and an eval_strategy of 'steps' or 'epoch'.",
        check=check_prerequisites,
    )
)
