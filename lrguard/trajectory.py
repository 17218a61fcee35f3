"""``Trajectory``: the learning rate a real scheduler object gives every step of a run.

``torch_lrguard.replay`` builds one by replaying a scheduler on a shadow optimizer; the
trajectory rules (LRG060 - LRG067) read it from ``TrainingPlan.trajectory``. Everything here
is plain Python over per-step rate series (no torch, no numpy), so the rules stay pure
functions of the plan.

Step ``i`` of a series (counted from 0) is the rate the optimizer uses for its ``i + 1``-th
step; for a metric-driven scheduler (``ReduceLROnPlateau``) it is the rate before its
``i + 1``-th ``step(metric)`` call, replayed in the worst case: the metric never improves.

A replay has a fixed budget whatever the run's length (``torch_lrguard.replay``): past a
cap, ``rates`` holds only the first ``cap`` steps. When the scheduler has an exact closed
form, the rest of the run is *sampled*: ``tail_steps`` are steps spread over the rest (one
drawn at random in each of equal strata, the run's last step included), ``tail_rates``
their rates and ``tail_weights`` how many steps each stands for; counts over the run are
then estimates. Without a closed form the rest is not checked (``partial``), and the rules
judge only what the first ``cap`` steps prove.

Example:
    >>> t = Trajectory(scheduler="ExponentialLR", total_steps=4,
    ...                rates=((1.0, 0.5, 0.25, 0.125),), base_rates=(1.0,))
    >>> t.steps, t.peak(0), t.steps_below(0, 0.3)
    (4, 1.0, 2)
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Iterator, Sequence
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
        cap: the steps replayed one by one when the run is longer than the replay's budget
            (``rates`` covers steps ``0 .. cap - 1``); None when the whole run was.
        tail_steps: past the cap, the sampled steps (0-based, ascending, the last one is the
            run's last step) whose rates come from the scheduler's closed form; () when none.
        tail_rates: one series per param group: the rates at ``tail_steps``.
        tail_weights: how many steps of the run each tail step stands for (they add up to
            ``total_steps - cap``).
        tail_method: how the tail was computed ('StepLR closed form', ...).
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
    cap: int | None = None
    tail_steps: tuple[int, ...] = ()
    tail_rates: tuple[Sequence[float], ...] = ()
    tail_weights: tuple[int, ...] = ()
    tail_method: str = ""

    @property
    def steps(self) -> int:
        """Steps replayed one by one (the length of every series in ``rates``)."""
        return len(self.rates[0]) if self.rates else 0

    @functools.cached_property
    def distinct_groups(self) -> tuple[int, ...]:
        """The first param group of each set of groups with the same configured rate and
        the same rates (a rule's verdict on one holds for all of them)."""
        seen: set[tuple[Any, ...]] = set()
        first: list[int] = []
        for group, rates in enumerate(self.rates):
            tail = tuple(self.tail_rates[group]) if self.tail_steps else ()
            key = (self.base_rates[group], tuple(rates), tail)
            if key not in seen:
                seen.add(key)
                first.append(group)
        return tuple(first)

    @property
    def sampled(self) -> bool:
        """Past the cap, the rest of the run was sampled from a closed form."""
        return bool(self.tail_steps)

    @property
    def partial(self) -> bool:
        """Only the first ``cap`` steps were replayed: the rest of the run is not checked."""
        return self.cap is not None and not self.tail_steps and self.error is None

    @property
    def checked_steps(self) -> int:
        """The steps of the run the series speak for: every step when sampled, else the
        steps replayed."""
        return self.steps + sum(self.tail_weights)

    def series(self, group: int) -> Iterator[tuple[int, float, int]]:
        """``(step, rate, weight)`` over the replayed steps (weight 1), then the tail."""
        for step, rate in enumerate(self.rates[group]):
            yield step, rate, 1
        if self.tail_steps:
            yield from zip(self.tail_steps, self.tail_rates[group], self.tail_weights, strict=True)

    def values(self, group: int) -> list[float]:
        """Every rate known for the group: the replayed steps and the tail samples."""
        rates = list(self.rates[group])
        return rates + list(self.tail_rates[group]) if self.tail_steps else rates

    def last(self, group: int) -> float:
        """The rate at the last step known: the run's last step unless ``partial``."""
        if self.tail_steps:
            return self.tail_rates[group][-1]
        return self.rates[group][-1]

    def count(self, group: int, test: Callable[[float], bool]) -> int:
        """The steps whose rate passes ``test`` (an estimate when ``sampled``)."""
        dense = sum(1 for r in self.rates[group] if test(r))
        if not self.tail_steps:
            return dense
        return dense + sum(
            w for r, w in zip(self.tail_rates[group], self.tail_weights, strict=True) if test(r)
        )

    def first_step(self, group: int, test: Callable[[float], bool]) -> int | None:
        """The first step (0-based) whose rate passes ``test``; past the cap, the first
        sampled one. None when none."""
        return next((s for s, r, _ in self.series(group) if test(r)), None)

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
        finite = [r for r in self.values(group) if math.isfinite(r)]
        return max([self.base_rates[group], *([max(finite)] if finite else [])])

    def steps_below(self, group: int, threshold: float) -> int:
        """Steps whose rate is in ``[0, threshold)`` (negative rates are LRG065's); an
        estimate when ``sampled``."""
        return self.count(group, lambda r: 0 <= r < threshold)

    def first_step_below(self, group: int, threshold: float) -> int | None:
        """The first step (0-based) whose rate is below ``threshold``; None when none."""
        return self.first_step(group, lambda r: r < threshold)

    def restarts(self, group: int, tail: bool = True) -> int:
        """How often the rate falls by ``RESTART_SWING`` of the peak and rises again by as
        much (a warmup at the start is not a restart); over the replayed steps only when
        ``tail`` is false (past the cap, the samples of a fast cycle count its restarts only
        roughly).

        Example:
            >>> Trajectory("X", 6, ((1.0, 0.1, 1.0, 0.1, 1.0, 0.1),), (1.0,)).restarts(0)
            2
        """
        swing = RESTART_SWING * self.peak(group)
        if swing <= 0:
            return 0
        count, high, low, falling = 0, -math.inf, math.inf, True
        for rate in self.values(group) if tail else self.rates[group]:
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


def tail_layout(start: int, total: int, samples: int, seed: int = 0) -> tuple[list[int], list[int]]:
    """Steps sampling ``start .. total - 1`` and the steps each stands for.

    The range is cut into ``samples`` strata of equal size (every step when the range is
    smaller); one step is drawn in each with a fixed seed, so a period of the schedule
    cannot line up with the samples, and the last stratum takes the run's last step.
    Counts weighted by the strata sizes are unbiased estimates of the counts over the range.

    Example:
        >>> tail_layout(10, 14, 8)
        ([10, 11, 12, 13], [1, 1, 1, 1])
        >>> steps, weights = tail_layout(0, 10**9, 4)
        >>> steps[-1], weights
        (999999999, [250000000, 250000000, 250000000, 250000000])
    """
    rest = total - start
    count = min(max(1, samples), rest)
    if count <= 0:
        return [], []
    rng = random.Random(seed)
    bounds = [start + (j * rest) // count for j in range(count + 1)]
    steps = [rng.randrange(lo, hi) for lo, hi in zip(bounds, bounds[1:], strict=False)]
    steps[-1] = total - 1
    return steps, [hi - lo for lo, hi in zip(bounds, bounds[1:], strict=False)]


def group_label(index: int) -> str:
    """'param group 0'."""
    return f"param group {index}"


__all__ = ["RESTART_SWING", "Trajectory", "TrajectoryLimits", "group_label", "tail_layout"]
