"""LRG068 accelerate-scheduler-steps-per-process: accelerate steps a prepared scheduler once
per process on every optimizer step, and the schedule's length counts per-process steps, so
its decay ends a fraction of the way into the run."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from lrguard.findings import Finding, Severity
from lrguard.plan import AcceleratePlan, TrainingPlan
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

CODE = "LRG068"
DECAY_SHARE = 0.1
"""A schedule decays when its lowest rate after the peak is at least this share of the
peak below it (a constant or warmup-only schedule has no end to reach early)."""
END_TOLERANCE = 0.01
"""The decay ends at the bottom of the first trough within this share of the decay from the
lowest rate (the rate stops falling there: it stays, or rises again)."""


def decay_end(trajectory: Trajectory, group: int) -> tuple[int, float, float, float] | None:
    """``(end, low, peak, rise)`` in scheduler steps: the step at which the decay after the
    peak reaches its lowest rate ``low``, and the highest rate after it; None when the rate
    does not decay, or is still decaying where the known steps end.

    Example:
        >>> from lrguard.trajectory import Trajectory
        >>> t = Trajectory("X", 6, ((1.0, 0.5, 0.0, 0.0, 0.0, 0.0),), (1.0,))
        >>> decay_end(t, 0)
        (2, 0.0, 1.0, 0.0)
    """
    series = [(s, r) for s, r, _ in trajectory.series(group) if math.isfinite(r)]
    if not series:
        return None
    peak = max(r for _, r in series)
    # the first step at the peak (a recursive formula may pass it by rounding later on)
    peak_step = next(s for s, r in series if r >= peak - 1e-9 * abs(peak))
    after = [(s, r) for s, r in series if s >= peak_step]
    low = min(r for _, r in after)
    if peak <= 0 or peak - low < DECAY_SHARE * peak:
        return None
    first = next(i for i, (_, r) in enumerate(after) if r <= low + END_TOLERANCE * (peak - low))
    while first + 1 < len(after) and after[first + 1][1] < after[first][1]:
        first += 1  # on to the bottom of the first trough
    end = after[first][0]
    known = series[-1][0]
    if trajectory.partial and end > known - max(1, known // 20):
        return None  # still decaying where the replay's budget ended
    rise = max(r for s, r in after if s >= end)
    return end, low, peak, rise


def _fits_per_process(end: int, accelerate: AcceleratePlan) -> bool:
    """The decay ends closer to the per-process count than to the count accelerate steps
    (geometric midpoint: before ``optimizer_steps / sqrt(k)`` optimizer steps)."""
    per_step = accelerate.steps_per_optimizer_step
    return math.ceil(end / per_step) * math.sqrt(per_step) < accelerate.optimizer_steps


def fix_text(trajectory: Trajectory, accelerate: AcceleratePlan) -> str:
    """The scheduler's arguments for the steps accelerate takes, or the accelerator flag."""
    per_step = accelerate.steps_per_optimizer_step
    total = accelerate.optimizer_steps * per_step
    settings = trajectory.settings
    from lrguard.schedules.torch_classes import length_fix

    parts = [length_fix(trajectory.scheduler, settings, total) or ""]
    warmup = settings.get("num_warmup_steps")
    if isinstance(warmup, int) and not isinstance(warmup, bool) and warmup > 0:
        parts.append(f"num_warmup_steps={warmup * per_step}")
    built = " and ".join(p for p in parts if p) or f"every length in it for {total} steps"
    return (
        f"Build the scheduler with {built} (len(train_dataloader) before accelerator.prepare x "
        f"epochs: {per_step} x the per-process steps), or pass "
        "Accelerator(step_scheduler_with_optimizer=False) and keep its length in per-process "
        "steps."
    )


def check_steps_per_process(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG068: with accelerate stepping the scheduler ``k > 1`` times per optimizer step,
    its decay ends before ``optimizer_steps / sqrt(k)`` optimizer steps of the run."""
    accelerate = plan.accelerate
    trajectory = replayed(plan)
    if accelerate is None or trajectory is None or trajectory.metric_driven:
        return
    per_step = accelerate.steps_per_optimizer_step
    if per_step <= 1 or accelerate.optimizer_steps < 2:
        return
    ends = {g: decay_end(trajectory, g) for g in trajectory.distinct_groups}

    def fires(group: int) -> bool:
        found = ends.get(group)
        return found is not None and _fits_per_process(found[0], accelerate)

    group = first_group(trajectory, fires)
    if group is None:
        return
    end, low, peak, rise = ends[group]  # type: ignore[misc]
    at = math.ceil(end / per_step)
    total = accelerate.optimizer_steps
    approx = "about " if end >= trajectory.steps else ""
    after = (
        f", then rises again to {short(rise)}"
        if rise - low >= 0.5 * (peak - low)
        else " to the end"
    )
    yield from scheduler_finding(
        CODE,
        Severity.ERROR,
        trajectory,
        group,
        f"the decay ends after {approx}step {at:,} of {total:,} per process (the rate is "
        f"{short(low)} from step {at + 1:,}{after}): the schedule's length counts "
        "per-process steps, and accelerate (step_scheduler_with_optimizer=True, "
        f"split_batches=False) uses it up {per_step} times too fast.",
        fix_text(trajectory, accelerate),
        value=at,
    )


register(
    Rule(
        code=CODE,
        name="accelerate-scheduler-steps-per-process",
        severity=Severity.ERROR,
        summary="accelerate steps a prepared scheduler once per process: its decay ends early.",
        what="For a scheduler prepared with accelerate (torch_lrguard.check_accelerated, or "
        "check_scheduler given the AcceleratedScheduler): accelerate's "
        "AcceleratedScheduler.step steps the wrapped scheduler num_processes times per "
        "optimizer step when step_scheduler_with_optimizer=True (the default) and "
        "split_batches=False (accelerate/scheduler.py). The scheduler is replayed that way "
        "for the run's optimizer steps per process, and the step where its decay ends (the "
        "bottom of the first trough within 1% of the decay from the lowest rate after the "
        "peak) is read off. Fires when that step is nearer the per-process count divided by "
        "num_processes than the run's end: before total_steps / sqrt(num_processes) "
        "optimizer steps. Silent on one process, with split_batches=True, with "
        "step_scheduler_with_optimizer=False, for schedules that do not decay, and for "
        "metric-driven schedulers.",
        why="A schedule built from the prepared dataloader (num_training_steps = "
        "len(train_dataloader) x epochs after prepare) counts per-process steps; accelerate "
        "steps it N times per optimizer step, so on 4 processes a linear decay reaches 0 at "
        "a quarter of the run and three quarters train at rate 0 (a cosine one rises again). "
        "accelerate's own examples build the scheduler from len(train_dataloader) before "
        "prepare (huggingface/diffusers#3954, huggingface/accelerate#963).",
        example=TORCH_PREAMBLE + "from torch_lrguard import AcceleratedStepping\n\n"
        "optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)\n"
        "total_steps = 2500  # optimizer steps per process: len(prepared dataloader) x epochs\n"
        "# as accelerator.prepare(scheduler) steps it on 4 processes\n"
        "scheduler = AcceleratedStepping(\n"
        "    lr_scheduler.LinearLR(optimizer, 1.0, 0.01, total_iters=total_steps),\n"
        "    num_processes=4,\n"
        ")",
        corrected=TORCH_PREAMBLE + "from torch_lrguard import AcceleratedStepping\n\n"
        "optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)\n"
        "total_steps = 2500  # optimizer steps per process: len(prepared dataloader) x epochs\n"
        "# as accelerator.prepare(scheduler) steps it on 4 processes\n"
        "scheduler = AcceleratedStepping(\n"
        "    lr_scheduler.LinearLR(optimizer, 1.0, 0.01, total_iters=4 * total_steps),\n"
        "    num_processes=4,\n"
        ")",
        example_kind="torch",
        fix="Build the scheduler for num_processes x the per-process steps (the dataloader's "
        "length before accelerator.prepare x epochs; warmup likewise), or create the "
        "Accelerator with step_scheduler_with_optimizer=False and step it once per optimizer "
        "step. The message gives the values.",
        check=check_steps_per_process,
    )
)
