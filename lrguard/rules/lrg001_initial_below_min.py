"""LRG001 initial-lr-below-min and LRG002 min-not-below-peak, for param groups."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, tidy
from lrguard.plan import TrainingPlan
from lrguard.rules import Adjustment, Rule, register
from lrguard.rules._groups import fix_floor, group_numbers, usable_pair
from lrguard.rules._hf import adjust_kwarg, finding, hf_view, kw_field, kwarg_key, label, times

if TYPE_CHECKING:  # the policy is pydantic: not imported on the command line's path
    from lrguard.policy import GuardPolicy

COSINE_MIN = ("cosine_with_min_lr", "cosine_warmup_with_min_lr")
RATE_KEYS = ("min_lr_rate", "min_lr_ratio")


def _consequence(plan: TrainingPlan) -> str:
    if plan.stops_at_min_lr:
        return "Flair stops after epoch 1 ('learning rate too small - quitting training!')"
    return "the rate starts below its floor and annealing cannot lower it"


def check_below_min(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG001: initial rate strictly below the group's minimum."""
    for g in group_numbers(plan):
        pair = usable_pair(g)
        if pair is None or not pair[0] < pair[1]:
            continue
        lr, min_lr = pair
        grp = g.group
        yield Finding(
            code="LRG001",
            severity=Severity.ERROR,
            message=(
                f"{grp.lr_field}={fmt(lr)} ({grp.label}) < {grp.min_lr_field}={fmt(min_lr)}: "
                f"{_consequence(plan)}."
            ),
            location=grp.label,
            field=grp.min_lr_field,
            value=min_lr,
            fix=(f"Set {grp.min_lr_field}<={fmt(lr * 0.1)} or {grp.lr_field}>={fmt(min_lr)}."),
        )


def check_equal_min(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG002 (param groups): minimum equal to the initial rate leaves no room to anneal."""
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
            code="LRG002",
            severity=Severity.WARNING,
            message=(
                f"{grp.min_lr_field}={fmt(min_lr)} ({grp.label}) equals "
                f"{grp.lr_field}={fmt(lr)}: {stop}."
            ),
            location=grp.label,
            field=grp.min_lr_field,
            value=min_lr,
            fix=f"Set {grp.min_lr_field}={fmt(lr * 0.1)} (0.1x the initial rate).",
        )


def _hf_min_findings(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG002 (Hugging Face): a cosine/WSD minimum at or above the peak learning rate."""
    view = hf_view(plan)
    if view is None or view.spec is None or view.kwargs is None or view.peak is None:
        return
    peak, name, lr_name = view.peak, view.name, label(plan, "learning_rate")
    if name in COSINE_MIN:
        if view.kw("min_lr") is not None and view.kw("min_lr_rate") is not None:
            return  # LRG005: both given
        candidates = [("min_lr", False), ("min_lr_rate", True)]
    elif name == "warmup_stable_decay":
        candidates = [("min_lr_ratio", True)]
    else:
        return
    for key, is_rate in candidates:
        parsed = view.kw(key)
        if parsed is None or not parsed.is_finite_non_negative:
            continue
        floor = tidy(peak * parsed.value) if is_rate else parsed.value
        limit = 1.0 if is_rate else peak
        if parsed.value < limit:
            continue
        field, given = kw_field(key), f"{label(plan, kw_field(key))}={fmt(parsed.raw)}"
        if parsed.value == limit:
            what = f"{given} puts the floor at {lr_name}={fmt(peak)}: {name} never decays."
        else:
            what = (
                f"{given} puts the floor above {lr_name}={fmt(peak)}: {name} 'decays' upwards "
                f"and ends the run at {fmt(floor)}, {times(floor, peak)} the peak."
            )
        fix = (
            f"Set {key}: 0.1 (a fraction < 1 of the peak)."
            if is_rate
            else f"Set {key}<={fmt(tidy(peak * 0.1))} (0.1x {lr_name}) or use min_lr_rate: 0.1."
        )
        yield finding(plan, "LRG002", Severity.WARNING, field, parsed.raw, what, fix)


def check_min_not_below_peak(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG002: param-group minimums equal to the rate, and HF minimums at or above the peak."""
    yield from check_equal_min(plan)
    yield from _hf_min_findings(plan)


def fix_min_not_below_peak(
    plan: TrainingPlan, finding_: Finding, policy: GuardPolicy
) -> Adjustment:
    """Param groups: ``fix_floor``. HF: floor = lr * min_lr_ratio (``lower_min_lr``) or
    learning_rate = min_lr / min_lr_ratio (``raise_lr``; rates are set to the ratio)."""
    if any(g.label == finding_.location for g in plan.param_groups):
        return fix_floor(plan, finding_, policy)
    view = hf_view(plan)
    key = kwarg_key(finding_)
    if view is None or view.peak is None:
        raise KeyError(f"LRG002: no usable learning_rate to fix {finding_.field}")
    if key in RATE_KEYS:
        return adjust_kwarg(plan, key, policy.min_lr_ratio)
    if policy.adjust_strategy == "raise_lr":
        min_lr = view.kw(key).value if view.kw(key) is not None else view.peak
        new_plan = plan.clone()
        new_plan.settings["learning_rate"] = tidy(min_lr / policy.min_lr_ratio)
        return Adjustment(
            new_plan,
            {"learning_rate": plan.settings.get("learning_rate")},
            {"learning_rate": new_plan.settings["learning_rate"]},
        )
    return adjust_kwarg(plan, key, tidy(view.peak * policy.min_lr_ratio))


register(
    Rule(
        code="LRG001",
        name="initial-lr-below-min",
        severity=Severity.ERROR,
        summary="A param group's initial learning rate is below its minimum learning rate.",
        what="Compares every param group's initial learning rate with its minimum "
        "(Flair's min_learning_rate, scalar or per group).",
        why="Flair 0.13-0.15 checks lr < min_learning_rate after every evaluation and quits "
        "training, ignoring patience: learning_rate=1e-5 with the default min 1e-4 trains one "
        "epoch of the many asked for.",
        example="trainer.train(path, learning_rate=1e-5, patience=10, max_epochs=100)  "
        "# min_learning_rate defaults to 1e-4",
        fix="Lower the minimum below the initial rate (min_learning_rate=lr*0.1 is Flair "
        "<= 0.12's own rule), or raise the initial rate; LRGuardPlugin does either with "
        "on_violation='adjust'.",
        check=check_below_min,
        adjust=fix_floor,
    )
)

register(
    Rule(
        code="LRG002",
        name="min-not-below-peak",
        severity=Severity.WARNING,
        summary="The minimum learning rate is not below the peak: equal, or above it.",
        what="Flags a minimum (Flair min_learning_rate, HF min_lr / lr_end / eta_min) that "
        "equals or exceeds the initial (peak) learning rate.",
        why="Equal: the rate can never decay, Flair stops at the first plateau. Above: Hugging "
        "Face cosine_with_min_lr 'decays' upwards and ends the run at min_lr, ten times the "
        "peak for lr 1e-5 / min_lr 1e-4.",
        example="lr_scheduler_type: cosine_with_min_lr\nlearning_rate: 1.0e-5\n"
        "lr_scheduler_kwargs: {min_lr: 1.0e-4}",
        fix="Set the minimum to a fraction of the peak, 0.1x by convention "
        "(min_lr_rate: 0.1), or 0 to decay fully.",
        check=check_min_not_below_peak,
        adjust=fix_min_not_below_peak,
    )
)
