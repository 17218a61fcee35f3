"""LRG070 axolotl-constant-ratio-out-of-range: ``cosine_constant_lr_ratio`` outside 0 ... 1."""

from __future__ import annotations

import math
from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._axolotl import axolotl_settings, quadratic, scheduler_of

CODE = "LRG070"
KEY = "cosine_constant_lr_ratio"


def check_constant_ratio(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG070: a ``cosine_constant_lr_ratio`` axolotl's schedule uses, outside 0 ... 1."""
    settings = axolotl_settings(plan)
    if settings is None or KEY not in settings:
        return
    if scheduler_of(settings) != "cosine" or quadratic(settings):
        return  # not read at all: LRG071
    if not parse_number(settings.get("cosine_min_lr_ratio")).value:
        return  # not read without cosine_min_lr_ratio: LRG071
    raw = settings[KEY]
    value = parse_number(raw).value
    if value is not None and math.isfinite(value) and 0 <= value <= 1:
        return
    yield Finding(
        code=CODE,
        severity=Severity.ERROR,
        message=f"{KEY}={fmt(raw)} is not a fraction of the run between 0 and 1: axolotl "
        "fails on its assertion 'cosine_constant_lr_ratio must be between 0.0 and 1.0' when "
        "it builds the schedule, after the model is loaded.",
        location=KEY,
        field=KEY,
        value=raw if isinstance(raw, str | int | float) else str(raw),
        fix=f"Set {KEY}: 0.8 (hold the floor over the last 20 % of the run), or remove it.",
    )


register(
    Rule(
        code=CODE,
        name="axolotl-constant-ratio-out-of-range",
        severity=Severity.ERROR,
        summary="axolotl cosine_constant_lr_ratio outside 0 ... 1.",
        what="Flags an axolotl cosine_constant_lr_ratio (the fraction of the run after which "
        "the rate is held at the cosine_min_lr_ratio floor) that is not a number between 0 "
        "and 1, when the schedule reads it (lr_scheduler: cosine with cosine_min_lr_ratio).",
        why="axolotl checks it with an assert only in create_scheduler, inside "
        "trainer.train(): the run fails after the model and the data are loaded.",
        example="base_model: ./tiny-llama\nlearning_rate: 1.0e-5\ncosine_min_lr_ratio: 0.1\n"
        "cosine_constant_lr_ratio: 80   # meant 80 %",
        corrected="base_model: ./tiny-llama\nlearning_rate: 1.0e-5\ncosine_min_lr_ratio: 0.1\n"
        "cosine_constant_lr_ratio: 0.8",
        fix="Give the fraction of the run as a number between 0 and 1, e.g. 0.8.",
        check=check_constant_ratio,
    )
)
