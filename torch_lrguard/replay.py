"""Replay a real ``torch.optim.lr_scheduler`` object for a run's steps, without touching it.

The scheduler is copied with ``copy.deepcopy`` while every reference to its optimizer is
swapped for a *shadow* optimizer: the same param groups with their rates, momenta and
``initial_lr``, one empty tensor each instead of the model's parameters, and a ``step`` that
does nothing. That one rule covers every class (``SequentialLR`` / ``ChainedScheduler``
children share the swapped optimizer; ``LambdaLR`` keeps its lambdas and closures; the
state of ``CyclicLR``, ``OneCycleLR``, ``ReduceLROnPlateau`` and transformers' schedules
is copied as is). The copy is then stepped ``total_steps`` times, recording every group's
rate before each step and catching any exception with the step it happened at.

transformers' ``LambdaLR`` schedules (``get_scheduler``'s step functions, bound with
``functools.partial``) are not stepped: their rates come from the schedule table's closed
forms over all steps at once, after the closed form is checked against the real step
functions at ``sample_steps`` (any difference, or an exception there, falls back to
stepping).

Metric-driven schedulers (``step(metrics)``: ``ReduceLROnPlateau``, transformers 5's
``GreedyLR``) are stepped with a metric that never improves: it gets worse every call in the
direction ``metric_mode`` gives (``min``: rises), the scheduler's own ``mode`` by default.

The user's optimizer and scheduler are never written to; as a safety net, the optimizer's
param groups are compared before and after, and a replay that changed them is undone and
reported as not replayed.
"""

from __future__ import annotations

import copy
import functools
import inspect
import math
import warnings
from collections.abc import Callable
from typing import Any

import torch

from lrguard.schedules.closed_form import ScheduleError
from lrguard.schedules.table import lambda_factor, lambda_schedule, same_trajectory, sample_steps
from lrguard.schedules.torch_classes import is_cyclic
from lrguard.trajectory import Trajectory, TrajectoryLimits

TRANSFORMERS_MODULE = "transformers.optimization"


class _Shadow(torch.optim.Optimizer):
    """An optimizer with the user's param groups and no parameters: ``step`` does nothing."""

    def step(self, closure: Callable[[], float] | None = None) -> None:  # noqa: D102
        return None


def unwrap_optimizer(optimizer: Any) -> Any:
    """The torch optimizer inside accelerate's ``AcceleratedOptimizer`` (or the object)."""
    return getattr(optimizer, "optimizer", optimizer)


def unwrap_scheduler(scheduler: Any) -> Any:
    """The scheduler inside accelerate's ``AcceleratedScheduler`` (or the object)."""
    inner = getattr(scheduler, "scheduler", None)
    return inner if inner is not None and hasattr(inner, "step") else scheduler


def shadow_optimizer(optimizer: torch.optim.Optimizer) -> torch.optim.Optimizer:
    """A parameter-free copy of ``optimizer``'s param groups and defaults.

    Example:
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(3))], lr=0.1, momentum=0.9)
        >>> s = shadow_optimizer(opt)
        >>> s.param_groups[0]["lr"], s.param_groups[0]["momentum"], s.param_groups[0]["params"]
        (0.1, 0.9, [tensor([])])
    """
    groups = [
        {**{k: copy.deepcopy(v) for k, v in g.items() if k != "params"}, "params": [torch.empty(0)]}
        for g in optimizer.param_groups
    ]
    shadow = _Shadow.__new__(_Shadow)
    torch.optim.Optimizer.__init__(shadow, groups, copy.deepcopy(dict(optimizer.defaults)))
    return shadow


def _group_values(optimizer: torch.optim.Optimizer) -> list[dict[str, Any]]:
    return [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]


def base_rates(optimizer: torch.optim.Optimizer) -> tuple[float, ...]:
    """Every param group's configured rate (``initial_lr``, set by schedulers, else ``lr``)."""
    return tuple(float(g.get("initial_lr", g["lr"])) for g in optimizer.param_groups)


def is_metric_driven(scheduler: Any) -> bool:
    """True when ``scheduler.step`` needs a metric (its first parameter has no default)."""
    try:
        params = list(inspect.signature(scheduler.step).parameters.values())
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0].default is inspect.Parameter.empty


def _step_function(fn: Any) -> tuple[str, dict[str, Any]] | None:
    """(function name, keywords) of a transformers step function, else None."""
    func = fn.func if isinstance(fn, functools.partial) else fn
    if getattr(func, "__module__", None) != TRANSFORMERS_MODULE:
        return None
    if isinstance(fn, functools.partial) and fn.args:
        return None
    keywords = dict(fn.keywords) if isinstance(fn, functools.partial) else {}
    return getattr(func, "__name__", ""), keywords


def transformers_schedule(scheduler: Any) -> tuple[str, dict[str, Any]] | None:
    """The transformers schedule behind a ``LambdaLR`` and its bound keywords, else None.

    Every param group must use the same step function with the same keywords.
    """
    if not isinstance(scheduler, torch.optim.lr_scheduler.LambdaLR):
        return None
    found = [_step_function(fn) for fn in scheduler.lr_lambdas]
    if not found or any(f is None or f != found[0] for f in found):
        return None
    function, keywords = found[0]  # type: ignore[misc]
    name = lambda_schedule(function, keywords)
    return (name, {"function": function, **keywords}) if name else None


def settings_of(scheduler: Any) -> dict[str, Any]:
    """The scheduler's own arguments, by name (numbers, strings, lists of them), for
    messages; children of ``SequentialLR`` / ``ChainedScheduler`` by class name."""
    plain = (int, float, str, bool)
    out: dict[str, Any] = {}
    for key, value in vars(scheduler).items():
        if key.startswith("_") or key in ("optimizer", "base_lrs", "last_epoch"):
            continue
        if isinstance(value, plain) or (
            isinstance(value, list | tuple) and all(isinstance(v, plain) for v in value)
        ):
            out[key] = list(value) if isinstance(value, list | tuple) else value
    children = getattr(scheduler, "_schedulers", None)
    if isinstance(children, list | tuple):
        out["schedulers"] = [type(c).__name__ for c in children]
    return out


def _worst_metric(scheduler: Any, metric_mode: str | None) -> Callable[[int], float]:
    """Metric values that never improve on the scheduler's best so far (the first call of
    a fresh scheduler sets its best, as any first evaluation does)."""
    mode = metric_mode or getattr(scheduler, "mode", None) or "min"
    best = getattr(scheduler, "best", None)
    start = float(best) if isinstance(best, int | float) and math.isfinite(best) else 0.0
    return (lambda i: start + i) if mode == "min" else (lambda i: start - i)


def _closed_form(
    scheduler: Any, function: str, keywords: dict[str, Any], total: int
) -> list[list[float]] | None:
    """Rates from the closed form, or None when it differs from the real step functions."""
    start = int(scheduler.last_epoch)
    steps = range(start, start + total)
    try:
        factors = lambda_factor(function, keywords, steps)
        checked = [start + s for s in sample_steps(total, int(keywords.get("num_warmup_steps", 0)))]
        expected = [float(factors[s - start]) for s in checked]
        actual = [float(scheduler.lr_lambdas[0](s)) for s in checked]
    except (ScheduleError, ArithmeticError, TypeError, ValueError):
        return None
    if not same_trajectory(expected, actual):
        return None
    factor_list = factors.tolist()
    return [[base * f for f in factor_list] for base in scheduler.base_lrs]


def replay(
    optimizer: Any,
    scheduler: Any,
    total_steps: int,
    *,
    metric_mode: str | None = None,
    limits: TrajectoryLimits | None = None,
) -> Trajectory:
    """The per-step rates ``scheduler`` gives over ``total_steps`` from its current state.

    Args:
        optimizer: the optimizer the scheduler drives (accelerate wrappers are unwrapped).
        scheduler: any ``torch.optim.lr_scheduler`` object, transformers' schedules, or a
            user scheduler with ``step()`` / ``step(metric)``.
        total_steps: the optimizer steps left in the run (for a metric-driven scheduler:
            the calls of ``step(metric)``).
        metric_mode: 'min' or 'max': which way the metric gets worse in the worst case
            (default: the scheduler's ``mode``).
        limits: the trajectory rules' thresholds, carried in the result.

    Returns:
        A ``Trajectory``; ``not_replayed`` says why when the object could not be replayed.

    Example:
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        >>> sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        >>> replay(opt, sched, 5).rates[0]
        [1.0, 1.0, 0.5, 0.5, 0.25]
    """
    optimizer = unwrap_optimizer(optimizer)
    scheduler = unwrap_scheduler(scheduler)
    limits = limits or TrajectoryLimits()
    name = type(scheduler).__name__
    found = transformers_schedule(scheduler)
    schedule, settings = found if found else ("", settings_of(scheduler))
    metric = is_metric_driven(scheduler)
    base = base_rates(optimizer)
    common: dict[str, Any] = {
        "scheduler": name,
        "total_steps": total_steps,
        "base_rates": base,
        "schedule": schedule,
        "settings": settings,
        "cyclic": is_cyclic(name, schedule),
        "metric_driven": metric,
        "limits": limits,
    }
    if found:
        keywords = {k: v for k, v in settings.items() if k != "function"}
        rates = _closed_form(scheduler, settings["function"], keywords, total_steps)
        if rates is not None:
            return Trajectory(rates=tuple(rates), method="closed form", **common)
    before = _group_values(optimizer)
    try:
        result = _stepped(optimizer, scheduler, total_steps, metric, metric_mode)
    except _NotReplayed as err:
        return Trajectory(not_replayed=str(err), **common)
    finally:
        changed = _group_values(optimizer) != before
        if changed:  # never expected: a scheduler holding the optimizer somewhere unseen
            for group, values in zip(optimizer.param_groups, before, strict=True):
                group.update(values)
    if changed:
        return Trajectory(
            not_replayed="replaying a copy changed the real optimizer's param groups (restored)",
            **common,
        )
    rates, error, error_step = result
    return Trajectory(rates=tuple(rates), error=error, error_step=error_step, **common)


class _NotReplayed(Exception):
    """The scheduler cannot be copied onto a shadow optimizer (message: why)."""


def _copy(optimizer: torch.optim.Optimizer, scheduler: Any) -> tuple[Any, Any]:
    shadow = shadow_optimizer(optimizer)
    memo: dict[int, Any] = {id(optimizer): shadow}
    own = getattr(scheduler, "optimizer", None)
    if own is not None and unwrap_optimizer(own) is not optimizer:
        raise _NotReplayed(
            f"the scheduler drives another optimizer ({type(own).__name__} at {id(own):#x}) "
            "than the one given"
        )
    if own is not None:
        memo[id(own)] = shadow
    try:
        return shadow, copy.deepcopy(scheduler, memo)
    except Exception as err:  # any object may refuse to be copied
        raise _NotReplayed(f"copy.deepcopy failed: {type(err).__name__}: {err}") from None


def _stepped(
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    total: int,
    metric: bool,
    metric_mode: str | None,
) -> tuple[list[list[float]], str | None, int | None]:
    shadow, twin = _copy(optimizer, scheduler)
    groups = shadow.param_groups
    rates: list[list[float]] = [[] for _ in groups]
    appends = [r.append for r in rates]
    worst = _worst_metric(twin, metric_mode) if metric else None
    step = twin.step
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(total):
            for append, group in zip(appends, groups, strict=True):
                append(float(group["lr"]))
            try:
                step(worst(i)) if worst is not None else step()
            except Exception as err:
                text = " ".join(f"{type(err).__name__}: {err}".split())
                return rates, text, i + 1
    return rates, None, None


__all__ = [
    "base_rates",
    "is_metric_driven",
    "replay",
    "settings_of",
    "shadow_optimizer",
    "transformers_schedule",
    "unwrap_optimizer",
    "unwrap_scheduler",
]
