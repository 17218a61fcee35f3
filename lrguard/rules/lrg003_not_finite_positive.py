"""LRG003 lr-not-positive-finite and LRG004 number-as-string, for param groups."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import ParsedNumber, fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._groups import fix_string, group_numbers


def bad_number_problem(parsed: ParsedNumber, allow_zero: bool) -> str | None:
    """Why ``parsed`` is not a usable rate, or None when it is."""
    if parsed.value is None:
        return "is not a number"
    if parsed.value != parsed.value:
        return "is NaN"
    if parsed.value in (float("inf"), float("-inf")):
        return "is infinite"
    if parsed.value < 0:
        return "is negative"
    if parsed.value == 0 and not allow_zero:
        return "is zero: nothing would be learned"
    return None


def check_not_finite_positive(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG003: a rate that is not > 0 and finite, or a minimum that is not >= 0 and finite."""
    for g in group_numbers(plan):
        grp = g.group
        checks = [(grp.lr_field, g.lr, False, "a positive number such as 1e-05")]
        if g.min_lr is not None:
            checks.append((grp.min_lr_field, g.min_lr, True, "a number >= 0 (0: no minimum)"))
        for field, parsed, allow_zero, wanted in checks:
            problem = bad_number_problem(parsed, allow_zero)
            if problem is None:
                continue
            yield Finding(
                code="LRG003",
                severity=Severity.ERROR,
                message=f"{field}={fmt(parsed.raw)} ({grp.label}) {problem}.",
                location=grp.label,
                field=field,
                value=parsed.raw if isinstance(parsed.raw, str | int | float) else str(parsed.raw),
                fix=f"Set {field} to {wanted}.",
            )


def check_string_numbers(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG004: a rate written as a string that reads as a number."""
    for g in group_numbers(plan):
        grp = g.group
        pairs = [(grp.lr_field, g.lr)] + (
            [(grp.min_lr_field, g.min_lr)] if g.min_lr is not None else []
        )
        for field, parsed in pairs:
            if parsed.from_string and parsed.value is not None:
                yield Finding(
                    code="LRG004",
                    severity=Severity.WARNING,
                    message=(
                        f"{field}={fmt(parsed.raw)} ({grp.label}) is a string, not a number; "
                        f"read as {fmt(parsed.value)}."
                    ),
                    location=grp.label,
                    field=field,
                    value=parsed.raw,
                    fix=f"Write {field}={fmt(parsed.value)} as a float (in YAML: 1.0e-5, "
                    "with a dot).",
                )


register(
    Rule(
        code="LRG003",
        name="lr-not-positive-finite",
        severity=Severity.ERROR,
        summary="A learning rate or minimum that is not a finite positive number.",
        what="Flags learning rates that are NaN, infinite, negative, zero or not numbers, "
        "and minimums that are NaN, infinite, negative or not numbers (0 is a valid minimum).",
        why="Torch rejects a negative rate deep inside the optimizer, accepts NaN and trains "
        "garbage, and a zero rate trains nothing while looking normal.",
        example="learning_rate: .nan",
        fix="Give a positive finite rate (transformer fine-tuning: 1e-5 ... 1e-4).",
        check=check_not_finite_positive,
    )
)

register(
    Rule(
        code="LRG004",
        name="number-as-string",
        severity=Severity.WARNING,
        summary="A number given as a string (YAML 1.1 reads 1e-5 as '1e-5'), coerced.",
        what="Flags numeric settings whose value is a string that reads as a number.",
        why="YAML 1.1 (PyYAML) parses 1e-5 without a dot as a string; Flair and transformers "
        "then fail with a TypeError deep inside, or compare strings with floats.",
        example="learning_rate: 1e-5   # a string in YAML 1.1",
        fix="Write the number with a dot and a signed exponent (1.0e-5) or quote nothing; "
        "the guard coerces it in adjust and warn modes.",
        check=check_string_numbers,
        adjust=fix_string,
        always_adjust=True,
    )
)
