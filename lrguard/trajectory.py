"""``Trajectory``: the learning rate a real scheduler object gives every step of a run.

``torch_lrguard.replay`` builds one by replaying a scheduler on a shadow optimizer; the
trajectory rules (LRG060 - LRG067) read it from ``TrainingPlan.trajectory``. Everything here
is plain Python over per-step rate series (no torch, no numpy), so the rules stay pure
functions of the plan.

Step ``i`` of a series (counted from 0) is the rate the optimizer uses for its ``i + 1``-th
step; for a metric-driven scheduler (``ReduceLROnPlateau``) it is the rate before its
``i + 1``-th ``step(metric)`` call, replayed in the worst case: the metric never improves.

Example:
    >>> t = Trajectory(scheduler="ExponentialLR", total_steps=4,
    ...                rates=((1.0, 0.5, 0.25, 0.125),), base_rates=(1.0,))
    >>> t.steps, t.peak(0), t.steps_below(0, 0.3)
    (4, 1.0, 2)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

RESTART_SWING = 0.5
"""A restart is a fall and a rise again, each by at least this fraction of the peak."""


@dataclass(frozen=True)
class TrajectoryLimits:
    """The thresholds of the trajectory rules (from ``GuardPolicy``'s ``trajectory_*`` fields).

    Attributes:
        low_fraction: a rate below this fraction of the peak counts as near zero (LRG062,
            LRG067).
        low_share: LRG062 fires when the rate is near zero for more than this share of the run.
        rise_ratio: LRG061 fires when the rate exceeds the optimizer's rate by this factor.
        max_restarts: LRG063 fires when a non-cyclic schedule restarts more often than this.
    """

    low_fraction: float = 0.01
    low_share: float = 0.5
    rise_ratio: float = 1.05
    max_restarts: int = 1


@dataclass(frozen=True)
class Trajectory:
    """Per-step rates of every param group, and how the replay went.

    Attributes:
        scheduler: the scheduler's class name (``LambdaLR``, ``OneCycleLR`` ...).
        total_steps: the steps the run takes (what was asked to be replayed).
        rates: one series per param group; shorter than ``total_steps`` when the scheduler
            raised (``error``) before the end.
        base_rates: every group's rate as configured (``initial_lr``, else ``lr``).
        schedule: the named schedule behind it when known (a transformers ``LambdaLR``:
            'cosine', 'linear' ...), else ''.
        settings: the scheduler's own arguments by name (``T_max``, ``gamma``,
            ``total_steps``, ``num_warmup_steps`` ...), for messages and fixes.
        cyclic: the schedule is meant to rise and fall repeatedly (``CyclicLR``,
            ``OneCycleLR``, ``CosineAnnealingWarmRestarts``, transformers
            ``cosine_with_restarts``).
        metric_driven: stepped with a metric; replayed with one that never improves.
        method: how the rates were obtained: 'closed form' or 'stepped'.
        error: the exception the scheduler raised, as ``Type: message``; None if none.
        error_step: the optimizer step after which it raised (1-based).
        not_replayed: why the scheduler could not be replayed at all (then ``rates`` is
            empty); None when it was.
        limits: thresholds of the rules.
        stepped_by: how the run steps the scheduler, when a framework does it ('per batch
            by OneCyclePlugin.scheduler'); shown in messages, where a step is one such step.
    """

    scheduler: str
    total_steps: int
    rates: tuple[Sequence[float], ...] = ()
    base_rates: tuple[float, ...] = ()
    schedule: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    cyclic: bool = False
    metric_driven: bool = False
    method: str = "stepped"
    error: str | None = None
    error_step: int | None = None
    not_replayed: str | None = None
    limits: TrajectoryLimits = field(default_factory=TrajectoryLimits)
    stepped_by: str = ""

    @property
    def steps(self) -> int:
        """Steps replayed (the length of every series)."""
        return len(self.rates[0]) if self.rates else 0

    @property
    def label(self) -> str:
        """The scheduler for messages: 'OneCycleLR', 'LambdaLR (transformers cosine)', or
        'OneCycleLR (stepped per batch by OneCyclePlugin.scheduler)'."""
        label = (
            f"{self.scheduler} (transformers {self.schedule})" if self.schedule else self.scheduler
        )
        return f"{label} (stepped {self.stepped_by})" if self.stepped_by else label

    @property
    def unit(self) -> str:
        """'step' or, for a metric-driven scheduler, 'metric step'."""
        return "metric step" if self.metric_driven else "step"

    def peak(self, group: int) -> float:
        """The higher of the group's configured rate and its highest finite rate."""
        finite = [r for r in self.rates[group] if math.isfinite(r)]
        return max([self.base_rates[group], *([max(finite)] if finite else [])])

    def steps_below(self, group: int, threshold: float) -> int:
        """Steps whose rate is in ``[0, threshold)`` (negative rates are LRG065's)."""
        return sum(1 for r in self.rates[group] if 0 <= r < threshold)

    def first_step_below(self, group: int, threshold: float) -> int | None:
        """The first step (0-based) whose rate is below ``threshold``; None when none."""
        return next((i for i, r in enumerate(self.rates[group]) if r < threshold), None)

    def restarts(self, group: int) -> int:
        """How often the rate falls by ``RESTART_SWING`` of the peak and rises again by as
        much (a warmup at the start is not a restart).

        Example:
            >>> Trajectory("X", 6, ((1.0, 0.1, 1.0, 0.1, 1.0, 0.1),), (1.0,)).restarts(0)
            2
        """
        swing = RESTART_SWING * self.peak(group)
        if swing <= 0:
            return 0
        count, high, low, falling = 0, -math.inf, math.inf, True
        for rate in self.rates[group]:
            if not math.isfinite(rate):
                continue
            if falling:
                high = max(high, rate)
                low = min(low, rate)
                if high - rate >= swing:
                    falling, low = False, rate
            else:
                low = min(low, rate)
                if rate - low >= swing:
                    count += 1
                    falling, high = True, rate
        return count


def group_label(index: int) -> str:
    """'param group 0'."""
    return f"param group {index}"


__all__ = ["RESTART_SWING", "Trajectory", "TrajectoryLimits", "group_label"]
