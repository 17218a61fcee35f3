"""Output formats of ``lrguard check``: ``text`` (people), ``json`` (machines), ``github``
(workflow commands), ``sarif`` (SARIF 2.1.0, see ``lrguard.sarif``, imported only for it).

The JSON schema (version 1) is stable::

    {"version": 1,
     "files": [{"path", "status": "checked|skipped|unusable", "kind", "reason",
                "steps": {"total", "source"} | null,
                "findings": [{"code", "name", "severity", "message", "fix",
                              "location", "field", "value", "line"}]}],
     "summary": {"checked", "skipped", "unusable",
                 "findings": {"error", "warning", "info"}, "by_code": {code: count}}}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from lrguard.checking import FileReport, Summary, summarize
from lrguard.configs.loader import CHECKED, SKIPPED, UNUSABLE
from lrguard.findings import Finding
from lrguard.rules import get_rule
from lrguard.safe_text import MAX_LINE_CHARS, escape_controls, shorten

FORMATS = ("text", "json", "github", "sarif")
JSON_SCHEMA_VERSION = 1


def _value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else repr(value)
    return str(value)


def finding_record(finding: Finding) -> dict[str, Any]:
    """A finding as a JSON-ready dict (stable keys)."""
    return {
        "code": finding.code,
        "name": get_rule(finding.code).name,
        "severity": finding.severity.value,
        "message": finding.message,
        "fix": finding.fix,
        "location": finding.location,
        "field": finding.field,
        "value": _value(finding.value),
        "line": finding.line,
    }


def file_record(report: FileReport) -> dict[str, Any]:
    """One file as a JSON-ready dict (stable keys)."""
    res = report.result
    steps = None if res.steps is None else {"total": res.steps.total, "source": res.steps.source}
    return {
        "path": str(res.path),
        "status": res.status,
        "kind": res.kind,
        "reason": res.reason,
        "steps": steps,
        "findings": [finding_record(f) for f in report.findings],
    }


def summary_record(summary: Summary) -> dict[str, Any]:
    """The summary as a JSON-ready dict."""
    return {
        "checked": summary.checked,
        "skipped": summary.skipped,
        "unusable": summary.unusable,
        "findings": summary.by_severity,
        "by_code": summary.by_code,
    }


def render_json(reports: Sequence[FileReport]) -> str:
    """The whole run as one JSON document."""
    doc = {
        "version": JSON_SCHEMA_VERSION,
        "files": [file_record(r) for r in reports],
        "summary": summary_record(summarize(reports)),
    }
    import json  # on first use: a check of a YAML config needs no json

    return json.dumps(doc, indent=2, allow_nan=False)


def _where(report: FileReport, finding: Finding) -> str:
    return f"{report.path}:{finding.line}" if finding.line else str(report.path)


def render_text(reports: Sequence[FileReport], verbose: bool = False, quiet: bool = False) -> str:
    """``path:line: CODE [severity] message Fix: ...`` per finding, then a summary line
    (none with ``quiet``).

    Skipped files are listed with ``verbose`` (and counted always); unusable files always.
    """
    lines: list[str] = []
    for report in reports:
        res = report.result
        if res.status == UNUSABLE:
            lines.append(f"{res.path}: unusable: {res.reason}")
            continue
        if res.status == SKIPPED:
            if verbose:
                lines.append(f"{res.path}: skipped: {res.reason}")
            continue
        if verbose:
            steps = f"; steps: {res.steps.source}" if res.steps is not None else ""
            lines.append(f"{res.path}: {res.kind} ({res.reason}){steps}")
        for f in report.findings:
            fix = f" Fix: {f.fix}" if f.fix else ""
            lines.append(f"{_where(report, f)}: {f.code} [{f.severity.value}] {f.message}{fix}")
    if not quiet:
        lines.append(summary_line(summarize(reports)))
    return "\n".join(_safe_line(line) for line in lines)


def summary_line(s: Summary) -> str:
    """The one-line summary of a run."""
    sev = s.by_severity
    return (
        f"lrguard: {s.checked} config(s) checked, {s.skipped} skipped (not training configs), "
        f"{s.unusable} unusable; {sev['error']} error(s), {sev['warning']} warning(s), "
        f"{sev['info']} info."
    )


def statistics_records(reports: Sequence[FileReport]) -> list[dict[str, Any]]:
    """Findings counted per rule code, most frequent first (then by code); ``severity`` is
    the gravest severity among the code's findings.

    Example:
        >>> from pathlib import Path
        >>> from lrguard.checking import check_text, CheckOptions
        >>> report = check_text("learning_rate: 1e-5\\nmax_steps: 9\\n", "a.yaml", CheckOptions())
        >>> statistics_records([report, report])
        [{'code': 'LRG004', 'name': 'number-as-string', 'severity': 'warning', 'count': 2}]
    """
    counts: Counter[str] = Counter()
    gravest: dict[str, str] = {}
    for report in reports:
        for f in report.findings:
            counts[f.code] += 1
            known = gravest.get(f.code)
            if known is None or _GRAVITY[f.severity.value] < _GRAVITY[known]:
                gravest[f.code] = f.severity.value
    return [
        {"code": code, "name": get_rule(code).name, "severity": gravest[code], "count": count}
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


_GRAVITY = {"error": 0, "warning": 1, "info": 2}


def render_statistics(reports: Sequence[FileReport], fmt: str = "text", quiet: bool = False) -> str:
    """``--statistics``: unusable files, one line per rule code (count, code, the gravest
    severity, rule name), then the summary line (none with ``quiet``); ``fmt="json"``: a JSON
    list of ``{"code", "name", "severity", "count"}``."""
    records = statistics_records(reports)
    if fmt == "json":
        import json  # on first use: a check of a YAML config needs no json

        return json.dumps(records, indent=2)
    width = max((len(str(r["count"])) for r in records), default=1)
    lines = [
        f"{r.path}: unusable: {r.result.reason}" for r in reports if r.result.status == UNUSABLE
    ]
    lines += [f"{r['count']:>{width}}  {r['code']}  [{r['severity']}] {r['name']}" for r in records]
    if not quiet:
        lines.append(summary_line(summarize(reports)))
    return "\n".join(_safe_line(line) for line in lines)


def _safe_line(text: str) -> str:
    """One output line: control characters escaped (a newline in a file name or a key shows
    as ``\\n`` and cannot start a line of its own), cut to ``MAX_LINE_CHARS``."""
    return shorten(escape_controls(text), MAX_LINE_CHARS)


def _escape_data(text: str) -> str:
    """GitHub's escaping of a workflow command's message (``%``, CR, LF), other control
    characters shown escaped, cut to ``MAX_LINE_CHARS``."""
    text = shorten(text, MAX_LINE_CHARS)
    return escape_controls(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    """A workflow command property: as ``_escape_data``, and ``:`` / ``,`` too."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def render_github(reports: Sequence[FileReport]) -> str:
    """GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` each."""
    lines: list[str] = []
    for report in reports:
        res = report.result
        path = _escape_property(str(res.path))
        if res.status == UNUSABLE:
            lines.append(f"::error file={path},title=lrguard::{_escape_data(res.reason)}")
        if res.status != CHECKED:
            continue
        for f in report.findings:
            level = _GITHUB_LEVEL[f.severity.value]
            line = f",line={f.line}" if f.line else ""
            title = _escape_property(f"lrguard {f.code} {get_rule(f.code).name}")
            fix = f" Fix: {f.fix}" if f.fix else ""
            lines.append(
                f"::{level} file={path}{line},title={title}::{_escape_data(f.message + fix)}"
            )
    return "\n".join(lines)


def render(
    reports: Sequence[FileReport], fmt: str, verbose: bool = False, quiet: bool = False
) -> str:
    """Render in one of ``FORMATS`` (``quiet``: text without the summary line)."""
    if fmt == "json":
        return render_json(reports)
    if fmt == "github":
        return render_github(reports)
    if fmt == "sarif":
        from lrguard.sarif import render_sarif

        return render_sarif(reports)
    return render_text(reports, verbose=verbose, quiet=quiet)


__all__ = [
    "FORMATS",
    "JSON_SCHEMA_VERSION",
    "file_record",
    "finding_record",
    "render",
    "render_github",
    "render_json",
    "render_statistics",
    "render_text",
    "statistics_records",
    "summary_line",
]
