"""LRG005 scheduler-kwargs-mismatch: kwargs unknown to, missing for or conflicting in a schedule.

Checked against the table in ``lrguard.schedules.hf_kwargs`` for the targeted transformers
version. Only a missing ``min_lr`` / ``min_lr_rate`` has a safe fix (``min_lr_rate`` =
``min_lr_ratio``); everything else is refused with the fix in the message.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lrguard.defaults import ratio_text
from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Adjustment, Rule, register
from lrguard.rules._hf import (
    ScheduleReading,
    adjust_kwarg,
    finding,
    kw_field,
    label,
    read_built_schedule,
)
from lrguard.schedules.table import RESERVED, schedules

if TYPE_CHECKING:  # the policy is pydantic: not imported on the command line's path
    from lrguard.policy import GuardPolicy

CODE = "LRG005"
MISSING_MIN = "min_lr_rate"


def _takers(key: str, view: ScheduleReading) -> list[str]:
    return [
        n for n, s in schedules(view.version).items() if key in s.kwargs and not s.ignores_kwargs
    ]


def _unknown(view: ScheduleReading, key: str, value: object) -> Finding:
    plan, spec = view.plan, view.spec
    known = list(spec.kwargs) if spec is not None else []
    accepted = [k for k in known if k != "last_epoch"]
    hint = ""
    import difflib

    close = difflib.get_close_matches(key, known, n=1)
    if close:
        hint = f" Did you mean {close[0]}?"
    takers = _takers(key, view)
    if takers:
        hint += f" {key} is taken by lr_scheduler_type in {takers}."
    return finding(
        plan,
        CODE,
        Severity.ERROR,
        kw_field(key),
        value,
        f"{label(plan, kw_field(key))}={fmt(value)} is not a parameter of "
        f"lr_scheduler_type={view.name!r}: transformers raises TypeError in trainer.train(), "
        "after the model and data are loaded.",
        f"Remove {key} from {label(plan, 'lr_scheduler_kwargs')} ({view.name} takes "
        f"{accepted or 'no kwargs'}).{hint}",
    )


def check_kwargs(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG005: unknown, reserved, missing, conflicting or invalid scheduler kwargs."""
    view = read_built_schedule(plan)
    if view is None or view.spec is None or view.kwargs is None:
        return
    spec, kwargs, where = view.spec, view.kwargs, label(plan, "lr_scheduler_kwargs")
    if spec.ignores_kwargs:
        return  # LRG021: the kwargs are dropped, nothing can fail
    for key, value in kwargs.items():
        if key in RESERVED:
            yield finding(
                plan,
                CODE,
                Severity.ERROR,
                kw_field(key),
                value,
                f"{label(plan, kw_field(key))}={fmt(value)} is passed by Trainer itself: "
                "TypeError 'got multiple values' in trainer.train().",
                f"Remove {key} from {where}; set it through TrainingArguments "
                "(max_steps / warmup_steps) instead.",
            )
        elif key not in spec.kwargs:
            yield _unknown(view, key, value)
        elif key in spec.choices and value not in spec.choices[key]:
            yield finding(
                plan,
                CODE,
                Severity.ERROR,
                kw_field(key),
                value,
                f"{label(plan, kw_field(key))}={fmt(value)} is not one of "
                f"{list(spec.choices[key])}: ValueError in trainer.train().",
                f"Set {key} to one of {list(spec.choices[key])}.",
            )
        elif key in spec.numeric and view.kw(key) is not None and view.kw(key).value is None:
            yield finding(
                plan,
                CODE,
                Severity.ERROR,
                kw_field(key),
                value,
                f"{label(plan, kw_field(key))}={fmt(value)} is not a number: TypeError in "
                "trainer.train().",
                f"Set {key} to a number (default {fmt(spec.kwargs[key])}).",
            )
    for key in spec.required:
        if kwargs.get(key) is None:
            example = ""
            if key == "num_decay_steps" and view.total:
                example = f" (e.g. {max(1, view.total // 10)}, 10% of the {view.total} steps)"
            yield finding(
                plan,
                CODE,
                Severity.ERROR,
                kw_field(key),
                None,
                f"{where} lacks {key}, required by lr_scheduler_type={view.name!r}: TypeError "
                "in trainer.train().",
                f"Add {key} to {where}{example}.",
            )
    for group in spec.one_of:
        given = [k for k in group if kwargs.get(k) is not None]
        names = " nor ".join(group)
        if not given:
            yield finding(
                plan,
                CODE,
                Severity.ERROR,
                kw_field(MISSING_MIN),
                None,
                f"{where} has neither {names}, one of which lr_scheduler_type={view.name!r} "
                "requires: ValueError in trainer.train().",
                f"Add {MISSING_MIN}: {plan.min_lr_ratio:g} (decay to "
                f"{ratio_text(plan.min_lr_ratio)} the peak) or min_lr to {where}.",
            )
        elif len(given) > 1:
            values = ", ".join(f"{k}={fmt(kwargs[k])}" for k in given)
            yield finding(
                plan,
                CODE,
                Severity.ERROR,
                kw_field(given[0]),
                {k: kwargs[k] for k in given},
                f"{where} sets both {values}; lr_scheduler_type={view.name!r} takes only one: "
                "ValueError in trainer.train().",
                f"Keep only one of {' / '.join(group)} in {where}.",
            )


def _fixable(finding_: Finding) -> bool:
    return finding_.field == kw_field(MISSING_MIN) and finding_.value is None


def fix_missing_min(plan: TrainingPlan, finding_: Finding, policy: GuardPolicy) -> Adjustment:
    """Add ``min_lr_rate = policy.min_lr_ratio`` (cosine decay to that fraction of the peak)."""
    return adjust_kwarg(plan, MISSING_MIN, policy.min_lr_ratio)


register(
    Rule(
        code=CODE,
        name="scheduler-kwargs-mismatch",
        severity=Severity.ERROR,
        summary="Scheduler kwargs unknown to, missing for, or conflicting in the chosen schedule.",
        what="Checks lr_scheduler_kwargs against the parameters of the schedule function "
        "lr_scheduler_type selects in the targeted transformers version: unknown keys, keys "
        "Trainer passes itself, missing required keys (min_lr or min_lr_rate for "
        "cosine_with_min_lr, num_decay_steps for warmup_stable_decay), both min_lr and "
        "min_lr_rate, values outside the allowed choices and non-numbers.",
        why="Trainer builds the schedule inside train(), after the model and data are loaded: "
        "a mismatch is a TypeError or ValueError minutes or hours into the job "
        "(LLaMA-Factory users hit 'One of min_lr or min_lr_rate should be set').",
        example=(
            "lr_scheduler_type: cosine\n"
            "lr_scheduler_kwargs: {min_lr: 1.0e-6}  # cosine takes only num_cycles"
        ),
        corrected=("lr_scheduler_type: cosine_with_min_lr\nlr_scheduler_kwargs: {min_lr: 1.0e-6}"),
        fix="Use only the keys the schedule takes (each message lists them); adjust mode "
        "adds min_lr_rate = min_lr_ratio when cosine_with_min_lr has no minimum.",
        check=check_kwargs,
        adjust=fix_missing_min,
        can_adjust=_fixable,
    )
)
