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
    kw_field,
    label,
    read_schedule,
    set_kwarg,
    yaml_number,
)

if TYPE_CHECKING:  # the policy is pydantic: not imported on the command line's path
    from lrguard.configs.loader import ConfigResult
    from lrguard.policy import GuardPolicy

CODE = "LRG004"

TRANSFORMERS_FAILS = "Unconverted, transformers fails with a TypeError in trainer.train()."
"""The consequence of a Hugging Face finding, when the file is read as ``TrainingArguments``."""

DEEPSPEED_FAILS = "torch's optimizer fails with a TypeError when the DeepSpeed engine is built."
"""The consequence in a DeepSpeed JSON file (the engine passes the string to torch)."""


def _hf_string_numbers(plan: TrainingPlan) -> Iterator[tuple[str, ParsedNumber]]:
    view = read_schedule(plan)
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
            CODE,
            Severity.WARNING,
            field,
            parsed.raw,
            f"{name}={fmt(parsed.raw)} is a string, not a number; read as {fmt(number)}. "
            f"{TRANSFORMERS_FAILS}",
            f"Write {name}: {yaml_number(number)} as a number (YAML 1.1 needs the dot).",
        )


def fix_string_all(plan: TrainingPlan, finding_: Finding, policy: GuardPolicy) -> Adjustment:
    """Param groups: ``fix_string``. Hugging Face: replace the field by its number."""
    if any(g.label == finding_.location for g in plan.param_groups):
        return fix_string(plan, finding_, policy)
    field = finding_.field or ""
    if field.startswith(f"{KWARGS}."):
        key = field.partition(".")[2]
        raw = (read_schedule(plan).kwargs or {}).get(key)
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
                    code=CODE,
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


def as_read_by(finding_: Finding, result: ConfigResult) -> dict[str, object]:
    """The changes to an LRG004 finding of a checked file that its reader makes true: the
    severity and message by the program that reads the file (empty: none).

    A reader that converts string numbers itself (``READERS``) makes the finding ``info``;
    one known to pass them on unchanged (alignment-handbook's ``H4ArgumentParser``) makes it
    an error: the optimizer gets a string and ``trainer.train()`` fails. A plain
    ``TrainingArguments`` file keeps the warning, naming the readers that convert.
    Scheduler kwargs are never converted by ``TrlParser`` (a dict is no argparse type).
    """
    from lrguard.configs.kinds import CONVERTING_READERS, READERS

    plan = result.plan
    reader = READERS.get(result.reader or "")
    coerces = bool(plan is not None and plan.source and plan.source.coerces_strings)
    if reader is None or finding_.severity == Severity.INFO:
        return {}
    in_kwargs = (finding_.field or "").startswith(f"{KWARGS}.")
    converts = reader.converts
    if result.reader == "trl" and in_kwargs:
        converts = False
    elif result.reader in ("axolotl", "llamafactory"):
        converts = coerces
    if converts:
        return {
            "severity": Severity.INFO,
            "message": f"{finding_.message} {reader.name} converts it itself; other YAML 1.1 "
            "readers (yaml.safe_load, TrainingArguments(**cfg), "
            "HfArgumentParser.parse_yaml_file) pass on a string.",
        }
    if converts is False:
        message = finding_.message
        if result.reader == "deepspeed":
            message = message.replace(TRANSFORMERS_FAILS, DEEPSPEED_FAILS)
        update: dict[str, object] = {
            "severity": Severity.ERROR,
            "message": f"{message} This file is read by {reader.name}, which passes "
            f"the string on unchanged (only {CONVERTING_READERS} convert it).",
        }
        number = parse_number(finding_.value).value
        if result.document is not None and result.document.syntax == "json" and number:
            update["fix"] = f"Write {finding_.location} as a JSON number, without quotes: " + (
                f"{fmt(number)}."
            )
        return update
    return {
        "message": f"{finding_.message} {CONVERTING_READERS} convert it; "
        "HfArgumentParser.parse_yaml_file and TrainingArguments(**cfg) do not."
    }


register(
    Rule(
        code=CODE,
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
