"""LRG012 plateau-min-lr-not-below-lr: ``reduce_lr_on_plateau`` that can never drop."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._plateau_floor import fix_plateau_floor, plateau_floor_findings

CODE = "LRG012"


def check_plateau_min(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG012: reduce_lr_on_plateau min_lr >= learning_rate."""
    yield from plateau_floor_findings(
        plan, CODE, "ReduceLROnPlateau can never lower the rate; plateaus change nothing."
    )


register(
    Rule(
        code=CODE,
        name="plateau-min-lr-not-below-lr",
        severity=Severity.WARNING,
        summary="reduce_lr_on_plateau with min_lr at (warning) or above (error) "
        "learning_rate: it never drops.",
        what="Compares lr_scheduler_kwargs.min_lr of reduce_lr_on_plateau with learning_rate.",
        why="torch's ReduceLROnPlateau clamps every reduction at min_lr: with min_lr >= the "
        "rate, plateau annealing is silently a constant schedule.",
        example="lr_scheduler_type: reduce_lr_on_plateau\nlearning_rate: 1.0e-5\n"
        "eval_strategy: epoch\nlr_scheduler_kwargs: {min_lr: 1.0e-4}",
        fix="Set min_lr to a fraction of learning_rate; adjust mode sets min_lr = "
        "learning_rate * plateau_min_lr_ratio (0.001: three reductions by 0.1).",
        corrected="lr_scheduler_type: reduce_lr_on_plateau\nlearning_rate: 1.0e-5\n"
        "eval_strategy: epoch\nlr_scheduler_kwargs: {min_lr: 1.0e-8}",
        check=check_plateau_min,
        adjust=fix_plateau_floor,
    )
)
