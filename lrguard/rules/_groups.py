"""Shared reading and fixing of param groups for the learning-rate rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lrguard.findings import Finding
from lrguard.numbers import ParsedNumber, parse_number, tidy
from lrguard.plan import ParamGroupPlan, TrainingPlan
from lrguard.records import Record
from lrguard.rules import Adjustment

if TYPE_CHECKING:  # the policy is pydantic: not imported on the command line's path
    from lrguard.policy import GuardPolicy


class GroupNumbers(Record):
    """A param group with its rate and minimum read as numbers."""

    def __init__(
        self, group: ParamGroupPlan, lr: ParsedNumber, min_lr: ParsedNumber | None
    ) -> None:
        self.group = group
        self.lr = lr
        self.min_lr = min_lr


def group_numbers(plan: TrainingPlan) -> Iterator[GroupNumbers]:
    """Every param group of ``plan`` with parsed numbers (minimum None when not set)."""
    for group in plan.param_groups:
        min_lr = None if group.min_lr is None else parse_number(group.min_lr)
        yield GroupNumbers(group, parse_number(group.lr), min_lr)


def usable_pair(g: GroupNumbers) -> tuple[float, float] | None:
    """(lr, min) when both are usable numbers, else None."""
    if g.min_lr is None or g.lr.value is None or g.min_lr.value is None:
        return None
    if not g.lr.is_finite_positive or not g.min_lr.is_finite_non_negative:
        return None
    return g.lr.value, g.min_lr.value


def _group_of(plan: TrainingPlan, finding: Finding) -> ParamGroupPlan:
    for group in plan.param_groups:
        if group.label == finding.location:
            return group
    raise KeyError(f"{finding.code}: no param group {finding.location!r} in the plan")


def fix_floor(plan: TrainingPlan, finding: Finding, policy: GuardPolicy) -> Adjustment:
    """Give the finding's group room to anneal, by the policy's ``adjust_strategy``.

    ``lower_min_lr``: minimum = lr * min_lr_ratio. ``raise_lr``: lr = minimum / min_lr_ratio.
    """
    new_plan = plan.clone()
    group = _group_of(new_plan, finding)
    lr = float(parse_number(group.lr).value or 0.0)
    min_lr = float(parse_number(group.min_lr).value or 0.0)
    if policy.adjust_strategy == "lower_min_lr":
        group.min_lr = tidy(lr * policy.min_lr_ratio)
        return Adjustment(
            new_plan, {group.min_lr_field: min_lr}, {group.min_lr_field: group.min_lr}
        )
    group.lr = tidy(min_lr / policy.min_lr_ratio)
    return Adjustment(new_plan, {group.lr_field: lr}, {group.lr_field: group.lr})


def fix_string(plan: TrainingPlan, finding: Finding, policy: GuardPolicy) -> Adjustment:
    """Replace the finding's string number by the float it reads as."""
    new_plan = plan.clone()
    group = _group_of(new_plan, finding)
    attr = "lr" if finding.field == group.lr_field else "min_lr"
    before = getattr(group, attr)
    after = parse_number(before).value
    setattr(group, attr, after)
    return Adjustment(new_plan, {finding.field: before}, {finding.field: after})
