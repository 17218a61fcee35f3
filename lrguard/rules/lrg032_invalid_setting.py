"""LRG032 invalid-setting: a setting whose value cannot be used (not a number, out of range).

Config values the config reader recorded as unusable, and Hugging Face scheduler kwargs
outside their domain in the schedule table (``factor: 2``, ``patience: -1`` ...); the kwargs
that set a floor are LRG003's.
"""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._hf import kwarg_domain_findings


def check_invalid_settings(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG032: a setting whose value cannot be used (not a number, out of range, wrong type)."""
    yield from kwarg_domain_findings(plan, "LRG032", floors=False)
    for item in plan.source.invalid if plan.source else []:
        value = item.get("value")
        yield Finding(
            code="LRG032",
            severity=Severity.ERROR,
            message=f"{item['field']}={fmt(value)} {item['problem']}; Flair's default is "
            "used in this check.",
            location=str(item.get("location", item["field"])),
            field=str(item["field"]),
            value=value if isinstance(value, str | int | float) else str(value),
            fix=str(item.get("fix", "")),
        )


register(
    Rule(
        code="LRG032",
        name="invalid-setting",
        severity=Severity.ERROR,
        summary="A training setting whose value cannot be used (not a number, out of range).",
        what="Flags length settings of a Flair config (max_epochs; annealing settings are "
        "LRG050), a kwargs block that is not a mapping, and "
        "Hugging Face scheduler kwargs outside their range (factor: 2, patience: -1, "
        "num_cycles: 0 ...).",
        why="Flair fails on them only when training starts, or silently truncates them "
        "(patience: 2.5 becomes 2); torch raises on ReduceLROnPlateau(factor=2) only inside "
        "trainer.train(), after the model is loaded.",
        example=("flair_train:\n  max_epochs: 0   # a whole number >= 1"),
        corrected=("flair_train:\n  max_epochs: 10"),
        fix="Give a value of the right type and range; the message names it.",
        check=check_invalid_settings,
    )
)
