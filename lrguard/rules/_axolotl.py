"""Shared by the axolotl rules (LRG070 - LRG079): axolotl's own settings of a plan.

axolotl builds the schedule in its trainer's ``create_scheduler``: ``lr_scheduler: cosine``
with ``lr_quadratic_warmup: true`` is its cosine with quadratic warmup (``cosine_min_lr_ratio``
is then ignored); with ``cosine_min_lr_ratio`` (truthy) its cosine decaying to that fraction
of the peak, held constant from ``cosine_constant_lr_ratio`` of the run when that is set too;
``one_cycle`` is ``OneCycleLR(max_lr=learning_rate)``; ``rex`` takes ``cosine_min_lr_ratio``
as its floor. Other schedules are transformers' and read neither ratio.
"""

from __future__ import annotations

from typing import Any

from lrguard.plan import TrainingPlan

USES_MIN_RATIO = ("cosine", "rex")
"""``lr_scheduler`` values whose schedule reads ``cosine_min_lr_ratio``."""


def axolotl_settings(plan: TrainingPlan) -> dict[str, Any] | None:
    """axolotl's own schedule settings as written, or None for a plan of another kind."""
    if plan.source is None or plan.source.kind != "axolotl":
        return None
    return plan.source.tool_settings


def scheduler_of(settings: dict[str, Any]) -> str:
    """``lr_scheduler`` as axolotl reads it (default ``cosine``)."""
    return str(settings.get("lr_scheduler") or "cosine")


def quadratic(settings: dict[str, Any]) -> bool:
    """axolotl's cosine with quadratic warmup is the schedule."""
    return settings.get("lr_quadratic_warmup") is True and scheduler_of(settings) == "cosine"
