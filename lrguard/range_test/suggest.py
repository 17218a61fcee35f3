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
(``benchmarks/bench_range_test_quality.py``, chosen on its design half):

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
3. Adaptive optimizers (Adam and the like; an optimizer of unknown kind is read as one):
   with a descent, the lowest loss's rate divided by ``LOWEST_DIVISOR`` (fastai's
   ``minimum`` divides by 10, but read off a curve that lags; the lag-free minimum lies
   further left). Without one, the edge of stability (the last rate at which the curve is
   still within the noise margin of its starting level) divided by ``EDGE_DIVISOR``: a
   pre-trained model or a flat loss gives no descent to read, and such runs train best far
   below the rate that breaks a short sweep.
4. SGD trains best close to the largest rate it survives, so for SGD it reads the edge of
   stability, divided by ``SGD_EDGE_DIVISOR`` without momentum (Smith's rule of thumb for
   cyclical rates: the lower bound at a third to a quarter of the largest stable rate,
   arXiv:1506.01186) and further with heavy-ball momentum (``momentum_divisor``: the edge
   moves up by ``1 + m`` and every step is ``1 / (1 - m)`` times longer). Only a sweep
   whose loss never rises, with no edge to read, falls back to the descent of point 3.
5. A rise counts as the edge only when the loss breaks down: the lag-free curve climbs
   ``EDGE_CLIMB`` of its starting level above it. A sweep with neither a descent nor an
   edge measured no rate; it suggests the optimizer family's usual rate for training from
   scratch (``lrguard.typical_rates``) and marks it ``prior`` (no suggestion for an
   optimizer of unknown family).

Every method explains its answer (``Suggestion.note``: the edge, the descent or the minimum
it read, and the arithmetic from there to the rate) and records what the plot marks
(``Suggestion.marks``). ``suggest`` keeps every rate inside the swept range: a rule whose
arithmetic leaves it (fastai's minimum / 10 below ``start_lr``) is clamped to the range's
end, and its note says so.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lrguard.range_test.smoothing import debiased_ema
from lrguard.range_test.sweep import SweepSettings
from lrguard.typical_rates import optimizer_family, typical_rates

LOWEST_DIVISOR = 5.0
"""``lrguard``, adaptive optimizers: with a descent, the lowest loss's rate is divided by
this."""

NOISE_MARGIN = 8.0
"""``lrguard``: a descent counts when it exceeds this many times the lag-free curve's noise."""

EDGE_DIVISOR = 50.0
"""``lrguard``, adaptive optimizers: without a descent, the edge of stability's rate is
divided by this."""

SGD_EDGE_DIVISOR = 3.0
"""``lrguard``, SGD without momentum: the edge of stability's rate is divided by this."""

EDGE_CLIMB = 0.2
"""``lrguard``: an edge of stability counts only when the lag-free loss climbs at least this
share of its starting level above it afterwards (a loss that stays within 20 % of where it
started has not broken down: the rise is drift, not instability)."""


def momentum_divisor(momentum: float) -> float:
    """What SGD's edge of stability is divided by at heavy-ball ``momentum`` (0 <= m < 1):
    ``SGD_EDGE_DIVISOR * (1 + m) / (1 - m)``.

    With momentum m, gradient descent stays stable up to a rate ``2 (1 + m) / L`` instead of
    ``2 / L`` (Polyak 1964; Goh, "Why Momentum Really Works", Distill 2017), so the sweep's
    edge lies ``1 + m`` times higher; and each step moves about ``rate / (1 - m)`` once the
    momentum has built up, so the rate that trains like plain SGD's is ``1 - m`` times
    smaller. Example: momentum 0.9 divides the edge by 3 * 1.9 / 0.1 = 57.

    Example:
        >>> momentum_divisor(0.0), round(momentum_divisor(0.9), 6)
        (3.0, 57.0)
    """
    m = min(max(float(momentum), 0.0), 0.99)
    return SGD_EDGE_DIVISOR * (1 + m) / (1 - m)


def momentum_of(param_groups: Sequence[Mapping[str, Any]]) -> float:
    """The heavy-ball momentum of an optimizer's first parameter group (SGD's ``momentum``);
    0 when the optimizer has none.

    Example:
        >>> momentum_of([{"lr": 0.1, "momentum": 0.9}]), momentum_of([{"betas": (0.9, 0.999)}])
        (0.9, 0.0)
    """
    if not param_groups:
        return 0.0
    value = param_groups[0].get("momentum", 0.0)
    return float(value) if isinstance(value, int | float) and 0 <= value < 1 else 0.0


@dataclass(frozen=True)
class Suggestion:
    """One method's answer: a rate (None: no usable descent) and how it was found.

    Attributes:
        method: the method's name.
        lr: the suggested rate (None: no usable descent; ``note`` says why).
        index: the sweep step the rate was read at.
        note: the explanation for people: which reading chose the rate and why.
        marks: what the plot marks for this method: ``curve`` ('ema' or 'lag-free': the
            curve it read), and where found ``edge`` (a rate), ``descent`` ([from, to]
            rates), ``level`` and ``band_top`` (losses: the starting level and the top of
            its noise band), ``candidates`` (rates), ``clamped`` (the rule's own rate, when
            it lay outside the swept range).
    """

    method: str
    lr: float | None
    index: int | None
    note: str
    marks: dict[str, Any] = field(default_factory=dict)


def rate_text(value: float) -> str:
    """A rate as every explanation and summary writes it: two significant digits.

    Example:
        >>> rate_text(0.09716843542750586), rate_text(1e-7), rate_text(1.9074)
        ('0.097', '1e-07', '1.9')
    """
    return f"{value:.2g}"


def _finite(rates: Sequence[float], values: Sequence[float]) -> list[tuple[int, float, float]]:
    return [
        (i, r, v) for i, (r, v) in enumerate(zip(rates, values, strict=True)) if math.isfinite(v)
    ]


def _no(method: str, why: str, **marks: Any) -> Suggestion:
    return Suggestion(method, None, None, why, dict(marks))


def steepest(
    rates: Sequence[float],
    losses: Sequence[float],
    settings: SweepSettings,
    optimizer: str | None = None,
    momentum: float = 0.0,
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
    low, high = points[max(0, best - 1)][1], points[min(len(points) - 1, best + 1)][1]
    return Suggestion(
        "steepest",
        rate,
        index,
        f"steepest descent of the EMA-smoothed loss from {rate_text(low)} to "
        f"{rate_text(high)}; suggestion = its middle, {rate_text(rate)}",
        {"curve": "ema", "descent": [low, high]},
    )


def valley(
    rates: Sequence[float],
    losses: Sequence[float],
    settings: SweepSettings,
    optimizer: str | None = None,
    momentum: float = 0.0,
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
    low, high = points[start][1], points[end][1]
    return Suggestion(
        "valley",
        rate,
        index,
        f"longest descent of the EMA-smoothed loss from {rate_text(low)} to "
        f"{rate_text(high)}; suggestion = 2/3 of the way down, {rate_text(rate)}",
        {"curve": "ema", "descent": [low, high]},
    )


def minimum(
    rates: Sequence[float],
    losses: Sequence[float],
    settings: SweepSettings,
    optimizer: str | None = None,
    momentum: float = 0.0,
) -> Suggestion:
    """fastai's ``minimum``: the rate at the lowest smoothed loss, divided by 10."""
    smoothed = debiased_ema(losses, settings.smoothing)
    n = len(smoothed)
    points = _finite(rates, smoothed)[n // 10 : -5]
    if not points:
        return _no("minimum", "no finite loss after trimming")
    index, rate, _ = min(points, key=lambda p: p[2])
    return Suggestion(
        "minimum",
        rate / 10,
        index,
        f"lowest EMA-smoothed loss at {rate_text(rate)}; suggestion = "
        f"{rate_text(rate)} / 10 = {rate_text(rate / 10)}",
        {"curve": "ema", "lowest": rate},
    )


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


def lag_free_window(count: int) -> int:
    """The centered median's window for a sweep of ``count`` finite losses (odd, >= 3)."""
    return max(3, (count // 15) | 1)


def lag_free_curve(losses: Sequence[float]) -> list[float]:
    """The curve ``lrguard`` reads: the centered running median of the finite losses, NaN
    where a loss was not finite (aligned with ``losses``).

    Example:
        >>> lag_free_curve([3.0, 9.0, 1.0, 2.0, 0.0])
        [6.0, 3.0, 2.0, 1.0, 1.0]
    """
    finite = [v for v in losses if math.isfinite(v)]
    if not finite:
        return [math.nan] * len(losses)
    smooth = iter(centered_median(finite, lag_free_window(len(finite))))
    return [next(smooth) if math.isfinite(v) else math.nan for v in losses]


def lrguard(
    rates: Sequence[float],
    losses: Sequence[float],
    settings: SweepSettings,
    optimizer: str | None = None,
    momentum: float = 0.0,
) -> Suggestion:
    """lrguard's rule. SGD: the edge of stability / 3, and further down with momentum
    (``momentum_divisor``). Other optimizers (and SGD whose loss never rose in the sweep):
    the lowest loss's rate / 5 when the lag-free curve descends out of the noise; without
    such a descent, the edge of stability / 50; with neither, the family's usual rate (a
    prior)."""
    points = _finite(rates, losses)
    if len(points) < 5:
        return _no("lrguard", "fewer than 5 finite losses", curve="lag-free")
    window = lag_free_window(len(points))
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
        return _no("lrguard", "the loss blew up within the first 5 steps", curve="lag-free")
    level = statistics.median(raw[: max(5, len(raw) // 10)])
    spread = 1.4826 * statistics.median(abs(r - c) for r, c in zip(raw, curve, strict=True))
    margin = NOISE_MARGIN * spread / math.sqrt(window) + 1e-9 * max(1.0, abs(level))
    band = level + margin
    marks: dict[str, Any] = {"curve": "lag-free", "level": level, "band_top": band}
    stable = _stable_until(whole, band)
    peak = max(whole[stable:], default=level)
    if peak < level + EDGE_CLIMB * abs(level):
        stable = len(whole)  # no clear breakdown: no edge to read
    if 0 < stable < len(whole):
        marks["edge"] = every[stable - 1][1]
    if optimizer_family(optimizer) == "sgd" and 0 < stable < len(whole):
        why = f"SGD with momentum {momentum:g}" if momentum else "SGD"
        return _edge_of_stability(every, stable, momentum_divisor(momentum), why, marks)
    descent = _descent(curve, level - margin)
    if descent is not None:  # adaptive, or SGD whose loss never rose (no edge to read)
        first, low = descent
        lowest, drop = points[low][1], level - curve[low]
        marks["descent"] = [points[first][1], lowest]
        return Suggestion(
            "lrguard",
            lowest / LOWEST_DIVISOR,
            points[low][0],
            f"descent of the lag-free loss from {rate_text(points[first][1])} to its lowest "
            f"at {rate_text(lowest)} (a drop of {drop:.3g}, {drop / margin:.2g}x the noise "
            f"margin); suggestion = {rate_text(lowest)} / {LOWEST_DIVISOR:g} = "
            f"{rate_text(lowest / LOWEST_DIVISOR)}",
            marks,
        )
    drop = level - min(curve)
    if stable == len(whole):
        return _prior(optimizer, level, peak, marks)
    if stable == 0:
        return _no("lrguard", "the loss rose from the start of the sweep", **marks)
    return _edge_of_stability(
        every,
        stable,
        EDGE_DIVISOR,
        f"no descent above the noise (drop {max(drop, 0.0):.3g} < margin {margin:.3g})",
        marks,
    )


def _prior(optimizer: str | None, level: float, peak: float, marks: dict[str, Any]) -> Suggestion:
    """A sweep with nothing to read (no descent out of the noise, no clear breakdown): the
    usual starting rate of the optimizer's family for training from scratch
    (``lrguard.typical_rates``), said to be a prior and not a measurement; no suggestion for
    an optimizer of unknown family."""
    flat = "the lag-free loss neither fell out of its noise nor broke down during the sweep"
    if level:
        flat += f" (it rose at most {max(peak - level, 0.0) / abs(level):.0%} above its start)"
    row = typical_rates(optimizer, pretrained=False)
    if row is None:
        return _no("lrguard", f"{flat}: sweep to a larger end_lr", **marks)
    return Suggestion(
        "lrguard",
        row.start,
        None,
        f"{flat}, so the sweep measured no rate; suggestion = the usual starting rate for "
        f"{optimizer} training from scratch, {rate_text(row.start)} (a prior, not a "
        "measurement: sweep to a larger end_lr, or lower it when fine-tuning)",
        {**marks, "prior": row.start},
    )


def _descent(curve: list[float], below: float) -> tuple[int, int] | None:
    """Where the descent of ``curve`` starts and its lowest point: the longest stretch of the
    curve under ``below`` (a shorter one before or after it is a few easy batches, not the
    descent). None when the curve never goes under ``below``."""
    stretches: list[tuple[int, int]] = []
    for k, value in enumerate(curve):
        if value >= below:
            continue
        if stretches and stretches[-1][1] == k - 1:
            stretches[-1] = (stretches[-1][0], k)
        else:
            stretches.append((k, k))
    if not stretches:
        return None
    start, end = max(stretches, key=lambda stretch: stretch[1] - stretch[0])
    return start, min(range(start, end + 1), key=curve.__getitem__)


def _stable_until(curve: list[float], band: float) -> int:
    """How many leading points of ``curve`` come before its final stretch above ``band``
    (``len(curve)``: it never ends above the band; 0: above it from the start)."""
    stable = len(curve)
    while stable > 0 and curve[stable - 1] > band:
        stable -= 1
    return stable


def _edge_of_stability(
    points: list[tuple[int, float, float]],
    stable: int,
    divisor: float,
    why: str,
    marks: dict[str, Any],
) -> Suggestion:
    """The last stable point's rate (``points[stable - 1]``) divided by ``divisor``."""
    index, rate, _ = points[stable - 1]
    return Suggestion(
        "lrguard",
        rate / divisor,
        index,
        f"{why}: edge of stability found at {rate_text(rate)} (the last rate before the "
        f"lag-free loss leaves its starting level for good); suggestion = {rate_text(rate)} / "
        f"{divisor:.3g} = {rate_text(rate / divisor)}",
        marks,
    )


Method = Callable[[Sequence[float], Sequence[float], SweepSettings, str | None, float], Suggestion]
"""A suggestion method: ``(rates, losses, settings, optimizer name, momentum) ->
Suggestion``."""

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
    momentum: float = 0.0,
) -> dict[str, Suggestion]:
    """Every method's suggestion for one sweep trained with ``optimizer`` (a class name such
    as 'SGD' or 'AdamW', or a Hugging Face ``optim`` value; None: unknown) at heavy-ball
    ``momentum`` (``momentum_of`` the optimizer's groups)."""
    return {
        name: within_sweep(method(rates, losses, settings, optimizer, momentum), rates)
        for name, method in METHODS.items()
    }


def within_sweep(suggestion: Suggestion, rates: Sequence[float]) -> Suggestion:
    """``suggestion`` clamped to the rates the sweep ran (no method suggests a rate it never
    saw); a clamped rate says so in its note and keeps the rule's own rate in ``marks``.

    Example:
        >>> s = within_sweep(Suggestion("minimum", 5e-8, 3, "lowest / 10"), [1e-7, 1e-6])
        >>> s.lr, s.note
        (1e-07, 'lowest / 10; 5e-08 lies below the swept range (1e-07 to 1e-06): clamped to 1e-07')
    """
    if suggestion.lr is None or not rates:
        return suggestion
    low, high = min(rates), max(rates)
    if low <= suggestion.lr <= high:
        return suggestion
    edge, side = (low, "below") if suggestion.lr < low else (high, "above")
    note = (
        f"{suggestion.note}; {rate_text(suggestion.lr)} lies {side} the swept range "
        f"({rate_text(low)} to {rate_text(high)}): clamped to {rate_text(edge)}"
    )
    marks = {**suggestion.marks, "clamped": suggestion.lr}
    return Suggestion(suggestion.method, edge, suggestion.index, note, marks)


DEFAULT_METHOD = "lrguard"
"""The method every ``find_learning_rate`` chooses unless told otherwise (one sweep)."""

TRAINING_METHODS = ("multi", "race")
"""Methods that train more than one sweep (``lrguard.range_test.race``): chosen with
``method=`` where the range test runs them."""

ALL_METHODS = (*METHODS, *TRAINING_METHODS)
"""Every method a range test may be asked for."""


def check_method(method: str, available: tuple[str, ...] = ALL_METHODS) -> None:
    """Raise a ``ValueError`` naming the methods when ``method`` is not one of ``available``."""
    if method not in available:
        known = "is unknown" if method not in ALL_METHODS else "is not available here"
        raise ValueError(f"method={method!r} {known}. Fix: one of {', '.join(available)}")
