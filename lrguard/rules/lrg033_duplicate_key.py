"""LRG033 duplicate-key: a key given twice in one mapping of a config file.

Reads ``plan.source.duplicate_keys`` (key path -> lines), recorded by the
config reader; silent for plans built by the integrations.
"""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.safe_text import shorten

CODE = "LRG033"


def check_duplicate_keys(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG033: every key that occurs more than once in the same mapping."""
    duplicates = plan.source.duplicate_keys if plan.source else {}
    for key, lines in duplicates.items():
        name = shorten(str(key))
        earlier = ", ".join(str(n) for n in lines[:-1])
        yield Finding(
            code=CODE,
            severity=Severity.WARNING,
            message=(
                f"{name} is given {len(lines)} times (lines {earlier} and {lines[-1]}): YAML "
                f"and JSON readers keep only the last one (line {lines[-1]}), so editing the "
                f"one on line {lines[0]} changes nothing."
            ),
            location=str(key),
            field=str(key),
            line=lines[-1],
            fix=f"Keep one {name} (delete the others) with the value you want.",
        )


register(
    Rule(
        code=CODE,
        name="duplicate-key",
        severity=Severity.WARNING,
        summary="A key given twice in one mapping of a config file: only the last one counts.",
        what="Flags every key that occurs more than once in the same mapping of a YAML or "
        "JSON config (at any level, e.g. twice learning_rate, or twice min_lr under "
        "lr_scheduler_kwargs), with the lines of each occurrence.",
        why="YAML forbids duplicate keys, but PyYAML, json and the tools built on them "
        "silently keep the last value: the setting a reader sees first, or edits, is not "
        "the one the run uses.",
        example="learning_rate: 1.0e-5\nwarmup_ratio: 0.1\nlearning_rate: 1.0e-3   # this one "
        "is used",
        fix="Delete all but one occurrence and give it the value you want.",
        corrected="learning_rate: 1.0e-5\nwarmup_ratio: 0.1",
        check=check_duplicate_keys,
    )
)
