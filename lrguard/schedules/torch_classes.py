"""Facts about ``torch.optim.lr_scheduler`` classes (and transformers' ``LambdaLR`` schedules)
that the trajectory rules need: which are cyclic, and which argument to change, to what
value, so that a schedule fits a run of ``total`` steps.

Plain functions of a ``Trajectory``'s class name and ``settings`` (the scheduler's own
arguments, read by ``torch_lrguard``); nothing here imports torch.

Example:
    >>> length_fix("CosineAnnealingLR", {"T_max": 10}, 1000)
    'T_max=1000'
    >>> decay_fix("StepLR", {"step_size": 10, "gamma": 0.1}, 1000, 0.01)
    'step_size=334'
"""

from __future__ import annotations

import math
from typing import Any

from lrguard.defaults import DEFAULT_MIN_LR_RATIO, DEFAULT_WARMUP_FRACTION, ratio_text

CYCLIC = frozenset({"CyclicLR", "OneCycleLR", "CosineAnnealingWarmRestarts"})
"""Classes meant to rise and fall repeatedly (OneCycleLR: up once, then down)."""

CYCLIC_SCHEDULES = frozenset({"cosine_with_restarts"})
"""transformers schedules (``LambdaLR``) meant to restart."""

WARMUP_FRACTION = DEFAULT_WARMUP_FRACTION
"""Warmup a fix proposes: 10 % of the run (as LRG006 does for configs)."""

_LENGTH_ARGUMENT = {
    "OneCycleLR": "total_steps",
    "CosineAnnealingLR": "T_max",
    "PolynomialLR": "total_iters",
    "CosineAnnealingWarmRestarts": "T_0",
}


def is_cyclic(scheduler: str, schedule: str = "") -> bool:
    """True for schedules meant to rise and fall repeatedly.

    Example:
        >>> is_cyclic("CyclicLR"), is_cyclic("LambdaLR", "cosine_with_restarts")
        (True, True)
    """
    return scheduler in CYCLIC or schedule in CYCLIC_SCHEDULES


def fitting_warmup(total: int) -> int:
    """Warmup steps a fix proposes: 10 % of the run, at least 1, shorter than the run."""
    return max(0, min(total - 1, max(1, math.ceil(total * WARMUP_FRACTION))))


def _round_up(value: float, digits: int = 5) -> float:
    """``value`` rounded up to ``digits`` significant digits (a gamma that decays no faster)."""
    if value <= 0:
        return value
    scale = 10 ** (digits - 1 - math.floor(math.log10(value)))
    return math.ceil(value * scale) / scale


def length_fix(scheduler: str, settings: dict[str, Any], total: int) -> str | None:
    """The argument that sets the schedule's length, at the run's length ('T_max=1000').

    Also for transformers schedules (``num_training_steps``) and ``LinearLR`` /
    ``ConstantLR`` decays (``total_iters``). None when the class has no such argument.
    """
    if "num_training_steps" in settings:
        return f"num_training_steps={total}"
    name = _LENGTH_ARGUMENT.get(scheduler)
    if name is None and scheduler in ("LinearLR", "ConstantLR"):
        name = "total_iters"
    return f"{name}={total}" if name else None


def decay_fix(scheduler: str, settings: dict[str, Any], total: int, fraction: float) -> str | None:
    """Arguments that keep a decay at or above ``fraction`` of the peak until the end.

    ``ExponentialLR``: the ``gamma`` that ends the run at ``fraction``; ``StepLR``: the
    ``step_size`` that spreads the decays that stay at or above ``fraction`` evenly over the
    run; ``MultiStepLR``: its milestones stretched the same way; the classes with a length
    argument: that length. None when unknown.
    """
    gamma = settings.get("gamma")
    if scheduler == "ExponentialLR":
        return f"gamma={_round_up(fraction ** (1.0 / max(total, 1)))}"
    if scheduler in ("StepLR", "MultiStepLR") and isinstance(gamma, int | float) and 0 < gamma < 1:
        decays = max(0, math.floor(math.log(fraction) / math.log(gamma) + 1e-9))
        if scheduler == "StepLR":
            return f"step_size={math.ceil(total / (decays + 1))}"
        if decays == 0:
            return "gamma closer to 1 (one step by gamma already goes below the limit)"
        milestones = [math.ceil(total * (i + 1) / (decays + 1)) for i in range(decays)]
        return f"milestones={milestones}"
    return length_fix(scheduler, settings, total)


def warmup_fix(scheduler: str, settings: dict[str, Any], total: int) -> str | None:
    """The warmup argument at 10 % of the run ('total_iters=100', 'num_warmup_steps=100')."""
    steps = fitting_warmup(total)
    if "num_warmup_steps" in settings:
        return f"num_warmup_steps={steps}"
    if scheduler in ("LinearLR", "ConstantLR"):
        return f"total_iters={steps}"
    if scheduler == "SequentialLR":
        return f"milestones[0]={steps} (and the warmup scheduler's length to match)"
    return None


def rise_fix(scheduler: str, settings: dict[str, Any], base: float) -> str | None:
    """The argument that makes a schedule rise above the optimizer's rate, corrected."""
    if scheduler in ("CosineAnnealingLR", "CosineAnnealingWarmRestarts"):
        ratio = DEFAULT_MIN_LR_RATIO
        return f"eta_min<={base * ratio:.6g} ({ratio_text(ratio)} the optimizer's lr) or eta_min=0"
    if scheduler == "LinearLR":
        return "start_factor and end_factor <= 1"
    if scheduler == "ConstantLR":
        return "factor <= 1"
    if scheduler in ("LambdaLR", "MultiplicativeLR"):
        return "lr_lambda returning factors <= 1"
    if scheduler in ("StepLR", "MultiStepLR", "ExponentialLR"):
        return "gamma < 1"
    return None


def unit_hint(scheduler: str, settings: dict[str, Any], total: int, fix: str | None) -> str:
    """The fix sentence: step once per epoch, or the argument that fits the run."""
    if fix:
        return (
            f"Set {fix} for the run's {total} steps, or step the scheduler once per epoch "
            "if its arguments count epochs."
        )
    return (
        f"Step the scheduler once per epoch if its arguments count epochs, or scale them to "
        f"the run's {total} steps."
    )


__all__ = [
    "CYCLIC",
    "decay_fix",
    "fitting_warmup",
    "is_cyclic",
    "length_fix",
    "rise_fix",
    "unit_hint",
    "warmup_fix",
]
