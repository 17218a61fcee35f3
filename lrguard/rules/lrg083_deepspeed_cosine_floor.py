"""LRG083 deepspeed-cosine-floor-not-below-peak: WarmupCosineLR's ``cos_min_ratio`` >= 1."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.defaults import DEFAULT_MIN_LR_RATIO
from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._deepspeed import DS_EXAMPLE_HEAD, ds_finding, ds_view

CODE = "LRG083"


def check_cosine_floor(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG083: the cosine decay ends at or above the optimizer's rate."""
    view = ds_view(plan)
    if view is None or view.type != "WarmupCosineLR":
        return
    ratio = view.number("cos_min_ratio")
    if ratio is None or ratio < 1:
        return
    above = ratio > 1
    consequence = (
        f"after warmup the rate rises to {fmt(ratio)}x the optimizer's"
        if above
        else "after warmup the rate never decays"
    )
    yield ds_finding(
        CODE,
        Severity.ERROR if above else Severity.WARNING,
        view,
        f"{view.where('cos_min_ratio')}={fmt(ratio)} is a fraction of the optimizer's rate "
        f"and not below 1: {consequence}.",
        f"Set cos_min_ratio: {DEFAULT_MIN_LR_RATIO:g} ({DEFAULT_MIN_LR_RATIO:.0%} of the peak, "
        f"a usual floor) in {view.deepspeed.label}.",
        key="cos_min_ratio",
        value=ratio,
    )


register(
    Rule(
        code=CODE,
        name="deepspeed-cosine-floor-not-below-peak",
        severity=Severity.ERROR,
        summary="WarmupCosineLR's cos_min_ratio at (warning) or above (error) 1.",
        what="Reads DeepSpeed WarmupCosineLR's cos_min_ratio, the floor of its cosine decay as "
        "a fraction of the optimizer's learning rate.",
        why="A ratio written as a rate (cos_min_ratio: 2.0e-6 is fine, but 1.5 or a copy of "
        "warmup_max_lr's role) above 1 makes the 'decay' raise the rate after warmup; equal "
        "to 1 it never decays.",
        example=DS_EXAMPLE_HEAD + "deepspeed:\n"
        "  scheduler:\n"
        "    type: WarmupCosineLR\n"
        "    params: {total_num_steps: auto, warmup_num_steps: auto, cos_min_ratio: 1.5}",
        corrected=DS_EXAMPLE_HEAD + "deepspeed:\n"
        "  scheduler:\n"
        "    type: WarmupCosineLR\n"
        "    params: {total_num_steps: auto, warmup_num_steps: auto, cos_min_ratio: 0.1}",
        fix="Give cos_min_ratio as a fraction below 1 (0.1: decay to a tenth of the peak).",
        check=check_cosine_floor,
    )
)
