"""LRG063 schedule-restarts: a non-cyclic schedule falls and rises again many times."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lrguard.findings import Finding, Severity
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._trajectory import TORCH_PREAMBLE, first_group, replayed, scheduler_finding

if TYPE_CHECKING:
    from lrguard.trajectory import Trajectory

CODE = "LRG063"


def counted(trajectory: Trajectory, group: int) -> tuple[int, str]:
    """The restarts and where they were counted: over the steps replayed ('1000 steps',
    'the first 100000 of the run's 10**9 steps'), else, past the replay's budget, over the
    samples of the rest too ('about 3 times ...')."""
    total, unit = trajectory.total_steps, trajectory.unit
    replayed_only = trajectory.restarts(group, tail=False)
    if trajectory.cap is None:
        return replayed_only, f"{total} {unit}s"
    if replayed_only > trajectory.limits.max_restarts or not trajectory.sampled:
        return replayed_only, f"the first {trajectory.steps} of the run's {total} {unit}s"
    return trajectory.restarts(group), (
        f"{total} {unit}s (about: counted at the first {trajectory.steps} and "
        f"{len(trajectory.tail_steps)} sampled {unit}s)"
    )


def check_restarts(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG063: more than ``max_restarts`` restarts in a schedule that is not cyclic."""
    trajectory = replayed(plan)
    if trajectory is None or trajectory.cyclic or trajectory.metric_driven:
        return
    allowed = trajectory.limits.max_restarts
    group = first_group(trajectory, lambda g: counted(trajectory, g)[0] > allowed)
    if group is None:
        return
    count, where = counted(trajectory, group)
    total = trajectory.total_steps
    from lrguard.schedules.torch_classes import length_fix, unit_hint
    from lrguard.trajectory import RESTART_SWING

    fix = length_fix(trajectory.scheduler, trajectory.settings, total)
    yield from scheduler_finding(
        CODE,
        Severity.WARNING,
        trajectory,
        group,
        f"the rate falls and rises again (by {RESTART_SWING:.0%} of its peak) {count} times "
        f"in {where}; a {trajectory.scheduler} is not meant to restart (at most "
        f"{allowed} expected): a period counted in epochs, stepped per batch?",
        unit_hint(trajectory.scheduler, trajectory.settings, total, fix),
        value=count,
    )


register(
    Rule(
        code=CODE,
        name="schedule-restarts",
        severity=Severity.WARNING,
        summary="A schedule that is not cyclic falls and rises again many times in the run.",
        what="Counts the restarts of the replayed rate (a fall and a rise again, each by half "
        "the peak); fires when a non-cyclic schedule has more than trajectory_max_restarts. "
        "CyclicLR, OneCycleLR, CosineAnnealingWarmRestarts and cosine_with_restarts are "
        "exempt. Past the replay's budget they are counted over the steps replayed and "
        "sampled (the message says which).",
        why="CosineAnnealingLR(T_max=10) meant in epochs but stepped per batch swings between "
        "0 and the peak every 20 steps, 50 times in 1000 steps, instead of decaying once.",
        example=TORCH_PREAMBLE
        + "optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)\n"
        "scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)\n"
        "total_steps = 1000",
        corrected=TORCH_PREAMBLE
        + "optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)\n"
        "scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=1000)\n"
        "total_steps = 1000",
        example_kind="torch",
        fix="Give the schedule the run's length in the unit it is stepped in (T_max = the "
        "optimizer steps), or step it once per epoch.",
        check=check_restarts,
    )
)
