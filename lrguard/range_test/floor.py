"""The floor that goes with a suggested rate: the one the guard itself would set."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lrguard.schedules.table import schedule_spec

if TYPE_CHECKING:
    from lrguard.policy import GuardPolicy


@dataclass(frozen=True)
class FloorSuggestion:
    """A floor for a suggested rate, in the form the run's settings take it.

    Attributes:
        value: the floor as a learning rate (0.0: the schedule decays to 0 by itself).
        ratio: ``value / lr``: the policy's ``min_lr_ratio`` (``plateau_min_lr_ratio`` for
            metric-driven schedules).
        key: the setting that takes it ('min_learning_rate', 'min_lr', 'min_lr_rate',
            'lr_end' …); None when the schedule has no floor to set.
        setting: what to put in ``key`` (a rate, or ``ratio`` for relative keys).
    """

    value: float
    ratio: float
    key: str | None
    setting: float | None


def round_rate(value: float, digits: int = 2) -> float:
    """``value`` to ``digits`` significant digits, as a user would write it.

    Example:
        >>> round_rate(2.0000000000000003e-06), round_rate(0.000123456)
        (2e-06, 0.00012)
    """
    return float(f"{value:.{digits - 1}e}")


def consistent_floor(
    lr: float,
    policy: GuardPolicy | None = None,
    *,
    schedule: str | None = None,
    kwargs: Mapping[str, Any] | None = None,
    version: str | None = None,
) -> FloorSuggestion:
    """The floor for ``lr`` that the guard's policy would set itself.

    Args:
        lr: the suggested initial rate.
        policy: the guard's policy (default ``GuardPolicy()``).
        schedule: a Hugging Face ``lr_scheduler_type``; None for Flair's
            ``min_learning_rate``.
        kwargs: the run's ``lr_scheduler_kwargs``: when one of the schedule's floor keys is
            already given, the floor is expressed with that key.
        version: the transformers version (the table differs between major versions).

    Example:
        >>> consistent_floor(1e-3).setting
        0.0001
        >>> consistent_floor(2e-5, schedule="cosine_with_min_lr", kwargs={"min_lr_rate": 0.3})
        FloorSuggestion(value=2e-06, ratio=0.1, key='min_lr_rate', setting=0.1)
    """
    if policy is None:
        from lrguard.policy import GuardPolicy

        policy = GuardPolicy()
    if schedule is None:
        value = round_rate(lr * policy.min_lr_ratio)
        return FloorSuggestion(value, policy.min_lr_ratio, "min_learning_rate", value)
    spec = schedule_spec(schedule, version)
    if spec is None or spec.floor is None or not spec.floor.keys:
        return FloorSuggestion(0.0, 0.0, None, None)
    ratio = policy.plateau_min_lr_ratio if spec.metric_driven else policy.min_lr_ratio
    given = [k for k in spec.floor.keys if kwargs and kwargs.get(k) is not None]
    key = given[0] if given else spec.floor.keys[0]
    value = round_rate(lr * ratio)
    setting = ratio if key in spec.floor.relative else value
    return FloorSuggestion(value, ratio, key, setting)
