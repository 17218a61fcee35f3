"""LRG034 unused-suppression: a ``# lrguard: ignore[...]`` comment that suppresses nothing.

The comments are read by ``lrguard.suppressions`` from the file's text (a plan carries no
comments), which builds these findings with ``unused_suppression``; the rule's plan check
finds nothing on its own.
"""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register

CODE = "LRG034"


def unused_suppression(line: int, comment: str, why: str, fix: str) -> Finding:
    """An LRG034 finding for the suppression ``comment`` on ``line``.

    Example:
        >>> unused_suppression(3, "# lrguard: ignore[LRG001]", "LRG001 is not reported on "
        ...                    "line 3", "Delete the comment.").code
        'LRG034'
    """
    return Finding(
        code=CODE,
        severity=Severity.WARNING,
        message=f"Unused suppression {comment!r}: {why}.",
        location=f"line {line}",
        line=line,
        fix=fix,
    )


def check_no_plan_findings(plan: TrainingPlan) -> Iterator[Finding]:
    """Nothing from a plan alone: suppressions live in the file's comments."""
    return iter(())


register(
    Rule(
        code=CODE,
        name="unused-suppression",
        severity=Severity.WARNING,
        summary="A '# lrguard: ignore[...]' comment that suppresses no finding.",
        what="Flags every suppression comment that hides nothing: a code it names is not "
        "reported on its line (or, at the top of the file, anywhere in the file), a code that "
        "matches no rule, a comment without codes ('# lrguard: ignore' alone is not "
        "accepted), or a comment on a line of its own below the first key. Codes switched "
        "off by --select / --ignore / per-file-ignores are not counted as unused.",
        why="A stale suppression silently hides the next real finding on that line, e.g. "
        "after the learning rate is edited; a comment without codes would hide every rule, "
        "including the ones nobody looked at.",
        example="learning_rate: 1.0e-5  # lrguard: ignore[LRG001]\nwarmup_ratio: 0.1",
        fix="Delete the comment, or name only the codes the line really reports "
        "(lrguard check shows them).",
        corrected="learning_rate: 1.0e-5\nwarmup_ratio: 0.1",
        check=check_no_plan_findings,
    )
)
