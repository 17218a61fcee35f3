"""LRG061 rate-rises-above-base: a non-cyclic schedule takes the rate above the optimizer's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._trajectory import (
    TORCH_PREAMBLE,
    first_group,
    replayed,
    scheduler_finding,
    short,
)

if TYPE_CHECKING:
    from lrguard.trajectory import Trajectory

CODE = "LRG061"


def _above(trajectory: Trajectory, group: int) -> bool:
    limit = trajectory.base_rates[group] * trajectory.limits.rise_ratio
    return any(r > limit for r in trajectory.values(group))


def check_rises(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG061: the rate exceeds the group's configured rate by ``rise_ratio`` (cyclic
    schedules, which rise by design, are exempt)."""
    trajectory = replayed(plan)
    if trajectory is None or trajectory.cyclic:
        return
    group = first_group(trajectory, lambda g: _above(trajectory, g))
    if group is None:
        return
    base = trajectory.base_rates[group]
    top = max(trajectory.values(group))
    first = trajectory.first_step(group, lambda r: r > base * trajectory.limits.rise_ratio) or 0
    from lrguard.schedules.torch_classes import rise_fix

    fix = rise_fix(trajectory.scheduler, trajectory.settings, base)
    ratio = f"{top / base:.3g}x" if base > 0 else "above"
    yield from scheduler_finding(
        CODE,
        Severity.ERROR,
        trajectory,
        group,
        f"the rate rises to {short(top)}, {ratio} the optimizer's lr={fmt(base)} (above it "
        f"from {'about ' if first >= trajectory.steps else ''}{trajectory.unit} {first + 1} of "
        f"{trajectory.total_steps}): the run trains at "
        "rates nobody chose.",
        f"Set {fix}." if fix else "Keep the schedule's factors at or below 1.",
        value=top,
    )


register(
    Rule(
        code=CODE,
        name="rate-rises-above-base",
        severity=Severity.ERROR,
        summary="A non-cyclic schedule raises the rate above the optimizer's learning rate.",
        what="Compares every replayed (or, past the replay's budget, sampled) rate with the "
        "param group's configured rate (initial_lr); fires when it exceeds it by more than "
        "trajectory_rise_ratio. Warmups rise to the rate, not above it; CyclicLR, "
        "OneCycleLR, CosineAnnealingWarmRestarts and cosine_with_restarts are exempt.",
        why="CosineAnnealingLR with eta_min=1e-2 above the optimizer's 1e-3 'anneals' upwards: "
        "the rate rises tenfold over the run, which usually diverges or wrecks a fine-tune, "
        "and nothing says so.",
        example=TORCH_PREAMBLE
        + "optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)\n"
        "scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=1000, eta_min=1e-2)\n"
        "total_steps = 1000",
        corrected=TORCH_PREAMBLE
        + "optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)\n"
        "scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=1000, eta_min=1e-5)\n"
        "total_steps = 1000",
        example_kind="torch",
        fix="Keep the schedule's floor below the optimizer's rate (eta_min <= 0.1x lr) and its "
        "factors at or below 1.",
        check=check_rises,
    )
)
