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

**Budget.** A replay costs at most a fixed amount whatever the run's length or the number
of param groups: at most ``STEP_CAP`` steps and ``VALUE_BUDGET`` rates (steps x groups) are
replayed one by one (``step_cap``). Runs within the cap are replayed exactly as before. Past
the cap, when the scheduler's rate has an exact closed form, the rest of the run is sampled
from it at ``tail_count`` steps (``lrguard.trajectory.tail_layout``): transformers' step
functions (the schedule table), and the torch classes whose documented formula gives the
rate at any step directly (``closed_form_factor``: StepLR, MultiStepLR, ExponentialLR,
ConstantLR, LinearLR, PolynomialLR, CosineAnnealingLR). A torch closed form is used only
after it reproduces the replayed steps (a subclass, a rate set by hand or a resumed state
that it does not describe keeps the replay to the cap). ``LambdaLR``, ``OneCycleLR`` and
``CyclicLR`` compute the rate from the step number alone, so the copy *jumps* to each
sampled step (``last_epoch`` set there, then its own ``get_lr``), after the jumps reproduce
the replayed steps; a step that raises is narrowed down to the first one by bisection
(``OneCycleLR`` past its ``total_steps``), and jumps slower than ``JUMP_SECONDS`` are
abandoned. Any other scheduler (``MultiplicativeLR``, ``CosineAnnealingWarmRestarts``,
``SequentialLR``, ``ChainedScheduler``, ``ReduceLROnPlateau``, user classes) is replayed for
the first ``cap`` steps and the trajectory says so (``Trajectory.partial``).
"""

from __future__ import annotations

import bisect
import copy
import functools
import inspect
import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import torch

from lrguard.schedules.closed_form import ScheduleError
from lrguard.schedules.readback import lambda_factor, lambda_schedule, same_trajectory, sample_steps
from lrguard.schedules.torch_classes import is_cyclic
from lrguard.trajectory import Trajectory, TrajectoryLimits, tail_layout

TRANSFORMERS_MODULE = "transformers.optimization"
STEP_CAP = 20_000
"""At most this many steps of a run are replayed one by one."""
VALUE_BUDGET = 50_000
"""At most this many rates (steps x param groups) are replayed one by one."""
TAIL_SAMPLES = 2048
"""Past the cap, at most this many steps of the rest are sampled from a closed form ..."""
TAIL_BUDGET = 50_000
"""... and at most this many rates (samples x param groups)."""
CHECK_POINTS = 4_000
"""A torch closed form is compared with at most this many replayed rates before use."""
JUMP_SECONDS = 0.5
"""Jumping to the sampled steps stops (the rest is then not checked) after this long: a
user's ``lr_lambda`` may be slow at large steps."""


def step_cap(groups: int) -> int:
    """The steps replayed one by one for an optimizer with ``groups`` param groups.

    Example:
        >>> step_cap(1), step_cap(1000)
        (20000, 50)
    """
    return max(1, min(STEP_CAP, VALUE_BUDGET // max(1, groups)))


def tail_count(groups: int) -> int:
    """The steps sampled past the cap for ``groups`` param groups.

    Example:
        >>> tail_count(1), tail_count(1000)
        (2048, 50)
    """
    return max(1, min(TAIL_SAMPLES, TAIL_BUDGET // max(1, groups)))


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
    defaults = copy.deepcopy(dict(optimizer.defaults))
    shadow = _Shadow.__new__(_Shadow)
    torch.optim.Optimizer.__init__(shadow, groups[:1], defaults)
    # the other groups as add_param_group would add them (its check that no parameter is in
    # two groups costs time quadratic in the groups; every shadow parameter is new)
    for group in groups[1:]:
        for key, value in defaults.items():
            group.setdefault(key, value)
        shadow.param_groups.append(group)
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
    scheduler: Any,
    function: str,
    keywords: dict[str, Any],
    dense: int,
    tail: list[int],
) -> tuple[list[list[float]], list[list[float]]] | None:
    """Rates of the first ``dense`` steps and at the ``tail`` steps from the closed form, or
    None when it differs from the real step functions."""
    start = int(scheduler.last_epoch)
    steps = range(start, start + dense)
    try:
        factors = lambda_factor(function, keywords, steps)
        checked = [start + s for s in sample_steps(dense, int(keywords.get("num_warmup_steps", 0)))]
        expected = [float(factors[s - start]) for s in checked]
        actual = [float(scheduler.lr_lambdas[0](s)) for s in checked]
        tail_factors: list[float] = []
        if tail:
            tail_factors = [
                float(f) for f in lambda_factor(function, keywords, [start + s for s in tail])
            ]
            every = max(1, len(tail) // 64)
            picked = [*range(0, len(tail), every), len(tail) - 1]
            expected += [tail_factors[i] for i in picked]
            actual += [float(scheduler.lr_lambdas[0](start + tail[i])) for i in picked]
    except (ScheduleError, ArithmeticError, TypeError, ValueError):
        return None
    if not same_trajectory(expected, actual):
        return None
    factor_list = factors.tolist()
    return (
        [[base * f for f in factor_list] for base in scheduler.base_lrs],
        [[base * f for f in tail_factors] for base in scheduler.base_lrs],
    )


def _power(base: float, exponent: int) -> float:
    try:
        return float(base**exponent)
    except OverflowError:
        return math.inf


def closed_form_factor(scheduler: Any) -> tuple[Callable[[int], float], list[float]] | None:
    """``(factor, floors)`` of a torch scheduler whose rate has a documented closed form:
    the rate of group ``g`` at ``last_epoch = e`` is ``floors[g] + (base_lrs[g] - floors[g])
    * factor(e)``; None for any other class (subclasses included).

    The formulas are those of torch's documentation (``torch.optim.lr_scheduler``, each
    class's formula and ``_get_closed_form_lr``): StepLR ``gamma ** (e // step_size)``;
    MultiStepLR ``gamma ** bisect_right(milestones, e)`` (a milestone given twice counts
    twice); ExponentialLR ``gamma ** e``; ConstantLR ``factor`` before ``total_iters``, then
    1; LinearLR ``start_factor + (end_factor - start_factor) * min(total_iters, e) /
    total_iters``; PolynomialLR ``(1 - min(total_iters, e) / total_iters) ** power``;
    CosineAnnealingLR ``eta_min + (base - eta_min) * (1 + cos(pi * e / T_max)) / 2``.

    Example:
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        >>> factor, floors = closed_form_factor(torch.optim.lr_scheduler.StepLR(opt, 2, 0.5))
        >>> [factor(e) for e in range(5)], floors
        ([1.0, 1.0, 0.5, 0.5, 0.25], [0.0])
    """
    from torch.optim import lr_scheduler as lrs

    kind = type(scheduler)
    groups = len(scheduler.base_lrs)
    floors = [0.0] * groups
    factor: Callable[[int], float]
    if kind is lrs.StepLR:
        gamma, size = float(scheduler.gamma), int(scheduler.step_size)

        def factor(e: int) -> float:
            return _power(gamma, e // size)
    elif kind is lrs.MultiStepLR:
        gamma, marks = float(scheduler.gamma), sorted(scheduler.milestones.elements())

        def factor(e: int) -> float:
            return _power(gamma, bisect.bisect_right(marks, e))
    elif kind is lrs.ExponentialLR:
        gamma = float(scheduler.gamma)

        def factor(e: int) -> float:
            return _power(gamma, e)
    elif kind is lrs.ConstantLR:
        low, iters = float(scheduler.factor), int(scheduler.total_iters)

        def factor(e: int) -> float:
            return low if e < iters else 1.0
    elif kind is lrs.LinearLR:
        first, end = float(scheduler.start_factor), float(scheduler.end_factor)
        iters = int(scheduler.total_iters)

        def factor(e: int) -> float:
            return first + (end - first) * min(iters, e) / iters
    elif kind is lrs.PolynomialLR:
        iters, power = int(scheduler.total_iters), float(scheduler.power)

        def factor(e: int) -> float:
            return (1.0 - min(iters, e) / iters) ** power
    elif kind is lrs.CosineAnnealingLR:
        period = float(scheduler.T_max)
        floors = [float(scheduler.eta_min)] * groups

        def factor(e: int) -> float:
            return (1.0 + math.cos(math.pi * e / period)) / 2.0
    else:
        return None
    return factor, floors


def _torch_tail(
    scheduler: Any, dense: list[list[float]], start: int, tail: list[int]
) -> list[list[float]] | None:
    """The rates at ``tail`` from the class's closed form, when it reproduces the replayed
    ``dense`` rates; else None."""
    try:
        found = closed_form_factor(scheduler)
        if found is None:
            return None
        factor, floors = found
        bases = [float(b) for b in scheduler.base_lrs]
        if len(bases) != len(dense):
            return None
        points = sample_steps(len(dense[0]), 0, points=max(4, CHECK_POINTS // (4 * len(bases))))
        for base, floor, rates in zip(bases, floors, dense, strict=True):
            expected = [floor + (base - floor) * factor(start + i) for i in points]
            if not _close([rates[i] for i in points], expected, max(abs(base), abs(floor))):
                return None
        factors = [factor(start + s) for s in tail]
    except (ArithmeticError, TypeError, ValueError, AttributeError):
        return None
    return [
        [floor + (base - floor) * f for f in factors]
        for base, floor in zip(bases, floors, strict=True)
    ]


def _close(actual: list[float], expected: list[float], scale: float) -> bool:
    """Replayed rates equal the closed form's up to rounding: 1e-7 relative, or 1e-12 of
    the group's rate near zero (torch's chained updates round a little every step)."""
    return all(
        (math.isnan(a) and math.isnan(e)) or a == e or abs(a - e) <= 1e-7 * abs(e) + 1e-12 * scale
        for a, e in zip(actual, expected, strict=True)
    )


def replay(
    optimizer: Any,
    scheduler: Any,
    total_steps: int,
    *,
    metric_mode: str | None = None,
    limits: TrajectoryLimits | None = None,
) -> Trajectory:
    """The per-step rates ``scheduler`` gives over ``total_steps`` from its current state,
    within a fixed budget (see the module's docstring: past ``step_cap`` steps the rest is
    sampled from a closed form, or left unchecked and the trajectory says so).

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
    groups = len(optimizer.param_groups)
    cap = step_cap(groups)
    dense = min(total_steps, cap)
    capped = cap if total_steps > cap else None
    tail, weights = tail_layout(cap, total_steps, tail_count(groups)) if capped else ([], [])
    common: dict[str, Any] = {
        "scheduler": name,
        "total_steps": total_steps,
        "base_rates": base,
        "schedule": schedule,
        "settings": settings,
        "cyclic": is_cyclic(name, schedule),
        "metric_driven": metric,
        "limits": limits,
        "cap": capped,
    }
    if found:
        keywords = {k: v for k, v in settings.items() if k != "function"}
        computed = _closed_form(scheduler, settings["function"], keywords, dense, tail)
        if computed is not None:
            rates, tail_rates = computed
            return Trajectory(
                rates=tuple(rates),
                method="closed form",
                tail_steps=tuple(tail),
                tail_rates=tuple(tail_rates),
                tail_weights=tuple(weights),
                tail_method=f"the closed form of transformers' {schedule} schedule" if tail else "",
                **common,
            )
    before = _group_values(optimizer)
    try:
        result = _stepped_copy(optimizer, scheduler, dense, metric, metric_mode)
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
    rates, error, error_step, twin = result
    if not tail or error is not None or metric:
        return Trajectory(rates=tuple(rates), error=error, error_step=error_step, **common)
    start = int(getattr(scheduler, "last_epoch", 0))
    tail_rates = _torch_tail(scheduler, rates, start, tail)
    method = f"{name}'s closed form"
    if tail_rates is None:
        jump = _jumps(scheduler, twin, rates, start)
        if jump is None:
            return Trajectory(rates=tuple(rates), **common)
        before_jumps = _group_values(optimizer)
        jumped = _jumped_tail(jump, tail, weights, cap)
        if _group_values(optimizer) != before_jumps:  # never expected (a copy is jumped)
            for group, values in zip(optimizer.param_groups, before_jumps, strict=True):
                group.update(values)
            return Trajectory(rates=tuple(rates), **common)
        if jumped is None:
            return Trajectory(rates=tuple(rates), **common)
        tail_rates, tail, weights, error, error_step = jumped
        method = f"{name}'s rate at any step (its get_lr with last_epoch set there)"
    return Trajectory(
        rates=tuple(rates),
        tail_steps=tuple(tail),
        tail_rates=tuple(tail_rates),
        tail_weights=tuple(weights),
        tail_method=method,
        error=error,
        error_step=error_step,
        **common,
    )


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
    rates, error, error_step, _ = _stepped_copy(optimizer, scheduler, total, metric, metric_mode)
    return rates, error, error_step


def _stepped_copy(
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    total: int,
    metric: bool,
    metric_mode: str | None,
) -> tuple[list[list[float]], str | None, int | None, Any]:
    """The rates of ``total`` steps of a copy of ``scheduler``, how it failed, and the copy."""
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
                return rates, _error_text(err), i + 1, twin
    return rates, None, None, twin


def _error_text(err: Exception) -> str:
    return " ".join(f"{type(err).__name__}: {err}".split())


JUMPS = ("LambdaLR", "OneCycleLR", "CyclicLR")
"""torch classes whose ``get_lr`` computes the rate from ``last_epoch`` alone (documented as
a function of the step: ``base_lr * lr_lambda(step)``, the one-cycle and cyclical policies
by step number), so a copy can jump to any step: ``last_epoch = step; get_lr()``."""


class _Jumps:
    """Rates of a copied scheduler at any step, by jumping its ``last_epoch`` there."""

    def __init__(self, twin: Any, start: int) -> None:
        self.twin = twin
        self.start = start

    def __call__(self, step: int) -> list[float]:
        """Every group's rate at run step ``step`` (raises what the scheduler raises)."""
        self.twin.last_epoch = self.start + step
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [float(r) for r in self.twin.get_lr()]


def _jumps(scheduler: Any, twin: Any, dense: list[list[float]], start: int) -> _Jumps | None:
    """Jumps for a copy of ``scheduler`` when its class computes rates from the step alone
    and the jumps reproduce the replayed ``dense`` rates; else None."""
    if type(scheduler).__module__ != "torch.optim.lr_scheduler":
        return None
    if type(scheduler).__name__ not in JUMPS or not dense or not dense[0]:
        return None
    jump = _Jumps(twin, start)
    points = sample_steps(len(dense[0]), 0, points=max(4, CHECK_POINTS // (4 * len(dense))))
    scale = [max(abs(v) for v in rates) for rates in dense]
    try:
        for i in points:
            values = jump(i)
            if len(values) != len(dense):
                return None
            for g, value in enumerate(values):
                if not _close([dense[g][i]], [value], scale[g]):
                    return None
    except Exception:  # a lambda that fails where stepping did not: no jumps
        return None
    return jump


def _jumped_tail(
    jump: _Jumps, tail: list[int], weights: list[int], cap: int
) -> tuple[list[list[float]], list[int], list[int], str | None, int | None] | None:
    """Rates at the ``tail`` steps by jumping; when a step raises, the first step that
    raises (found by bisection from the last sample that did not) ends the tail there.
    None when the jumps take longer than ``JUMP_SECONDS``."""
    columns: list[list[float]] = []
    good = cap - 1
    deadline = time.perf_counter() + JUMP_SECONDS
    for index, step in enumerate(tail):
        if time.perf_counter() > deadline:
            return None
        try:
            columns.append(jump(step))
        except Exception as err:
            first, text = step, _error_text(err)
            low = good  # the rate at ``low`` was computed; ``first`` raises
            while first - low > 1:
                middle = (low + first) // 2
                try:
                    jump(middle)
                    low = middle
                except Exception as inner:
                    first, text = middle, _error_text(inner)
            kept = tail[:index]
            spans = list(weights[:index])
            if spans:  # the last sample stands for the steps up to the failing one
                spans[-1] = first - (cap + sum(spans[:-1]))
            rates = [list(col) for col in zip(*columns, strict=True)] if columns else []
            return rates, kept, spans, text, first
        good = step
    return [list(col) for col in zip(*columns, strict=True)], tail, weights, None, None


__all__ = [
    "STEP_CAP",
    "TAIL_SAMPLES",
    "VALUE_BUDGET",
    "base_rates",
    "closed_form_factor",
    "is_metric_driven",
    "replay",
    "settings_of",
    "shadow_optimizer",
    "step_cap",
    "tail_count",
    "transformers_schedule",
    "unwrap_optimizer",
    "unwrap_scheduler",
]
