"""LRG017 scheduler-kwargs-not-mapping: lr_scheduler_kwargs that is not a mapping."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._hf import NON_STRING_KEY, finding, label, read_built_schedule, read_kwargs

CODE = "LRG017"


def check_kwargs_mapping(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG017: ``lr_scheduler_kwargs`` that is neither a mapping nor a JSON object."""
    view = read_built_schedule(plan)
    if view is None:
        return
    raw = plan.schedule.kwargs
    _, problem = read_kwargs(raw)
    if problem is None:
        return
    name = label(plan, "lr_scheduler_kwargs")
    shown = fmt(raw) if isinstance(raw, str) else repr(raw)
    yield finding(
        plan,
        CODE,
        Severity.ERROR,
        "lr_scheduler_kwargs",
        raw if isinstance(raw, str | int | float | bool) else str(raw),
        f"{name}={shown} {problem}: transformers "
        "cannot pass it to the schedule and fails in trainer.train().",
        f'Use parameter names of the schedule as the keys of {name} (e.g. {{"min_lr_rate": 0.1}}).'
        if problem.startswith(NON_STRING_KEY)
        else f'Write {name} as a mapping, e.g. {{"min_lr_rate": 0.1}} (JSON on the command line).',
    )


register(
    Rule(
        code=CODE,
        name="scheduler-kwargs-not-mapping",
        severity=Severity.ERROR,
        summary="lr_scheduler_kwargs that is not a mapping or a JSON object.",
        what="Flags lr_scheduler_kwargs given as invalid JSON, JSON for a list or number, or "
        "any other non-mapping value.",
        why="TrainingArguments only parses strings that start with '{'; anything else reaches "
        "get_scheduler and fails with a TypeError inside trainer.train().",
        example=('lr_scheduler_type: cosine_with_min_lr\nlr_scheduler_kwargs: "min_lr=1e-6"'),
        corrected=("lr_scheduler_type: cosine_with_min_lr\nlr_scheduler_kwargs: {min_lr: 1.0e-6}"),
        fix="Give a mapping: lr_scheduler_kwargs: {min_lr_rate: 0.1} in YAML, "
        "'{\"min_lr_rate\": 0.1}' on the command line.",
        check=check_kwargs_mapping,
    )
)
