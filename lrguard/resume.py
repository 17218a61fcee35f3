"""Resuming a run with a different schedule: what the checkpoint's run used vs the new one.

``Trainer.train(resume_from_checkpoint=...)`` builds the schedule of the new arguments and
then loads the checkpoint's scheduler state (``scheduler.pt``): its step count *and* its base
rate. From the resume on, every step uses ``checkpoint's learning_rate x new schedule's
factor at that step``; the first resumed step uses the rate the optimizer state holds (the
checkpoint's schedule at that step). A changed ``max_steps`` / ``num_train_epochs``, world
size, ``gradient_accumulation_steps`` or batch size (which change the step count of a run
counted in epochs), ``lr_scheduler_type``, ``lr_scheduler_kwargs`` or warmup therefore makes
the rate jump at the resume step, warmup restart, or the decay end elsewhere; a changed
``learning_rate`` is not used at all.

This module compares the two, framework-free, from :class:`ScheduleFacts` (what the guard
records in its resume state) or, for a checkpoint written without the guard, from what
``trainer_state.json`` holds (:func:`facts_from_trainer_state`). The rates come from the
schedule table's closed forms (``lrguard.schedules.table.factor``), at a bounded number of
sampled steps (:data:`SAMPLE_POINTS`), whatever the run's length.

Severity: a resumed run whose rate differs from the checkpoint's schedule by more than
:data:`TOLERANCE` (5 %) of the peak at some compared step is reported; it is an error when
the rate right after the resume is more than :data:`ERROR_RATIO` (2x) above or below the
checkpoint's schedule (a jump at the resume step, a warmup that restarts, a schedule that
starts again), a warning otherwise. An unchanged resume gives nothing.

Example:
    >>> old = ScheduleFacts(name="linear", learning_rate=1e-4, warmup_steps=2, total_steps=10)
    >>> new = ScheduleFacts(name="linear", learning_rate=1e-4, warmup_steps=2, total_steps=20)
    >>> [f.severity.value for f in compare(old, new, step=4)]
    ['warning']
    >>> compare(old, old, step=4)
    []
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number
from lrguard.rules.lrg024_resume_schedule_changed import CODE, ERROR_RATIO, TOLERANCE
from lrguard.schedules.closed_form import ScheduleError
from lrguard.schedules.table import (
    any_version_spec,
    factor,
    schedule_spec,
    warmup_steps_for,
)

SAMPLE_POINTS = 512
"""Steps compared: the first ``SAMPLE_POINTS`` after the resume, as many spread over the rest
of the run, and the landmarks (warmup ends, run ends): bounded work for any run length."""

LOG_POINTS = 512
"""At most this many ``learning_rate`` entries of ``log_history`` are compared (spread)."""

MAX_STATE_BYTES = 512 * 1024 * 1024
"""A ``trainer_state.json`` larger than this is refused, not read."""

SETTINGS = (
    ("total_steps", "max_steps"),
    ("num_train_epochs", "num_train_epochs"),
    ("world_size", "world size"),
    ("per_device_train_batch_size", "per_device_train_batch_size"),
    ("gradient_accumulation_steps", "gradient_accumulation_steps"),
    ("name", "lr_scheduler_type"),
    ("kwargs", "lr_scheduler_kwargs"),
    ("warmup_steps", "warmup steps"),
    ("learning_rate", "learning_rate"),
)
"""The recorded settings, with the names messages give them, in the order they are listed."""


class ResumeInputError(ValueError):
    """A checkpoint or config that cannot be compared; the message names the field, the
    value and the fix."""


@dataclass(frozen=True)
class ScheduleFacts:
    """The schedule of one run, as the guard records it in its resume state.

    Attributes:
        name: ``lr_scheduler_type``.
        learning_rate: the peak rate (the scheduler's base rate).
        warmup_steps: warmup in optimizer steps, resolved for ``total_steps``.
        total_steps: the run's optimizer steps (``max_steps`` as the trainer computed it).
        kwargs: ``lr_scheduler_kwargs`` (numbers parsed).
        warmup_fraction: warmup given as a fraction of the run (0: given in steps), so the
            warmup of another run length can be worked out.
        transformers_major: which transformers' schedule definitions apply (4 or 5).
        world_size / per_device_train_batch_size / gradient_accumulation_steps /
            num_train_epochs: what sets the step count of a run counted in epochs (None:
            not known).

    Example:
        >>> facts = ScheduleFacts(name="cosine", learning_rate=1e-4, warmup_steps=0,
        ...                       total_steps=100)
        >>> ScheduleFacts.from_dict(facts.to_dict()) == facts
        True
        >>> round(facts.rates([0, 50])[1], 12)
        5e-05
    """

    name: str
    learning_rate: float
    warmup_steps: int
    total_steps: int
    kwargs: dict[str, Any] = field(default_factory=dict)
    warmup_fraction: float = 0.0
    transformers_major: int = 4
    world_size: int | None = None
    per_device_train_batch_size: int | None = None
    gradient_accumulation_steps: int | None = None
    num_train_epochs: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (for ``trainer_state.json``)."""
        data = asdict(self)
        data["kwargs"] = json.loads(json.dumps(self.kwargs, default=str))
        return data

    @classmethod
    def from_dict(cls, data: Any) -> ScheduleFacts | None:
        """Facts saved by ``to_dict``; None when ``data`` is not usable (foreign input)."""
        if not isinstance(data, Mapping):
            return None
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        try:
            facts = cls(**values)
            ok = (
                isinstance(facts.name, str)
                and _number(facts.learning_rate) is not None
                and facts.learning_rate > 0
                and _whole(facts.warmup_steps) is not None
                and _whole(facts.total_steps) is not None
                and isinstance(facts.kwargs, Mapping)
            )
        except TypeError:
            return None
        return facts if ok else None

    @property
    def metric_driven(self) -> bool:
        """True for plateau schedules (their rates follow the metric, not the step)."""
        spec = any_version_spec(self.name)
        return spec is not None and spec.metric_driven

    def has_closed_form(self) -> bool:
        """True when the schedule table gives this schedule's rate at any step."""
        spec = schedule_spec(self.name, str(self.transformers_major))
        return spec is not None and spec.closed_form is not None

    def factors(self, steps: Sequence[int]) -> list[float]:
        """The schedule's factor (rate / peak) at the 0-based ``steps``.

        Raises:
            ScheduleError: no closed form, or kwargs the schedule refuses.
        """
        if not steps:
            return []
        values = factor(
            self.name,
            list(steps),
            warmup_steps=self.warmup_steps,
            total_steps=self.total_steps,
            learning_rate=self.learning_rate,
            kwargs=self.kwargs,
            transformers_major=self.transformers_major,
        )
        return [float(v) for v in (values.tolist() if hasattr(values, "tolist") else values)]

    def rates(self, steps: Sequence[int], base: float | None = None) -> list[float]:
        """The rates at the 0-based ``steps``: ``base`` (default: the peak) x the factor."""
        peak = self.learning_rate if base is None else base
        return [peak * f for f in self.factors(steps)]

    def with_total(self, total: int) -> ScheduleFacts:
        """The same schedule over ``total`` steps (warmup re-resolved when a fraction)."""
        warmup = self.warmup_steps
        if self.warmup_fraction:
            warmup = math.ceil(total * self.warmup_fraction)
        return replace(self, total_steps=total, warmup_steps=warmup)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    parsed = parse_number(value).value
    return parsed if parsed is not None and math.isfinite(parsed) else None


def _whole(value: Any) -> int | None:
    number = _number(value)
    if number is None or number < 0 or number != int(number):
        return None
    return int(number)


def _changed(old: ScheduleFacts, new: ScheduleFacts) -> list[tuple[str, Any, Any]]:
    """``('max_steps', 10, 20)`` for every recorded setting that differs (known on both)."""
    out: list[tuple[str, Any, Any]] = []
    for attr, label in SETTINGS:
        a, b = getattr(old, attr), getattr(new, attr)
        if a is None or b is None or a == b:
            continue
        numbers = _number(a) is not None and _number(b) is not None
        if (isinstance(a, float) or isinstance(b, float)) and numbers and math.isclose(a, b):
            continue
        out.append((label, a, b))
    return out


def _sample(start: int, stop: int, marks: Sequence[int]) -> list[int]:
    """Sorted steps in ``[start, stop)``: the first ``SAMPLE_POINTS``, as many spread over
    the rest, and the ``marks`` inside the range."""
    if stop <= start:
        return []
    span = stop - start
    spread = max(1, span // SAMPLE_POINTS)
    chosen = set(range(start, min(stop, start + SAMPLE_POINTS)))
    chosen |= set(range(start, stop, spread)) | {stop - 1}
    chosen |= {m for m in marks if start <= m < stop}
    return sorted(chosen)


@dataclass(frozen=True)
class Resumed:
    """How stock transformers continues a run from a checkpoint.

    Attributes:
        old: the checkpoint's schedule.
        new: the schedule built from the new arguments.
        step: the checkpoint's ``global_step`` (the first resumed step is ``step + 1``).
        base: the base rate the scheduler uses after the resume (the checkpoint's
            ``learning_rate`` when ``scheduler.pt`` is loaded).
        offset: steps between the run's step and the scheduler's count (0 when
            ``scheduler.pt`` is loaded; ``step`` when it is not, and the schedule starts
            again from its first step).
    """

    old: ScheduleFacts
    new: ScheduleFacts
    step: int
    base: float
    offset: int = 0

    @property
    def schedule_end(self) -> int:
        """The run step at which the resumed schedule ends its course."""
        return self.new.total_steps + self.offset

    def stock_rates(self, steps: Sequence[int]) -> list[float]:
        """The rates stock transformers uses at the 0-based run ``steps`` (>= ``step``)."""
        out: list[float] = []
        later = [s for s in steps if s != self.step or self.offset]
        rates = iter(self.new.rates([s - self.offset for s in later], self.base))
        for s in steps:
            if s == self.step and not self.offset:
                out.append(self.old.rates([s])[0])  # the rate the optimizer state holds
            else:
                out.append(next(rates))
        return out

    def continued_rates(self, steps: Sequence[int]) -> list[float]:
        """The rates the checkpoint's run would have used at ``steps`` (< its total)."""
        return self.old.rates(steps)


def _ratio(a: float, b: float) -> float:
    """How many times ``a`` is above (> 1) or below (< 1) ``b``; inf when only b is 0."""
    if b == 0:
        return 1.0 if a == 0 else math.inf
    return a / b


def _off(ratio: float) -> float:
    """The factor a ratio is off by, >= 1 (2.0 for both 2x above and 2x below)."""
    if ratio == 0 or math.isinf(ratio):
        return math.inf
    return max(ratio, 1 / ratio)


def _severity(worst: float) -> Severity:
    return Severity.ERROR if worst > ERROR_RATIO else Severity.WARNING


def _fix(changed: list[tuple[str, Any, Any]], restored: bool = True) -> str:
    if not restored:
        return (
            "keep scheduler.pt and optimizer.pt in the checkpoint (save_only_model=False) so "
            "that the resume continues the schedule; lrguard changes no rate here."
        )
    keep = ", ".join(_setting(label, a) for label, a, _ in changed)
    keep = f" ({keep})" if keep else ""
    return (
        f"to continue the checkpoint's schedule, resume with its settings{keep}; to train "
        "with the new schedule from its start, load the checkpoint's weights as the model "
        "and train without resume_from_checkpoint. lrguard changes no rate here: "
        "continuing the old schedule would undo the new settings."
    )


def _setting(label: str, value: Any) -> str:
    """``max_steps=10``; ``world size 2`` for what is not a setting of its own."""
    return f"{label}={fmt(value)}" if " " not in label else f"{label} {fmt(value)}"


def _r(rate: float) -> str:
    """A rate for messages, three significant digits (``8.33e-05``)."""
    return f"{rate:.3g}"


def _step(s: int) -> str:
    """A 0-based step index as the 1-based optimizer step people see (``step 1,200``)."""
    return f"step {s + 1:,}"


def compare(
    old: ScheduleFacts,
    new: ScheduleFacts,
    step: int,
    *,
    base: float | None = None,
    restored: bool = True,
    assumed: str = "",
) -> list[Finding]:
    """The findings of resuming ``old``'s run at ``step`` with the schedule ``new``.

    Args:
        old: the checkpoint's schedule.
        new: the schedule the new arguments build.
        step: the checkpoint's ``global_step``.
        base: the scheduler's base rate after the resume (default: ``old.learning_rate``
            when ``restored``, ``new.learning_rate`` otherwise).
        restored: the checkpoint's scheduler state is loaded (False: ``scheduler.pt``
            missing, the schedule starts again from its first step).
        assumed: how ``old`` was worked out when the checkpoint did not record it (added to
            the messages).

    Returns:
        LRG024 findings, errors first; [] when the resume continues the schedule within
        ``TOLERANCE``.

    Raises:
        ScheduleError: a schedule without a closed form (check ``has_closed_form`` first).
    """
    if base is None:
        base = old.learning_rate if restored else new.learning_rate
    run = Resumed(old, new, step, base, 0 if restored else step)
    changed = _changed(old, new)
    listed = ", ".join(f"{label} {fmt(a)} -> {fmt(b)}" for label, a, b in changed)
    what = f" (changed since the checkpoint: {listed})" if changed else ""
    what += f" ({assumed})" if assumed else ""
    fix = _fix(changed, restored)
    findings: list[Finding] = []
    if step >= new.total_steps:
        findings.append(
            Finding(
                code=CODE,
                severity=Severity.WARNING,
                message=f"max_steps={new.total_steps:,} is not past the checkpoint's "
                f"global_step={step:,}{what}: the resumed run trains no step.",
                location="resume_from_checkpoint",
                fix=fix,
                field="max_steps",
                value=new.total_steps,
            )
        )
        return findings
    end = min(new.total_steps, old.total_steps)
    marks = [
        step + 1,
        new.warmup_steps + run.offset - 1,
        new.warmup_steps + run.offset,
        end - 1,
    ]
    steps = _sample(step, end, marks)
    stock = run.stock_rates(steps)
    kept = run.continued_rates(steps)
    ratios = [_ratio(a, b) for a, b in zip(stock, kept, strict=True)]
    peak = max(old.learning_rate, base)
    gaps = [abs(a - b) / peak for a, b in zip(stock, kept, strict=True)]
    lr_ignored = restored and _off(_ratio(new.learning_rate, base)) > 1 + TOLERANCE
    if lr_ignored:
        findings.append(
            Finding(
                code=CODE,
                severity=_severity(_off(_ratio(new.learning_rate, base))),
                message=f"learning_rate={fmt(new.learning_rate)} is not used after the resume: "
                f"the scheduler state loaded from the checkpoint keeps its base rate "
                f"{fmt(base)}, so every step from {_step(step)} runs at {fmt(base)} x the "
                f"schedule ({_ratio(base, new.learning_rate):.3g}x the rate asked for).",
                location="resume_from_checkpoint",
                fix=fix,
                field="learning_rate",
                value=new.learning_rate,
            )
        )
    if any(g > TOLERANCE for g in gaps):
        found = _moved(run, steps, stock, kept, ratios, gaps, what, fix, _field_of(changed))
        findings.append(found)
    elif new.total_steps < old.total_steps and _ends_early(run):
        last = run.stock_rates([new.total_steps - 1])[0]
        findings.append(
            Finding(
                code=CODE,
                severity=Severity.WARNING,
                message=f"resumed at {_step(step)}{what}: the run ends at "
                f"{_step(new.total_steps - 1)} at a rate of {_r(last)} while the checkpoint's "
                f"schedule decays until {_step(old.total_steps - 1)} (to "
                f"{_r(old.rates([old.total_steps - 1])[0])}).",
                location="resume_from_checkpoint",
                fix=fix,
                field="max_steps",
                value=new.total_steps,
            )
        )
    elif _off(_ratio(run.schedule_end, new.total_steps)) > 1 + TOLERANCE and _decays(new, 0):
        findings.append(
            Finding(
                code=CODE,
                severity=Severity.WARNING,
                message=f"resumed at {_step(step)}{what}: the run ends at "
                f"{_step(new.total_steps - 1)} while its schedule decays until "
                f"{_step(run.schedule_end - 1)}.",
                location="resume_from_checkpoint",
                fix=fix,
                field="max_steps",
                value=new.total_steps,
            )
        )
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(findings, key=lambda f: order[f.severity])


def _times(ratio: float) -> str:
    if math.isinf(ratio):
        return "the checkpoint's schedule is at 0 there"
    if ratio >= 1:
        return f"{ratio:.3g}x the checkpoint's rate"
    return f"{1 / ratio:.3g}x below the checkpoint's rate"


def _field_of(changed: list[tuple[str, Any, Any]]) -> str:
    labels = [label for label, _, _ in changed]
    for label in ("max_steps", "lr_scheduler_type", "lr_scheduler_kwargs", "warmup steps"):
        if label in labels:
            return label.replace("warmup steps", "warmup_steps")
    return labels[0].replace(" ", "_") if labels else "resume_from_checkpoint"


def _ends_early(run: Resumed) -> bool:
    """The run stops while the checkpoint's schedule still had more than ``TOLERANCE`` of
    the peak to decay."""
    last = run.stock_rates([run.new.total_steps - 1])[0]
    end = run.old.rates([run.old.total_steps - 1])[0]
    return abs(last - end) > TOLERANCE * max(run.old.learning_rate, run.base)


def _decays(facts: ScheduleFacts, start: int) -> bool:
    """True when the schedule's rate still changes between ``start`` and its last step."""
    if facts.total_steps <= start + 1:
        return False
    a, b = facts.factors([start, facts.total_steps - 1])
    return not math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)


def _moved(
    run: Resumed,
    steps: list[int],
    stock: list[float],
    kept: list[float],
    ratios: list[float],
    gaps: list[float],
    what: str,
    fix: str,
    field: str,
) -> Finding:
    """The finding of a resumed run whose rates leave the checkpoint's schedule: where it
    first does (a jump right after the resume, a warmup that restarts, a drift), by how
    much at worst, and where each schedule ends."""
    old, new, step = run.old, run.new, run.step
    peak = max(old.learning_rate, run.base)
    first = next(i for i, g in enumerate(gaps) if g > TOLERANCE)
    s = steps[first]
    before = stock[first - 1] if first > 0 else None
    warm_end = new.warmup_steps + run.offset
    restarts = (
        warm_end > s >= old.warmup_steps
        and new.warmup_steps > 0
        and (before is None or stock[first] < before)
        and new.name != "constant"
    )
    sudden = before is not None and s == steps[first - 1] + 1 and s <= step + 1
    if restarts:
        head = (
            f"warmup restarts at {_step(s)}: the rate falls to {_r(stock[first])} (the "
            f"checkpoint's schedule: {_r(kept[first])}) and climbs back until "
            f"{_step(warm_end - 1)}"
        )
    elif sudden and abs(stock[first] - before) > TOLERANCE * peak:
        head = (
            f"the rate jumps from {_r(before)} at {_step(s - 1)} to {_r(stock[first])} at "
            f"{_step(s)} (the checkpoint's schedule: {_r(kept[first])}, {_times(ratios[first])})"
        )
    elif sudden:
        head = (
            f"the rate stays at {_r(stock[first])} at {_step(s)} where the checkpoint's "
            f"schedule goes from {_r(before)} to {_r(kept[first])} ({_times(ratios[first])})"
        )
    elif s == step and run.offset:
        head = (
            f"the schedule starts again: {_step(s)} runs at {_r(stock[first])} instead of the "
            f"checkpoint's {_r(kept[first])} ({_times(ratios[first])})"
        )
    else:
        head = (
            f"from {_step(s)} the rate leaves the checkpoint's schedule: {_r(stock[first])} "
            f"instead of {_r(kept[first])} ({_times(ratios[first])})"
        )
    worst = max(range(len(gaps)), key=lambda i: gaps[i])
    if worst != first:
        head += (
            f"; the largest difference is at {_step(steps[worst])}: {_r(stock[worst])} instead "
            f"of {_r(kept[worst])} ({_times(ratios[worst])})"
        )
    if new.total_steps < old.total_steps and _decays(old, step):
        head += (
            f"; the decay ends at {_step(new.total_steps - 1)} of the checkpoint's "
            f"{old.total_steps:,}"
        )
    elif new.total_steps > old.total_steps and _decays(old, step):
        head += (
            f"; the run lasts until {_step(new.total_steps - 1)} while the checkpoint's "
            f"schedule ended its decay at {_step(old.total_steps - 1)}"
        )
    if run.schedule_end > new.total_steps and _decays(new, 0):
        head += (
            f"; the run ends at {_step(new.total_steps - 1)} while its schedule decays until "
            f"{_step(run.schedule_end - 1)}"
        )
    jump = _off(ratios[first])
    severity = (
        Severity.ERROR
        if (restarts or sudden or run.offset) and jump > ERROR_RATIO
        else (Severity.WARNING)
    )
    return Finding(
        code=CODE,
        severity=severity,
        message=f"resumed at {_step(step)} with a different schedule{what}: {head}.",
        location="resume_from_checkpoint",
        fix=fix,
        field=field,
        value=stock[first],
    )


# -- what trainer_state.json holds ---------------------------------------------------------


@dataclass(frozen=True)
class CheckpointState:
    """What a checkpoint's ``trainer_state.json`` says about its schedule.

    Attributes:
        path: the file read.
        global_step: optimizer steps taken.
        max_steps: the run's total steps then.
        train_batch_size: the per-process batch size then.
        logged: ``(step, learning_rate)`` pairs of ``log_history`` (at most ``LOG_POINTS``):
            the rate optimizer step ``step`` (1-based) used.
        recorded: the schedule the guard recorded (None: written without it).
    """

    path: Path | None
    global_step: int
    max_steps: int | None
    train_batch_size: int | None
    logged: tuple[tuple[int, float], ...] = ()
    recorded: ScheduleFacts | None = None


def _recorded_in(data: Mapping[str, Any]) -> ScheduleFacts | None:
    """The newest schedule facts any guard entry of ``stateful_callbacks`` holds."""
    saved = data.get("stateful_callbacks")
    if not isinstance(saved, Mapping):
        return None
    found = None
    for name, entry in saved.items():
        if not str(name).endswith("GuardCallback"):
            continue
        for one in entry if isinstance(entry, list) else [entry]:
            attrs = one.get("attributes") if isinstance(one, Mapping) else None
            resume = attrs.get("resume_state") if isinstance(attrs, Mapping) else None
            if isinstance(resume, Mapping):
                facts = ScheduleFacts.from_dict(resume.get("schedule"))
                found = facts or found
    return found


def state_from_dict(data: Any, path: Path | None = None) -> CheckpointState:
    """Read the parsed ``trainer_state.json``.

    Raises:
        ResumeInputError: not a mapping, or ``global_step`` missing / not a whole number.
    """
    where = str(path) if path is not None else "trainer_state.json"
    if not isinstance(data, Mapping):
        raise ResumeInputError(
            f"{where}: holds {type(data).__name__}, not a mapping. Fix: name the folder of a "
            "checkpoint written by Trainer (checkpoint-N)."
        )
    step = _whole(data.get("global_step"))
    if step is None:
        raise ResumeInputError(
            f"{where}: global_step={fmt(data.get('global_step'))} is not a whole number >= 0. "
            "Fix: name the folder of a checkpoint written by Trainer (checkpoint-N)."
        )
    logged: list[tuple[int, float]] = []
    history = data.get("log_history")
    if isinstance(history, list):
        entries = [e for e in history if isinstance(e, Mapping) and "learning_rate" in e]
        spread = max(1, len(entries) // LOG_POINTS)
        for entry in entries[::spread][: LOG_POINTS + 1]:
            s, lr = _whole(entry.get("step")), _number(entry.get("learning_rate"))
            if s is not None and lr is not None:
                logged.append((s, lr))
    batch = _whole(data.get("train_batch_size"))
    return CheckpointState(
        path=path,
        global_step=step,
        max_steps=_whole(data.get("max_steps")) or None,
        train_batch_size=batch or None,
        logged=tuple(logged),
        recorded=_recorded_in(data),
    )


def read_checkpoint(folder: Path) -> CheckpointState:
    """Read ``folder/trainer_state.json``.

    Raises:
        ResumeInputError: no such folder, no ``trainer_state.json``, unreadable or
            unusable JSON (the message names the value and the fix).
    """
    label = "--resume-from"
    if not folder.exists():
        raise ResumeInputError(
            f"{label} {folder}: no such folder. Fix: name a checkpoint folder (checkpoint-N "
            "in the run's output_dir)."
        )
    if not folder.is_dir():
        raise ResumeInputError(
            f"{label} {folder}: not a folder. Fix: name the checkpoint folder that holds "
            "trainer_state.json, not a file in it."
        )
    path = folder / "trainer_state.json"
    if not path.is_file():
        newest = _newest_checkpoint(folder)
        hint = f" (the newest one here is {newest})" if newest else ""
        raise ResumeInputError(
            f"{label} {folder}: no trainer_state.json, so this is not a Trainer checkpoint. "
            f"Fix: name a checkpoint-N folder{hint}."
        )
    try:
        size = path.stat().st_size
        if size > MAX_STATE_BYTES:
            raise ResumeInputError(
                f"{label} {path}: {size:,} bytes, more than the {MAX_STATE_BYTES:,} lrguard "
                "reads. Fix: name a checkpoint written by Trainer."
            )
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise ResumeInputError(
            f"{label} {path}: cannot be read ({reason}). Fix: check the file's permissions "
            "and encoding (UTF-8 JSON)."
        ) from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as err:
        where = f"line {err.lineno} column {err.colno}: {err.msg}" if hasattr(err, "msg") else ""
        raise ResumeInputError(
            f"{label} {path}: not valid JSON ({where or 'nested too deeply'}). Fix: restore "
            "the file Trainer wrote, or name another checkpoint."
        ) from None
    return state_from_dict(data, path)


def _newest_checkpoint(folder: Path) -> str | None:
    try:
        names = [n for n in os.listdir(folder) if n.startswith("checkpoint-")]
    except OSError:
        return None
    steps = [(int(n.split("-", 1)[1]), n) for n in names if n.split("-", 1)[1].isdigit()]
    return max(steps)[1] if steps else None


def facts_from_trainer_state(
    state: CheckpointState, new: ScheduleFacts, base: float | None = None
) -> tuple[ScheduleFacts | None, str]:
    """The checkpoint's schedule, and how it was found (for messages).

    The guard's record when there is one. Otherwise the new run's schedule over the
    checkpoint's ``max_steps`` is taken as the checkpoint's, when its logged rates agree
    with it (``base``: the scheduler's restored base rate when known; else worked out from
    the first logged rate); (None, why) when they do not, or nothing says what it was.
    """
    if state.recorded is not None:
        return state.recorded, ""
    if state.max_steps is None:
        return None, "its trainer_state.json has no max_steps"
    guess = new.with_total(state.max_steps)
    if not guess.has_closed_form():
        return None, f"lr_scheduler_type={guess.name} has no closed form"
    # log_history's learning_rate at step s is the rate step s used: 0-based index s - 1
    logged = [(s - 1, lr) for s, lr in state.logged if 0 < s <= state.max_steps]
    try:
        if base is None:
            usable = [(s, lr) for s, lr in logged if guess.factors([s])[0] > 0]
            if not usable:
                return None, "its log_history has no learning_rate to compare"
            s0, lr0 = usable[0]
            base = lr0 / guess.factors([s0])[0]
        guess = replace(guess, learning_rate=base)
        expected = guess.rates([s for s, _ in logged])
    except ScheduleError as err:
        return None, str(err)
    agree = all(
        math.isclose(e, lr, rel_tol=1e-6, abs_tol=1e-12)
        for e, (_, lr) in zip(expected, logged, strict=True)
    )
    if not agree:
        return None, (
            f"its {len(logged)} logged learning rates do not follow lr_scheduler_type="
            f"{new.name} over its max_steps={state.max_steps}"
        )
    how = (
        f"the checkpoint was written without lrguard: its schedule is taken to be "
        f"{new.name} over its max_steps={state.max_steps:,}, which its {len(logged)} logged "
        "rates agree with; its world size and batch settings are not recorded"
    )
    return guess, how


def not_compared(reason: str) -> Finding:
    """The one INFO finding for a resume that cannot be compared."""
    return Finding(
        code=CODE,
        severity=Severity.INFO,
        message=f"the resumed schedule is not compared with the checkpoint's: {reason}.",
        location="resume_from_checkpoint",
        fix="nothing to change; a checkpoint written under LRGuardCallback records its "
        "schedule, so later resumes are compared exactly.",
    )


def fallback_note(how: str) -> Finding:
    """The one INFO finding saying what a checkpoint without the guard's record leaves out."""
    return Finding(
        code=CODE,
        severity=Severity.INFO,
        message=f"resume compared from trainer_state.json alone: {how}.",
        location="resume_from_checkpoint",
        fix="nothing to change; a checkpoint written under LRGuardCallback records its "
        "schedule, so later resumes are compared exactly.",
    )


def check_resume(
    state: CheckpointState,
    new: ScheduleFacts,
    *,
    base: float | None = None,
    restored: bool = True,
) -> list[Finding]:
    """Every LRG024 finding of resuming ``state``'s checkpoint with the schedule ``new``.

    Schedules without a closed form (plateau schedules, a scheduler object) and checkpoints
    whose schedule cannot be worked out give one INFO finding saying so.
    """
    if state.global_step == 0:
        return []
    if new.metric_driven or not new.has_closed_form():
        return [not_compared(f"lr_scheduler_type={new.name} follows no fixed schedule")]
    old, how = facts_from_trainer_state(state, new, base)
    if old is None:
        return [not_compared(how)]
    if old.metric_driven or not old.has_closed_form():
        return [not_compared(f"the checkpoint's lr_scheduler_type={old.name} has no closed form")]
    try:
        found = compare(old, new, state.global_step, base=base, restored=restored)
    except ScheduleError as err:
        return [not_compared(str(err))]
    return ([fallback_note(how)] if how else []) + found


# -- a config file's side (lrguard check / simulate --resume-from) ------------------------


def facts_from_config(result: Any, transformers_major: int = 4) -> ScheduleFacts:
    """The schedule a loaded config (``lrguard.configs.loader.ConfigResult``) builds.

    Raises:
        ResumeInputError: the config has no schedule, an unusable rate, or an unknown
            step count (the message says which option to pass).
    """
    plan = getattr(result, "plan", None)
    if plan is None or plan.schedule is None:
        reason = getattr(result, "reason", "") or "no learning-rate schedule"
        raise ResumeInputError(
            f"{result.path}: {reason}: nothing to compare with the checkpoint. Fix: name a "
            "Hugging Face, LLaMA-Factory or axolotl training config."
        )
    lr = _number(plan.learning_rate)
    if lr is None or lr <= 0:
        raise ResumeInputError(
            f"{result.path}: learning_rate={fmt(plan.learning_rate)} is not a positive "
            "number. Fix: run lrguard check on the config first."
        )
    total = result.steps.total if result.steps is not None else plan.schedule.total_steps
    if total is None:
        why = result.steps.source if result.steps is not None else "unknown"
        raise ResumeInputError(
            f"{result.path}: the run's total steps are {why}. Fix: pass --steps N or "
            "--dataset-size N (and --world-size N)."
        )
    from lrguard.rules._hf import read_kwargs

    kwargs, problem = read_kwargs(plan.schedule.kwargs or {})
    if kwargs is None:
        raise ResumeInputError(
            f"{result.path}: lr_scheduler_kwargs {problem}. Fix: run lrguard check on it."
        )
    kwargs = {k: (_number(v) if _number(v) is not None else v) for k, v in kwargs.items()}
    ws = _number(plan.schedule.warmup_steps or 0) or 0.0
    ratio = _number(plan.schedule.warmup_ratio or 0) or 0.0
    try:
        warmup = warmup_steps_for(int(total), ws, ratio, transformers_major)
    except ScheduleError as err:
        raise ResumeInputError(f"{result.path}: {err}. Fix: run lrguard check on it.") from None
    fraction = ws if 0 < ws < 1 else (ratio if not ws else 0.0)
    document = getattr(result, "document", None)
    doc = document if isinstance(document, Mapping) else {}
    return ScheduleFacts(
        name=str(plan.schedule.name),
        learning_rate=lr,
        warmup_steps=int(warmup),
        total_steps=int(total),
        kwargs=kwargs,
        warmup_fraction=float(fraction),
        transformers_major=transformers_major,
        per_device_train_batch_size=_whole(doc.get("per_device_train_batch_size")),
        gradient_accumulation_steps=_whole(doc.get("gradient_accumulation_steps")),
        num_train_epochs=_number(doc.get("num_train_epochs")),
    )


def add_resume_findings(reports: Sequence[Any], checkpoint: Path, options: Any) -> str | None:
    """``lrguard check --resume-from``: add the LRG024 findings of resuming ``checkpoint``
    to every checked report.

    Args:
        reports: ``lrguard.checking.FileReport`` objects (their ``findings`` are extended).
        checkpoint: the checkpoint folder (``checkpoint-N``).
        options: the run's ``CheckOptions`` (``select`` / ``ignore``, the transformers
            version, ``--world-size``).

    Returns:
        None, or the one-line problem that makes the input unusable (exit 2).
    """
    from lrguard.schedules.table import major_version

    select = getattr(options, "select", None)
    ignore = getattr(options, "ignore", None) or ()
    if select is not None and not any(CODE.startswith(p.upper()) for p in select):
        return None
    if any(CODE.startswith(p.upper()) for p in ignore):
        return None
    major = major_version(getattr(options, "transformers_version", None))
    steps = getattr(options, "steps", None)
    world = getattr(steps, "world_size", None)
    try:
        state = read_checkpoint(checkpoint)
    except ResumeInputError as err:
        return str(err)
    for report in reports:
        result = report.result
        if result.status != "checked" or result.kind == "flair":
            continue
        source = getattr(result.plan, "source", None)
        deepspeed = getattr(source, "deepspeed", None)
        if getattr(deepspeed, "scheduler", None) is not None:
            report.findings.append(not_compared("a DeepSpeed scheduler section drives the run"))
            continue
        if result.schedule_unsupported:
            report.findings.append(not_compared(str(result.schedule_unsupported)))
            continue
        try:
            new = facts_from_config(result, major)
        except ResumeInputError as err:
            return str(err)
        recorded = state.recorded
        if world is not None and recorded is not None and recorded.world_size is not None:
            new = replace(new, world_size=world)
        report.findings.extend(check_resume(state, new))
    return None


def resumed_simulation(
    simulate: Any, result: Any, checkpoint: Path, transformers_major: int = 4, pick: Any = None
) -> Any:
    """``lrguard simulate --resume-from``: the config's ``Simulation`` (made by
    ``simulate(result, transformers_major, pick)``) as the run resumed from ``checkpoint``:
    ``lr`` is the checkpoint's rates up to its step and stock transformers' after it,
    ``lr_checkpoint`` the checkpoint's schedule continued (NaN past its end). The steps
    around the resume are always among the rows.

    Raises:
        SimulationError: an unusable checkpoint, a config or checkpoint schedule without a
            closed form, or a schedule counted in epochs / evaluations.
    """
    from lrguard.simulate import SimulationError

    try:
        state = read_checkpoint(checkpoint)
    except ResumeInputError as err:
        raise SimulationError(str(err)) from None
    g = state.global_step
    marked = pick
    if pick is not None:

        def marked(count: int, landmarks: Any) -> list[int]:
            return pick(count, [*landmarks, g - 1, g, g + 1])

    sim = simulate(result, transformers_major, marked)
    if sim.unit != "step":
        raise SimulationError(
            f"--resume-from: a schedule counted in {sim.unit}s cannot be resumed by step"
        )
    try:
        new = facts_from_config(result, transformers_major)
        old, how = facts_from_trainer_state(state, new)
        if old is None or not old.has_closed_form() or not new.has_closed_form():
            raise ResumeInputError(
                f"--resume-from {checkpoint}: the checkpoint's schedule cannot be simulated: "
                f"{how or 'no closed form'}."
            )
        positions = [i - 1 for i in sim.index]
        run = Resumed(old, new, g, old.learning_rate)
        before = [p for p in positions if p < g]
        after = [p for p in positions if p >= g]
        resumed = old.rates(before) + run.stock_rates(after)
        inside = [p for p in positions if p < old.total_steps]
        kept = old.rates(inside) + [math.nan] * (len(positions) - len(inside))
    except (ResumeInputError, ScheduleError) as err:
        raise SimulationError(str(err)) from None
    title = (
        f"{sim.title}; resumed after step {g:,} from {checkpoint}: lr = the checkpoint's rates, "
        f"then its base rate {fmt(old.learning_rate)} x this schedule; lr_checkpoint = the "
        f"checkpoint's {old.name} over {old.total_steps:,} steps continued"
    )
    return replace(
        sim,
        series={"lr": resumed, "lr_checkpoint": kept},
        title=title + (f" ({how})" if how else ""),
    )


__all__ = [
    "CODE",
    "ERROR_RATIO",
    "SAMPLE_POINTS",
    "TOLERANCE",
    "CheckpointState",
    "ResumeInputError",
    "Resumed",
    "ScheduleFacts",
    "add_resume_findings",
    "check_resume",
    "compare",
    "facts_from_config",
    "facts_from_trainer_state",
    "read_checkpoint",
    "resumed_simulation",
    "state_from_dict",
]
