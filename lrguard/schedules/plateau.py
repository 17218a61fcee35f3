"""Metric-driven schedules (``reduce_lr_on_plateau``, ``greedy``), one evaluation at a time.

These schedules have no closed form in the step: the rate depends on the metric. ``step``
is torch's ``ReduceLROnPlateau.step`` (and transformers 5's ``GreedyLR.step`` when
``settings.greedy``) as a pure function of a ``PlateauState``; ``worst_case`` runs it when
the metric never improves after the first evaluation. Defaults come from the schedule table.

Example:
    >>> worst_case(1e-3, PlateauSettings(patience=1, factor=0.5), 5)
    [0.001, 0.001, 0.001, 0.0005, 0.0005, 0.00025]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from lrguard.schedules.closed_form import ScheduleError
from lrguard.schedules.table import GREEDY_DEFAULTS, PLATEAU_DEFAULTS, any_version_spec


@dataclass(frozen=True)
class PlateauSettings:
    """``ReduceLROnPlateau`` / ``GreedyLR`` settings (torch's defaults unless given).

    ``greedy`` adds ``GreedyLR``'s rules: ``warmup`` evaluations after an increase, rate
    increases by ``1 / factor`` up to ``max_lr`` after more than ``patience`` improvements,
    and a reset to the initial rate after ``reset_start`` reductions at the floor.
    """

    factor: float = PLATEAU_DEFAULTS["factor"]
    patience: int = PLATEAU_DEFAULTS["patience"]
    threshold: float = PLATEAU_DEFAULTS["threshold"]
    threshold_mode: str = PLATEAU_DEFAULTS["threshold_mode"]
    cooldown: int = PLATEAU_DEFAULTS["cooldown"]
    min_lr: float = float(PLATEAU_DEFAULTS["min_lr"])
    eps: float = PLATEAU_DEFAULTS["eps"]
    mode: str = PLATEAU_DEFAULTS["mode"]
    greedy: bool = False
    warmup: int = GREEDY_DEFAULTS["warmup"]
    max_lr: float = GREEDY_DEFAULTS["max_lr"]
    reset_start: int = GREEDY_DEFAULTS["reset_start"]

    @classmethod
    def for_schedule(cls, name: str, kwargs: Mapping[str, Any] | None) -> PlateauSettings:
        """The schedule table's defaults of ``name`` updated by ``kwargs``.

        Raises:
            ScheduleError: ``name`` is not metric-driven, or a kwarg is unknown to it.
        """
        spec = any_version_spec(name)
        if spec is None or not spec.metric_driven:
            raise ScheduleError(f"{name!r} is not a metric-driven schedule")
        given = dict(kwargs or {})
        unknown = sorted(set(given) - set(spec.kwargs))
        if unknown:
            raise ScheduleError(f"{name} does not take {', '.join(unknown)}")
        kinds = {f.name: f.type for f in fields(cls) if f.name != "greedy"}
        values = {k: v for k, v in {**spec.kwargs, **given}.items() if k in kinds}
        for key, value in values.items():
            if kinds[key] == "str":
                if not isinstance(value, str):
                    raise ScheduleError(f"{name} {key}={value!r} is not a string")
            elif (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise ScheduleError(f"{name} {key}={value!r} is not a finite number")
        return cls(**values, greedy=name == "greedy")


@dataclass(frozen=True)
class PlateauState:
    """What a metric-driven scheduler remembers between evaluations.

    Attributes:
        lr: the rate in force.
        best: the best metric so far.
        bad: evaluations without improvement (``num_bad_epochs``).
        good: evaluations with improvement in a row (greedy only).
        cooldown: evaluations left in the cooldown.
        warm: evaluations left in greedy's warmup after an increase.
        reset: reductions at the floor left before greedy resets (greedy only).
    """

    lr: float
    best: float
    bad: int = 0
    good: int = 0
    cooldown: int = 0
    warm: int = 0
    reset: int = 0

    @classmethod
    def start(cls, lr: float, settings: PlateauSettings) -> PlateauState:
        """The state before the first evaluation."""
        worst = math.inf if settings.mode == "min" else -math.inf
        return cls(lr=float(lr), best=worst, reset=settings.reset_start)


def is_better(settings: PlateauSettings, current: float, best: float) -> bool:
    """torch's ``_is_better``: improvement by more than ``threshold`` in ``mode``."""
    if settings.mode == "min":
        if settings.threshold_mode == "rel":
            return current < best * (1.0 - settings.threshold)
        return current < best - settings.threshold
    if settings.threshold_mode == "rel":
        return current > best * (1.0 + settings.threshold)
    return current > best + settings.threshold


def _reduced(settings: PlateauSettings, lr: float) -> float:
    new = max(lr * settings.factor, settings.min_lr)
    return new if lr - new > settings.eps else lr


def _plateau_step(settings: PlateauSettings, state: PlateauState, metric: float) -> PlateauState:
    if is_better(settings, metric, state.best):
        state = replace(state, best=metric, bad=0)
    else:
        state = replace(state, bad=state.bad + 1)
    if state.cooldown > 0:
        state = replace(state, cooldown=state.cooldown - 1, bad=0)
    if state.bad > settings.patience:
        state = replace(state, lr=_reduced(settings, state.lr), cooldown=settings.cooldown, bad=0)
    return state


def _greedy_step(
    settings: PlateauSettings, state: PlateauState, metric: float, initial: float
) -> PlateauState:
    if state.cooldown > 0:
        return replace(state, cooldown=state.cooldown - 1, bad=0, good=0)
    if state.warm > 0:
        return replace(state, warm=state.warm - 1, bad=0, good=0)
    if is_better(settings, metric, state.best):
        state = replace(state, best=metric, bad=0, good=state.good + 1)
    else:
        state = replace(state, bad=state.bad + 1, good=0)
    if state.good > settings.patience:
        new = min(state.lr / settings.factor, settings.max_lr)
        lr = new if new - state.lr > settings.eps else state.lr
        return replace(state, lr=lr, reset=settings.reset_start, warm=settings.warmup, good=0)
    if state.bad > settings.patience:
        state = replace(state, lr=_reduced(settings, state.lr))
        if not state.lr > settings.min_lr:
            state = replace(state, reset=state.reset - 1)
            if state.reset <= 0:
                state = PlateauState.start(initial, settings)
        state = replace(state, cooldown=settings.cooldown, bad=0)
    return state


def step(
    settings: PlateauSettings, state: PlateauState, metric: float, initial: float
) -> PlateauState:
    """The state after one evaluation with ``metric`` (``initial``: greedy's reset rate)."""
    if settings.greedy:
        return _greedy_step(settings, state, metric, initial)
    return _plateau_step(settings, state, metric)


def worst_case(learning_rate: float, settings: PlateauSettings, evaluations: int) -> list[float]:
    """Rates in force after each of ``evaluations`` evaluations when the metric never
    improves after the first one (the worst case for a metric-driven schedule).

    Index 0 is the rate before any evaluation.
    """
    state = PlateauState.start(learning_rate, settings)
    rates = [state.lr]
    for _ in range(evaluations):
        state = step(settings, state, 1.0, float(learning_rate))
        rates.append(state.lr)
    return rates


__all__ = ["PlateauSettings", "PlateauState", "is_better", "step", "worst_case"]
