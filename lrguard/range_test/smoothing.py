"""Loss smoothing for the range test: the debiased exponential moving average."""

from __future__ import annotations

import math
from collections.abc import Iterable


def debiased_ema(losses: Iterable[float], beta: float = 0.98) -> list[float]:
    """The debiased EMA of ``losses``: ``avg / (1 - beta**n)`` after ``n`` finite losses.

    A non-finite loss gives NaN at its position and does not enter the average (a NaN would
    poison every later value). ``beta=0`` returns the losses unchanged.

    Example:
        >>> [round(v, 3) for v in debiased_ema([1.0, 1.0, 4.0], beta=0.5)]
        [1.0, 1.0, 2.714]
    """
    average = 0.0
    count = 0
    out: list[float] = []
    for loss in losses:
        if not math.isfinite(loss):
            out.append(math.nan)
            continue
        count += 1
        average = beta * average + (1 - beta) * loss
        out.append(average / (1 - beta**count) if beta else loss)
    return out
