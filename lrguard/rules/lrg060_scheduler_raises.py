"""LRG060 scheduler-raises-before-end: the scheduler raises before the run's last step."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._trajectory import TORCH_PREAMBLE, replayed, scheduler_finding

CODE = "LRG060"


def check_raises(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG060: the replay stopped with an exception before ``total_steps``."""
    trajectory = replayed(plan) or plan.trajectory
    if trajectory is None or trajectory.error is None or trajectory.error_step is None:
        return
    total = trajectory.total_steps
    from lrguard.schedules.torch_classes import length_fix

    fix = length_fix(trajectory.scheduler, trajectory.settings, total)
    if fix is None:
        fix_text = (
            f"Make the scheduler last the run's {total} {trajectory.unit}s (its length "
            "arguments, or the steps lr_lambda accepts)."
        )
    else:
        fix_text = f"Set {fix} (the run's {trajectory.unit}s)."
        if trajectory.scheduler == "OneCycleLR":
            fix_text = (
                f"Set {fix}, or epochs and steps_per_epoch with epochs * steps_per_epoch = {total}."
            )
    yield from scheduler_finding(
        CODE,
        Severity.ERROR,
        trajectory,
        None,
        f"raises {trajectory.error} after {trajectory.unit} {trajectory.error_step} of the "
        f"run's {total}: training stops there with this exception.",
        fix_text,
        value=trajectory.error_step,
    )


register(
    Rule(
        code=CODE,
        name="scheduler-raises-before-end",
        severity=Severity.ERROR,
        summary="The scheduler raises an exception before the run's last step.",
        what="Replays the real scheduler object for the run's steps on a shadow optimizer and "
        "reports the exception it raises and the step it happens at.",
        why="OneCycleLR built for fewer steps than the run raises 'Tried to step 101 times' "
        "at step 101 of 300: the run crashes two thirds from the end, after hours of "
        "training, with the last checkpoint possibly far behind.",
        example=TORCH_PREAMBLE
        + "optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3, "
        "momentum=0.9)\n"
        "scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=1e-3, total_steps=100)\n"
        "total_steps = 300",
        corrected=TORCH_PREAMBLE
        + "optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3, "
        "momentum=0.9)\n"
        "scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=1e-3, total_steps=300)\n"
        "total_steps = 300",
        example_kind="torch",
        fix="Give the scheduler the run's length (OneCycleLR total_steps, or epochs * "
        "steps_per_epoch = the optimizer steps).",
        check=check_raises,
    )
)
