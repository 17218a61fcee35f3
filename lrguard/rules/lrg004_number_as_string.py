"""LRG004 number-as-string: a number written as a string (YAML 1.1 ``1e-5``), coerced."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lrguard.findings import Finding, Severity
from lrguard.numbers import ParsedNumber, fmt, parse_number
from lrguard.plan import TrainingPlan
from lrguard.rules import Adjustment, Rule, register
from lrguard.rules._groups import fix_string, group_numbers
from lrguard.rules._hf import (
    KWARGS,
    as_number,
    finding,
    hf_view,
    kw_field,
    label,
    set_kwarg,
    yaml_number,
)

if TYPE_CHECKING:  # the policy is pydantic: not imported on the command line's path
    from lrguard.policy import GuardPolicy


def _hf_string_numbers(plan: TrainingPlan) -> Iterator[tuple[str, ParsedNumber]]:
    view = hf_view(plan)
    if view is None:
        return
    pairs = [("learning_rate", view.lr)]
    pairs.append(("warmup_steps", parse_number(plan.schedule.warmup_steps)))
    if plan.schedule.warmup_ratio is not None:
        pairs.append(("warmup_ratio", parse_number(plan.schedule.warmup_ratio)))
    for key, value in (view.kwargs or {}).items():
        pairs.append((kw_field(key), parse_number(value)))
    for field, parsed in pairs:
        if parsed.from_string and parsed.value is not None:
            yield field, parsed


def check_string_numbers_all(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG004 for param groups and for Hugging Face fields and scheduler kwargs."""
    yield from check_string_numbers(plan)
    for field, parsed in _hf_string_numbers(plan):
        name, number = label(plan, field), as_number(parsed)
        yield finding(
            plan,
            "LRG004",
            Severity.WARNING,
            field,
            parsed.raw,
            f"{name}={fmt(parsed.raw)} is a string, not a number; read as {fmt(number)}. "
            "Unconverted, transformers fails with a TypeError in trainer.train().",
            f"Write {name}: {yaml_number(number)} as a number (YAML 1.1 needs the dot).",
        )


def fix_string_all(plan: TrainingPlan, finding_: Finding, policy: GuardPolicy) -> Adjustment:
    """Param groups: ``fix_string``. Hugging Face: replace the field by its number."""
    if any(g.label == finding_.location for g in plan.param_groups):
        return fix_string(plan, finding_, policy)
    field = finding_.field or ""
    if field.startswith(f"{KWARGS}."):
        key = field.partition(".")[2]
        raw = (hf_view(plan).kwargs or {}).get(key)
        number = as_number(parse_number(raw))
        return Adjustment(set_kwarg(plan, key, number), {field: raw}, {field: number})
    new_plan = plan.clone()
    if field == "learning_rate":
        raw = plan.learning_rate
        number = as_number(parse_number(raw))
        new_plan.learning_rate = number
    else:  # warmup_steps / warmup_ratio
        raw = getattr(plan.schedule, field)
        number = as_number(parse_number(raw))
        setattr(new_plan.schedule, field, number)
    return Adjustment(new_plan, {field: raw}, {field: number})


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
        code="LRG004",
        name="number-as-string",
        severity=Severity.WARNING,
        summary="A number given as a string (YAML 1.1 reads 1e-5 as '1e-5'), coerced.",
        what="Flags numeric settings whose value is a string that reads as a number.",
        why="YAML 1.1 (PyYAML) parses 1e-5 without a dot as a string; Flair and transformers "
        "then fail with a TypeError deep inside, or compare strings with floats.",
        example="learning_rate: 1e-5   # a string in YAML 1.1",
        corrected="learning_rate: 1.0e-5",
        fix="Write the number with a dot and a signed exponent (1.0e-5) or quote nothing; "
        "the guard coerces it in adjust and warn modes.",
        check=check_string_numbers_all,
        adjust=fix_string_all,
        always_adjust=True,
    )
)
