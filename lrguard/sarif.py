"""``lrguard check --output-format sarif``: SARIF 2.1.0, for GitHub code scanning and other
SARIF viewers.

One run; ``tool.driver`` names lrguard and its version and lists the rules that have a
result, each with its summary, its ``lrguard explain`` text as help, and its severity as the
default level. Each finding is a result with the rule, the level (error / warning / note),
the message with the fix, and the file as a URI relative to the working folder (absolute
``file:`` URI when outside it), with the line when known. Unusable files are reported as
error notifications of the invocation (they match no rule).

Example:
    >>> doc = json.loads(render_sarif([]))
    >>> doc["version"], doc["runs"][0]["tool"]["driver"]["name"]
    ('2.1.0', 'lrguard')
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lrguard import __version__
from lrguard.checking import FileReport
from lrguard.configs.loader import CHECKED, UNUSABLE
from lrguard.rules import Rule, get_rule

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def artifact_uri(path: Path, cwd: Path | None = None) -> str:
    """``path`` as a SARIF artifact URI: relative to ``cwd`` (default: the working folder),
    percent-encoded; an absolute ``file:`` URI when it lies outside ``cwd``.

    Example:
        >>> artifact_uri(Path("configs/my run.yaml"), Path("/repo"))
        'configs/my%20run.yaml'
    """
    if not path.is_absolute():
        return quote(path.as_posix())
    base = cwd if cwd is not None else Path.cwd()
    try:
        return quote(path.relative_to(base).as_posix())
    except ValueError:
        return path.as_uri()


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    """A rule as a SARIF ``reportingDescriptor``.

    Example:
        >>> from lrguard.rules import get_rule
        >>> descriptor = rule_descriptor(get_rule("LRG002"))
        >>> descriptor["id"], descriptor["name"], descriptor["defaultConfiguration"]
        ('LRG002', 'min-not-below-peak', {'level': 'warning'})
    """
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.what.strip()},
        "help": {"text": rule.explain()},
        "defaultConfiguration": {"level": LEVELS[rule.severity.value]},
    }


def _location(uri: str, line: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if line is not None and line >= 1:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def sarif_log(reports: Sequence[FileReport], cwd: Path | None = None) -> dict[str, Any]:
    """The whole run as a SARIF 2.1.0 log (a JSON-ready dict)."""
    rule_index: dict[str, int] = {}
    rules: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for report in reports:
        res = report.result
        uri = artifact_uri(res.path, cwd)
        if res.status == UNUSABLE:
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": f"{res.path}: unusable: {res.reason}"},
                    "locations": [_location(uri, None)],
                }
            )
        if res.status != CHECKED:
            continue
        for f in report.findings:
            if f.code not in rule_index:
                rule_index[f.code] = len(rules)
                rules.append(rule_descriptor(get_rule(f.code)))
            text = f"{f.message} Fix: {f.fix}" if f.fix else f.message
            result: dict[str, Any] = {
                "ruleId": f.code,
                "ruleIndex": rule_index[f.code],
                "level": LEVELS[f.severity.value],
                "message": {"text": text},
                "locations": [_location(uri, f.line)],
            }
            if f.field:
                result["properties"] = {"field": f.field}
            results.append(result)
    driver = {"name": "lrguard", "version": __version__, "rules": rules}
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{"tool": {"driver": driver}, "invocations": [invocation], "results": results}],
    }


def render_sarif(reports: Sequence[FileReport], cwd: Path | None = None) -> str:
    """``sarif_log`` as JSON text."""
    return json.dumps(sarif_log(reports, cwd), indent=2, allow_nan=False)


__all__ = [
    "LEVELS",
    "SARIF_VERSION",
    "artifact_uri",
    "render_sarif",
    "rule_descriptor",
    "sarif_log",
]
