"""Timing helpers shared by the overhead benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


class HookClock:
    """Adds up the wall time spent inside chosen methods of one object (the guard's hooks).

    The methods are replaced on the instance by timed wrappers that keep their attributes
    (Flair finds hooks by a marker attribute on the method).
    """

    def __init__(self) -> None:
        self.seconds = 0.0

    def instrument(self, obj: Any, names: Iterable[str]) -> Any:
        """Time ``obj.<name>()`` for every name ``obj`` has; return ``obj``."""
        for name in names:
            if hasattr(obj, name):
                setattr(obj, name, self._timed(getattr(obj, name)))
        return obj

    def _timed(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        events = getattr(method, "_plugin_hook_events", None)
        if events is not None:
            timed._plugin_hook_events = events  # type: ignore[attr-defined]
        return timed


@dataclass(frozen=True)
class RunTime:
    """One timed run: wall and CPU seconds, and the seconds spent inside the guard."""

    wall: float
    cpu: float
    in_guard: float


def interleaved(
    run: Callable[[bool], RunTime], repeats: int
) -> tuple[list[RunTime], list[RunTime]]:
    """Run ``run(False)`` (without the guard) and ``run(True)`` alternately, A B B A ...,
    after one warm-up of each; return (without, with)."""
    run(False)
    run(True)
    plain: list[RunTime] = []
    guarded: list[RunTime] = []
    for i in range(repeats):
        order = [(plain, False), (guarded, True)]
        for times, with_guard in order if i % 2 == 0 else reversed(order):
            times.append(run(with_guard))
    return plain, guarded


def report(name: str, plain: list[RunTime], guarded: list[RunTime], budget: float) -> float:
    """Print the in-guard share of the run and the A/B ratios; return the share."""
    share = statistics.median(r.in_guard / r.wall for r in guarded)
    wall = statistics.median(r.wall for r in guarded) / statistics.median(r.wall for r in plain)
    cpu = statistics.median(r.cpu for r in guarded) / statistics.median(r.cpu for r in plain)
    print(
        f"  {name}: time inside the guard {share:.3%} of the run (budget {budget:.0%}); "
        f"A/B ratios with/without: wall {wall:.4f}, cpu {cpu:.4f} ({len(guarded)} pairs, "
        "noise on this machine is about +-3 %)"
    )
    return share
