"""LRG073 lr-group-rate-invalid: an axolotl ``lr_groups`` entry without a usable rate.

axolotl gives the parameters of each ``lr_groups`` entry (``name``, ``modules``, ``lr``)
their own param group at ``lr``. With ``lr_scheduler: one_cycle`` its ``OneCycleLR`` is built
with ``max_lr=learning_rate`` for every group, so the group rates are not used (a warning).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._axolotl import axolotl_settings, scheduler_of

CODE = "LRG073"


def _group_finding(index: int, group: object) -> Finding | None:
    where = f"lr_groups[{index}]"
    if not isinstance(group, Mapping):
        return Finding(
            code=CODE,
            severity=Severity.ERROR,
            message=f"{where}={fmt(group)} is not a mapping: axolotl's config validation "
            "refuses it.",
            location=where,
            field=where,
            value=str(group),
            fix=f"Write {where} as {{name: ..., modules: [...], lr: 1.0e-5}}.",
        )
    raw = group.get("lr")
    value = parse_number(raw).value
    if value is not None and math.isfinite(value) and value > 0:
        return None
    name = group.get("name", index)
    return Finding(
        code=CODE,
        severity=Severity.ERROR,
        message=f"{where}.lr={fmt(raw)} (group {name!r}) is not a finite rate > 0: its "
        "parameters train at a rate that is missing, zero, negative or not a number.",
        location=f"{where}.lr",
        field=f"{where}.lr",
        value=raw if isinstance(raw, str | int | float) else str(raw),
        fix=f"Set {where}.lr to a positive rate, e.g. 1.0e-5.",
    )


def check_lr_groups(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG073: ``lr_groups`` entries without a usable rate; group rates one_cycle ignores."""
    settings = axolotl_settings(plan)
    groups = None if settings is None else settings.get("lr_groups")
    if not isinstance(groups, list) or settings is None:
        return
    for index, group in enumerate(groups):
        found = _group_finding(index, group)
        if found is not None:
            yield found
    if groups and scheduler_of(settings) == "one_cycle":
        yield Finding(
            code=CODE,
            severity=Severity.WARNING,
            message="lr_groups with lr_scheduler: one_cycle: axolotl builds OneCycleLR with "
            "max_lr=learning_rate for every param group, so the group rates are not used.",
            location="lr_groups",
            field="lr_groups",
            value=len(groups),
            fix="Use a schedule that scales each group's own rate (lr_scheduler: cosine), or "
            "remove lr_groups.",
        )


register(
    Rule(
        code=CODE,
        name="lr-group-rate-invalid",
        severity=Severity.ERROR,
        summary="An axolotl lr_groups entry without a usable rate, or group rates one_cycle "
        "ignores.",
        what="Flags axolotl lr_groups entries whose lr is missing, not a number, zero, "
        "negative or infinite (error), and lr_groups with lr_scheduler: one_cycle (warning).",
        why="The group's parameters get their own param group at that rate: without a "
        "usable one they do not train as intended. OneCycleLR takes one max_lr for every "
        "group, so the group rates are silently replaced by learning_rate.",
        example="base_model: ./tiny-llama\nlearning_rate: 1.0e-5\nlr_groups:\n"
        "  - name: embeddings\n    modules: [embed_tokens]\n    lr: 0",
        corrected="base_model: ./tiny-llama\nlearning_rate: 1.0e-5\nlr_groups:\n"
        "  - name: embeddings\n    modules: [embed_tokens]\n    lr: 1.0e-6",
        fix="Give every group a positive rate; with one_cycle, drop lr_groups or switch schedule.",
        check=check_lr_groups,
    )
)
