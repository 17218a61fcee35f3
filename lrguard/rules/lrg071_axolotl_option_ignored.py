"""LRG071 axolotl-schedule-option-ignored: an axolotl schedule setting the schedule never reads.

``cosine_min_lr_ratio`` with ``lr_quadratic_warmup: true`` (axolotl logs a warning and decays
to 0), with a schedule other than ``cosine`` / ``rex``; ``cosine_constant_lr_ratio`` without
``cosine_min_lr_ratio`` or outside ``cosine``; ``lr_quadratic_warmup`` outside ``cosine``.
"""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._axolotl import USES_MIN_RATIO, axolotl_settings, quadratic, scheduler_of

CODE = "LRG071"


def _ignored(key: str, raw: object, why: str, fix: str) -> Finding:
    return Finding(
        code=CODE,
        severity=Severity.WARNING,
        message=f"{key}={fmt(raw)} is ignored: {why}.",
        location=key,
        field=key,
        value=raw if isinstance(raw, str | int | float | bool) else str(raw),
        fix=fix,
    )


def check_ignored_options(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG071: axolotl schedule settings that the configured schedule does not read."""
    settings = axolotl_settings(plan)
    if settings is None:
        return
    scheduler = scheduler_of(settings)
    ratio = settings.get("cosine_min_lr_ratio")
    if parse_number(ratio).value:
        if quadratic(settings):
            yield _ignored(
                "cosine_min_lr_ratio",
                ratio,
                "with lr_quadratic_warmup: true axolotl builds its cosine with quadratic "
                "warmup, which decays to 0",
                "Remove lr_quadratic_warmup to keep the floor, or remove cosine_min_lr_ratio.",
            )
        elif scheduler not in USES_MIN_RATIO:
            yield _ignored(
                "cosine_min_lr_ratio",
                ratio,
                f"lr_scheduler: {scheduler} does not read it (only cosine and rex do)",
                "Use lr_scheduler: cosine for a floor at that fraction of the peak, or set the "
                "floor in lr_scheduler_kwargs of a schedule that takes one.",
            )
    constant = settings.get("cosine_constant_lr_ratio")
    if constant is not None and not (
        scheduler == "cosine" and parse_number(ratio).value and not quadratic(settings)
    ):
        yield _ignored(
            "cosine_constant_lr_ratio",
            constant,
            "axolotl holds the rate constant only with lr_scheduler: cosine and a "
            "cosine_min_lr_ratio (without lr_quadratic_warmup)",
            "Set cosine_min_lr_ratio (e.g. 0.1) with lr_scheduler: cosine, or remove "
            "cosine_constant_lr_ratio.",
        )
    if settings.get("lr_quadratic_warmup") is True and scheduler != "cosine":
        yield _ignored(
            "lr_quadratic_warmup",
            True,
            f"lr_scheduler: {scheduler} warms up linearly (axolotl's quadratic warmup is for "
            "cosine only)",
            "Use lr_scheduler: cosine, or remove lr_quadratic_warmup.",
        )


register(
    Rule(
        code=CODE,
        name="axolotl-schedule-option-ignored",
        severity=Severity.WARNING,
        summary="An axolotl schedule setting that the configured schedule never reads.",
        what="Flags cosine_min_lr_ratio with lr_quadratic_warmup: true or with a schedule "
        "other than cosine / rex, cosine_constant_lr_ratio without cosine_min_lr_ratio or "
        "outside cosine, and lr_quadratic_warmup outside cosine.",
        why="axolotl drops them without an error: a run meant to keep a floor decays to 0, "
        "a run meant to hold the rate keeps decaying.",
        example="base_model: ./tiny-llama\nlearning_rate: 1.0e-5\nlr_scheduler: cosine\n"
        "lr_quadratic_warmup: true\ncosine_min_lr_ratio: 0.1",
        corrected="base_model: ./tiny-llama\nlearning_rate: 1.0e-5\nlr_scheduler: cosine\n"
        "cosine_min_lr_ratio: 0.1",
        fix="Remove the setting, or choose the schedule that reads it.",
        check=check_ignored_options,
    )
)
