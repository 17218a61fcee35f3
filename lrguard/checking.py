"""``lrguard check`` without the command line: files in, findings with file lines out."""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from lrguard.configs.loader import CHECKED, SKIPPED, UNUSABLE, ConfigResult, load_config
from lrguard.configs.reading import CONFIG_SUFFIXES
from lrguard.configs.steps import StepOptions
from lrguard.findings import Finding, Severity
from lrguard.rules import check_plan


@dataclass
class FileReport:
    """One file's outcome: how it was read and what the rules found."""

    result: ConfigResult
    findings: list[Finding] = field(default_factory=list)

    @property
    def path(self) -> Path:
        """The file."""
        return self.result.path


@dataclass
class CheckOptions:
    """Settings of a check run (command line merged over ``[tool.lrguard]``).

    Attributes:
        select: only rule codes with one of these prefixes (None: all).
        ignore: rule codes (prefixes) never reported.
        kind: force this config kind for every file.
        steps: ``--steps``, ``--dataset-size``, ``--world-size``.
        exclude: glob patterns of paths skipped when expanding folders.
    """

    select: Sequence[str] | None = None
    ignore: Sequence[str] = ()
    kind: str | None = None
    steps: StepOptions = field(default_factory=StepOptions)
    exclude: Sequence[str] = ()


def expand_paths(
    paths: Iterable[Path],
    exclude: Sequence[str] = (),
    errors: list[tuple[Path, str]] | None = None,
) -> list[Path]:
    """Files to check: files as given; folders searched for ``*.yaml|*.yml|*.json``.

    Hidden folders (``.git``, ``.venv`` ...) are not searched and symbolic links to folders
    are not followed; ``exclude`` globs match the path or its name. A missing or unreadable
    path is kept so it is reported as unusable; a folder that cannot be listed is appended to
    ``errors`` with the reason (when given).

    Example:
        >>> expand_paths([Path("no/such.yaml")])
        [PosixPath('no/such.yaml')]
    """
    found: list[Path] = []
    for path in paths:
        if not _is_dir(path):
            found.append(path)
            continue
        found.extend(_walk(path, exclude, errors if errors is not None else []))
    return found


def _is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.stat().st_mode)
    except (OSError, ValueError):
        return False


def _walk(root: Path, exclude: Sequence[str], errors: list[tuple[Path, str]]) -> list[Path]:
    def failed(err: OSError) -> None:
        where = Path(err.filename) if err.filename else root
        errors.append((where, f"cannot list folder: {err.strerror or err}"))

    found: list[Path] = []
    for folder, dirs, files in os.walk(root, onerror=failed):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            candidate = Path(folder) / name
            if candidate.suffix.lower() in CONFIG_SUFFIXES and not _excluded(candidate, exclude):
                found.append(candidate)
    return sorted(found)


def _excluded(path: Path, patterns: Sequence[str]) -> bool:
    text = path.as_posix()
    return any(
        fnmatch.fnmatch(text, p) or fnmatch.fnmatch(path.name, p) or fnmatch.fnmatch(text, f"*/{p}")
        for p in patterns
    )


def _reader_adjusted(finding: Finding, result: ConfigResult) -> Finding:
    """Place the finding in the file and say what the config's own tool does with it."""
    update: dict[str, object] = {}
    line = result.line_of(finding.field) or result.line_of(finding.location)
    if line is not None and finding.line is None:
        update["line"] = line
    plan = result.plan
    coerces = bool(plan is not None and plan.source and plan.source.coerces_strings)
    if finding.code == "LRG004" and coerces and finding.severity != Severity.INFO:
        tool = "axolotl" if result.kind == "axolotl" else "LLaMA-Factory"
        update["severity"] = Severity.INFO
        update["message"] = (
            f"{finding.message} {tool} converts it itself; other YAML 1.1 readers "
            "(yaml.safe_load, TrainingArguments(**cfg)) get a string."
        )
    renames = plan.source.renames if plan is not None and plan.source else None
    if renames and finding.fix:
        fix = finding.fix
        for name, key in renames.items():
            fix = re.sub(rf"\b{re.escape(name)}\b(?=\s*[:=])", key, fix)
        if fix != finding.fix:
            update["fix"] = fix
    return replace(finding, **update) if update else finding


def findings_for(result: ConfigResult, options: CheckOptions) -> list[Finding]:
    """Run the rules on a checked result (may raise only on a bug in a rule)."""
    if result.status != CHECKED or result.plan is None:
        return []
    found = check_plan(result.plan, select=options.select, ignore=list(options.ignore) or None)
    return [_reader_adjusted(f, result) for f in found]


def check_file(path: Path, options: CheckOptions) -> FileReport:
    """Read and check one file; every failure becomes an ``unusable`` result, never raises."""
    try:
        result = load_config(path, options.kind, options.steps)
        return FileReport(result, findings_for(result, options))
    except Exception as err:  # a bug must not hide the other files' results
        reason = f"internal error while checking: {type(err).__name__}: {err}"
        return FileReport(ConfigResult(path, UNUSABLE, " ".join(reason.split())))


def check_paths(paths: Iterable[Path], options: CheckOptions) -> list[FileReport]:
    """Check every config under ``paths``.

    Example:
        >>> [r.result.status for r in check_paths([Path("missing.yaml")], CheckOptions())]
        ['unusable']
    """
    errors: list[tuple[Path, str]] = []
    reports = [check_file(p, options) for p in expand_paths(paths, options.exclude, errors)]
    reports += [FileReport(ConfigResult(p, UNUSABLE, reason)) for p, reason in errors]
    return reports


@dataclass(frozen=True)
class Summary:
    """Counts over a check run."""

    checked: int
    skipped: int
    unusable: int
    by_severity: dict[str, int]
    by_code: dict[str, int]

    def exit_code(self, strict: bool = False) -> int:
        """2: unusable input; 1: errors (``strict``: or warnings); 0 otherwise."""
        if self.unusable:
            return 2
        bad = self.by_severity.get("error", 0)
        if strict:
            bad += self.by_severity.get("warning", 0)
        return 1 if bad else 0


def summarize(reports: Sequence[FileReport]) -> Summary:
    """Counts of files by status and of findings by severity and code."""
    status = Counter(r.result.status for r in reports)
    severities = Counter(f.severity.value for r in reports for f in r.findings)
    codes = Counter(f.code for r in reports for f in r.findings)
    return Summary(
        checked=status[CHECKED],
        skipped=status[SKIPPED],
        unusable=status[UNUSABLE],
        by_severity={k: severities.get(k, 0) for k in ("error", "warning", "info")},
        by_code=dict(sorted(codes.items())),
    )


__all__ = [
    "CheckOptions",
    "FileReport",
    "Summary",
    "check_file",
    "check_paths",
    "expand_paths",
    "findings_for",
    "summarize",
]
