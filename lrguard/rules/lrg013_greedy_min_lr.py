"""LRG013 greedy-min-lr-above-lr: ``greedy`` (transformers 5.x) whose floor is the peak."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._plateau_floor import fix_plateau_floor, plateau_floor_findings

CODE = "LRG013"


def check_greedy_min(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG013: greedy min_lr (default 1e-3) >= learning_rate."""
    yield from plateau_floor_findings(
        plan,
        CODE,
        "GreedyLR clamps every reduction at min_lr, so plateaus never lower the rate, "
        "while improvements still raise it (up to max_lr): the rate can only grow.",
    )


register(
    Rule(
        code=CODE,
        name="greedy-min-lr-above-lr",
        severity=Severity.WARNING,
        summary="greedy (transformers 5.x) with min_lr (default 1e-3) at (warning) or above "
        "(error) learning_rate.",
        what="Compares lr_scheduler_kwargs.min_lr of the greedy schedule, 1e-3 when not "
        "given, with learning_rate.",
        why="GreedyLR reduces to max(lr * factor, min_lr) and raises to min(lr / factor, "
        "max_lr): with the default min_lr 1e-3 and a fine-tuning rate such as 2e-5 no plateau "
        "ever lowers the rate, every run of improvements raises it.",
        example="lr_scheduler_type: greedy\nlearning_rate: 2.0e-5   # min_lr defaults to 1e-3\n"
        "eval_strategy: epoch",
        fix="Set min_lr below learning_rate; adjust mode sets min_lr = learning_rate * "
        "plateau_min_lr_ratio.",
        corrected="lr_scheduler_type: greedy\nlearning_rate: 2.0e-5\neval_strategy: epoch\n"
        "lr_scheduler_kwargs: {min_lr: 2.0e-8}",
        check=check_greedy_min,
        adjust=fix_plateau_floor,
    )
)
