"""Shared reading of a replayed scheduler (``TrainingPlan.trajectory``) for LRG060 - LRG067."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from lrguard.findings import Finding, Severity
from lrguard.plan import TrainingPlan
from lrguard.trajectory import Trajectory, group_label

TORCH_PREAMBLE = "import torch\nfrom torch.optim import lr_scheduler\n"
"""What every torch example starts with (shown by ``lrguard explain``)."""


def short(rate: float) -> str:
    """A replayed rate for messages, to 3 significant digits ('5.57e-26', '0.000208')."""
    return f"{rate:.3g}"


def replayed(plan: TrainingPlan) -> Trajectory | None:
    """The plan's trajectory when the scheduler was replayed (has rates), else None."""
    trajectory = plan.trajectory
    if trajectory is None or trajectory.not_replayed is not None or not trajectory.rates:
        return None
    return trajectory


def first_group(trajectory: Trajectory, fires: Callable[[int], bool]) -> int | None:
    """The first param group for which ``fires(group)`` is true."""
    return next((g for g in range(len(trajectory.rates)) if fires(g)), None)


def scheduler_finding(
    code: str,
    severity: Severity,
    trajectory: Trajectory,
    group: int | None,
    message: str,
    fix: str,
    value: object = None,
) -> Iterator[Finding]:
    """One finding about the replayed scheduler (located at a param group when given)."""
    where = "" if group is None or len(trajectory.rates) == 1 else f" ({group_label(group)})"
    worst = " (worst case: the metric never improves)" if trajectory.metric_driven else ""
    yield Finding(
        code=code,
        severity=severity,
        message=f"{trajectory.label}{where}{worst}: {message}",
        location=group_label(group) if group is not None else "scheduler",
        fix=fix,
        field="scheduler",
        value=value,
    )
