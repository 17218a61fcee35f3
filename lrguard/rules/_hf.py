"""Shared reading and fixing of Hugging Face plans for the schedule rules."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator
from typing import Any

from lrguard.adapters.hf_args import is_hf_plan
from lrguard.configs.reading import UnusableConfig, check_json_limits
from lrguard.findings import Finding, Severity
from lrguard.numbers import ParsedNumber, fmt, parse_number, tidy
from lrguard.plan import TrainingPlan
from lrguard.records import Record
from lrguard.rules import Adjustment
from lrguard.schedules.closed_form import ScheduleError
from lrguard.schedules.table import (
    Floor,
    ScheduleSpec,
    any_version_spec,
    floor_of,
    major_version,
    schedule_spec,
    warmup_steps_for,
)

KWARGS = "lr_scheduler_kwargs"

NON_STRING_KEY = "has the key"
"""How ``read_kwargs`` starts the reason for a key that is not a parameter name."""


def read_kwargs(raw: Any) -> tuple[dict[str, Any] | None, str | None]:
    """``lr_scheduler_kwargs`` as a dict, or None and why it is unusable.

    Example:
        >>> read_kwargs('{"min_lr": 1e-6}')
        ({'min_lr': 1e-06}, None)
        >>> read_kwargs("min_lr=1e-6")[1]
        'is not valid JSON (Expecting value at line 1 column 1)'
    """
    if raw is None:
        return {}, None
    if isinstance(raw, str):
        kwargs, problem = _read_json_kwargs(raw)
        return (dict(kwargs) if kwargs is not None else None), problem
    if isinstance(raw, dict) or hasattr(raw, "items"):
        try:
            return _string_keys(dict(raw.items()))
        except (TypeError, ValueError, AttributeError):
            pass
    return None, f"is a {type(raw).__name__}, not a mapping"


def scheduler_kwargs(raw: Any) -> dict[str, Any]:
    """``lr_scheduler_kwargs`` as the schedule receives them, numbers given as text read as
    numbers; ``{}`` when they are unusable (LRG017 says why). What the integrations compare
    with the built scheduler and pass on.

    Example:
        >>> scheduler_kwargs({"min_lr": "1e-6", "num_cycles": 2, "flag": True})
        {'min_lr': 1e-06, 'num_cycles': 2, 'flag': True}
        >>> scheduler_kwargs("min_lr=1e-6")
        {}
    """
    kwargs, _ = read_kwargs(raw)
    parsed = {}
    for key, value in (kwargs or {}).items():
        number = parse_number(value) if isinstance(value, str) else None
        parsed[key] = number.value if number is not None and number.value is not None else value
    return parsed


@functools.lru_cache(maxsize=4)
def _read_json_kwargs(raw: str) -> tuple[dict[str, Any] | None, str | None]:
    """``read_kwargs`` of JSON text, parsed once however many rules ask (callers copy)."""
    if not raw.strip():
        return {}, None
    import json  # on first use: a check of a YAML config needs no json

    try:
        loaded = check_json_limits(raw, json.loads)
    except json.JSONDecodeError as err:
        return None, f"is not valid JSON ({err.msg} at line {err.lineno} column {err.colno})"
    except (UnusableConfig, RecursionError, ValueError) as err:
        return None, f"cannot be read as JSON ({' '.join(str(err).split())})"
    if not isinstance(loaded, dict):
        return None, f"is JSON for a {type(loaded).__name__}, not an object"
    return _string_keys(loaded)


def _string_keys(kwargs: dict[Any, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """``kwargs`` when every key is a string (Python's ``**kwargs`` needs names), else why."""
    for key in kwargs:
        if not isinstance(key, str):
            return None, (
                f"{NON_STRING_KEY} {key!r} ({type(key).__name__}), not a parameter name: "
                "Python refuses it in **kwargs (TypeError)"
            )
    return kwargs, None


class ScheduleReading(Record):
    """A Hugging Face plan's schedule read for the rules: ``lr_scheduler_type`` with its entry
    in the schedule table, ``lr_scheduler_kwargs`` as a dict, the peak rate and the step
    count (``read_schedule``)."""

    def __init__(
        self,
        plan: TrainingPlan,
        name: Any,
        spec: ScheduleSpec | None,
        kwargs: dict[str, Any] | None,
        lr: ParsedNumber,
        total: int | None,
    ) -> None:
        self.plan = plan
        self.name = name
        self.spec = spec
        self.kwargs = kwargs
        self.lr = lr
        self.total = total

    @property
    def version(self) -> str | None:
        """The transformers version the plan targets."""
        return self.plan.framework_version

    def kw(self, key: str) -> ParsedNumber | None:
        """A kwarg read as a number; None when not given."""
        if self.kwargs is None or self.kwargs.get(key) is None:
            return None
        return parse_number(self.kwargs[key])

    def kw_or_default(self, key: str) -> ParsedNumber | None:
        """A kwarg, or the schedule's default for it, read as a number."""
        given = self.kw(key)
        if given is not None or self.spec is None:
            return given
        default = self.spec.kwargs.get(key)
        return parse_number(default) if isinstance(default, int | float) else None

    @property
    def peak(self) -> float | None:
        """The learning rate when it is a usable number."""
        return self.lr.value if self.lr.is_finite_positive else None

    def warmup(self) -> int | None:
        """Warmup steps ``TrainingArguments.get_warmup_steps`` would compute; None if unknown."""
        steps = parse_number(self.plan.schedule.warmup_steps).value or 0.0
        ratio = parse_number(self.plan.schedule.warmup_ratio).value or 0.0
        if not math.isfinite(steps) or not math.isfinite(ratio) or steps < 0 or ratio < 0:
            return None
        major = major_version(self.version) if self.version else None
        try:
            return warmup_steps_for(self.total, steps, ratio, major)
        except ScheduleError:
            return None

    def floor(self) -> Floor | None:
        """The schedule's floor (the kwarg that sets it, or its default) against the peak;
        None when there is none, or the peak or a value is not a usable number."""
        if self.spec is None or self.kwargs is None or self.peak is None:
            return None
        numbers = {}
        for key in self.spec.floor.keys if self.spec.floor else ():
            parsed = self.kw(key)
            if parsed is not None:
                if not parsed.is_finite_non_negative:
                    return None
                numbers[key] = parsed.value
        return floor_of(self.spec, numbers, self.peak)


def read_schedule(plan: TrainingPlan) -> ScheduleReading | None:
    """The plan's schedule read for the Hugging Face rules; None for other plans."""
    if not is_hf_plan(plan):
        return None
    schedule = plan.schedule
    name = schedule.name
    spec = schedule_spec(name, plan.framework_version)
    if spec is None and not plan.framework_version:  # version unknown: any version's
        spec = any_version_spec(name)
    kwargs, _ = read_kwargs(schedule.kwargs)
    lr = parse_number(plan.learning_rate)
    return ScheduleReading(plan, name, spec, kwargs, lr, schedule.total_steps)


def deepspeed_scheduler(plan: TrainingPlan) -> Any:
    """The ``scheduler`` section of the DeepSpeed config the plan's config names, when it has
    one (transformers then builds DeepSpeed's scheduler); None otherwise."""
    source = plan.source
    deepspeed = source.deepspeed if source is not None else None
    if deepspeed is None or deepspeed.problem is not None:
        return None
    return deepspeed.scheduler


def read_built_schedule(plan: TrainingPlan) -> ScheduleReading | None:
    """``read_schedule`` for the rules about the schedule ``lr_scheduler_type`` builds: None
    when a DeepSpeed ``scheduler`` section replaces it (LRG080 says so; LRG081 - LRG084 check
    it)."""
    if deepspeed_scheduler(plan) is not None:
        return None
    return read_schedule(plan)


def kwarg_domain_findings(plan: TrainingPlan, code: str, *, floors: bool) -> Iterator[Finding]:
    """Scheduler kwargs that are numbers outside their domain in the schedule table (NaN,
    infinite, negative, ``factor: 2``, ``patience: -1`` ...), as errors of rule ``code``: only
    the floor kwargs (``floors=True``) or only the others. Non-numbers are LRG005's (a
    TypeError in transformers)."""
    view = read_built_schedule(plan)
    if view is None or view.spec is None or view.kwargs is None or view.spec.ignores_kwargs:
        return
    floor_keys = view.spec.floor.keys if view.spec.floor else ()
    for key, domain in view.spec.domains.items():
        if (key in floor_keys) != floors or domain.choices:
            continue
        parsed = view.kw(key)
        if parsed is None or parsed.value is None or isinstance(parsed.raw, bool):
            continue
        value = parsed.value
        if math.isfinite(value) and not domain.violation(value):
            continue
        name = label(plan, kw_field(key))
        shown = key if "." in name else name  # a top-level setting of its own keeps its name
        default = view.spec.kwargs.get(key)
        hint = f" (default {fmt(default)})" if isinstance(default, int | float) else ""
        yield finding(
            plan,
            code,
            Severity.ERROR,
            kw_field(key),
            parsed.raw,
            f"{name}={fmt(parsed.raw)} is not {domain.describe()}: {view.name} cannot use it.",
            f"Set {shown} to {domain.describe()}{hint}.",
        )


def label(plan: TrainingPlan, field: str) -> str:
    """How the user's config names ``field`` (``lr_scheduler_kwargs.min_lr`` by default)."""
    if field in plan.locations:
        return plan.locations[field]
    parent, _, child = field.partition(".")
    if child and parent in plan.locations:
        return f"{plan.locations[parent]}.{child}"
    return field


def kw_field(key: str) -> str:
    """The field name of a scheduler kwarg."""
    return f"{KWARGS}.{key}"


def finding(
    plan: TrainingPlan,
    code: str,
    severity: Severity,
    field: str,
    value: Any,
    message: str,
    fix: str,
) -> Finding:
    """A finding about a Hugging Face field, located in the user's config."""
    parent = field.partition(".")[0]
    line = plan.lines.get(field, plan.lines.get(parent))
    if not isinstance(value, str | int | float | bool | type(None)):
        import json  # on first use: a check of a YAML config needs no json

        value = json.loads(json.dumps(value, default=str))
    return Finding(
        code=code,
        severity=severity,
        message=message,
        location=label(plan, field),
        field=field,
        value=value,
        fix=fix,
        line=line,
    )


def kwarg_key(finding_: Finding) -> str:
    """The kwarg a finding about ``lr_scheduler_kwargs.<key>`` is about."""
    return (finding_.field or "").partition(".")[2]


def set_kwarg(plan: TrainingPlan, key: str, value: Any) -> TrainingPlan:
    """A copy of ``plan`` with ``lr_scheduler_kwargs[key] = value`` (None removes the key)."""
    new_plan = plan.clone()
    kwargs, _ = read_kwargs(new_plan.schedule.kwargs)
    kwargs = dict(kwargs or {})
    if value is None:
        kwargs.pop(key, None)
    else:
        kwargs[key] = value
    new_plan.schedule.kwargs = kwargs
    return new_plan


def adjust_kwarg(plan: TrainingPlan, key: str, value: Any) -> Adjustment:
    """Set one kwarg and record it before and after."""
    kwargs, _ = read_kwargs(plan.schedule.kwargs)
    before = (kwargs or {}).get(key)
    return Adjustment(set_kwarg(plan, key, value), {kw_field(key): before}, {kw_field(key): value})


def as_number(parsed: ParsedNumber) -> int | float | None:
    """A string number as the int or float it stands for (``'10'`` -> 10, ``'1e-5'`` -> 1e-05)."""
    if parsed.value is None:
        return None
    raw = parsed.raw
    if isinstance(raw, str) and re.fullmatch(r"\s*[+-]?\d+\s*", raw):
        return int(raw)
    return parsed.value


def yaml_number(value: float | int) -> str:
    """How to write a number so YAML 1.1 reads a float: ``1e-05`` -> ``1.0e-05``.

    Example:
        >>> yaml_number(1e-05), yaml_number(0.1), yaml_number(10)
        ('1.0e-05', '0.1', '10')
    """
    text = fmt(value)
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def times(value: float, peak: float) -> str:
    """'10x the peak' for messages."""
    return f"{fmt(tidy(value / peak))}x"
