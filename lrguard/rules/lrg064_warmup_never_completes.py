"""LRG064 warmup-never-completes: the rate rises but never reaches the optimizer's rate."""

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

CODE = "LRG064"
REACHED = 0.999
"""The peak counts as reached at this fraction of the optimizer's rate."""


def _short(trajectory: Trajectory, group: int) -> bool:
    first = trajectory.rates[group][0]
    base = trajectory.base_rates[group]
    top = max(trajectory.values(group))
    return first < top < REACHED * base and trajectory.last(group) >= REACHED * top


def check_warmup(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG064: the rate rises from its start, is still at its highest at the end, and that
    is below the configured rate (a warmup followed by a decay has completed)."""
    trajectory = replayed(plan)
    if trajectory is None or trajectory.metric_driven or trajectory.error is not None:
        return
    if trajectory.partial:  # the warmup may end after the steps replayed
        return
    group = first_group(trajectory, lambda g: _short(trajectory, g))
    if group is None:
        return
    rates = trajectory.rates[group]
    base = trajectory.base_rates[group]
    top = max(trajectory.values(group))
    total = trajectory.total_steps
    from lrguard.schedules.torch_classes import warmup_fix

    fix = warmup_fix(trajectory.scheduler, trajectory.settings, total)
    yield from scheduler_finding(
        CODE,
        Severity.WARNING,
        trajectory,
        group,
        f"the rate starts at {short(rates[0])} and reaches at most {short(top)} "
        f"({top / base:.0%} of the optimizer's lr={fmt(base)}): the warmup never ends "
        f"within the run's {total} steps.",
        f"Set {fix} (10% of the run)."
        if fix
        else f"Make the warmup shorter than the run's {total} steps (10% is usual).",
        value=top,
    )


register(
    Rule(
        code=CODE,
        name="warmup-never-completes",
        severity=Severity.WARNING,
        summary="The rate warms up but never reaches the optimizer's learning rate.",
        what="Fires when the replayed rate rises from its first step, is still at its highest "
        "on the last step, and that is below 99.9% of the param group's configured rate "
        "(initial_lr). Past the replay's budget it needs the run's last step: it judges "
        "schedules sampled from a closed form, and stays silent when only the first steps "
        "were replayed.",
        why="LinearLR(start_factor=0.01, total_iters=5000) in a 1000-step run warms up all "
        "run and peaks at 2.1e-4 of the 1e-3 asked for: the run learns less and nothing "
        "says so.",
        example=TORCH_PREAMBLE
        + "optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)\n"
        "scheduler = lr_scheduler.LinearLR(optimizer, start_factor=0.01, total_iters=5000)\n"
        "total_steps = 1000",
        corrected=TORCH_PREAMBLE
        + "optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)\n"
        "scheduler = lr_scheduler.LinearLR(optimizer, start_factor=0.01, total_iters=100)\n"
        "total_steps = 1000",
        example_kind="torch",
        fix="Warm up for a fraction of the run (10% is the BERT convention): total_iters, "
        "num_warmup_steps or the first milestone of a SequentialLR.",
        check=check_warmup,
    )
)
