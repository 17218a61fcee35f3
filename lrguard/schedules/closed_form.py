"""Closed-form learning-rate factors of every Hugging Face ``SchedulerType``.

Each function returns the factor ``lr(step) / learning_rate`` that transformers' schedule
applies at scheduler step ``step`` (the optimizer step, counted from 0), for one step or a
whole numpy array of steps at once. Formulas follow ``transformers.optimization`` (4.57 and
5.x agree on all of them) operation for operation, so results match the real schedulers to
float rounding; tests compare them step by step.

Warmup lives in one helper, ``warmup``. Metric-driven schedules (``reduce_lr_on_plateau``,
``greedy``) have no closed form in the step; ``plateau_worst_case`` gives their worst case,
per evaluation, when the metric never improves after the first evaluation.

numpy is optional: with it, ``steps`` may be an array (vectorized, ~1e6 steps in
milliseconds); without it, pass ints. The core never requires numpy.

Example:
    >>> round(factor("cosine", 50, warmup_steps=10, total_steps=90), 6)
    0.5
    >>> factor("linear", [0, 5, 10], warmup_steps=10, total_steps=20).tolist()
    [0.0, 0.5, 1.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

try:  # optional: vectorized schedules
    import numpy as _np
except ModuleNotFoundError:  # pragma: no cover - exercised only without numpy
    _np = None


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
    if _np is None:
        raise ScheduleError("numpy is needed to evaluate many steps at once; pass one int")
    return _Numpy, _np.asarray(steps, dtype=_np.float64)


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


# --------------------------------------------------------------------------- schedules


def linear(xp: Any, s: Any, *, warmup_steps: float, total_steps: float) -> Any:
    """``linear``: warmup, then linear decay to 0 at ``total_steps``."""
    decay = xp.maximum(0.0, (total_steps - s) / max(1.0, total_steps - warmup_steps))
    return xp.where(s < warmup_steps, warmup(xp, s, warmup_steps), decay)


def cosine(
    xp: Any, s: Any, *, warmup_steps: float, total_steps: float, num_cycles: float = 0.5
) -> Any:
    """``cosine``: warmup, then cosine decay (``num_cycles`` waves, 0.5: to 0)."""
    p = _progress(s, warmup_steps, total_steps)
    decay = xp.maximum(0.0, 0.5 * (1.0 + xp.cos(math.pi * float(num_cycles) * 2.0 * p)))
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
    lr_end: float = 1e-7,
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
    p = _progress(s, warmup_steps, total_steps)
    wave = 0.5 * (1.0 + xp.cos(math.pi * float(num_cycles) * 2.0 * p))
    decay = xp.maximum(0, wave * (1 - rate) + rate)
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
    p = (s - warmup_steps + 1.0) / max(1.0, total_steps - warmup_steps)
    wave = 0.5 * (1.0 + xp.cos(math.pi * num_cycles * 2.0 * p))
    decay = xp.maximum(0, wave * (1 - rate) + rate)
    return xp.where(s < warmup_steps, up, decay)


_DECAY_SHAPES = ("linear", "cosine", "1-sqrt")


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
        if value not in _DECAY_SHAPES:
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


SCHEDULES: dict[str, Callable[..., Any]] = {
    "linear": linear,
    "cosine": cosine,
    "cosine_with_restarts": cosine_with_restarts,
    "polynomial": polynomial,
    "constant": constant,
    "constant_with_warmup": constant_with_warmup,
    "inverse_sqrt": inverse_sqrt,
    "cosine_with_min_lr": cosine_with_min_lr,
    "cosine_warmup_with_min_lr": cosine_warmup_with_min_lr,
    "warmup_stable_decay": warmup_stable_decay,
}
"""Step-driven schedules: ``lr_scheduler_type`` -> closed-form factor function."""

METRIC_DRIVEN = ("reduce_lr_on_plateau", "greedy")
"""Schedules stepped with an evaluation metric (see ``plateau_worst_case``)."""

_TAKES_LR = {"polynomial", "cosine_with_min_lr", "cosine_warmup_with_min_lr"}
_KWARGS_IGNORED_BY_GET_SCHEDULER = {"constant", "constant_with_warmup"}


def factor(
    name: str,
    steps: Any,
    *,
    warmup_steps: float = 0,
    total_steps: float | None = None,
    learning_rate: float = 1.0,
    kwargs: Mapping[str, Any] | None = None,
    transformers_major: int = 4,
) -> Any:
    """The factor ``lr / learning_rate`` of schedule ``name`` at ``steps``.

    Args:
        name: an ``lr_scheduler_type`` in ``SCHEDULES``.
        steps: one step (int) or an array / sequence of steps (needs numpy).
        warmup_steps: warmup in steps (``TrainingArguments.get_warmup_steps``).
        total_steps: optimizer steps of the run (required by the decaying schedules).
        learning_rate: the peak rate (used by schedules with an absolute floor).
        kwargs: ``lr_scheduler_kwargs``, numbers already parsed.
        transformers_major: 4 or 5 (``inverse_sqrt`` receives the kwargs only in 5.x).

    Raises:
        ScheduleError: unknown schedule, missing total steps, or a combination transformers
            refuses (the message says which).
    """
    if name not in SCHEDULES:
        raise ScheduleError(
            f"no closed form for lr_scheduler_type={name!r}; known: {', '.join(SCHEDULES)}"
        )
    params: dict[str, Any] = {"warmup_steps": float(warmup_steps)}
    extra = dict(kwargs or {})
    extra.pop("last_epoch", None)
    if name in _KWARGS_IGNORED_BY_GET_SCHEDULER or (
        name == "inverse_sqrt" and transformers_major < 5
    ):
        extra = {}
    if name in _TAKES_LR:
        params["learning_rate"] = float(learning_rate)
    if name not in ("constant", "constant_with_warmup", "inverse_sqrt"):
        if total_steps is None and name != "warmup_stable_decay":
            raise ScheduleError(f"{name} needs the total number of training steps")
        params["total_steps"] = None if total_steps is None else float(total_steps)
    if isinstance(steps, range) and _np is not None:
        steps = _np.arange(steps.start, steps.stop, steps.step, dtype=_np.float64)
    elif isinstance(steps, Sequence):
        steps = list(steps)
    xp, s = _backend(steps)
    try:
        return SCHEDULES[name](xp, s, **params, **extra)
    except TypeError as err:
        raise ScheduleError(f"lr_scheduler_kwargs {sorted(extra)} for {name}: {err}") from None


def warmup_steps_for(
    total_steps: int | None, warmup_steps: float, warmup_ratio: float, transformers_major: int = 4
) -> int | float:
    """``TrainingArguments.get_warmup_steps``: 4.x uses ``warmup_steps`` if > 0 else
    ``ceil(total * warmup_ratio)``; 5.x has no ``warmup_ratio`` and reads ``warmup_steps`` < 1
    as a fraction of the run.

    Example:
        >>> warmup_steps_for(1000, 0, 0.1), warmup_steps_for(1000, 0.05, 0, transformers_major=5)
        (100, 50)
    """
    if transformers_major >= 5:
        if warmup_steps >= 1:
            return int(warmup_steps)
        if total_steps is None:
            raise ScheduleError("a fractional warmup_steps needs the total number of steps")
        return math.ceil(total_steps * warmup_steps)
    if warmup_steps != int(warmup_steps):
        raise ScheduleError(
            f"warmup_steps={warmup_steps:g} is not a whole number: transformers 4.x refuses it "
            "(5.x reads a value < 1 as a fraction of the run)"
        )
    if warmup_steps > 0:
        return int(warmup_steps)
    if not warmup_ratio:
        return 0
    if total_steps is None:
        raise ScheduleError("warmup_ratio needs the total number of training steps")
    return math.ceil(total_steps * warmup_ratio)


# --------------------------------------------------------------------------- plateau


@dataclass(frozen=True)
class PlateauSettings:
    """``ReduceLROnPlateau`` / ``GreedyLR`` settings (torch / transformers defaults).

    ``greedy`` adds ``GreedyLR``'s rules: ``warmup`` evaluations after an increase, rate
    increases by ``1 / factor`` up to ``max_lr`` after more than ``patience`` improvements,
    and a reset to the initial rate after ``reset_start`` reductions at the floor.
    """

    factor: float = 0.1
    patience: int = 10
    threshold: float = 1e-4
    threshold_mode: str = "rel"
    cooldown: int = 0
    min_lr: float = 0.0
    eps: float = 1e-8
    mode: str = "min"
    greedy: bool = False
    warmup: int = 0
    max_lr: float = 1.0
    reset_start: int = 500

    @classmethod
    def for_schedule(cls, name: str, kwargs: Mapping[str, Any] | None) -> PlateauSettings:
        """Defaults of ``name`` (``reduce_lr_on_plateau`` or ``greedy``) updated by kwargs."""
        if name == "greedy":
            base = cls(factor=0.95, threshold=1e-6, threshold_mode="abs", min_lr=1e-3, greedy=True)
        else:
            base = cls()
        known = {k: v for k, v in (kwargs or {}).items() if k in cls.__dataclass_fields__}
        unknown = sorted(set(kwargs or {}) - set(known) - {"verbose", "smooth", "window_size"})
        if unknown:
            raise ScheduleError(f"{name} does not take {', '.join(unknown)}")
        return cls(**{**base.__dict__, **known})


def _is_better(cfg: PlateauSettings, current: float, best: float) -> bool:
    if cfg.mode == "min":
        if cfg.threshold_mode == "rel":
            return current < best * (1.0 - cfg.threshold)
        return current < best - cfg.threshold
    if cfg.threshold_mode == "rel":
        return current > best * (1.0 + cfg.threshold)
    return current > best + cfg.threshold


def plateau_worst_case(
    learning_rate: float, settings: PlateauSettings, evaluations: int
) -> list[float]:
    """Rates in force after each of ``evaluations`` evaluations when the metric never
    improves after the first one (the worst case for a metric-driven schedule).

    Index 0 is the rate before any evaluation. Follows torch's ``ReduceLROnPlateau.step``
    (and transformers 5's ``GreedyLR.step`` when ``settings.greedy``) decision for decision.

    Example:
        >>> plateau_worst_case(1e-3, PlateauSettings(patience=1, factor=0.5), 5)
        [0.001, 0.001, 0.001, 0.0005, 0.0005, 0.00025]
    """
    cfg = settings
    lr = float(learning_rate)
    best = math.inf if cfg.mode == "min" else -math.inf
    metric = 1.0
    bad = good = cooldown = warm = 0
    reset = cfg.reset_start
    rates = [lr]
    for _ in range(evaluations):
        if cfg.greedy:
            lr, best, bad, good, cooldown, warm, reset = _greedy_step(
                cfg, learning_rate, lr, metric, best, bad, good, cooldown, warm, reset
            )
        else:
            if _is_better(cfg, metric, best):
                best, bad = metric, 0
            else:
                bad += 1
            if cooldown > 0:
                cooldown -= 1
                bad = 0
            if bad > cfg.patience:
                new = max(lr * cfg.factor, cfg.min_lr)
                if lr - new > cfg.eps:
                    lr = new
                cooldown, bad = cfg.cooldown, 0
        rates.append(lr)
    return rates


def _greedy_step(
    cfg: PlateauSettings,
    initial: float,
    lr: float,
    metric: float,
    best: float,
    bad: int,
    good: int,
    cooldown: int,
    warm: int,
    reset: int,
) -> tuple[float, float, int, int, int, int, int]:
    if cooldown > 0:
        cooldown, bad, good = cooldown - 1, 0, 0
    elif warm > 0:
        warm, bad, good = warm - 1, 0, 0
    else:
        if _is_better(cfg, metric, best):
            best, bad, good = metric, 0, good + 1
        else:
            bad, good = bad + 1, 0
        if good > cfg.patience:
            new = min(lr / cfg.factor, cfg.max_lr)
            if new - lr > cfg.eps:
                lr = new
            reset, warm, good = cfg.reset_start, cfg.warmup, 0
        elif bad > cfg.patience:
            new = max(lr * cfg.factor, cfg.min_lr)
            if lr - new > cfg.eps:
                lr = new
            if not lr > cfg.min_lr:
                reset -= 1
                if reset <= 0:
                    lr = initial
                    best = math.inf if cfg.mode == "min" else -math.inf
                    bad = good = cooldown = warm = 0
                    reset = cfg.reset_start
            cooldown, bad = cfg.cooldown, 0
    return lr, best, bad, good, cooldown, warm, reset


__all__ = [
    "METRIC_DRIVEN",
    "SCHEDULES",
    "PlateauSettings",
    "ScheduleError",
    "factor",
    "plateau_worst_case",
    "warmup",
    "warmup_steps_for",
]
