"""LRG003 lr-not-positive-finite: a rate or a minimum that is not a usable number.

Param groups, Hugging Face ``learning_rate``, and the scheduler kwargs that set a floor
(``min_lr``, ``min_lr_rate``, ``lr_end`` ..., from the schedule table).
"""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import ParsedNumber, fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._groups import group_numbers
from lrguard.rules._hf import finding, kwarg_domain_findings, kwarg_key, label, read_schedule

CODE = "LRG003"


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
                code=CODE,
                severity=Severity.ERROR,
                message=f"{field}={fmt(parsed.raw)} ({grp.label}) {problem}.",
                location=grp.label,
                field=field,
                value=parsed.raw if isinstance(parsed.raw, str | int | float) else str(parsed.raw),
                fix=f"Set {field} to {wanted}.",
            )


def _hf_lr_findings(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG003 (Hugging Face): learning_rate that is not a finite positive number."""
    view = read_schedule(plan)
    if view is None:
        return
    problem = bad_number_problem(view.lr, allow_zero=False)
    if problem is not None:
        name = label(plan, "learning_rate")
        yield finding(
            plan,
            CODE,
            Severity.ERROR,
            "learning_rate",
            view.lr.raw if isinstance(view.lr.raw, str | int | float) else str(view.lr.raw),
            f"{name}={fmt(view.lr.raw)} {problem}.",
            f"Set {name} to a positive number such as 2e-05.",
        )


def _floor_kwarg_findings(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG003 (Hugging Face): floor kwargs outside their domain. A relative floor the config
    writes as a top-level setting of its own (axolotl's ``cosine_min_lr_ratio`` for
    ``min_lr_rate``) gets the fraction to write there, as LRG002 gives it."""
    view = read_schedule(plan)
    floor = view.spec.floor if view is not None and view.spec is not None else None
    for found in kwarg_domain_findings(plan, CODE, floors=True):
        written = found.location or ""
        if floor is not None and kwarg_key(found) in floor.relative and "." not in written:
            found = found._replace(
                fix=f"Set {written}: {plan.min_lr_ratio:g} (a fraction < 1 of the peak), "
                "or 0 to decay fully.",
            )
        yield found


def check_not_finite_positive_all(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG003 for param groups, Hugging Face learning_rate and floor kwargs."""
    yield from check_not_finite_positive(plan)
    yield from _hf_lr_findings(plan)
    yield from _floor_kwarg_findings(plan)


register(
    Rule(
        code=CODE,
        name="lr-not-positive-finite",
        severity=Severity.ERROR,
        summary="A learning rate or minimum that is not a finite positive number.",
        what="Flags learning rates that are NaN, infinite, negative, zero or not numbers, "
        "and minimums that are NaN, infinite, negative or not numbers (0 is a valid minimum): "
        "Flair's min_learning_rate, and the scheduler kwargs that set a floor (min_lr, "
        "min_lr_rate, lr_end, min_lr_ratio).",
        why="Torch rejects a negative rate deep inside the optimizer, accepts NaN and trains "
        "garbage, and a zero rate trains nothing while looking normal.",
        example="learning_rate: .nan",
        corrected="learning_rate: 2.0e-5",
        fix="Give a positive finite rate (transformer fine-tuning: 1e-5 ... 1e-4).",
        check=check_not_finite_positive_all,
    )
)
