"""LRG062 rate-near-zero-most-of-run: the rate is a tiny fraction of its peak most of the run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._trajectory import (
    TORCH_PREAMBLE,
    about,
    end_text,
    first_group,
    replayed,
    scheduler_finding,
)

if TYPE_CHECKING:
    from lrguard.trajectory import Trajectory

CODE = "LRG062"


def first_text(trajectory: Trajectory, step: int) -> str:
    """'step 12', or 'about step 150000' for a sampled step past the replayed ones."""
    return f"{'about ' if step >= trajectory.steps else ''}step {step + 1}"


def _low_steps(trajectory: Trajectory, group: int) -> int:
    return trajectory.steps_below(group, trajectory.limits.low_fraction * trajectory.peak(group))


def check_near_zero(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG062: below ``low_fraction`` of the peak for more than ``low_share`` of the run
    (metric-driven schedules: see LRG067)."""
    trajectory = replayed(plan)
    if trajectory is None or trajectory.metric_driven:
        return
    limits = trajectory.limits
    total = trajectory.total_steps

    def fires(group: int) -> bool:
        return _low_steps(trajectory, group) > limits.low_share * total

    group = first_group(trajectory, fires)
    if group is None:
        return
    peak = trajectory.peak(group)
    low = _low_steps(trajectory, group)
    start = trajectory.first_step_below(group, limits.low_fraction * peak) or 0
    from lrguard.schedules.torch_classes import decay_fix, unit_hint

    fix = decay_fix(trajectory.scheduler, trajectory.settings, total, limits.low_fraction)
    yield from scheduler_finding(
        CODE,
        Severity.ERROR,
        trajectory,
        group,
        f"the rate is below {limits.low_fraction:.0%} of its peak {fmt(peak)} for "
        f"{about(trajectory)}{low} of {total} steps (from {first_text(trajectory, start)}) and "
        f"{end_text(trajectory, group)}: most of the run barely trains (a decay meant per "
        "epoch, stepped per batch?).",
        unit_hint(trajectory.scheduler, trajectory.settings, total, fix),
        value=low,
    )


register(
    Rule(
        code=CODE,
        name="rate-near-zero-most-of-run",
        severity=Severity.ERROR,
        summary="The rate stays below a small fraction of its peak for most of the run.",
        what="Counts the replayed steps whose rate is below trajectory_low_fraction (1%) of "
        "the peak; fires when they are more than trajectory_low_share (half) of the run. "
        "Metric-driven schedulers are judged by LRG067 instead. Past the replay's budget, "
        "steps sampled (closed form or jumps, see LRG066) stand for the rest of the run (the "
        "count is an estimate, said 'about'); without a closed form only the steps replayed "
        "count, so it fires only when they alone are more than that share of the run.",
        why="ExponentialLR(gamma=0.95) or StepLR(step_size=10, gamma=0.1) written for epochs "
        "but stepped per batch decay in a few dozen steps: the rate ends at 1e-26 or 1e-103 "
        "and nine tenths of the run do nothing, while the loss curve just looks flat.",
        example=TORCH_PREAMBLE
        + "optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)\n"
        "scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.95)\n"
        "total_steps = 1000",
        corrected=TORCH_PREAMBLE
        + "optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)\n"
        "scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.99541)\n"
        "total_steps = 1000",
        example_kind="torch",
        fix="Step the scheduler once per epoch if its arguments count epochs, or scale them to "
        "the run's steps (the message gives the value: gamma, step_size, milestones, T_max, "
        "total_iters).",
        check=check_near_zero,
    )
)
