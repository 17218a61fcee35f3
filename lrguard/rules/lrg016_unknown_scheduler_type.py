"""LRG016 unknown-scheduler-type: an lr_scheduler_type the targeted transformers lacks."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._hf import finding, label, read_built_schedule
from lrguard.schedules.table import only_in_other_version, schedules

CODE = "LRG016"


def check_type(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG016: an ``lr_scheduler_type`` the targeted transformers does not have."""
    view = read_built_schedule(plan)
    if view is None or view.spec is not None:
        return
    version = plan.framework_version
    names = list(schedules(version))
    name = label(plan, "lr_scheduler_type")
    target = f"transformers {version}" if version else "transformers 4.x"
    other = only_in_other_version(view.name, version) if isinstance(view.name, str) else None
    if other is not None:
        why = f"exists only in transformers {other}, not in {target}"
        fix = f"Install transformers {other} or choose one of {names}."
    else:
        why = f"is not a schedule of {target}"
        import difflib

        close = difflib.get_close_matches(str(view.name), names, n=1)
        fix = (f"Did you mean {close[0]!r}? " if close else "") + f"Choose one of {names}."
    yield finding(
        plan,
        CODE,
        Severity.ERROR,
        "lr_scheduler_type",
        view.name,
        f"{name}={fmt(view.name)} {why}: ValueError when TrainingArguments is built.",
        fix,
    )


register(
    Rule(
        code=CODE,
        name="unknown-scheduler-type",
        severity=Severity.ERROR,
        summary="lr_scheduler_type that the targeted transformers version does not have.",
        what="Checks lr_scheduler_type against the schedules of the installed (or targeted) "
        "transformers version, naming the close match or the version that has it (greedy "
        "is 5.x only).",
        why="A config written for one transformers version fails on another; in CI the "
        "error should appear before a GPU job is queued.",
        example="lr_scheduler_type: cosine_min_lr   # cosine_with_min_lr",
        corrected="lr_scheduler_type: cosine",
        fix="Use a schedule name of the installed transformers (the message lists them).",
        check=check_type,
    )
)
