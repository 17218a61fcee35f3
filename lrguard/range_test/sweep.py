"""The sweep: which rate each range-test step trains at, and when the sweep gives up."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from types import SimpleNamespace
from typing import Any, Literal

from lrguard.numbers import fmt


def _shown(value: object) -> str:
    """``repr(value)``, cut short when it is long (an int such as ``10**400``)."""
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else fmt(value)
    return text if len(text) <= 60 else fmt(value)


@dataclass(frozen=True)
class SweepSettings:
    """How a range test sweeps the rate.

    Attributes:
        start_lr: rate of the first step.
        end_lr: rate of the last step.
        num_steps: optimizer steps in the sweep (each with a fresh batch; a shorter
            dataloader is cycled).
        mode: ``exponential`` (equal ratios, the usual choice) or ``linear``.
        smoothing: the EMA factor of the smoothed loss (0 keeps the raw loss).
        diverge_factor: the sweep stops once the smoothed loss exceeds this many times its
            lowest value so far.
        min_steps_before_stop: divergence is not judged before this many steps (the first
            smoothed values rest on few losses).

    Example:
        >>> s = SweepSettings(start_lr=1e-6, end_lr=1.0, num_steps=61)
        >>> [f"{s.rate(i):.0e}" for i in range(0, 61, 10)]
        ['1e-06', '1e-05', '1e-04', '1e-03', '1e-02', '1e-01', '1e+00']
    """

    start_lr: float = 1e-7
    end_lr: float = 10.0
    num_steps: int = 100
    mode: Literal["exponential", "linear"] = "exponential"
    smoothing: float = 0.98
    diverge_factor: float = 4.0
    min_steps_before_stop: int = 10

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))

    def problems(self) -> list[str]:
        """Every invalid setting, as 'field=value: what is wrong. Fix: ...'."""
        return self.problems_of(**asdict(self))

    @staticmethod
    def problems_of(**values: Any) -> list[str]:
        """``problems()`` of the settings these values would make, without making them
        (a setting not given: its default, ``SWEEP_DEFAULTS``).

        Raises:
            TypeError: a keyword that is no ``SweepSettings`` field.
        """
        out: list[str] = []
        self = SimpleNamespace(**sweep_values(values))

        def rate_ok(value: float) -> bool:
            if not isinstance(value, int | float) or isinstance(value, bool):
                return False
            try:
                return math.isfinite(value) and value > 0
            except OverflowError:  # an int beyond any float (10**400)
                return False

        for name, example in (("start_lr", "1e-7"), ("end_lr", "10")):
            value = getattr(self, name)
            if not rate_ok(value):
                out.append(
                    f"{name}={_shown(value)} is not a finite positive rate (as a float). Fix: "
                    f"{name}={example}"
                )
        if rate_ok(self.start_lr) and rate_ok(self.end_lr) and self.end_lr <= self.start_lr:
            out.append(
                f"end_lr={self.end_lr!r} is not above start_lr={self.start_lr!r}: the sweep "
                "must rise. Fix: end_lr=10 (or swap them)"
            )
        if (
            rate_ok(self.start_lr)
            and rate_ok(self.end_lr)
            and self.end_lr > self.start_lr
            and not math.isfinite(self.end_lr / self.start_lr)
        ):
            out.append(
                f"end_lr={self.end_lr!r} / start_lr={self.start_lr!r} overflows: the swept "
                "rates are not finite numbers. Fix: start_lr=1e-7, end_lr=10"
            )
        if isinstance(self.num_steps, bool) or not isinstance(self.num_steps, int):
            out.append(f"num_steps={self.num_steps!r} is not a whole number. Fix: num_steps=100")
        elif self.num_steps <= 0:
            out.append(
                f"num_steps={self.num_steps} is not a positive number of steps: the sweep "
                "trains one optimizer step per rate. Fix: num_steps=100"
            )
        elif self.num_steps < 20:
            out.append(
                f"num_steps={self.num_steps} is too few to smooth a loss curve. Fix: "
                "num_steps=100 (at least 20)"
            )
        if self.mode not in ("exponential", "linear"):
            out.append(f"mode={self.mode!r} is unknown. Fix: 'exponential' or 'linear'")
        if not (
            isinstance(self.smoothing, int | float)
            and not isinstance(self.smoothing, bool)
            and 0 <= self.smoothing < 1
        ):
            out.append(f"smoothing={self.smoothing!r} is not in [0, 1). Fix: smoothing=0.98")
        if not (
            isinstance(self.diverge_factor, int | float)
            and math.isfinite(self.diverge_factor)
            and self.diverge_factor > 1
        ):
            out.append(
                f"diverge_factor={self.diverge_factor!r} must be a number above 1. Fix: "
                "diverge_factor=4"
            )
        if (
            isinstance(self.min_steps_before_stop, bool)
            or not isinstance(self.min_steps_before_stop, int)
            or self.min_steps_before_stop < 0
        ):
            out.append(
                f"min_steps_before_stop={self.min_steps_before_stop!r} is not a whole number "
                ">= 0. Fix: min_steps_before_stop=10"
            )
        return out

    def rate(self, step: int) -> float:
        """The rate of sweep step ``step`` (0-based)."""
        fraction = step / (self.num_steps - 1)
        if self.mode == "linear":
            return self.start_lr + (self.end_lr - self.start_lr) * fraction
        return self.start_lr * (self.end_lr / self.start_lr) ** fraction

    def rates(self) -> list[float]:
        """Every step's rate."""
        return [self.rate(step) for step in range(self.num_steps)]


SWEEP_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(SweepSettings)}
"""Every ``SweepSettings`` field and its default: the sweep keywords of every
``find_learning_rate`` (Flair, Hugging Face, plain PyTorch) and of ``prepare_sweep``."""


def sweep_values(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` over ``SWEEP_DEFAULTS``.

    Raises:
        TypeError: a key that is no ``SweepSettings`` field, as Python words an unknown
            keyword.

    Example:
        >>> sweep_values({"num_steps": 50})["num_steps"], sweep_values({})["end_lr"]
        (50, 10.0)
    """
    for name in values:
        if name not in SWEEP_DEFAULTS:
            raise TypeError(f"got an unexpected keyword argument {name!r}")
    return {**SWEEP_DEFAULTS, **values}
