"""Suggestion methods: which rate of a swept loss curve to train at.

Every method sees the same sweep (rates and raw losses) and the optimizer's name, and returns
a rate or None (the curve has no usable descent). The peers' rules are reproduced as
published (they read the curve alone and ignore the optimizer):

* ``steepest`` (PyTorch Lightning's ``suggestion()``): the steepest descent of the EMA-smoothed
  loss, after skipping the first 10 and the last point.
* ``valley`` (fastai's ``valley``): two thirds of the way down the longest descending stretch of
  the EMA-smoothed loss, after skipping the first 10 % and the last 5 points.
* ``minimum`` (fastai's ``minimum``): the rate at the lowest EMA-smoothed loss, divided by 10.

``lrguard``, the method used by default, differs in four ways measured to matter
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
4. It reads the curve according to the optimizer. SGD (no per-parameter scaling of the step;
   measured without momentum) trains best close to the largest rate it survives, so for SGD
   it reads the edge of stability, divided by ``SGD_EDGE_DIVISOR`` (Smith's rule of thumb for
   cyclical rates: the lower bound at a third to a quarter of the largest stable rate,
   arXiv:1506.01186); only a sweep whose loss never rises, with no edge to read, falls back
   to the descent of points 2 and 3.
   Adaptive optimizers (Adam and the like) take steps of about the rate on every parameter
   whatever the gradient's size; their short sweep overstates the rate that trains best by
   an order of magnitude (transformers#16013; fastai's ``minimum`` / 10), hence points 2 and
   3. An optimizer of unknown kind is read as adaptive.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lrguard.range_test.smoothing import debiased_ema
from lrguard.range_test.sweep import SweepSettings
from lrguard.typical_rates import optimizer_family

DESCENT_SHARE = 0.5
"""``lrguard``: the share of the drop (start to minimum) at which the rate is read."""

NOISE_MARGIN = 8.0
"""``lrguard``: a descent counts when it exceeds this many times the lag-free curve's noise."""

EDGE_DIVISOR = 5.0
"""``lrguard``, adaptive optimizers: without a descent, the edge of stability's rate is
divided by this."""

SGD_EDGE_DIVISOR = 3.0
"""``lrguard``, SGD: the edge of stability's rate is divided by this."""


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
    rates: Sequence[float],
    losses: Sequence[float],
    settings: SweepSettings,
    optimizer: str | None = None,
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


def valley(
    rates: Sequence[float],
    losses: Sequence[float],
    settings: SweepSettings,
    optimizer: str | None = None,
) -> Suggestion:
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


def minimum(
    rates: Sequence[float],
    losses: Sequence[float],
    settings: SweepSettings,
    optimizer: str | None = None,
) -> Suggestion:
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


def lrguard(
    rates: Sequence[float],
    losses: Sequence[float],
    settings: SweepSettings,
    optimizer: str | None = None,
) -> Suggestion:
    """lrguard's rule. SGD: the edge of stability / 3. Other optimizers (and SGD whose
    loss never rose in the sweep): halfway down a lag-free descent that stands out of the
    noise, at most the minimum's rate / 10; without such a descent, the edge of stability /
    5."""
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
    band = level + margin
    stable = _stable_until(whole, band)
    sgd = optimizer_family(optimizer) == "sgd"
    if sgd and 0 < stable < len(whole):
        return _edge_of_stability(every, stable, SGD_EDGE_DIVISOR, "SGD")
    low = min(range(len(curve)), key=curve.__getitem__)
    drop = level - curve[low]
    if drop > margin:  # an adaptive optimizer, or SGD whose loss never rose: no edge to read
        target = level - DESCENT_SHARE * drop
        pick = next(k for k in range(low + 1) if curve[k] <= target)
        index, rate, _ = points[pick]
        cap = points[low][1] / 10
        if rate > cap:
            return Suggestion("lrguard", cap, points[low][0], "lowest lag-free loss / 10")
        return Suggestion("lrguard", rate, index, f"{DESCENT_SHARE:.0%} down the lag-free descent")
    if stable == len(whole):
        return _no(
            "lrguard",
            "the loss never fell below, nor rose above, its starting level during the sweep: "
            "the edge of stability lies beyond end_lr (sweep to a larger end_lr)",
        )
    if stable == 0:
        return _no("lrguard", "the loss rose from the start of the sweep")
    return _edge_of_stability(every, stable, EDGE_DIVISOR, "no descent above the noise")


def _stable_until(curve: list[float], band: float) -> int:
    """How many leading points of ``curve`` come before its final stretch above ``band``
    (``len(curve)``: it never ends above the band; 0: above it from the start)."""
    stable = len(curve)
    while stable > 0 and curve[stable - 1] > band:
        stable -= 1
    return stable


def _edge_of_stability(
    points: list[tuple[int, float, float]], stable: int, divisor: float, why: str
) -> Suggestion:
    """The last stable point's rate (``points[stable - 1]``) divided by ``divisor``."""
    index, rate, _ = points[stable - 1]
    return Suggestion("lrguard", rate / divisor, index, f"{why}: edge of stability / {divisor:g}")


Method = Callable[[Sequence[float], Sequence[float], SweepSettings, str | None], Suggestion]
"""A suggestion method: ``(rates, losses, settings, optimizer name) -> Suggestion``."""

METHODS: dict[str, Method] = {
    "lrguard": lrguard,
    "steepest": steepest,
    "valley": valley,
    "minimum": minimum,
}
"""Every suggestion method by name; the first is the default."""


def suggest(
    rates: Sequence[float],
    losses: Sequence[float],
    settings: SweepSettings,
    optimizer: str | None = None,
) -> dict[str, Suggestion]:
    """Every method's suggestion for one sweep trained with ``optimizer`` (a class name such
    as 'SGD' or 'AdamW', or a Hugging Face ``optim`` value; None: unknown)."""
    return {name: method(rates, losses, settings, optimizer) for name, method in METHODS.items()}


def check_method(method: str) -> None:
    """Raise a ``ValueError`` naming the methods when ``method`` is not one of them."""
    if method not in METHODS:
        raise ValueError(f"method={method!r} is unknown. Fix: one of {', '.join(METHODS)}")
