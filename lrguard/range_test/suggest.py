"""Suggestion methods: which rate of a swept loss curve to train at.

Every method sees the same sweep (rates and raw losses) and returns a rate or None (the
curve has no usable descent). The peers' rules are reproduced as published:

* ``steepest`` (PyTorch Lightning's ``suggestion()``): the steepest descent of the EMA-smoothed
  loss, after skipping the first 10 and the last point.
* ``valley`` (fastai's ``valley``): two thirds of the way down the longest descending stretch of
  the EMA-smoothed loss, after skipping the first 10 % and the last 5 points.
* ``minimum`` (fastai's ``minimum``): the rate at the lowest EMA-smoothed loss, divided by 10.

``lrguard``, the method used by default, differs in three ways measured to matter
(``benchmarks/bench_range_test_quality.py``):

1. It smooths without lag. The EMA the peers use trails the raw loss by about
   ``beta / (1 - beta)`` steps (49 at 0.98, half of a 100-step sweep), so the minimum it
   shows lies well to the right of the real one. A centered running median has no lag, and
   the blow-up at the end of the sweep is cut off before looking for the minimum.
2. It only trusts a descent that stands out of the noise: the drop from the starting level
   (the median of the first tenth of the raw losses) to the lag-free minimum must exceed
   ``NOISE_MARGIN`` times the noise of the lag-free curve (the robust spread of the raw
   losses around it, over the square root of the window). A 100-step sweep is much shorter
   than a run: at the rates that train best, a small batch's loss often has not visibly
   fallen yet, and the lowest point of a flat, noisy curve is noise.
3. With a descent, it picks a point on its stable part: the rate where the lag-free curve
   has covered ``DESCENT_SHARE`` of the drop, capped at the minimum's rate divided by 10 (the
   edge of instability is never a good rate to train at). Without one, it reads the edge of
   stability instead: the last rate at which the curve is still within the noise margin of
   its starting level, divided by ``EDGE_DIVISOR``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lrguard.range_test.smoothing import debiased_ema
from lrguard.range_test.sweep import SweepSettings

DESCENT_SHARE = 0.5
"""``lrguard``: the share of the drop (start to minimum) at which the rate is read."""

NOISE_MARGIN = 8.0
"""``lrguard``: a descent counts when it exceeds this many times the lag-free curve's noise."""

EDGE_DIVISOR = 5.0
"""``lrguard``: without a descent, the edge of stability's rate is divided by this."""


@dataclass(frozen=True)
class Suggestion:
    """One method's answer: a rate (None: no usable descent) and how it was found."""

    method: str
    lr: float | None
    index: int | None
    note: str


def _finite(rates: Sequence[float], values: Sequence[float]) -> list[tuple[int, float, float]]:
    return [
        (i, r, v) for i, (r, v) in enumerate(zip(rates, values, strict=True)) if math.isfinite(v)
    ]


def _no(method: str, why: str) -> Suggestion:
    return Suggestion(method, None, None, why)


def steepest(
    rates: Sequence[float], losses: Sequence[float], settings: SweepSettings
) -> Suggestion:
    """Lightning's rule: the most negative gradient of the smoothed loss (skip 10, 1)."""
    points = _finite(rates, debiased_ema(losses, settings.smoothing))[10:-1]
    if len(points) < 3:
        return _no("steepest", "fewer than 3 points after skipping the first 10 and the last")
    values = [v for _, _, v in points]
    slopes = [values[1] - values[0]]
    slopes += [(values[k + 1] - values[k - 1]) / 2 for k in range(1, len(values) - 1)]
    slopes.append(values[-1] - values[-2])
    best = min(range(len(slopes)), key=slopes.__getitem__)
    index, rate, _ = points[best]
    return Suggestion("steepest", rate, index, "steepest descent of the EMA-smoothed loss")


def valley(rates: Sequence[float], losses: Sequence[float], settings: SweepSettings) -> Suggestion:
    """fastai's rule: 2/3 down the longest descending stretch (skip 10 %, last 5)."""
    smoothed = debiased_ema(losses, settings.smoothing)
    n = len(smoothed)
    points = _finite(rates, smoothed)[n // 10 : -5]
    if len(points) < 3:
        return _no("valley", "fewer than 3 points after trimming")
    values = [v for _, _, v in points]
    longest = [1] * len(values)
    start = end = 0
    for i in range(1, len(values)):
        for j in range(i):
            if values[i] < values[j] and longest[i] < longest[j] + 1:
                longest[i] = longest[j] + 1
        if longest[end] < longest[i]:
            end = i
            start = end - longest[end]
    third = (end - start) / 3
    pick = start + int(third) + int(third / 2)
    index, rate, _ = points[pick]
    return Suggestion(
        "valley", rate, index, "2/3 down the longest descent of the EMA-smoothed loss"
    )


def minimum(rates: Sequence[float], losses: Sequence[float], settings: SweepSettings) -> Suggestion:
    """fastai's ``minimum``: the rate at the lowest smoothed loss, divided by 10."""
    smoothed = debiased_ema(losses, settings.smoothing)
    n = len(smoothed)
    points = _finite(rates, smoothed)[n // 10 : -5]
    if not points:
        return _no("minimum", "no finite loss after trimming")
    index, rate, _ = min(points, key=lambda p: p[2])
    return Suggestion("minimum", rate / 10, index, "lowest EMA-smoothed loss / 10")


def centered_median(values: Sequence[float], window: int) -> list[float]:
    """The median of each value's centered window (shorter at the ends): smooths without
    lag, and one wild loss moves no neighbour.

    Example:
        >>> centered_median([3.0, 9.0, 1.0, 2.0, 0.0], window=3)
        [6.0, 3.0, 2.0, 1.0, 1.0]
    """
    half = window // 2
    out: list[float] = []
    for k in range(len(values)):
        part = sorted(values[max(0, k - half) : k + half + 1])
        middle = len(part) // 2
        out.append(part[middle] if len(part) % 2 else (part[middle - 1] + part[middle]) / 2)
    return out


def lrguard(rates: Sequence[float], losses: Sequence[float], settings: SweepSettings) -> Suggestion:
    """lrguard's rule: halfway down a lag-free descent that stands out of the noise, at most
    the minimum's rate / 10; without such a descent, the edge of stability / 5."""
    points = _finite(rates, losses)
    if len(points) < 5:
        return _no("lrguard", "fewer than 5 finite losses")
    window = max(3, (len(points) // 15) | 1)
    raw = [v for _, _, v in points]
    curve = centered_median(raw, window)
    whole, every = curve, points
    best = curve[0]
    for k, value in enumerate(curve):  # drop the blow-up: it says nothing about the descent
        if value > settings.diverge_factor * best and value - best > 1e-12:
            points, curve, raw = points[:k], curve[:k], raw[:k]
            break
        best = min(best, value)
    if len(points) < 5:
        return _no("lrguard", "the loss blew up within the first 5 steps")
    level = statistics.median(raw[: max(5, len(raw) // 10)])
    spread = 1.4826 * statistics.median(abs(r - c) for r, c in zip(raw, curve, strict=True))
    margin = NOISE_MARGIN * spread / math.sqrt(window) + 1e-9 * max(1.0, abs(level))
    low = min(range(len(curve)), key=curve.__getitem__)
    drop = level - curve[low]
    if drop > margin:
        target = level - DESCENT_SHARE * drop
        pick = next(k for k in range(low + 1) if curve[k] <= target)
        index, rate, _ = points[pick]
        cap = points[low][1] / 10
        if rate > cap:
            return Suggestion("lrguard", cap, points[low][0], "lowest lag-free loss / 10")
        return Suggestion("lrguard", rate, index, f"{DESCENT_SHARE:.0%} down the lag-free descent")
    band = level + margin
    rise = len(whole)
    while rise > 0 and whole[rise - 1] > band:  # the final stretch above the starting level
        rise -= 1
    if rise == len(whole):
        return _no("lrguard", "the loss never fell during the sweep (nor rose)")
    if rise == 0:
        return _no("lrguard", "the loss rose from the start of the sweep")
    index, rate, _ = every[rise - 1]
    return Suggestion(
        "lrguard",
        rate / EDGE_DIVISOR,
        index,
        f"no descent above the noise: edge of stability / {EDGE_DIVISOR:g}",
    )


METHODS: dict[str, Callable[[Sequence[float], Sequence[float], SweepSettings], Suggestion]] = {
    "lrguard": lrguard,
    "steepest": steepest,
    "valley": valley,
    "minimum": minimum,
}
"""Every suggestion method by name; the first is the default."""


def suggest(
    rates: Sequence[float], losses: Sequence[float], settings: SweepSettings
) -> dict[str, Suggestion]:
    """Every method's suggestion for one sweep."""
    return {name: method(rates, losses, settings) for name, method in METHODS.items()}


def check_method(method: str) -> None:
    """Raise a ``ValueError`` naming the methods when ``method`` is not one of them."""
    if method not in METHODS:
        raise ValueError(f"method={method!r} is unknown. Fix: one of {', '.join(METHODS)}")
