"""LRG050 invalid-annealing-setting: Flair plateau-annealing settings it cannot use."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register

CODE = "LRG050"


def check_annealing_settings(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG050: anneal_factor outside (0, 1), negative or non-integer patience."""
    raw = plan.annealing_given
    if not isinstance(raw, dict):
        return
    # on first use: only Flair's annealing settings need the Flair adapter
    from lrguard.adapters.flair_kwargs import annealing_problems

    for field, value, wanted in annealing_problems(raw):
        yield Finding(
            code=CODE,
            severity=Severity.ERROR,
            message=f"{field}={fmt(value)} cannot be used for plateau annealing.",
            location=plan.where(field),
            field=field,
            value=value if isinstance(value, str | int | float) else repr(value),
            fix=f"Set {field} to {wanted}.",
            line=plan.lines.get(field),
        )


register(
    Rule(
        code=CODE,
        name="invalid-annealing-setting",
        severity=Severity.ERROR,
        summary="A plateau-annealing setting (anneal_factor, patience) that cannot be used.",
        what="Checks Flair's anneal_factor (a number strictly between 0 and 1), patience and "
        "initial_extra_patience (whole numbers >= 0).",
        why="Flair raises 'Factor should be < 1.0' or compares strings with numbers only once "
        "training has been set up; a factor of 1 or more would never lower the rate.",
        example=("flair_train:\n  anneal_factor: 2   # a number between 0 and 1"),
        corrected=("flair_train:\n  anneal_factor: 0.5"),
        fix="anneal_factor=0.5 (Flair's default), patience=3, initial_extra_patience=0.",
        check=check_annealing_settings,
    )
)
