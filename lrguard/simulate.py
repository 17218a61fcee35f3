"""``lrguard simulate``: the learning rate a config produces, step by step or epoch by epoch.

* Hugging Face schedules (TrainingArguments, LLaMA-Factory, axolotl): the closed forms of
  ``lrguard.schedules.closed_form`` at every optimizer step; needs the total steps
  (``max_steps``, ``--steps`` or ``--dataset-size``).
* ``reduce_lr_on_plateau`` / ``greedy``: the worst case per evaluation (the metric never
  improves after the first evaluation).
* A DeepSpeed ``scheduler`` section in the config's ``deepspeed`` file (``WarmupLR``,
  ``WarmupDecayLR``, ``WarmupCosineLR``): it replaces ``lr_scheduler_type``; its ``"auto"``
  params are filled as transformers fills them (``lrguard.schedules.deepspeed``).
* Flair plateau annealing: the worst case per epoch, for stock Flair (stops as soon as the
  rate is below ``min_learning_rate``) and for ``LRGuardPlugin`` (stops only when patience is
  exhausted at the floor), via ``lrguard.annealing``.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from lrguard.annealing import worst_case_trajectory
from lrguard.configs.loader import CHECKED, ConfigResult, load_config
from lrguard.configs.steps import StepOptions
from lrguard.numbers import fmt, parse_number
from lrguard.plan import TrainingPlan
from lrguard.rules._hf import read_kwargs
from lrguard.schedules import deepspeed as ds
from lrguard.schedules.closed_form import ScheduleError
from lrguard.schedules.plateau import PlateauSettings, worst_case
from lrguard.schedules.table import any_version_spec, factor, floor_of, warmup_steps_for

TABLE_ROWS = 40
"""Rows a table shows by default (more with ``--every``)."""

PLOT_SIZE_PX = (960, 540)
PLOT_DPI = 120

MAX_ROWS = 200_000
"""Rows ``simulate`` prints at most; more must be thinned with ``--every``."""

PLOT_POINTS = 4_000
"""Points a plot is drawn from (evenly spaced, plus the warmup end, floor and stops)."""

MAX_STEPS = 10**15
"""Longest run (steps or epochs) simulated; the rates are computed only at the rows shown."""

MAX_EVALUATIONS = 1_000_000
"""Plateau schedules are stepped evaluation by evaluation up to here; a longer run is shown
when its rate has settled by then (it then stays), and refused otherwise."""

Picker = Callable[[int, Iterable[int]], list[int]]
"""``pick(count, landmarks)``: the 0-based positions of a trajectory to compute."""


class SimulationError(ValueError):
    """The config cannot be simulated; the message says why and what to pass."""


@dataclass
class Simulation:
    """A learning-rate trajectory.

    Attributes:
        unit: ``"step"``, ``"epoch"`` or ``"evaluation"``.
        index: 1-based step / epoch / evaluation numbers.
        series: column name -> rate at each index.
        floor: the lowest rate the schedule may reach (None: none).
        warmup: warmup length in ``unit`` (0: none).
        stops: column name -> index after which training stops (worst case).
        title: one line describing the schedule.
    """

    unit: str
    index: list[int]
    series: dict[str, list[float]]
    floor: float | None = None
    warmup: float = 0
    stops: dict[str, int] = field(default_factory=dict)
    title: str = ""

    def rows(self, every: int | None = None) -> list[int]:
        """Row positions to show: every ``every``-th, plus the first, the last, the warmup end
        and the stops."""
        n = len(self.index)
        step = every or 1
        keep = set(range(0, n, step)) | {0, n - 1}
        if self.warmup and self.unit == "step":
            w = int(math.ceil(self.warmup))
            keep |= {i for i in (w - 1, w) if 0 <= i < n}
        for stop in self.stops.values():
            keep.add(min(max(stop - 1, 0), n - 1))
        return sorted(keep)


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


def row_picker(fmt: str, every: int | None, limit: int = MAX_ROWS) -> Picker:
    """The rows ``simulate`` prints: every ``every``-th (default: all for csv/json, about
    ``TABLE_ROWS`` for a table), the first and last, and the landmarks.

    Raises (when called):
        SimulationError: more than ``limit`` rows; the message says which ``--every`` fits.

    Example:
        >>> row_picker("csv", 250)(1000, [99, 100])
        [0, 99, 100, 250, 500, 750, 999]
    """

    def pick(count: int, landmarks: Iterable[int]) -> list[int]:
        step = every or (max(1, math.ceil(count / TABLE_ROWS)) if fmt == "table" else 1)
        marks = {m for m in landmarks if 0 <= m < count} | {0, count - 1}
        rows = -(-count // step) + len(marks)
        if rows > limit:
            need = math.ceil(count / (limit - len(marks) - 1))
            raise SimulationError(
                f"{rows} rows to print ({count} in all, --every {step}): more than the limit "
                f"of {limit}; pass --every {need} or more, or use --format table"
            )
        return sorted(set(range(0, count, step)) | marks)

    return pick


def _plot_picker(count: int, landmarks: Iterable[int]) -> list[int]:
    step = max(1, math.ceil(count / PLOT_POINTS))
    marks = {m for m in landmarks if 0 <= m < count} | {0, count - 1}
    return sorted(set(range(0, count, step)) | marks | {m + 1 for m in marks if m + 1 < count})


# --------------------------------------------------------------------------- output


def _cell(value: float) -> str:
    return "" if value != value else f"{value:.6g}"


def render_table(sim: Simulation, every: int | None = None) -> str:
    """A fixed-width table, ~``TABLE_ROWS`` rows unless ``every`` says otherwise."""
    every = every or max(1, math.ceil(len(sim.index) / TABLE_ROWS))
    names = list(sim.series)
    lines = [sim.title]
    if sim.floor is not None:
        lines.append(
            f"floor: {fmt(sim.floor)}"
            + (f"; warmup: {fmt(sim.warmup)} steps" if sim.warmup else "")
        )
    for name, stop in sim.stops.items():
        lines.append(f"{name}: training stops after {sim.unit} {stop}")
    lines.append(f"{sim.unit:>10}  " + "  ".join(f"{n:>12}" for n in names))
    for i in sim.rows(every):
        cells = "  ".join(f"{_cell(sim.series[n][i]):>12}" for n in names)
        lines.append(f"{sim.index[i]:>10}  {cells}")
    return "\n".join(lines)


def _csv_cell(value: float) -> str:
    return "" if value != value else repr(value)


def render_csv(sim: Simulation, every: int | None = None) -> str:
    """CSV with a header row: the unit, then one column per series."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([sim.unit, *sim.series])
    for i in sim.rows(every):
        writer.writerow([sim.index[i], *(_csv_cell(sim.series[n][i]) for n in sim.series)])
    return buf.getvalue().rstrip("\n")


def _json_number(value: float | None) -> float | str | None:
    """JSON has no NaN or infinity: NaN (no value, e.g. after a stop) is null, infinities
    are the strings ``"inf"`` / ``"-inf"``."""
    if value is None or value != value:
        return None
    return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")


def render_json(sim: Simulation, every: int | None = None) -> str:
    """JSON: ``{unit, title, floor, warmup, stops, rows: [{unit: n, series: lr, ...}]}``.

    Strictly valid JSON: NaN is written as null, infinities as ``"inf"`` / ``"-inf"``.
    """
    rows = [
        {sim.unit: sim.index[i], **{n: _json_number(sim.series[n][i]) for n in sim.series}}
        for i in sim.rows(every)
    ]
    doc = {
        "unit": sim.unit,
        "title": sim.title,
        "floor": _json_number(sim.floor),
        "warmup": _json_number(sim.warmup),
        "stops": sim.stops,
        "rows": rows,
    }
    return json.dumps(doc, indent=1, allow_nan=False)


def save_plot(sim: Simulation, path: Path) -> Path:
    """Save a PNG of ``PLOT_SIZE_PX`` pixels with the floor and the warmup marked.

    Raises:
        SimulationError: matplotlib is not installed (``pip install 'lrguard[plot]'``).
    """
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
    except ModuleNotFoundError:
        raise SimulationError("--plot needs matplotlib: pip install 'lrguard[plot]'") from None
    width, height = PLOT_SIZE_PX
    fig, ax = plt.subplots(figsize=(width / PLOT_DPI, height / PLOT_DPI), dpi=PLOT_DPI)
    try:
        for name, values in sim.series.items():
            ax.plot(
                sim.index,
                values,
                label=name,
                drawstyle="steps-post" if sim.unit != "step" else "default",
            )
        if sim.warmup:
            ax.axvspan(
                1,
                sim.warmup,
                color="tab:orange",
                alpha=0.15,
                label=f"warmup ({fmt(sim.warmup)} steps)",
            )
        if sim.floor is not None:
            ax.axhline(
                sim.floor,
                color="tab:red",
                linestyle="--",
                linewidth=1,
                label=f"floor {fmt(sim.floor)}",
            )
        for name, stop in sim.stops.items():
            ax.axvline(
                stop,
                color="tab:gray",
                linestyle=":",
                linewidth=1,
                label=f"{name} stops after {sim.unit} {stop}",
            )
        values = [v for series in sim.series.values() for v in series if v == v]
        if values and min(values) > 0 and max(values) / min(values) > 50:
            ax.set_yscale("log")
        ax.set_xlabel(sim.unit)
        ax.set_ylabel("learning rate")
        ax.set_title(sim.title, fontsize=8)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        fig.savefig(path, dpi=PLOT_DPI, format="png")
    finally:
        plt.close(fig)
    return path


_RENDERERS = {"table": render_table, "csv": render_csv, "json": render_json}


def simulate_file(
    path: Path,
    *,
    kind: str | None = None,
    steps: StepOptions | None = None,
    fmt: str = "table",
    plot: Path | None = None,
    every: int | None = None,
    out: TextIO,
    transformers_major: int = 4,
    resume_from: Path | None = None,
) -> int:
    """Simulate ``path``, print it in ``fmt`` to ``out``, optionally save a plot; exit code 0.

    Rates are computed only at the rows printed (``row_picker``) and the points plotted
    (``PLOT_POINTS``), so time and memory do not grow with the run length.

    With ``resume_from`` (a checkpoint folder), the run resumed from that checkpoint: its
    rates up to the checkpoint, stock transformers' after it (``lr``), and the checkpoint's
    schedule continued (``lr_checkpoint``).

    Raises:
        SimulationError: the config cannot be simulated, or more than ``MAX_ROWS`` rows.
    """
    result = load_config(path, kind, steps)
    run = simulate_result
    if resume_from is not None:
        from lrguard.resume import resumed_simulation

        def run(result: ConfigResult, major: int, pick: Picker | None = None) -> Simulation:
            return resumed_simulation(simulate_result, result, resume_from, major, pick)

    sim = run(result, transformers_major, row_picker(fmt, every))
    if plot is not None:
        save_plot(run(result, transformers_major, _plot_picker), plot)
    print(_RENDERERS[fmt](sim, 1), file=out)
    return 0


__all__ = [
    "MAX_EVALUATIONS",
    "MAX_ROWS",
    "MAX_STEPS",
    "PLOT_POINTS",
    "PLOT_SIZE_PX",
    "Simulation",
    "SimulationError",
    "save_plot",
    "render_csv",
    "render_json",
    "render_table",
    "row_picker",
    "simulate_file",
    "simulate_flair",
    "simulate_hf",
    "simulate_result",
]
