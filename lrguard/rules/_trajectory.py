"""Shared reading of a replayed scheduler (``TrainingPlan.trajectory``) for LRG060 - LRG067."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from lrguard.findings import Finding, Severity
from lrguard.plan import TrainingPlan

if TYPE_CHECKING:  # built only where a scheduler is replayed
    from lrguard.trajectory import Trajectory

TORCH_PREAMBLE = "import torch\nfrom torch.optim import lr_scheduler\n"
"""What every torch example starts with (shown by ``lrguard explain``)."""


def short(rate: float) -> str:
    """A replayed rate for messages, to 3 significant digits ('5.57e-26', '0.000208')."""
    return f"{rate:.3g}"


def about(trajectory: Trajectory) -> str:
    """'about ' before a count over the run that sampled steps estimate, else ''."""
    return "about " if trajectory.sampled else ""


def end_text(trajectory: Trajectory, group: int) -> str:
    """'ends at 5.57e-26', or 'is at 5.57e-26 at step 100000' when only the first steps
    were replayed."""
    rate = short(trajectory.last(group))
    if trajectory.partial:
        return f"is at {rate} at {trajectory.unit} {trajectory.steps}"
    return f"ends at {rate}"


def coverage(trajectory: Trajectory) -> str:
    """How far a replay past its budget reached ('' when every step was replayed)."""
    unit = trajectory.unit
    total = trajectory.total_steps
    if trajectory.sampled:
        rest = trajectory.checked_steps - trajectory.steps
        which = "the other" if trajectory.error is None else "the next"
        last = " (the last one included)" if trajectory.error is None else ""
        return (
            f"replayed the first {trajectory.steps} of the run's {total} {unit}s one by one "
            f"and computed {which} {rest} from {trajectory.tail_method} at "
            f"{len(trajectory.tail_steps)} sampled {unit}s{last}: counts over the run are "
            "estimates"
        )
    if trajectory.partial:
        return (
            f"checked the first {trajectory.steps} of the run's {total} {unit}s only (the "
            "replay's budget): its rates after that are not checked"
        )
    return ""


def replayed(plan: TrainingPlan) -> Trajectory | None:
    """The plan's trajectory when the scheduler was replayed (has rates), else None."""
    trajectory = plan.trajectory
    if trajectory is None or trajectory.not_replayed is not None or not trajectory.rates:
        return None
    return trajectory


def first_group(trajectory: Trajectory, fires: Callable[[int], bool]) -> int | None:
    """The first param group for which ``fires(group)`` is true (groups with the same rates
    as an earlier one are not judged again)."""
    return next((g for g in trajectory.distinct_groups if fires(g)), None)


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
    from lrguard.trajectory import group_label

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
