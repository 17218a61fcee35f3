"""The ``Simulation`` a config produces, and the error when it cannot be simulated."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

Picker = Callable[[int, Iterable[int]], list[int]]
"""``pick(count, landmarks)``: the 0-based positions of a trajectory to compute."""


class SimulationError(ValueError):
    """The config cannot be simulated; the message says why and what to pass."""


@dataclass
class Simulation:
    """A learning-rate trajectory.

    Attributes:
        unit: ``"step"``, ``"epoch"`` or ``"evaluation"``.
        index: 1-based step / epoch / evaluation numbers.
        series: column name -> rate at each index.
        floor: the lowest rate the schedule may reach (None: none).
        warmup: warmup length in ``unit`` (0: none).
        stops: column name -> index after which training stops (worst case).
        title: one line describing the schedule.

    Example:
        >>> sim = Simulation("step", [1, 2, 3, 4], {"lr": [0.5, 1.0, 0.5, 0.0]}, warmup=2)
        >>> sim.rows(every=3)
        [0, 1, 2, 3]
    """

    unit: str
    index: list[int]
    series: dict[str, list[float]]
    floor: float | None = None
    warmup: float = 0
    stops: dict[str, int] = field(default_factory=dict)
    title: str = ""

    def rows(self, every: int | None = None) -> list[int]:
        """Row positions to show: every ``every``-th, plus the first, the last, the warmup end
        and the stops."""
        n = len(self.index)
        step = every or 1
        keep = set(range(0, n, step)) | {0, n - 1}
        if self.warmup and self.unit == "step":
            w = int(math.ceil(self.warmup))
            keep |= {i for i in (w - 1, w) if 0 <= i < n}
        for stop in self.stops.values():
            keep.add(min(max(stop - 1, 0), n - 1))
        return sorted(keep)


__all__ = ["Picker", "Simulation", "SimulationError"]
