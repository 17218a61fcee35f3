"""The schedule table: every fact about every Hugging Face ``lr_scheduler_type`` in one place.

One ``ScheduleSpec`` per schedule and transformers major version carries what the rules,
``lrguard simulate``, the adapters and the integrations need to know about it:

* the kwargs ``get_scheduler`` passes on (with their defaults; ``REQUIRED`` when none), the
  groups of which exactly one must be given, and whether the kwargs are dropped silently;
* the domain of every kwarg value (number ranges, whole numbers, string choices);
* its closed form (``lrguard.schedules.closed_form``), and whether that needs the total step
  count or the peak learning rate;
* its warmup behaviour and whether it is driven by an evaluation metric (plateau-like);
* its floor as a function of the kwargs (``min_lr``, ``min_lr_rate``, ``lr_end`` ...), and
  the rule that checks the floor against the peak.

``tests/hf/test_hf_kwargs_table.py`` compares the table with the installed transformers by
introspection, so drift is caught for every use at once.

Example:
    >>> spec = schedule_spec("cosine_with_min_lr", "4.57.6")
    >>> spec.one_of, spec.floor.keys
    ((('min_lr', 'min_lr_rate'),), ('min_lr', 'min_lr_rate'))
    >>> schedule_spec("greedy", "4.57.6") is None
    True
    >>> floor_of(schedule_spec("polynomial"), {}, 1e-5).value
    1e-07
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from lrguard.defaults import POLYNOMIAL_LR_END
from lrguard.records import Record
from lrguard.schedules import closed_form as cf
from lrguard.schedules.closed_form import ScheduleError

RESERVED = ("optimizer", "num_warmup_steps", "num_training_steps")
"""Arguments ``get_scheduler`` passes itself: never valid in ``lr_scheduler_kwargs``."""

SHAPES = cf.SHAPES


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
"""Marker for a kwarg without a default."""


class Domain(Record):
    """The values a kwarg accepts.

    Attributes:
        low / high: bounds (None: unbounded); ``*_open``: the bound itself is excluded.
        whole: the value must be a whole number.
        choices: the value must be one of these strings (numbers are not checked then).

    ``None`` (null) is never checked: it stands for the schedule's own default.
    """

    def __init__(
        self,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
        high_open: bool = False,
        whole: bool = False,
        choices: tuple[str, ...] = (),
    ) -> None:
        self.low = low
        self.high = high
        self.low_open = low_open
        self.high_open = high_open
        self.whole = whole
        self.choices = choices

    def describe(self) -> str:
        """The domain in words, for messages ('a number in (0, 1)')."""
        if self.choices:
            return f"one of {list(self.choices)}"
        kind = "a whole number" if self.whole else "a number"
        if self.low is not None and self.high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f"{kind} in {left}{self.low:g}, {self.high:g}{right}"
        if self.low is not None:
            return f"{kind} {'>' if self.low_open else '>='} {self.low:g}"
        if self.high is not None:
            return f"{kind} {'<' if self.high_open else '<='} {self.high:g}"
        return f"a finite {kind[2:]}" if not self.whole else kind

    def violation(self, value: float) -> bool:
        """True when the finite number ``value`` lies outside the domain."""
        if self.whole and value != int(value):
            return True
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return True
        return self.high is not None and (
            value > self.high or (self.high_open and value == self.high)
        )


NON_NEGATIVE = Domain(low=0.0)
POSITIVE = Domain(low=0.0, low_open=True)
FRACTION = Domain(low=0.0, high=1.0)
FACTOR = Domain(low=0.0, high=1.0, low_open=True, high_open=True)
COUNT = Domain(low=0.0, whole=True)
ANY_INT = Domain(whole=True)


class FloorSpec(Record):
    """Where a schedule's floor (the lowest rate it decays to) comes from.

    When no key is given, the default of the first key (in ``ScheduleSpec.kwargs``) applies;
    a schedule without keys decays to 0.

    Attributes:
        keys: kwargs that set the floor, in order of precedence.
        relative: those of ``keys`` that are a fraction of the peak rather than a rate.
        rule: the code of the rule that checks the floor against the peak.
    """

    def __init__(
        self, keys: tuple[str, ...] = (), relative: tuple[str, ...] = (), rule: str | None = None
    ) -> None:
        self.keys = keys
        self.relative = relative
        self.rule = rule


class Floor(Record):
    """A schedule's floor, read from its kwargs.

    Attributes:
        key: the kwarg that sets it (None: fixed by the schedule).
        raw: the value as given, or the default.
        value: the floor as a learning rate.
        given: False when the schedule's default applies.
        relative: ``raw`` is a fraction of the peak.
    """

    def __init__(
        self, key: str | None, raw: Any, value: float, given: bool, relative: bool
    ) -> None:
        self.key = key
        self.raw = raw
        self.value = value
        self.given = given
        self.relative = relative


class ScheduleSpec(Record):
    """One ``SchedulerType`` of one transformers major version.

    Attributes:
        name: the ``lr_scheduler_type`` value.
        function: the transformers function ``get_scheduler`` calls.
        kwargs: every keyword the function (or the scheduler class it forwards ``**kwargs``
            to) accepts beyond ``RESERVED``, with its default (``REQUIRED`` when none).
        domains: the valid values of each kwarg.
        one_of: groups of keys of which exactly one must be given.
        ignores_kwargs: ``get_scheduler`` calls the function without ``lr_scheduler_kwargs``.
        uses_warmup: the schedule has a warmup phase (``warmup_steps`` matters).
        metric_driven: stepped with an evaluation metric (plateau-like) instead of per step.
        closed_form: ``lr / learning_rate`` as a function of the step (None: metric-driven).
        needs_total_steps: the closed form needs the run's total steps.
        needs_learning_rate: the closed form needs the peak rate (an absolute floor).
        floor: where the floor comes from; None: the schedule has none (constant, inverse
            square root).
    """

    def __init__(
        self,
        name: str,
        function: str,
        kwargs: Mapping[str, Any],
        domains: Mapping[str, Domain] | None = None,
        one_of: tuple[tuple[str, ...], ...] = (),
        ignores_kwargs: bool = False,
        uses_warmup: bool = True,
        metric_driven: bool = False,
        closed_form: Callable[..., Any] | None = None,
        needs_total_steps: bool = True,
        needs_learning_rate: bool = False,
        floor: FloorSpec | None = None,
    ) -> None:
        self.name = name
        self.function = function
        self.kwargs = kwargs
        self.domains = {} if domains is None else domains
        self.one_of = one_of
        self.ignores_kwargs = ignores_kwargs
        self.uses_warmup = uses_warmup
        self.metric_driven = metric_driven
        self.closed_form = closed_form
        self.needs_total_steps = needs_total_steps
        self.needs_learning_rate = needs_learning_rate
        self.floor = floor

    @property
    def required(self) -> tuple[str, ...]:
        """Kwargs without a default."""
        return tuple(k for k, v in self.kwargs.items() if v is REQUIRED)

    @property
    def numeric(self) -> tuple[str, ...]:
        """Kwargs whose value must be a number."""
        return tuple(k for k, d in self.domains.items() if not d.choices)

    @property
    def choices(self) -> dict[str, tuple[str, ...]]:
        """Kwargs restricted to a few string values."""
        return {k: d.choices for k, d in self.domains.items() if d.choices}


PLATEAU_DEFAULTS = {  # torch.optim.lr_scheduler.ReduceLROnPlateau (torch 2.x, no optimizer)
    "mode": "min",
    "factor": 0.1,
    "patience": 10,
    "threshold": 1e-4,
    "threshold_mode": "rel",
    "cooldown": 0,
    "min_lr": 0,
    "eps": 1e-8,
}

GREEDY_DEFAULTS = {  # transformers.optimization.GreedyLR (5.x)
    "mode": "min",
    "factor": 0.95,
    "patience": 10,
    "threshold": 1e-6,
    "threshold_mode": "abs",
    "cooldown": 0,
    "warmup": 0,
    "min_lr": 1e-3,
    "max_lr": 1.0,
    "eps": 1e-8,
    "verbose": False,
    "smooth": False,
    "window_size": 50,
    "reset_start": 500,
}

_MODE = {"mode": Domain(choices=("min", "max")), "threshold_mode": Domain(choices=("rel", "abs"))}
_PLATEAU_DOMAINS = {
    **_MODE,
    "factor": FACTOR,
    "patience": COUNT,
    "threshold": NON_NEGATIVE,
    "cooldown": COUNT,
    "min_lr": NON_NEGATIVE,
    "eps": NON_NEGATIVE,
}
_COSINE = {"num_cycles": POSITIVE, "last_epoch": ANY_INT}
_MIN_LR_KW = {"num_cycles": 0.5, "last_epoch": -1, "min_lr": None, "min_lr_rate": None}
_MIN_LR_DOMAINS = {
    **_COSINE,
    "min_lr": NON_NEGATIVE,
    "min_lr_rate": NON_NEGATIVE,
}
_COSINE_FLOOR = FloorSpec(keys=("min_lr", "min_lr_rate"), relative=("min_lr_rate",), rule="LRG002")
_ZERO_FLOOR = FloorSpec()


def _specs(major: int) -> dict[str, ScheduleSpec]:
    last_epoch = {"last_epoch": ANY_INT}
    specs = [
        ScheduleSpec(
            "linear",
            "get_linear_schedule_with_warmup",
            {"last_epoch": -1},
            last_epoch,
            closed_form=cf.linear,
            floor=_ZERO_FLOOR,
        ),
        ScheduleSpec(
            "cosine",
            "get_cosine_schedule_with_warmup",
            {"num_cycles": 0.5, "last_epoch": -1},
            _COSINE,
            closed_form=cf.cosine,
            floor=_ZERO_FLOOR,
        ),
        ScheduleSpec(
            "cosine_with_restarts",
            "get_cosine_with_hard_restarts_schedule_with_warmup",
            {"num_cycles": 1, "last_epoch": -1},
            _COSINE,
            closed_form=cf.cosine_with_restarts,
            floor=_ZERO_FLOOR,
        ),
        ScheduleSpec(
            "polynomial",
            "get_polynomial_decay_schedule_with_warmup",
            {"lr_end": POLYNOMIAL_LR_END, "power": 1.0, "last_epoch": -1},
            {"lr_end": NON_NEGATIVE, "power": POSITIVE, **last_epoch},
            closed_form=cf.polynomial,
            needs_learning_rate=True,
            floor=FloorSpec(keys=("lr_end",), rule="LRG011"),
        ),
        ScheduleSpec(
            "constant",
            "get_constant_schedule",
            {"last_epoch": -1},
            ignores_kwargs=True,
            uses_warmup=False,
            closed_form=cf.constant,
            needs_total_steps=False,
        ),
        ScheduleSpec(
            "constant_with_warmup",
            "get_constant_schedule_with_warmup",
            {"last_epoch": -1},
            ignores_kwargs=True,
            closed_form=cf.constant_with_warmup,
            needs_total_steps=False,
        ),
        ScheduleSpec(
            "inverse_sqrt",
            "get_inverse_sqrt_schedule",
            {"timescale": None, "last_epoch": -1},
            {"timescale": POSITIVE, **last_epoch},
            ignores_kwargs=major < 5,
            closed_form=cf.inverse_sqrt,
            needs_total_steps=False,
        ),
        ScheduleSpec(
            "reduce_lr_on_plateau",
            "get_reduce_on_plateau_schedule",
            PLATEAU_DEFAULTS,
            _PLATEAU_DOMAINS,
            uses_warmup=False,
            metric_driven=True,
            needs_total_steps=False,
            floor=FloorSpec(keys=("min_lr",), rule="LRG012"),
        ),
        ScheduleSpec(
            "cosine_with_min_lr",
            "get_cosine_with_min_lr_schedule_with_warmup",
            _MIN_LR_KW,
            _MIN_LR_DOMAINS,
            one_of=(("min_lr", "min_lr_rate"),),
            closed_form=cf.cosine_with_min_lr,
            needs_learning_rate=True,
            floor=_COSINE_FLOOR,
        ),
        ScheduleSpec(
            "cosine_warmup_with_min_lr",
            "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
            {**_MIN_LR_KW, "warmup_lr_rate": None},
            {**_MIN_LR_DOMAINS, "warmup_lr_rate": FRACTION},
            one_of=(("min_lr", "min_lr_rate"),),
            closed_form=cf.cosine_warmup_with_min_lr,
            needs_learning_rate=True,
            floor=_COSINE_FLOOR,
        ),
        ScheduleSpec(
            "warmup_stable_decay",
            "get_wsd_schedule",
            {
                "num_decay_steps": REQUIRED,
                "num_stable_steps": None,
                "warmup_type": "linear",
                "decay_type": "cosine",
                "min_lr_ratio": 0,
                "num_cycles": 0.5,
                "last_epoch": -1,
            },
            {
                "num_decay_steps": COUNT,
                "num_stable_steps": COUNT,
                "warmup_type": Domain(choices=SHAPES),
                "decay_type": Domain(choices=SHAPES),
                "min_lr_ratio": NON_NEGATIVE,
                **_COSINE,
            },
            closed_form=cf.warmup_stable_decay,
            needs_total_steps=False,  # num_stable_steps can stand in for it
            floor=FloorSpec(keys=("min_lr_ratio",), relative=("min_lr_ratio",), rule="LRG002"),
        ),
    ]
    if major >= 5:
        specs.append(
            ScheduleSpec(
                "greedy",
                "get_greedy_schedule",
                GREEDY_DEFAULTS,
                {
                    **_PLATEAU_DOMAINS,
                    "warmup": COUNT,
                    "max_lr": POSITIVE,
                    "window_size": Domain(low=1.0, whole=True),
                    "reset_start": COUNT,
                },
                uses_warmup=False,
                metric_driven=True,
                needs_total_steps=False,
                floor=FloorSpec(keys=("min_lr",), rule="LRG013"),
            )
        )
    return {s.name: s for s in specs}


_TABLES = {4: _specs(4), 5: _specs(5)}
DEFAULT_MAJOR = 4
"""Major version assumed when the transformers version is unknown (configs in CI)."""


def major_version(version: str | None) -> int:
    """The transformers major version the table applies to (4 when unknown or older).

    Example:
        >>> major_version("5.23.0"), major_version(None), major_version("4.57.6")
        (5, 4, 4)
    """
    if not version:
        return DEFAULT_MAJOR
    match = re.match(r"\s*(\d+)", str(version))
    major = int(match.group(1)) if match else DEFAULT_MAJOR
    return 5 if major >= 5 else 4


def schedules(version: str | None = None) -> dict[str, ScheduleSpec]:
    """Every schedule name of that transformers version, with its spec."""
    return dict(_TABLES[major_version(version)])


def schedule_spec(name: Any, version: str | None = None) -> ScheduleSpec | None:
    """The spec of ``lr_scheduler_type=name`` in that version, None when it does not exist."""
    return _TABLES[major_version(version)].get(name) if isinstance(name, str) else None


def any_version_spec(name: Any) -> ScheduleSpec | None:
    """The spec of ``name`` in the newest version that has it (version unknown)."""
    return schedule_spec(name, "5") or schedule_spec(name, "4")


def only_in_other_version(name: str, version: str | None) -> str | None:
    """The version family that has ``name`` when ``version`` lacks it ('5.x'), else None."""
    here = major_version(version)
    for major, table in _TABLES.items():
        if major != here and name in table:
            return f"{major}.x"
    return None


def is_metric_driven(name: Any) -> bool:
    """True for schedules stepped with an evaluation metric, in any version.

    Example:
        >>> is_metric_driven("reduce_lr_on_plateau"), is_metric_driven("cosine")
        (True, False)
    """
    spec = any_version_spec(name)
    return spec is not None and spec.metric_driven


def floor_of(spec: ScheduleSpec, kwargs: Mapping[str, Any], peak: float) -> Floor | None:
    """The floor of ``spec`` under ``kwargs`` (numbers already parsed) and peak rate ``peak``.

    The first of ``spec.floor.keys`` given (not None) sets it; otherwise the schedule's
    default. None when the schedule has no floor or a value is not a number.

    Example:
        >>> spec = schedule_spec("cosine_with_min_lr")
        >>> floor_of(spec, {"min_lr_rate": 0.1}, 1e-4).value
        1e-05
    """
    if spec.floor is None:
        return None
    for key in spec.floor.keys:
        raw = kwargs.get(key)
        if raw is None:
            continue
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            return None
        relative = key in spec.floor.relative
        value = peak * float(raw) if relative else float(raw)
        return Floor(key, raw, value, True, relative)
    if not spec.floor.keys:
        return Floor(None, 0.0, 0.0, False, False)
    key = spec.floor.keys[0]
    default = spec.kwargs.get(key)
    if isinstance(default, bool) or not isinstance(default, int | float):
        return None  # no default: one of the keys is required (LRG005)
    relative = key in spec.floor.relative
    value = peak * float(default) if relative else float(default)
    return Floor(key, default, value, False, relative)


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
        name: an ``lr_scheduler_type`` with a closed form.
        steps: one step (int) or an array / sequence / range of steps (the result is an
            array with numpy, else a list).
        warmup_steps: warmup in steps (``warmup_steps_for``).
        total_steps: optimizer steps of the run (required by the decaying schedules).
        learning_rate: the peak rate (used by schedules with an absolute floor).
        kwargs: ``lr_scheduler_kwargs``, numbers already parsed.
        transformers_major: 4 or 5 (which kwargs ``get_scheduler`` passes on).

    Raises:
        ScheduleError: unknown schedule, missing total steps, or a combination transformers
            refuses (the message says which).

    Example:
        >>> round(factor("cosine", 50, warmup_steps=10, total_steps=90), 6)
        0.5
        >>> factor("linear", [0, 5, 10], warmup_steps=10, total_steps=20).tolist()
        [0.0, 0.5, 1.0]
    """
    spec = schedule_spec(name, str(transformers_major))
    if spec is None or spec.closed_form is None:
        known = [n for n, s in schedules(str(transformers_major)).items() if s.closed_form]
        raise ScheduleError(
            f"no closed form for lr_scheduler_type={name!r}; known: {', '.join(known)}"
        )
    params: dict[str, Any] = {"warmup_steps": float(warmup_steps)}
    extra = {} if spec.ignores_kwargs else dict(kwargs or {})
    extra.pop("last_epoch", None)
    if spec.needs_learning_rate:
        params["learning_rate"] = float(learning_rate)
    if spec.needs_total_steps and total_steps is None:
        raise ScheduleError(f"{name} needs the total number of training steps")
    if total_steps is not None:
        params["total_steps"] = float(total_steps)
    return cf.evaluate(spec.closed_form, steps, params, extra, name)


def warmup_steps_for(
    total_steps: int | None,
    warmup_steps: float,
    warmup_ratio: float,
    transformers_major: int | None = None,
) -> int:
    """``TrainingArguments.get_warmup_steps`` of that major version.

    4.x: ``warmup_steps`` if > 0, else ``ceil(total * warmup_ratio)``. 5.x has no
    ``warmup_ratio`` and reads ``warmup_steps`` < 1 as a fraction of the run. Version unknown
    (None): both forms are accepted.

    Raises:
        ScheduleError: the value is not usable in that version, or a fraction needs the
            total step count and it is unknown.

    Example:
        >>> warmup_steps_for(1000, 0, 0.1, 4), warmup_steps_for(1000, 0.05, 0, 5)
        (100, 50)
    """
    if transformers_major == 4 and warmup_steps != int(warmup_steps):
        raise ScheduleError(
            f"warmup_steps={warmup_steps:g} is not a whole number: transformers 4.x refuses it "
            "(5.x reads a value < 1 as a fraction of the run)"
        )
    if warmup_steps >= 1:
        return int(warmup_steps)
    fraction = warmup_steps if warmup_steps > 0 else 0.0
    if transformers_major != 5 and not fraction:
        fraction = warmup_ratio
    if not fraction:
        return 0
    if total_steps is None:
        raise ScheduleError("a warmup fraction needs the total number of training steps")
    return math.ceil(total_steps * fraction)
