"""Closed-form learning-rate factors of every Hugging Face ``SchedulerType``.

Each function returns the factor ``lr(step) / learning_rate`` that transformers' schedule
applies at scheduler step ``step`` (the optimizer step, counted from 0), for one step or a
whole numpy array of steps at once. Formulas follow ``transformers.optimization`` (4.57 and
5.x agree on all of them) operation for operation, so results match the real schedulers to
float rounding; tests compare them step by step.

Warmup lives in one helper, ``warmup``. Which formula belongs to which ``lr_scheduler_type``,
and what it needs, is in the schedule table (``lrguard.schedules.table``), whose ``factor``
evaluates them. Metric-driven schedules (``reduce_lr_on_plateau``, ``greedy``) have no closed
form in the step: see ``lrguard.schedules.plateau``.

numpy is optional: with it, many steps are evaluated at once as an array (vectorized, ~1e6
steps in milliseconds); without it, one at a time, returned as a list (what ``lrguard
simulate`` prints, at most its row limit, takes well under a second that way). The core never
requires numpy, and imports it only when many steps are evaluated at once (``lrguard check``
starts without it).

Example:
    >>> round(float(cosine(_Scalar, 50.0, warmup_steps=10, total_steps=90)), 6)
    0.5
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lrguard.defaults import POLYNOMIAL_LR_END

_np: Any = None


def _numpy() -> Any:
    """numpy, imported on first use; None when it is not installed."""
    global _np
    if _np is None:
        try:
            import numpy
        except ImportError:  # pragma: no cover - exercised only without numpy
            return None
        _np = numpy
    return _np


class ScheduleError(ValueError):
    """A schedule that transformers itself would refuse to build (message says why)."""


# --------------------------------------------------------------------------- backends


class _Scalar:
    """The few array operations the formulas use, for plain Python numbers."""

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        return a if cond else b

    cos = staticmethod(math.cos)
    sqrt = staticmethod(lambda x: math.sqrt(max(x, 0.0)))
    maximum = staticmethod(max)
    minimum = staticmethod(min)

    @staticmethod
    def asfloat(x: Any) -> float:
        return float(x)


class _Numpy:
    """The same operations on numpy arrays."""

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        return _np.where(cond, a, b)

    cos = staticmethod(lambda x: _np.cos(x))
    sqrt = staticmethod(lambda x: _np.sqrt(_np.maximum(x, 0.0)))
    maximum = staticmethod(lambda a, b: _np.maximum(a, b))
    minimum = staticmethod(lambda a, b: _np.minimum(a, b))

    @staticmethod
    def asfloat(x: Any) -> Any:
        return _np.asarray(x, dtype=_np.float64)


def _backend(steps: Any) -> tuple[Any, Any]:
    if isinstance(steps, int | float) and not isinstance(steps, bool):
        return _Scalar, float(steps)
    np = _numpy()
    if np is None:
        raise ScheduleError("numpy is needed to evaluate many steps at once; pass one int")
    return _Numpy, np.asarray(steps, dtype=np.float64)


# --------------------------------------------------------------------------- warmup


def warmup(
    xp: Any,
    step: Any,
    warmup_steps: float,
    *,
    start: float = 0.0,
    shift: float = 0.0,
    span_offset: float = 0.0,
    shape: str = "linear",
) -> Any:
    """The warmup factor, the single place every schedule's warmup is computed.

    ``progress = (step + shift) / max(1, warmup_steps + span_offset)``, shaped
    (``linear``, ``cosine``: ``(1 - cos(pi p)) / 2``, ``1-sqrt``: ``1 - sqrt(1 - p)``),
    then raised from ``start``: ``start + (1 - start) * shaped``. The variants in
    transformers: most schedules use the defaults; ``cosine_warmup_with_min_lr`` uses
    ``shift=1`` (or ``start=warmup_lr_rate, span_offset=-1``); ``warmup_stable_decay`` uses
    ``start=min_lr_ratio`` and its ``warmup_type`` as ``shape``.
    """
    progress = (step + shift) / max(1.0, warmup_steps + span_offset)
    if shape == "linear":
        shaped = progress
    elif shape == "cosine":
        shaped = 0.5 * (1.0 - xp.cos(math.pi * progress))
    elif shape == "1-sqrt":
        shaped = 1.0 - xp.sqrt(1.0 - progress)
    else:
        raise ScheduleError(f"unknown warmup shape {shape!r}; use linear, cosine or 1-sqrt")
    if start == 0.0:
        return shaped
    return start + (1.0 - start) * shaped


def _progress(s: Any, warmup_steps: float, total_steps: float) -> Any:
    return (s - warmup_steps) / max(1.0, total_steps - warmup_steps)


def _cosine_to(xp: Any, progress: Any, num_cycles: float, rate: float = 0.0) -> Any:
    """Cosine decay from 1 to ``rate`` (``num_cycles`` 0.5: one half wave), never below 0:
    the decay of ``cosine`` (rate 0) and of both ``*_with_min_lr`` schedules."""
    wave = 0.5 * (1.0 + xp.cos(math.pi * float(num_cycles) * 2.0 * progress))
    return xp.maximum(0.0, wave * (1.0 - rate) + rate)


# --------------------------------------------------------------------------- schedules


def linear(xp: Any, s: Any, *, warmup_steps: float, total_steps: float) -> Any:
    """``linear``: warmup, then linear decay to 0 at ``total_steps``."""
    decay = xp.maximum(0.0, (total_steps - s) / max(1.0, total_steps - warmup_steps))
    return xp.where(s < warmup_steps, warmup(xp, s, warmup_steps), decay)


def cosine(
    xp: Any, s: Any, *, warmup_steps: float, total_steps: float, num_cycles: float = 0.5
) -> Any:
    """``cosine``: warmup, then cosine decay (``num_cycles`` waves, 0.5: to 0)."""
    decay = _cosine_to(xp, _progress(s, warmup_steps, total_steps), num_cycles)
    return xp.where(s < warmup_steps, warmup(xp, s, warmup_steps), decay)


def cosine_with_restarts(
    xp: Any, s: Any, *, warmup_steps: float, total_steps: float, num_cycles: float = 1
) -> Any:
    """``cosine_with_restarts``: warmup, then ``num_cycles`` hard-restarted cosine decays."""
    p = _progress(s, warmup_steps, total_steps)
    wave = xp.maximum(0.0, 0.5 * (1.0 + xp.cos(math.pi * ((float(num_cycles) * p) % 1.0))))
    decay = xp.where(p >= 1.0, 0.0, wave)
    return xp.where(s < warmup_steps, warmup(xp, s, warmup_steps), decay)


def polynomial(
    xp: Any,
    s: Any,
    *,
    warmup_steps: float,
    total_steps: float,
    learning_rate: float,
    lr_end: float = POLYNOMIAL_LR_END,
    power: float = 1.0,
) -> Any:
    """``polynomial``: warmup, then ``(lr - lr_end) * remaining**power + lr_end``."""
    if not lr_end < learning_rate:
        raise ScheduleError(
            f"lr_end ({lr_end}) must be smaller than initial lr ({learning_rate}): "
            "transformers raises ValueError"
        )
    decay_steps = total_steps - warmup_steps
    remaining = 1 - (s - warmup_steps) / decay_steps if decay_steps else xp.asfloat(s) * 0.0
    decay = ((learning_rate - lr_end) * remaining**power + lr_end) / learning_rate
    after = xp.where(s > total_steps, lr_end / learning_rate, decay)
    return xp.where(s < warmup_steps, warmup(xp, s, warmup_steps), after)


def constant(xp: Any, s: Any, **_: Any) -> Any:
    """``constant``: the learning rate throughout (warmup settings are ignored)."""
    return xp.asfloat(s) * 0.0 + 1.0


def constant_with_warmup(xp: Any, s: Any, *, warmup_steps: float, **_: Any) -> Any:
    """``constant_with_warmup``: warmup, then the learning rate."""
    return xp.where(s < warmup_steps, warmup(xp, s, warmup_steps), 1.0)


def inverse_sqrt(
    xp: Any, s: Any, *, warmup_steps: float, timescale: float | None = None, **_: Any
) -> Any:
    """``inverse_sqrt``: warmup, then ``1 / sqrt((step + shift) / timescale)``."""
    if timescale is None:
        timescale = warmup_steps or 10_000
    shift = timescale - warmup_steps
    ratio = xp.maximum((s + shift) / timescale, 1e-300)
    decay = 1.0 / xp.sqrt(ratio)
    return xp.where(s < warmup_steps, warmup(xp, s, warmup_steps), decay)


def _min_lr_rate(learning_rate: float, min_lr: float | None, min_lr_rate: float | None) -> float:
    if min_lr is not None and min_lr_rate is not None:
        raise ScheduleError("Only one of min_lr or min_lr_rate should be set (transformers)")
    if min_lr is not None:
        return min_lr / learning_rate
    if min_lr_rate is None:
        raise ScheduleError("One of min_lr or min_lr_rate must be set in lr_scheduler_kwargs")
    return float(min_lr_rate)


def cosine_with_min_lr(
    xp: Any,
    s: Any,
    *,
    warmup_steps: float,
    total_steps: float,
    learning_rate: float,
    num_cycles: float = 0.5,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
) -> Any:
    """``cosine_with_min_lr``: warmup, then cosine decay to ``min_lr`` (or ``min_lr_rate``)."""
    rate = _min_lr_rate(learning_rate, min_lr, min_lr_rate)
    decay = _cosine_to(xp, _progress(s, warmup_steps, total_steps), num_cycles, rate)
    return xp.where(s < warmup_steps, warmup(xp, s, warmup_steps), decay)


def cosine_warmup_with_min_lr(
    xp: Any,
    s: Any,
    *,
    warmup_steps: float,
    total_steps: float,
    learning_rate: float,
    num_cycles: float = 0.5,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
    warmup_lr_rate: float | None = None,
) -> Any:
    """``cosine_warmup_with_min_lr``: warmup that starts above 0, cosine decay to the floor."""
    rate = _min_lr_rate(learning_rate, min_lr, min_lr_rate)
    if warmup_lr_rate is None:
        up = warmup(xp, s, warmup_steps, shift=1.0)
    else:
        up = warmup(xp, s, warmup_steps, start=float(warmup_lr_rate), span_offset=-1.0)
    decay = _cosine_to(xp, _progress(s + 1.0, warmup_steps, total_steps), num_cycles, rate)
    return xp.where(s < warmup_steps, up, decay)


SHAPES = ("linear", "cosine", "1-sqrt")
"""Warmup and decay shapes of ``warmup_stable_decay`` (``warmup_type`` / ``decay_type``)."""


def warmup_stable_decay(
    xp: Any,
    s: Any,
    *,
    warmup_steps: float,
    num_decay_steps: float,
    total_steps: float | None = None,
    num_stable_steps: float | None = None,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    min_lr_ratio: float = 0.0,
    num_cycles: float = 0.5,
    **_: Any,
) -> Any:
    """``warmup_stable_decay``: warmup, a constant phase, a decay to ``min_lr_ratio``."""
    if total_steps is None and num_stable_steps is None:
        raise ScheduleError("warmup_stable_decay needs the total steps or num_stable_steps")
    for name, value in (("warmup_type", warmup_type), ("decay_type", decay_type)):
        if value not in SHAPES:
            raise ScheduleError(f"unknown {name} {value!r}; use linear, cosine or 1-sqrt")
    if num_stable_steps is None:
        num_stable_steps = float(total_steps or 0) - warmup_steps - num_decay_steps
    up = xp.maximum(0.0, warmup(xp, s, warmup_steps, start=float(min_lr_ratio), shape=warmup_type))
    p = (s - warmup_steps - num_stable_steps) / max(1.0, num_decay_steps)
    if decay_type == "linear":
        shaped = 1.0 - p
    elif decay_type == "cosine":
        shaped = 0.5 * (1.0 + xp.cos(math.pi * float(num_cycles) * 2.0 * p))
    else:
        shaped = 1.0 - xp.sqrt(p)
    down = xp.maximum(0.0, shaped * (1.0 - min_lr_ratio) + min_lr_ratio)
    stable_end = warmup_steps + num_stable_steps
    after = xp.where(s < stable_end + num_decay_steps, down, min_lr_ratio)
    after = xp.where(s < stable_end, 1.0, after)
    return xp.where(s < warmup_steps, up, after)


def evaluate(
    formula: Callable[..., Any],
    steps: Any,
    params: Mapping[str, Any],
    kwargs: Mapping[str, Any],
    name: str,
) -> Any:
    """Apply one closed form to one step or to many at once (ranges and sequences too): a
    numpy array when numpy is installed, else a list of floats.

    Raises:
        ScheduleError: the kwargs do not fit the formula (the message names them).
    """
    many = isinstance(steps, range | Sequence) or hasattr(steps, "__array__")
    containers = sorted(k for k, v in kwargs.items() if isinstance(v, list | tuple | dict | set))
    if containers:  # no schedule takes a list or a mapping: numpy would broadcast it
        raise ScheduleError(
            f"lr_scheduler_kwargs {containers} for {name}: a list or mapping where a single "
            "value is expected"
        )
    try:
        if many and _numpy() is None:  # a plain install: one step at a time, as a list
            return [formula(_Scalar, float(step), **params, **kwargs) for step in steps]
        if isinstance(steps, range):
            steps = _np.arange(steps.start, steps.stop, steps.step, dtype=_np.float64)
        elif isinstance(steps, Sequence):
            steps = list(steps)
        xp, s = _backend(steps)
        return formula(xp, s, **params, **kwargs)
    except (TypeError, ValueError) as err:
        raise ScheduleError(f"lr_scheduler_kwargs {sorted(kwargs)} for {name}: {err}") from None


__all__ = ["SHAPES", "ScheduleError", "evaluate", "warmup"]
