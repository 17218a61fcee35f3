"""The floor of a Hugging Face schedule against its peak, read from the schedule table.

``min_lr`` / ``min_lr_rate`` (cosine), ``min_lr_ratio`` (warmup_stable_decay), ``lr_end``
(polynomial) and ``min_lr`` (reduce_lr_on_plateau, greedy) are one fact: the schedule's
floor. Each schedule's entry in the table says which kwarg sets it, its default and which
rule checks it; the four rules differ only in the consequence they describe.
"""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, tidy
from lrguard.plan import TrainingPlan
from lrguard.records import Record
from lrguard.rules import Adjustment
from lrguard.rules._hf import (
    ScheduleReading,
    adjust_kwarg,
    finding,
    kw_field,
    label,
    read_built_schedule,
    read_schedule,
)
from lrguard.schedules.table import Floor


def own_name(plan: TrainingPlan, name: str) -> str:
    """A top-level field as the config writes it (axolotl's ``lr_scheduler`` for
    ``lr_scheduler_type``, ``cosine_min_lr_ratio`` for ``min_lr_rate``), for fixes that name
    a setting to write.

    Example:
        >>> from lrguard.plan import ConfigSource
        >>> plan = TrainingPlan(source=ConfigSource(renames={"min_lr_rate": "cosine_min_lr_ratio"}))
        >>> own_name(plan, "min_lr_rate"), own_name(plan, "min_lr")
        ('cosine_min_lr_ratio', 'min_lr')
    """
    renames = plan.source.renames if plan.source is not None else {}
    return renames.get(name, name)


class FloorAtPeak(Record):
    """A floor at (``above`` False) or above (``above`` True) the peak learning rate."""

    def __init__(self, view: ScheduleReading, floor: Floor, above: bool) -> None:
        self.view = view
        self.floor = floor
        self.above = above

    @property
    def peak(self) -> float:
        """The peak learning rate."""
        return float(self.view.peak or 0.0)

    @property
    def shown(self) -> str:
        """``lr_scheduler_kwargs.min_lr=0.0001`` (``(the default)`` when not given)."""
        name = label(self.view.plan, kw_field(self.floor.key or ""))
        default = "" if self.floor.given else " (the default)"
        return f"{name}={fmt(self.floor.raw)}{default}"


def floor_at_peak(plan: TrainingPlan, code: str) -> FloorAtPeak | None:
    """The floor of ``plan``'s schedule when rule ``code`` checks it and it is not below the
    peak; None otherwise (other schedule, unusable values, floor below the peak)."""
    view = read_built_schedule(plan)
    if view is None or view.spec is None or view.spec.floor is None:
        return None
    if view.spec.floor.rule != code or view.peak is None:
        return None
    if sum(view.kw(k) is not None for k in view.spec.floor.keys) > 1:
        return None  # both min_lr and min_lr_rate: LRG005
    floor = view.floor()
    if floor is None or floor.key is None:
        return None
    limit = 1.0 if floor.relative else view.peak
    if floor.raw < limit:
        return None
    return FloorAtPeak(view, floor, above=floor.raw > limit)


def floor_finding(
    found: FloorAtPeak, code: str, consequence: str, fix: str, *, error_at_peak: bool = False
) -> Iterator[Finding]:
    """The finding: an error above the peak (the rate rises or the build fails), a warning
    at it (the rate never decays) unless ``error_at_peak``.

    A floor given as a fraction of the peak is compared with 1, not with the rate; a
    fraction of exactly 1 is a deliberate constant rate after warmup (axolotl's QAT / FP8
    examples write ``cosine_min_lr_ratio: 1.0``): said as info, with a fix that keeps it.
    """
    severity = Severity.ERROR if found.above or error_at_peak else Severity.WARNING
    key = found.floor.key or ""
    plan = found.view.plan
    lr_name = label(plan, "learning_rate")
    relation = "is above" if found.above else "is not below"
    if found.floor.relative:
        compared = f"1 (a fraction of {lr_name}={fmt(found.peak)})"
    else:
        compared = f"{lr_name}={fmt(found.peak)}"
    if found.floor.relative and not found.above and not error_at_peak:
        name = label(plan, kw_field(key))
        yield finding(
            plan,
            code,
            Severity.INFO,
            kw_field(key),
            found.floor.raw,
            f"{found.shown}: a floor at the peak, so {found.view.name} holds "
            f"{lr_name}={fmt(found.peak)} constant after warmup (a constant schedule, no decay).",
            f"Nothing to change if a constant rate is intended "
            f"({own_name(plan, 'lr_scheduler_type')}: constant_with_warmup says so directly); "
            f"for a decay set {name} below 1, e.g. {plan.min_lr_ratio:g}.",
        )
        return
    yield finding(
        plan,
        code,
        severity,
        kw_field(key),
        found.floor.raw,
        f"{found.shown} {relation} {compared}: {consequence}",
        fix,
    )


def lower_floor(plan: TrainingPlan, finding_: Finding, ratio: float) -> Adjustment:
    """Set the finding's floor kwarg to ``ratio`` (a fraction of the peak) or to
    ``peak * ratio`` (a rate)."""
    view = read_schedule(plan)
    key = (finding_.field or "").partition(".")[2]
    if view is None or view.peak is None or view.spec is None or view.spec.floor is None:
        raise KeyError(f"{finding_.code}: no usable learning_rate to fix {finding_.field}")
    if key in view.spec.floor.relative:
        return adjust_kwarg(plan, key, ratio)
    return adjust_kwarg(plan, key, tidy(view.peak * ratio))
