"""Suppression comments in YAML configs: ``# lrguard: ignore[LRG002,LRG004]``.

* At the end of a line: hides those codes' findings on that line.
* On a line of its own above the first key (the top of the file): hides them in the whole
  file.
* ``# lrguard: ignore`` without codes is not accepted: it hides nothing and is reported
  (LRG034), like every suppression that hides nothing, names a code that matches no rule, or
  stands on a line of its own below the first key.

JSON has no comments, so JSON configs have no suppressions (use ``per-file-ignores``).
A ``#`` starts a comment at the start of a line or after a space, as in YAML; a suppression
written inside a quoted or block string is read as one too.

Example:
    >>> [s.codes for s in parse_suppressions("lr: 1  # lrguard: ignore[lrg001, LRG004]\\n")]
    [('LRG001', 'LRG004')]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lrguard.findings import Finding
from lrguard.safe_text import shorten

_COMMENT = re.compile(r"(?:^|(?<=\s))#\s*lrguard\s*:\s*ignore\b(?P<rest>[^#]*)", re.IGNORECASE)
_CODES = re.compile(r"\s*\[(?P<codes>[^\]]*)\]")
_NOT_A_KEY = re.compile(r"\s*(?:#.*|---\s*|%.*)?")
"""Lines that can come before the first key: blank, comment, document start, directive."""

_CODE_SHAPE = re.compile(r"[A-Z]+\d+")


@dataclass(frozen=True)
class Suppression:
    """One suppression comment.

    Attributes:
        line: 1-based line of the comment.
        comment: the comment as written (shortened).
        codes: the codes it names, upper-cased (empty: none, not accepted).
        whole_file: on a line of its own above the first key.
        own_line: on a line of its own (anywhere).
    """

    line: int
    comment: str
    codes: tuple[str, ...]
    whole_file: bool
    own_line: bool


def parse_suppressions(text: str) -> list[Suppression]:
    """Every suppression comment in ``text`` (one per line at most), in line order."""
    found: list[Suppression] = []
    before_first_key = True
    for number, line in enumerate(text.splitlines(), start=1):
        own_line = line.lstrip().startswith("#")
        match = _COMMENT.search(line) if "lrguard" in line.lower() else None
        if match is not None:
            codes_match = _CODES.match(match.group("rest"))
            codes: tuple[str, ...] = ()
            if codes_match is not None:
                codes = tuple(
                    c.strip().upper() for c in codes_match.group("codes").split(",") if c.strip()
                )
            comment = line[match.start() :].strip()
            found.append(
                Suppression(
                    line=number,
                    comment=shorten(comment, 80),
                    codes=codes,
                    whole_file=own_line and before_first_key,
                    own_line=own_line,
                )
            )
        if before_first_key and not _NOT_A_KEY.fullmatch(line):
            before_first_key = False
    return found


def apply_suppressions(
    findings: Sequence[Finding],
    suppressions: Sequence[Suppression],
    known: Callable[[str], bool],
    active: Callable[[str], bool],
) -> tuple[list[Finding], list[Finding]]:
    """Split ``findings`` into the ones still reported and LRG034 findings.

    Args:
        findings: the file's findings.
        suppressions: its suppression comments.
        known: True for a rule code.
        active: True for a code this run reports (``--select`` / ``--ignore`` /
            ``per-file-ignores``); a suppressed code that is not active is not counted as
            unused (whether it would fire is unknown), and LRG034 is reported only when
            active.

    Returns:
        ``(kept, unused)``: the findings no suppression hides, and one LRG034 finding per
        suppression that hides nothing (naming the codes it names in vain).

    Example:
        >>> found = [Finding(code="LRG004", severity="warning", message="a string", line=2)]
        >>> comments = parse_suppressions("a: 1\\nb: '1'  # lrguard: ignore[LRG004,LRG002]\\n")
        >>> known = {"LRG002", "LRG004"}.__contains__
        >>> kept, unused = apply_suppressions(found, comments, known, lambda code: True)
        >>> kept, [f.message.rsplit(": ", 1)[1] for f in unused]
        ([], ['LRG002 is not reported on line 2.'])
    """
    from lrguard.rules.lrg034_unused_suppression import CODE, unused_suppression

    whole_file = {code: s for s in suppressions if s.whole_file for code in s.codes}
    by_line = {s.line: s for s in suppressions if not s.own_line}
    used: set[tuple[int, str]] = set()
    kept: list[Finding] = []
    for finding in findings:
        hider = whole_file.get(finding.code)
        if hider is None and finding.line is not None:
            on_line = by_line.get(finding.line)
            hider = on_line if on_line is not None and finding.code in on_line.codes else None
        if hider is None:
            kept.append(finding)
        else:
            used.add((hider.line, finding.code))
    if not active(CODE):
        return kept, []
    unused: list[Finding] = []
    for s in suppressions:
        problem = _problem(s, used, known, active)
        if problem is not None:
            unused.append(unused_suppression(s.line, s.comment, *problem))
    return kept, unused


def _problem(
    s: Suppression,
    used: set[tuple[int, str]],
    known: Callable[[str], bool],
    active: Callable[[str], bool],
) -> tuple[str, str] | None:
    """Why ``s`` hides nothing and the fix (None: it hides a finding of each code)."""
    if not s.codes:
        return (
            "a suppression must name the codes it hides; without codes it is not accepted "
            "and hides nothing",
            "Name the codes, e.g. '# lrguard: ignore[LRG002]' (lrguard check shows them).",
        )
    if s.own_line and not s.whole_file:
        return (
            "on a line of its own below the first key it applies to no finding",
            "Move it to the end of the finding's line, or above the first key to cover the "
            "whole file.",
        )
    unknown = [c for c in s.codes if not (_CODE_SHAPE.fullmatch(c) and known(c))]
    if unknown:
        return (
            f"{', '.join(unknown)} matches no rule",
            "Use the codes lrguard check reports (lrguard rules lists them).",
        )
    idle = [c for c in s.codes if active(c) and (s.line, c) not in used]
    if not idle:
        return None
    where = "in this file" if s.whole_file else f"on line {s.line}"
    return (
        f"{', '.join(idle)} {'is' if len(idle) == 1 else 'are'} not reported {where}",
        f"Remove {', '.join(idle)} from the comment (or the whole comment).",
    )


__all__ = ["Suppression", "apply_suppressions", "parse_suppressions"]
