"""Computing a config's learning-rate trajectory: the rates at every step, epoch or evaluation,
or only at the positions a ``Picker`` chooses (so time and memory do not grow with the run).

* Hugging Face schedules (TrainingArguments, LLaMA-Factory, axolotl): the closed forms of
  ``lrguard.schedules.closed_form`` at every optimizer step; needs the total steps.
* ``reduce_lr_on_plateau`` / ``greedy``: the worst case per evaluation.
* A DeepSpeed ``scheduler`` section: its own schedule, ``"auto"`` params filled as
  transformers fills them (``lrguard.schedules.deepspeed``).
* Flair plateau annealing: the worst case per epoch, stock Flair and ``LRGuardPlugin``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lrguard.annealing import worst_case_trajectory
from lrguard.configs.loader import CHECKED, ConfigResult
from lrguard.numbers import fmt, parse_number
from lrguard.plan import TrainingPlan
from lrguard.rules._hf import read_kwargs
from lrguard.schedules import deepspeed as ds
from lrguard.schedules.closed_form import ScheduleError
from lrguard.schedules.plateau import PlateauSettings, worst_case
from lrguard.schedules.table import any_version_spec, factor, floor_of, warmup_steps_for
from lrguard.simulate.simulation import Picker, Simulation, SimulationError

MAX_STEPS = 10**15
"""Longest run (steps or epochs) simulated; the rates are computed only at the rows shown."""

MAX_EVALUATIONS = 1_000_000
"""Plateau schedules are stepped evaluation by evaluation up to here; a longer run is shown
when its rate has settled by then (it then stays), and refused otherwise."""


def _num(raw: Any, name: str, positive: bool = False) -> float:
    parsed = parse_number(raw)
    value = parsed.value
    if value is None or not math.isfinite(value) or value < 0 or (positive and value == 0):
        want = "a positive number" if positive else "a number >= 0"
        raise SimulationError(f"{name}={fmt(raw)} is not {want}; run lrguard check for details")
    return value


def _kwargs(raw: Any) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, Mapping | str):
        kwargs, problem = read_kwargs(raw)
        if kwargs is None:
            raise SimulationError(f"lr_scheduler_kwargs {problem}; run lrguard check for details")
        raw = kwargs
    if not isinstance(raw, Mapping):
        raise SimulationError(f"lr_scheduler_kwargs={fmt(raw)} is not a mapping")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        parsed = parse_number(value)
        number = parsed.value if not isinstance(value, bool) else None
        if number is not None and not math.isfinite(number):
            raise SimulationError(
                f"lr_scheduler_kwargs.{key}={fmt(value)} is not a finite number: the "
                "schedule has no rates to show; run lrguard check for details"
            )
        out[str(key)] = (
            parsed.value if parsed.value is not None and not isinstance(value, bool) else value
        )
    return out


def _floor(name: str, lr: float, kw: Mapping[str, Any]) -> float | None:
    spec = any_version_spec(name)
    floor = floor_of(spec, kw, lr) if spec is not None else None
    return None if floor is None else floor.value


def _evaluations(plan: TrainingPlan, total: int | None) -> int | None:
    strategy = plan.evaluation.get("eval_strategy")
    steps = parse_number(plan.evaluation.get("eval_steps")).value
    if strategy == "steps" and total and steps and steps >= 1:
        return int(total // steps)
    if strategy == "epoch" and plan.max_epochs:
        return plan.max_epochs
    return None


def _plateau(
    plan: TrainingPlan,
    name: str,
    lr: float,
    kw: dict[str, Any],
    total: int | None,
    pick: Picker | None = None,
) -> Simulation:
    try:
        settings = PlateauSettings.for_schedule(name, kw)
    except (ScheduleError, TypeError) as err:
        raise SimulationError(str(err)) from None
    count = _evaluations(plan, total)
    if count is None:  # show the way down to the floor and a patience beyond it
        count = 1
        rates = worst_case(lr, settings, count)
        while count < 100_000 and (
            count < 2 or not (rates[-1] <= settings.min_lr or _settled(rates[-1], settings))
        ):
            count = 2 * count
            rates = worst_case(lr, settings, count)
    rates = _settled_plateau(lr, settings, count)
    settle = next(i for i in range(len(rates)) if rates[i] == rates[-1])
    positions = range(count) if pick is None else pick(count, [settle])
    return Simulation(
        unit="evaluation",
        index=[p + 1 for p in positions],
        series={"lr": [rates[min(p, len(rates) - 1)] for p in positions]},
        floor=settings.min_lr,
        title=f"{name} worst case (metric never improves after evaluation 1), "
        f"factor={fmt(settings.factor)}, patience={settings.patience}",
    )


def _settled(last: float, settings: PlateauSettings) -> bool:
    """True when no further reduction can change ``last`` (at the floor, or a reduction of
    ``eps`` or less, which torch skips); greedy schedules may still rise: never settled."""
    if settings.greedy:
        return False
    return last - max(last * settings.factor, settings.min_lr) <= settings.eps


def _settled_plateau(lr: float, settings: PlateauSettings, count: int) -> list[float]:
    """The worst-case rates of ``count`` evaluations, cut where the rate has settled (every
    later evaluation has the last rate).

    Raises:
        SimulationError: more than ``MAX_EVALUATIONS`` evaluations before the rate settles.
    """
    if count <= MAX_EVALUATIONS:
        return worst_case(lr, settings, count)[:count]
    n = 1024
    while True:
        rates = worst_case(lr, settings, n)
        if _settled(rates[-1], settings):
            return rates
        if n >= MAX_EVALUATIONS:
            raise SimulationError(
                f"{count} evaluations, and the rate is still changing after {MAX_EVALUATIONS} "
                f"(the limit): pass --steps with fewer steps, or simulate a larger eval_steps"
            )
        n = min(4 * n, MAX_EVALUATIONS)


def simulate_hf(
    result: ConfigResult, transformers_major: int = 4, pick: Picker | None = None
) -> Simulation:
    """The per-step schedule of an HF-style config (or per evaluation for plateau ones).

    With ``pick``, rates are computed only at the positions it chooses (given the warmup end,
    the first step at the floor and the last step as landmarks); without, at every step.
    """
    plan = result.plan
    if plan is None or plan.schedule is None:
        raise SimulationError("no schedule in this config")
    if plan.source is not None and plan.source.deepspeed is not None:
        deepspeed = plan.source.deepspeed
        if deepspeed.problem is None and deepspeed.scheduler is not None:
            return simulate_deepspeed(result, transformers_major, pick)
    if result.schedule_unsupported:
        raise SimulationError(f"cannot simulate: {result.schedule_unsupported}")
    lr = _num(plan.learning_rate, "learning_rate", positive=True)
    name = str(plan.schedule.name)
    kw = _kwargs(plan.schedule.kwargs)
    total = result.steps.total if result.steps is not None else plan.schedule.total_steps
    spec = any_version_spec(name)
    if spec is not None and spec.metric_driven:
        return _plateau(plan, name, lr, kw, total, pick)
    if total is None:
        reason = result.steps.source if result.steps is not None else "unknown"
        raise SimulationError(f"the total step count is {reason}")
    if total > MAX_STEPS:
        raise SimulationError(f"{total} steps: more than {MAX_STEPS} cannot be simulated")
    ws = _num(plan.schedule.warmup_steps or 0, "warmup_steps")
    ratio = _num(plan.schedule.warmup_ratio or 0, "warmup_ratio")
    floor = _floor(name, lr, kw)

    def rates_at(steps: Any) -> list[float]:
        factors = factor(
            name,
            steps,
            warmup_steps=warm,
            total_steps=total,
            learning_rate=lr,
            kwargs=kw,
            transformers_major=transformers_major,
        )
        if isinstance(factors, list):  # evaluated without numpy
            return [lr * float(f) for f in factors]
        return (lr * factors).tolist() if hasattr(factors, "tolist") else [lr * float(factors)]

    try:
        warm = warmup_steps_for(total, ws, ratio, transformers_major)
        if pick is None:
            positions: Sequence[int] = range(total)
        else:
            w = math.ceil(warm) if name != "constant" else 0
            marks = [w - 1, w, total - 1, _first_at_floor(rates_at, w, total, floor)]
            positions = pick(total, [m for m in marks if m is not None])
        rates = rates_at(positions)
    except ScheduleError as err:
        raise SimulationError(str(err)) from None
    return Simulation(
        unit="step",
        index=[p + 1 for p in positions],
        series={"lr": rates},
        floor=floor,
        warmup=warm if name != "constant" else 0,
        title=f"{name}, learning_rate={fmt(lr)}, {total} steps"
        + (f" ({result.steps.source})" if result.steps else ""),
    )


def simulate_deepspeed(
    result: ConfigResult, transformers_major: int = 4, pick: Picker | None = None
) -> Simulation:
    """The per-step rate of the DeepSpeed scheduler that replaces the config's schedule
    (``WarmupLR``, ``WarmupDecayLR``, ``WarmupCosineLR``), ``"auto"`` params filled as
    transformers fills them.
    """
    from lrguard.rules._deepspeed import ds_view

    plan = result.plan
    view = ds_view(plan) if plan is not None else None
    if view is None:
        raise SimulationError("no DeepSpeed scheduler in this config")
    name = view.type
    if view.spec is None or not view.spec.simulated:
        raise SimulationError(
            f"cannot simulate: {view.where()} type {fmt(name)} (DeepSpeed's schedules simulated: "
            "WarmupLR, WarmupDecayLR, WarmupCosineLR)"
        )
    lr = _num(plan.learning_rate, "learning_rate", positive=True)
    total = result.steps.total if result.steps is not None else view.total
    if total is None:
        reason = result.steps.source if result.steps is not None else "unknown"
        raise SimulationError(f"the total step count is {reason}")
    if total > MAX_STEPS:
        raise SimulationError(f"{total} steps: more than {MAX_STEPS} cannot be simulated")
    params = ds.hf_fill(
        str(name),
        view.params,
        learning_rate=lr,
        total_steps=total,
        warmup_steps=view.warmup,
        major=transformers_major,
    )
    spec = view.spec
    for key in spec.params:
        value = params.get(key, spec.defaults.get(key))
        if key in spec.required and key not in params:
            raise SimulationError(f"{view.where(key)} is missing: DeepSpeed cannot build {name}")
        if ds.is_auto(value):
            raise SimulationError(f'{view.where(key)} is "auto" and the run\'s warmup is unknown')
    try:
        warm = max(2, int(params.get("warmup_num_steps", spec.defaults["warmup_num_steps"])))
        rate_at = functools.partial(ds.rate, str(name), params, lr)
        marks = [warm, warm + 1, total - 1]
        positions: Sequence[int] = range(total) if pick is None else pick(total, marks)
        rates = [rate_at(p) for p in positions]
        floor = None
        if name == "WarmupDecayLR":
            floor = float(params.get("warmup_min_lr", 0.0))
        elif name == "WarmupCosineLR":
            floor = lr * float(params.get("cos_min_ratio", spec.defaults["cos_min_ratio"]))
    except (KeyError, TypeError, ValueError, OverflowError, ZeroDivisionError) as err:
        raise SimulationError(f"cannot simulate {view.where()}: {err}") from None
    return Simulation(
        unit="step",
        index=[p + 1 for p in positions],
        series={"lr": rates},
        floor=floor,
        warmup=warm + 1,
        title=f"DeepSpeed {name} ({view.deepspeed.label}), {view.lr_name}={fmt(lr)}, "
        f"{total} steps" + (f" ({result.steps.source})" if result.steps else ""),
    )


def _first_at_floor(
    rates_at: Callable[[Any], list[float]], start: int, total: int, floor: float | None
) -> int | None:
    """The first position from ``start`` at the floor, by bisection (the schedules decay
    after warmup; for cyclic ones it is one position at the floor). None: never reached."""
    if floor is None or not 0 <= start < total:
        return None

    def at_floor(position: int) -> bool:
        return rates_at([position])[0] <= floor * (1 + 1e-9) + 1e-300

    if not at_floor(total - 1):
        return None
    low, high = start - 1, total - 1  # at_floor(high); low is before the range
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if at_floor(middle) else (middle, high)
    return high


def _rates(plan: TrainingPlan) -> tuple[tuple[float, ...], tuple[float, ...]]:
    lrs, floors = [], []
    for group in plan.param_groups:
        lrs.append(_num(group.lr, group.lr_field, positive=True))
        floors.append(_num(group.min_lr if group.min_lr is not None else 0.0, group.min_lr_field))
    return tuple(lrs), tuple(floors)


def _guarded(plan: TrainingPlan) -> TrainingPlan:
    """The plan LRGuardPlugin trains with under the default policy (as given if it refuses)."""
    from lrguard.decide import decide
    from lrguard.policy import GuardPolicy  # pydantic: only when simulating Flair

    preflight = decide(plan, GuardPolicy(), "flair")
    return plan if preflight.error is not None else preflight.plan


def simulate_flair(plan: TrainingPlan, pick: Picker | None = None) -> Simulation:
    """Worst-case plateau annealing per epoch: stock Flair and with LRGuardPlugin (after the
    default policy's adjustments, e.g. the floor lowered to 0.1x the rate).

    With ``pick``, only the epochs it chooses (given the stops and the first epoch at the
    floor as landmarks); without, every epoch.
    """
    if plan.annealing is None:
        raise SimulationError(
            "fine_tune uses a per-batch linear schedule; only train / train_custom plateau "
            "annealing is simulated"
        )
    lrs, floors = _rates(plan)
    guard_lrs, guard_floors = _rates(_guarded(plan))
    epochs = plan.max_epochs or 100
    if epochs > MAX_STEPS:
        raise SimulationError(f"max_epochs={epochs}: more than {MAX_STEPS} cannot be simulated")
    stock = worst_case_trajectory(lrs, floors, plan.annealing, epochs, "flair")
    guard = worst_case_trajectory(guard_lrs, guard_floors, plan.annealing, epochs, "guard")
    marks = [
        e - 1 for e in (stock.stop_epoch, guard.stop_epoch, guard.floor_epoch) if e is not None
    ]
    positions = range(epochs) if pick is None else pick(epochs, marks)
    series = {
        name: [t.lrs[p][0] if p < len(t.lrs) else math.nan for p in positions]
        for name, t in (("lr_flair", stock), ("lr_lrguard", guard))
    }
    stops = {
        k: t.stop_epoch for k, t in (("lr_flair", stock), ("lr_lrguard", guard)) if t.stop_epoch
    }
    a = plan.annealing
    return Simulation(
        unit="epoch",
        index=[p + 1 for p in positions],
        series=series,
        floor=floors[0],
        stops=stops,
        title=f"Flair plateau annealing worst case: learning_rate={fmt(lrs[0])}, "
        f"min_learning_rate={fmt(floors[0])}, anneal_factor={fmt(a.factor)}, "
        f"patience={a.patience}"
        + (f"; lrguard floor {fmt(guard_floors[0])}" if guard_floors != floors else ""),
    )


def simulate_result(
    result: ConfigResult, transformers_major: int = 4, pick: Picker | None = None
) -> Simulation:
    """Simulate a loaded config (at every step / epoch, or at the positions ``pick`` chooses).

    Raises:
        SimulationError: unusable or skipped file, unknown step count, unsupported schedule,
            a run or a row count beyond the limits.
    """
    if result.status != CHECKED or result.plan is None:
        raise SimulationError(f"{result.status}: {result.reason}")
    if result.kind == "flair":
        sim = simulate_flair(result.plan, pick)
    else:
        sim = simulate_hf(result, transformers_major, pick)
    for name, rates in sim.series.items():
        bad = next((i for i, r in enumerate(rates) if not math.isfinite(r)), None)
        if bad is not None and not (result.kind == "flair" and math.isnan(rates[bad])):
            raise SimulationError(
                f"{name}={fmt(rates[bad])} at {sim.unit} {sim.index[bad]}: the settings give no "
                "usable rate there; run lrguard check for details"
            )
    return sim


__all__ = [
    "MAX_EVALUATIONS",
    "MAX_STEPS",
    "simulate_deepspeed",
    "simulate_flair",
    "simulate_hf",
    "simulate_result",
]
