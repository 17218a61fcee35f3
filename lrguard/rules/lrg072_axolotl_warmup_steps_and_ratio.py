"""LRG072 warmup-steps-and-ratio: axolotl ``warmup_steps`` and ``warmup_ratio`` both set."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._axolotl import axolotl_settings

CODE = "LRG072"


def check_warmup_steps_and_ratio(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG072: both warmup settings in an axolotl config."""
    settings = axolotl_settings(plan)
    if settings is None:
        return
    steps, ratio = settings.get("warmup_steps"), settings.get("warmup_ratio")
    if not (parse_number(steps).value and parse_number(ratio).value):
        return
    yield Finding(
        code=CODE,
        severity=Severity.ERROR,
        message=f"warmup_steps={fmt(steps)} and warmup_ratio={fmt(ratio)} are both set: "
        "axolotl refuses the config ('warmup_steps and warmup_ratio are mutually "
        "exclusive').",
        location="warmup_ratio",
        field="warmup_ratio",
        value=ratio if isinstance(ratio, str | int | float) else str(ratio),
        fix=f"Keep one: warmup_steps: {fmt(steps)} (a step count) or warmup_ratio: "
        f"{fmt(ratio)} (a fraction of the run).",
    )


register(
    Rule(
        code=CODE,
        name="warmup-steps-and-ratio",
        severity=Severity.ERROR,
        summary="axolotl warmup_steps and warmup_ratio both set.",
        what="Flags an axolotl config that sets both warmup_steps and warmup_ratio.",
        why="axolotl's config validation refuses it without saying which one to keep; "
        "transformers alone would silently use warmup_steps.",
        example="base_model: ./tiny-llama\nlearning_rate: 1.0e-5\nwarmup_steps: 100\n"
        "warmup_ratio: 0.03",
        corrected="base_model: ./tiny-llama\nlearning_rate: 1.0e-5\nwarmup_ratio: 0.03",
        fix="Keep one of the two.",
        check=check_warmup_steps_and_ratio,
    )
)
