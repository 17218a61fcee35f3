"""LRG002 min-not-below-peak: a minimum at or above the peak learning rate.

Param groups (Flair): a minimum equal to the initial rate leaves no room to anneal (below it
is LRG001). Hugging Face: the floor of ``cosine_with_min_lr`` / ``cosine_warmup_with_min_lr``
/ ``warmup_stable_decay`` (from the schedule table) at the peak never decays; above it, the
"decay" rises: an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lrguard.defaults import ratio_text
from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, tidy
from lrguard.plan import TrainingPlan
from lrguard.rules import Adjustment, Rule, register
from lrguard.rules._floor import floor_at_peak, floor_finding, lower_floor, own_name
from lrguard.rules._groups import fix_floor, group_numbers, usable_pair
from lrguard.rules._hf import kwarg_key, label, read_schedule, times

if TYPE_CHECKING:  # the policy is pydantic: not imported on the command line's path
    from lrguard.policy import GuardPolicy

CODE = "LRG002"


def _equal_min(plan: TrainingPlan) -> Iterator[Finding]:
    for g in group_numbers(plan):
        pair = usable_pair(g)
        if pair is None or pair[0] != pair[1]:
            continue
        lr, min_lr = pair
        grp = g.group
        stop = (
            "Flair stops at the first plateau without annealing"
            if plan.stops_at_min_lr
            else "the rate can never be lowered"
        )
        yield Finding(
            code=CODE,
            severity=Severity.WARNING,
            message=(
                f"{grp.min_lr_field}={fmt(min_lr)} ({grp.label}) equals "
                f"{grp.lr_field}={fmt(lr)}: {stop}."
            ),
            location=grp.label,
            field=grp.min_lr_field,
            value=min_lr,
            fix=(
                f"Set {grp.min_lr_field}={fmt(lr * plan.min_lr_ratio)} "
                f"({ratio_text(plan.min_lr_ratio)} the initial rate)."
            ),
        )


def _hf_floor(plan: TrainingPlan) -> Iterator[Finding]:
    found = floor_at_peak(plan, CODE)
    if found is None:
        return
    name, floor, peak = found.view.name, found.floor, found.peak
    if found.above:
        consequence = (
            f"{name} 'decays' upwards and ends the run at {fmt(floor.value)}, "
            f"{times(floor.value, peak)} the peak."
        )
    else:
        consequence = f"{name} never decays."
    key = floor.key or ""
    lr_name = label(plan, "learning_rate")
    ratio = plan.min_lr_ratio
    fix = (
        f"Set {own_name(plan, key)}: {ratio:g} (a fraction < 1 of the peak)."
        if floor.relative
        else f"Set {key}<={fmt(tidy(peak * ratio))} ({ratio_text(ratio)} {lr_name}) or use "
        f"{own_name(plan, 'min_lr_rate')}: {ratio:g}."
    )
    yield from floor_finding(found, CODE, consequence, fix)


def check_min_not_below_peak(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG002: param-group minimums equal to the rate, and HF floors at or above the peak."""
    yield from _equal_min(plan)
    yield from _hf_floor(plan)


def fix_min_not_below_peak(
    plan: TrainingPlan, finding_: Finding, policy: GuardPolicy
) -> Adjustment:
    """Param groups: ``fix_floor``. HF: floor = lr * min_lr_ratio (``lower_min_lr``) or
    learning_rate = min_lr / min_lr_ratio (``raise_lr``, for a floor given as a rate)."""
    if any(g.label == finding_.location for g in plan.param_groups):
        return fix_floor(plan, finding_, policy)
    view = read_schedule(plan)
    key = kwarg_key(finding_)
    relative = view is not None and view.spec is not None and key in view.spec.floor.relative
    if policy.adjust_strategy == "raise_lr" and view is not None and not relative:
        min_lr = view.kw(key).value if view.kw(key) is not None else view.peak
        new_plan = plan.clone()
        new_plan.learning_rate = tidy(min_lr / policy.min_lr_ratio)
        return Adjustment(
            new_plan,
            {"learning_rate": plan.learning_rate},
            {"learning_rate": new_plan.learning_rate},
        )
    return lower_floor(plan, finding_, policy.min_lr_ratio)


register(
    Rule(
        code=CODE,
        name="min-not-below-peak",
        severity=Severity.WARNING,
        summary="The minimum learning rate is not below the peak: equal (warning), or above "
        "it (error).",
        what="Flags a minimum (Flair min_learning_rate equal to the rate; Hugging Face min_lr, "
        "min_lr_rate, min_lr_ratio of cosine_with_min_lr, cosine_warmup_with_min_lr and "
        "warmup_stable_decay) that equals or exceeds the initial (peak) learning rate.",
        why="Equal: the rate can never decay, Flair stops at the first plateau. Above: Hugging "
        "Face cosine_with_min_lr 'decays' upwards and ends the run at min_lr, ten times the "
        "peak for lr 1e-5 / min_lr 1e-4 - an error, since the run silently trains at rates "
        "nobody chose.",
        example="lr_scheduler_type: cosine_with_min_lr\nlearning_rate: 1.0e-5\n"
        "lr_scheduler_kwargs: {min_lr: 1.0e-4}",
        fix="Set the minimum to a fraction of the peak, 0.1x by convention "
        "(min_lr_rate: 0.1), or 0 to decay fully.",
        corrected="lr_scheduler_type: cosine_with_min_lr\nlearning_rate: 1.0e-5\n"
        "lr_scheduler_kwargs: {min_lr_rate: 0.1}",
        check=check_min_not_below_peak,
        adjust=fix_min_not_below_peak,
    )
)
