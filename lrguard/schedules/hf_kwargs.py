"""What each Hugging Face ``lr_scheduler_type`` accepts in ``lr_scheduler_kwargs`` (data).

``transformers.get_scheduler`` builds the schedule inside ``Trainer.train()`` by calling the
schedule function with ``optimizer``, ``num_warmup_steps``, ``num_training_steps`` and
``**lr_scheduler_kwargs``. A key the function does not take is a ``TypeError`` at train time;
a missing required key is a ``ValueError`` or ``TypeError``; some schedules are called
without the kwargs at all and silently ignore them. This table records all of that for
transformers 4.57.x and 5.x, framework-free. ``tests/hf/test_hf_kwargs_table.py`` compares
it with the installed transformers by introspection, so drift is caught.

Example:
    >>> spec = schedule_spec("cosine_with_min_lr", "4.57.6")
    >>> spec.one_of
    (('min_lr', 'min_lr_rate'),)
    >>> schedule_spec("greedy", "4.57.6") is None
    True
    >>> schedule_spec("inverse_sqrt", "4.57.6").ignores_kwargs
    True
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

RESERVED = ("optimizer", "num_warmup_steps", "num_training_steps")
"""Arguments ``get_scheduler`` passes itself: never valid in ``lr_scheduler_kwargs``."""

FLOOR_CHOICES = ("linear", "cosine", "1-sqrt")


@dataclass(frozen=True)
class ScheduleSpec:
    """One ``SchedulerType``: the function behind it and the kwargs it takes.

    Attributes:
        name: the ``lr_scheduler_type`` value.
        function: the transformers function ``get_scheduler`` calls.
        kwargs: every keyword the function (or the scheduler class it forwards ``**kwargs``
            to) accepts beyond ``RESERVED``, with its default (``REQUIRED`` when none).
        one_of: groups of keys of which exactly one must be given.
        ignores_kwargs: ``get_scheduler`` calls the function without ``lr_scheduler_kwargs``.
        uses_warmup: the schedule has a warmup phase (``warmup_steps`` matters).
        metric_driven: stepped with an evaluation metric (plateau-like) instead of per step.
        numeric: kwargs whose value must be a number.
        choices: kwargs restricted to a few string values.
    """

    name: str
    function: str
    kwargs: Mapping[str, Any]
    one_of: tuple[tuple[str, ...], ...] = ()
    ignores_kwargs: bool = False
    uses_warmup: bool = True
    metric_driven: bool = False
    numeric: tuple[str, ...] = ()
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def required(self) -> tuple[str, ...]:
        """Kwargs without a default."""
        return tuple(k for k, v in self.kwargs.items() if v is REQUIRED)


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
"""Marker for a kwarg without a default."""

_PLATEAU = {  # torch.optim.lr_scheduler.ReduceLROnPlateau (torch 2.x, no optimizer)
    "mode": "min",
    "factor": 0.1,
    "patience": 10,
    "threshold": 1e-4,
    "threshold_mode": "rel",
    "cooldown": 0,
    "min_lr": 0,
    "eps": 1e-8,
}

_GREEDY = {  # transformers.optimization.GreedyLR (5.x)
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

_MIN_LR_KW = {"num_cycles": 0.5, "last_epoch": -1, "min_lr": None, "min_lr_rate": None}


def _specs(major: int) -> dict[str, ScheduleSpec]:
    specs = [
        ScheduleSpec(
            "linear", "get_linear_schedule_with_warmup", {"last_epoch": -1}, numeric=("last_epoch",)
        ),
        ScheduleSpec(
            "cosine",
            "get_cosine_schedule_with_warmup",
            {"num_cycles": 0.5, "last_epoch": -1},
            numeric=("num_cycles", "last_epoch"),
        ),
        ScheduleSpec(
            "cosine_with_restarts",
            "get_cosine_with_hard_restarts_schedule_with_warmup",
            {"num_cycles": 1, "last_epoch": -1},
            numeric=("num_cycles", "last_epoch"),
        ),
        ScheduleSpec(
            "polynomial",
            "get_polynomial_decay_schedule_with_warmup",
            {"lr_end": 1e-7, "power": 1.0, "last_epoch": -1},
            numeric=("lr_end", "power", "last_epoch"),
        ),
        ScheduleSpec(
            "constant",
            "get_constant_schedule",
            {"last_epoch": -1},
            ignores_kwargs=True,
            uses_warmup=False,
        ),
        ScheduleSpec(
            "constant_with_warmup",
            "get_constant_schedule_with_warmup",
            {"last_epoch": -1},
            ignores_kwargs=True,
        ),
        ScheduleSpec(
            "inverse_sqrt",
            "get_inverse_sqrt_schedule",
            {"timescale": None, "last_epoch": -1},
            ignores_kwargs=major < 5,
            numeric=("timescale", "last_epoch"),
        ),
        ScheduleSpec(
            "reduce_lr_on_plateau",
            "get_reduce_on_plateau_schedule",
            _PLATEAU,
            uses_warmup=False,
            metric_driven=True,
            numeric=("factor", "patience", "threshold", "cooldown", "min_lr", "eps"),
            choices={"mode": ("min", "max"), "threshold_mode": ("rel", "abs")},
        ),
        ScheduleSpec(
            "cosine_with_min_lr",
            "get_cosine_with_min_lr_schedule_with_warmup",
            _MIN_LR_KW,
            one_of=(("min_lr", "min_lr_rate"),),
            numeric=("num_cycles", "last_epoch", "min_lr", "min_lr_rate"),
        ),
        ScheduleSpec(
            "cosine_warmup_with_min_lr",
            "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
            {**_MIN_LR_KW, "warmup_lr_rate": None},
            one_of=(("min_lr", "min_lr_rate"),),
            numeric=("num_cycles", "last_epoch", "min_lr", "min_lr_rate", "warmup_lr_rate"),
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
            numeric=("num_decay_steps", "num_stable_steps", "min_lr_ratio", "num_cycles"),
            choices={"warmup_type": FLOOR_CHOICES, "decay_type": FLOOR_CHOICES},
        ),
    ]
    if major >= 5:
        specs.append(
            ScheduleSpec(
                "greedy",
                "get_greedy_schedule",
                _GREEDY,
                uses_warmup=False,
                metric_driven=True,
                numeric=(
                    "factor",
                    "patience",
                    "threshold",
                    "cooldown",
                    "warmup",
                    "min_lr",
                    "max_lr",
                    "eps",
                    "window_size",
                    "reset_start",
                ),
                choices={"mode": ("min", "max"), "threshold_mode": ("rel", "abs")},
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


def schedule_spec(name: str, version: str | None = None) -> ScheduleSpec | None:
    """The spec of ``lr_scheduler_type=name`` in that version, None when it does not exist."""
    return _TABLES[major_version(version)].get(name)


def only_in_other_version(name: str, version: str | None) -> str | None:
    """The version family that has ``name`` when ``version`` lacks it ('5.x'), else None."""
    here = major_version(version)
    for major, table in _TABLES.items():
        if major != here and name in table:
            return f"{major}.x"
    return None
