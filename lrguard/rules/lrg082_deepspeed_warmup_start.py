"""LRG082 deepspeed-warmup-start-not-below-peak: DeepSpeed's warmup starts at or above the
rate it warms up to."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._deepspeed import DS_EXAMPLE_HEAD, ds_finding, ds_view

CODE = "LRG082"


def check_warmup_start(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG082: ``warmup_min_lr`` >= the peak (WarmupLR / WarmupDecayLR), or
    ``warmup_min_ratio`` >= 1 (WarmupCosineLR)."""
    view = ds_view(plan)
    if view is None or view.spec is None or not view.spec.warmup:
        return
    if view.type == "WarmupCosineLR":
        start, peak, key = view.number("warmup_min_ratio"), 1.0, "warmup_min_ratio"
        what = "the optimizer's rate (ratio 1)"
    else:
        start, peak, key = view.number("warmup_min_lr"), view.peak(), "warmup_min_lr"
        what = f"warmup_max_lr={fmt(peak)}" if peak is not None else ""
    if start is None or peak is None or start < peak:
        return
    above = start > peak
    consequence = (
        f"the rate falls from {fmt(start)} to {fmt(peak)} during warmup instead of rising"
        if above
        else "there is no warmup: the rate starts at the peak"
    )
    if view.type == "WarmupDecayLR" and above:
        consequence += ", then decays towards 0 from below its start"
    fix_value = "0" if key == "warmup_min_lr" else "0 (or a ratio below 1)"
    yield ds_finding(
        CODE,
        Severity.ERROR if above else Severity.WARNING,
        view,
        f"{view.where(key)}={fmt(start)} is {'above' if above else 'equal to'} {what}: "
        f"{consequence}.",
        f"Set {key}: {fix_value} in {view.deepspeed.label}.",
        key=key,
        value=start,
    )


register(
    Rule(
        code=CODE,
        name="deepspeed-warmup-start-not-below-peak",
        severity=Severity.ERROR,
        summary="DeepSpeed warmup that starts at (warning) or above (error) its peak.",
        what="Compares the rate DeepSpeed's WarmupLR / WarmupDecayLR warm up from "
        '(warmup_min_lr) with the one they warm up to (warmup_max_lr, "auto": learning_rate), '
        "and WarmupCosineLR's warmup_min_ratio with 1.",
        why="A start above the peak makes the 'warmup' lower the rate over warmup_num_steps, "
        "the opposite of a warmup, and WarmupDecayLR then decays from there; a start equal to "
        "the peak is no warmup at all.",
        example=DS_EXAMPLE_HEAD + "deepspeed:\n"
        "  scheduler:\n"
        "    type: WarmupDecayLR\n"
        "    params: {warmup_min_lr: 1.0e-4, warmup_max_lr: auto, warmup_num_steps: auto,\n"
        "             total_num_steps: auto}",
        corrected=DS_EXAMPLE_HEAD + "deepspeed:\n"
        "  scheduler:\n"
        "    type: WarmupDecayLR\n"
        "    params: {warmup_min_lr: 0, warmup_max_lr: auto, warmup_num_steps: auto,\n"
        "             total_num_steps: auto}",
        fix="Start the warmup below the peak: warmup_min_lr: 0 (or warmup_min_ratio below 1).",
        check=check_warmup_start,
    )
)
