"""LRG067 metric-worst-case-near-zero: a plateau scheduler that can anneal to ~0."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, tidy
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._trajectory import (
    TORCH_PREAMBLE,
    end_text,
    first_group,
    replayed,
    scheduler_finding,
)

CODE = "LRG067"


def check_worst_case(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG067: metric-driven, and the worst case falls below ``low_fraction`` of the peak."""
    trajectory = replayed(plan)
    if trajectory is None or not trajectory.metric_driven:
        return
    fraction = trajectory.limits.low_fraction

    def fires(group: int) -> bool:
        return trajectory.first_step_below(group, fraction * trajectory.peak(group)) is not None

    group = first_group(trajectory, fires)
    if group is None:
        return
    peak = trajectory.peak(group)
    start = trajectory.first_step_below(group, fraction * peak) or 0
    floor = trajectory.settings.get("min_lrs")
    floor_text = ""
    if isinstance(floor, list | tuple) and len(floor) > group:
        floor_text = f" (min_lr={fmt(floor[group])})"
    yield from scheduler_finding(
        CODE,
        Severity.INFO,
        trajectory,
        group,
        f"the rate falls below {fraction:.0%} of its peak {fmt(peak)} after {start} of "
        f"{trajectory.total_steps} metric steps and {end_text(trajectory, group)}"
        f"{floor_text}: if the metric stalls, the rest of the run barely trains.",
        f"Set min_lr={fmt(tidy(fraction * peak))} ({fraction:.0%} of the peak) or higher, or "
        "a larger patience.",
        value=start,
    )


register(
    Rule(
        code=CODE,
        name="metric-worst-case-near-zero",
        severity=Severity.INFO,
        summary="A metric-driven scheduler can lower the rate to almost nothing.",
        what="Replays ReduceLROnPlateau (or transformers' GreedyLR) with a metric that never "
        "improves, the worst case, and reports when the rate falls below "
        "trajectory_low_fraction of its peak within the run.",
        why="With min_lr=0 and a short patience, a stalled metric anneals the rate to 1e-8 "
        "within a few evaluations and the run goes on at that rate to the end.",
        example=TORCH_PREAMBLE
        + "optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)\n"
        "scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=2)\n"
        "total_steps = 100  # calls of scheduler.step(metric)",
        corrected=TORCH_PREAMBLE
        + "optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)\n"
        "scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=2, min_lr=1e-5)\n"
        "total_steps = 100  # calls of scheduler.step(metric)",
        example_kind="torch",
        fix="Give the scheduler a floor (min_lr, 1% of the peak or more) or stop the run when "
        "the metric stalls (early stopping).",
        check=check_worst_case,
    )
)
