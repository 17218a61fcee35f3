"""LRG030 steps-unknown: warmup in steps, run length unknown (configs read by ``lrguard check``)."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register

CODE = "LRG030"


def check_steps_unknown(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG030: absolute warmup steps that cannot be compared with an unknown run length."""
    source = plan.source.steps_source if plan.source else None
    if not source or plan.schedule is None or plan.schedule.total_steps is not None:
        return
    warmup = parse_number(plan.schedule.warmup_steps)
    if warmup.value is None or not warmup.value >= 1:
        return
    yield Finding(
        code=CODE,
        severity=Severity.INFO,
        message=(
            f"warmup_steps={fmt(plan.schedule.warmup_steps)} cannot be compared with the run "
            f"length: the total step count is {source}."
        ),
        location=plan.where("warmup_steps"),
        field="warmup_steps",
        value=plan.schedule.warmup_steps,
        fix="Pass --steps N (or --dataset-size N) so warmup can be checked against the run.",
    )


register(
    Rule(
        code=CODE,
        name="steps-unknown",
        severity=Severity.INFO,
        summary="Warmup given in steps cannot be checked: the run's total steps are unknown.",
        what="Reports a config with warmup_steps >= 1 whose run length is unknown: no "
        "max_steps in the file and no --steps / --dataset-size on the command line.",
        why="Warmup as long as the run (LRG006) leaves no decay at all; whether that happens "
        "depends on the step count, which lrguard never guesses.",
        example=("num_train_epochs: 1\nwarmup_steps: 500   # how many steps does the run have?"),
        corrected=("num_train_epochs: 1\nmax_steps: 5000\nwarmup_steps: 500"),
        fix="Pass --steps N, or --dataset-size N (with --world-size), to lrguard check.",
        check=check_steps_unknown,
    )
)
