"""``GuardPolicy``: what the guard does when a rule is violated."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lrguard.defaults import DEFAULT_MIN_LR_RATIO, DEFAULT_PLATEAU_MIN_LR_RATIO
from lrguard.trajectory import TrajectoryLimits

_LIMITS = TrajectoryLimits()
"""The trajectory rules' default thresholds: the ``trajectory_*`` fields' defaults."""


class GuardPolicy(BaseModel):
    """How the guard reacts to learning-rate problems.

    Example:
        >>> from lrguard import GuardPolicy
        >>> GuardPolicy(on_violation="warn", min_lr_ratio=0.01).min_lr_ratio
        0.01
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    on_violation: Literal["adjust", "warn", "error"] = Field(
        default="adjust",
        description="adjust: fix the setting and log it; warn: log and keep it; "
        "error: raise LRGuardError before training.",
    )
    adjust_strategy: Literal["lower_min_lr", "raise_lr"] = Field(
        default="lower_min_lr",
        description="lower_min_lr: floor = initial_lr * min_lr_ratio; "
        "raise_lr: initial_lr = floor / min_lr_ratio.",
    )
    min_lr_ratio: float = Field(
        default=DEFAULT_MIN_LR_RATIO,
        gt=0.0,
        lt=1.0,
        description="Adjusted floor as a fraction of the initial learning rate.",
    )
    plateau_min_lr_ratio: float = Field(
        default=DEFAULT_PLATEAU_MIN_LR_RATIO,
        gt=0.0,
        lt=1.0,
        description="Adjusted floor of Hugging Face reduce_lr_on_plateau / greedy as a "
        "fraction of the initial rate: 0.001 leaves room for three reductions by 0.1 or ten "
        "halvings, as Flair's defaults do (0.1 -> 1e-4).",
    )
    stop_at_floor: bool = Field(
        default=False,
        description="Hugging Face reduce_lr_on_plateau / greedy: stop training once patience "
        "is exhausted at the floor (opt-in; those schedules never end a run themselves). "
        "Flair's annealing always ends there, as Flair does.",
    )
    log_file: str | None = Field(
        default="lrguard.jsonl",
        description="JSON-lines decision log written in the run's output folder; None: none.",
    )
    ignore: tuple[str, ...] = Field(
        default=(), description="Rule codes (or prefixes) never reported."
    )
    trajectory_low_fraction: float = Field(
        default=_LIMITS.low_fraction,
        gt=0.0,
        lt=1.0,
        description="Replayed schedulers: a rate below this fraction of its peak counts as "
        "near zero (LRG062, LRG067).",
    )
    trajectory_low_share: float = Field(
        default=_LIMITS.low_share,
        gt=0.0,
        lt=1.0,
        description="Replayed schedulers: LRG062 fires when the rate is near zero for more "
        "than this share of the run.",
    )
    trajectory_rise_ratio: float = Field(
        default=_LIMITS.rise_ratio,
        ge=1.0,
        description="Replayed schedulers: LRG061 fires when a non-cyclic schedule takes the "
        "rate above the optimizer's by more than this factor.",
    )
    trajectory_max_restarts: int = Field(
        default=_LIMITS.max_restarts,
        ge=0,
        description="Replayed schedulers: LRG063 fires when a non-cyclic schedule falls and "
        "rises again (by half its peak) more often than this.",
    )

    def trajectory_limits(self) -> TrajectoryLimits:
        """The thresholds of the trajectory rules (LRG060 - LRG067)."""
        return TrajectoryLimits(
            low_fraction=self.trajectory_low_fraction,
            low_share=self.trajectory_low_share,
            rise_ratio=self.trajectory_rise_ratio,
            max_restarts=self.trajectory_max_restarts,
        )

    def is_ignored(self, code: str) -> bool:
        """True when ``code`` matches one of the ``ignore`` prefixes."""
        return any(code.startswith(prefix) for prefix in self.ignore)


def resolve_policy(policy: GuardPolicy | None, overrides: dict[str, Any]) -> GuardPolicy:
    """Build the policy of a plugin given ``policy=`` or the same keywords directly.

    Raises:
        ValueError: both ``policy`` and keywords were given.
        pydantic.ValidationError: a keyword or value is invalid.
    """
    if policy is not None and overrides:
        raise ValueError(
            f"give either policy=GuardPolicy(...) or keywords {sorted(overrides)}, not both"
        )
    if policy is not None:
        if not isinstance(policy, GuardPolicy):
            raise TypeError(f"policy must be a GuardPolicy, got {type(policy).__name__}")
        return policy
    return GuardPolicy(**overrides)
