"""DeepSpeed's learning-rate schedules: the schedule table's entries for a DeepSpeed JSON's
``scheduler`` section, and how transformers fills its ``"auto"`` values.

When the DeepSpeed config given to ``TrainingArguments(deepspeed=...)`` has a ``scheduler``
section, transformers builds DeepSpeed's scheduler from it and ignores ``lr_scheduler_type``
and ``lr_scheduler_kwargs``. ``HfTrainerDeepSpeedConfig`` (transformers 4.57 and 5.x,
``integrations/deepspeed.py``) fills ``"auto"`` params before DeepSpeed sees them:

* ``warmup_min_lr`` <- 0 (never compared with anything);
* ``warmup_max_lr`` <- ``learning_rate``;
* ``total_num_steps`` <- the run's optimizer steps (``max_steps`` or computed);
* ``warmup_num_steps`` <- ``args.get_warmup_steps(total)`` (transformers 5.x: at least 1).

A value that is neither ``"auto"`` nor absent must equal the one transformers would fill, or
``trainer.train()`` raises ``ValueError: Please correct the following DeepSpeed config values
that mismatch TrainingArguments values`` (``warmup_min_lr`` excepted). An absent param is
left to DeepSpeed's default.

The closed forms transcribe ``deepspeed/runtime/lr_schedules.py`` of DeepSpeed 0.19.8
(``WarmupLR._get_gamma``, ``WarmupDecayLR._get_gamma``, ``WarmupCosineLR.get_lr_ratio``).
DeepSpeed sets the rate of iteration -1 when the scheduler is built (``WarmupLR``:
``warmup_min_lr``; ``WarmupCosineLR``: 0) and steps it after every optimizer step, so the
optimizer step ``k`` (from 0) trains at the rate of iteration ``k - 1``.

Example:
    >>> spec = DEEPSPEED_SCHEDULES["WarmupDecayLR"]
    >>> spec.required, spec.defaults["warmup_max_lr"]
    (('total_num_steps',), 0.001)
    >>> rate("WarmupDecayLR", {"total_num_steps": 10, "warmup_num_steps": 2,
    ...      "warmup_max_lr": 1.0, "warmup_type": "linear"}, 1.0, 4)
    0.875
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

AUTO = "auto"

WARMUP_TYPES = ("log", "linear")
"""``warmup_type`` values DeepSpeed knows; any other falls back to ``log`` (with a warning)."""

HF_FILLED = {
    "warmup_min_lr": "0 (transformers' fill, not a TrainingArguments value)",
    "warmup_max_lr": "learning_rate",
    "total_num_steps": "the run's optimizer steps",
    "warmup_num_steps": "the run's warmup steps (warmup_steps / warmup_ratio)",
}
"""Params transformers fills when they are ``"auto"``, and from what."""

MUST_MATCH = ("warmup_max_lr", "total_num_steps", "warmup_num_steps")
"""Params transformers compares with ``TrainingArguments`` when they are not ``"auto"``."""


@dataclass(frozen=True)
class DeepSpeedScheduleSpec:
    """One DeepSpeed scheduler class.

    Attributes:
        name: the ``scheduler.type`` value.
        defaults: every constructor param beyond the optimizer, with its default
            (``REQUIRED`` params are listed in ``required`` instead).
        required: params without a default.
        simulated: a closed form exists (``rate``).
        warmup: the params of its warmup (start, peak, length).
        decays: the rate decays after warmup (``WarmupLR`` stays at the peak).
    """

    name: str
    defaults: Mapping[str, Any]
    required: tuple[str, ...] = ()
    simulated: bool = True
    decays: bool = True
    warmup: tuple[str, ...] = field(default=())

    @property
    def params(self) -> tuple[str, ...]:
        """Every param the constructor takes."""
        return (*self.required, *self.defaults)


_WARMUP_DEFAULTS = {
    "warmup_min_lr": 0.0,
    "warmup_num_steps": 1000,
    "warmup_type": "log",
    "last_batch_iteration": -1,
}

DEEPSPEED_SCHEDULES: dict[str, DeepSpeedScheduleSpec] = {
    "WarmupLR": DeepSpeedScheduleSpec(
        "WarmupLR",
        {**_WARMUP_DEFAULTS, "warmup_max_lr": None},
        decays=False,
        warmup=("warmup_min_lr", "warmup_max_lr", "warmup_num_steps"),
    ),
    "WarmupDecayLR": DeepSpeedScheduleSpec(
        "WarmupDecayLR",
        {**_WARMUP_DEFAULTS, "warmup_max_lr": 0.001},
        required=("total_num_steps",),
        warmup=("warmup_min_lr", "warmup_max_lr", "warmup_num_steps"),
    ),
    "WarmupCosineLR": DeepSpeedScheduleSpec(
        "WarmupCosineLR",
        {
            "warmup_min_ratio": 0.0,
            "warmup_num_steps": 1000,
            "cos_min_ratio": 0.0001,
            "warmup_type": "log",
            "last_batch_iteration": -1,
        },
        required=("total_num_steps",),
        warmup=("warmup_min_ratio", "warmup_num_steps"),
    ),
    "OneCycle": DeepSpeedScheduleSpec(
        "OneCycle",
        {
            "cycle_min_lr": None,
            "cycle_max_lr": None,
            "decay_lr_rate": 0.0,
            "cycle_first_step_size": 2000,
            "cycle_second_step_size": None,
            "cycle_first_stair_count": 0,
            "cycle_second_stair_count": None,
            "decay_step_size": 0,
            "cycle_momentum": True,
            "cycle_min_mom": 0.8,
            "cycle_max_mom": 0.9,
            "decay_mom_rate": 0.0,
            "last_batch_iteration": -1,
        },
        simulated=False,
    ),
    "LRRangeTest": DeepSpeedScheduleSpec(
        "LRRangeTest",
        {
            "lr_range_test_min_lr": 1e-3,
            "lr_range_test_step_size": 2000,
            "lr_range_test_step_rate": 1.0,
            "lr_range_test_staircase": False,
            "last_batch_iteration": -1,
        },
        simulated=False,
    ),
}
"""DeepSpeed 0.19.8's schedulers (``deepspeed.runtime.lr_schedules``). A ``scheduler.type``
that is none of these must name a ``torch.optim.lr_scheduler`` class (DeepSpeed builds it with
the params as keywords)."""


def is_auto(value: Any) -> bool:
    """True for the string ``"auto"``."""
    return isinstance(value, str) and value == AUTO


def hf_fill(
    name: str,
    params: Mapping[str, Any],
    *,
    learning_rate: float,
    total_steps: int | None,
    warmup_steps: int | None,
    major: int = 4,
) -> dict[str, Any]:
    """The params DeepSpeed receives from transformers: ``"auto"`` values filled (those that
    need an unknown count stay ``"auto"``); absent ones are left to DeepSpeed's defaults.

    Example:
        >>> hf_fill("WarmupLR", {"warmup_min_lr": "auto", "warmup_max_lr": "auto",
        ...         "warmup_num_steps": "auto"}, learning_rate=2e-5, total_steps=100,
        ...         warmup_steps=0)
        {'warmup_min_lr': 0, 'warmup_max_lr': 2e-05, 'warmup_num_steps': 0}
    """
    del name  # transformers fills by key, whatever the type
    warmup = warmup_steps
    if warmup is not None and major >= 5:
        warmup = max(1, warmup)
    values = {
        "warmup_min_lr": 0,
        "warmup_max_lr": learning_rate,
        "total_num_steps": total_steps,
        "warmup_num_steps": warmup,
    }
    filled = dict(params)
    for key, value in values.items():
        if key in filled and is_auto(filled[key]) and value is not None:
            filled[key] = value
    return filled


def _warmup_fraction(kind: str, iteration: int, steps: int) -> float:
    """DeepSpeed's warmup gamma at ``iteration`` (< ``steps``): log or linear."""
    if kind == "linear":
        return iteration / steps
    return (1.0 / math.log(steps)) * math.log(iteration + 1)


def _warmup_type(params: Mapping[str, Any]) -> str:
    kind = params.get("warmup_type", "log")
    return kind if kind in WARMUP_TYPES else "log"


def rate(name: str, params: Mapping[str, Any], base_lr: float, step: int) -> float:
    """The rate optimizer step ``step`` (from 0) trains at, for one param group whose
    optimizer rate is ``base_lr`` (``WarmupCosineLR`` scales it; ``WarmupLR`` without
    ``warmup_max_lr`` warms up to it). ``params`` are filled already (see ``hf_fill``).

    Raises:
        KeyError / TypeError / ValueError: params DeepSpeed would refuse, or an unknown type.
    """
    spec = DEEPSPEED_SCHEDULES[name]
    if not spec.simulated:
        raise ValueError(f"{name} has no closed form here")
    p = {**spec.defaults, **params}
    iteration = step - 1
    kind = _warmup_type(p)
    warmup = max(2, int(p["warmup_num_steps"]))
    if name == "WarmupCosineLR":
        if iteration < 0:
            return 0.0
        if iteration < warmup:
            ratio = _warmup_fraction(kind, iteration, warmup)
            low = float(p["warmup_min_ratio"])
            return base_lr * (low + ratio * (1.0 - low))
        real_last = iteration - warmup + 1
        real_total = max(1, int(p["total_num_steps"]) - warmup)
        progress = min(1.0, real_last / real_total)
        low = float(p["cos_min_ratio"])
        ratio = (1 + math.cos(math.pi * progress)) / 2
        return base_lr * max(0.0, low + (1.0 - low) * ratio)
    low = float(p["warmup_min_lr"])
    high = base_lr if p.get("warmup_max_lr") is None else float(p["warmup_max_lr"])
    if iteration < 0:
        return low
    if iteration < warmup:
        gamma = _warmup_fraction(kind, iteration, warmup)
    elif name == "WarmupLR":
        gamma = 1.0
    else:
        total = int(p["total_num_steps"])
        gamma = max(0.0, float(total - iteration) / float(max(1.0, total - warmup)))
    return low + (high - low) * gamma


def rates(name: str, params: Mapping[str, Any], base_lr: float, steps: range) -> list[float]:
    """``rate`` over ``steps``."""
    return [rate(name, params, base_lr, s) for s in steps]


__all__ = [
    "AUTO",
    "DEEPSPEED_SCHEDULES",
    "HF_FILLED",
    "MUST_MATCH",
    "WARMUP_TYPES",
    "DeepSpeedScheduleSpec",
    "hf_fill",
    "is_auto",
    "rate",
    "rates",
]
