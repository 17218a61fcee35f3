"""``lrguard check`` without the command line: files in, findings with file lines out."""

from __future__ import annotations

import fnmatch
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from lrguard.configs.kinds import KINDS, Detection, detect_kind
from lrguard.configs.loader import (
    CHECKED,
    SKIPPED,
    UNUSABLE,
    ConfigResult,
    build_result,
    load_config,
)
from lrguard.configs.reading import CONFIG_SUFFIXES, UnusableConfig, parse_document, read_text
from lrguard.configs.steps import StepOptions
from lrguard.findings import Finding, Severity
from lrguard.records import Record
from lrguard.rules import check_plan, rules_silent_on
from lrguard.rules import lrg004_number_as_string as lrg004
from lrguard.rules import lrg032_invalid_setting as lrg032


class FileReport(Record):
    """One file's outcome: how it was read and what the rules found."""

    def __init__(self, result: ConfigResult, findings: list[Finding] | None = None) -> None:
        self.result = result
        self.findings = [] if findings is None else findings

    @property
    def path(self) -> Path:
        """The file."""
        return self.result.path


class CheckOptions(Record):
    """Settings of a check run (command line merged over ``[tool.lrguard]``).

    Attributes:
        select: only rule codes with one of these prefixes (None: all).
        ignore: rule codes (prefixes) never reported.
        kind: force this config kind for every file.
        steps: ``--steps``, ``--dataset-size``, ``--world-size``.
        exclude: glob patterns of paths skipped when expanding folders.
        transformers_version: the transformers version the configs are for (declared in
            ``[tool.lrguard]`` or installed); None: unknown, findings that depend on it
            give every version's reading.
        per_file_ignores: glob -> rule codes (prefixes) never reported in matching files.
        root: the folder ``per_file_ignores`` globs are relative to (the folder of
            ``pyproject.toml``); globs also match the path as given and the file name.
    """

    def __init__(
        self,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] = (),
        kind: str | None = None,
        steps: StepOptions | None = None,
        exclude: Sequence[str] = (),
        transformers_version: str | None = None,
        per_file_ignores: Mapping[str, Sequence[str]] | None = None,
        root: Path | None = None,
    ) -> None:
        self.select = select
        self.ignore = ignore
        self.kind = kind
        self.steps = StepOptions() if steps is None else steps
        self.exclude = exclude
        self.transformers_version = transformers_version
        self.per_file_ignores = {} if per_file_ignores is None else per_file_ignores
        self.root = root


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


READ_BY: dict[str, Callable[[Finding, ConfigResult], dict[str, object]]] = {
    lrg004.CODE: lrg004.as_read_by,
}
"""Rules whose findings depend on the program that reads the file: code -> the rule's own
changes to a finding of a checked file."""


def _reader_adjusted(finding: Finding, result: ConfigResult) -> Finding:
    """Place the finding in the file and say what the config's own tool does with it."""
    update: dict[str, object] = {}
    line = result.line_of(finding.field) or result.line_of(finding.location)
    if line is not None and finding.line is None:
        update["line"] = line
    read_by = READ_BY.get(finding.code)
    if read_by is not None:
        update.update(read_by(finding, result))
    return finding._replace(**update) if update else finding


def _version_adjusted(
    finding: Finding, result: ConfigResult, version: str | None
) -> Finding | None:
    """``finding`` as the transformers version the run uses reads it (None: no finding)."""
    if version is None or result.plan is None or result.kind == "axolotl":
        return finding
    return lrg032.for_version(finding, result.plan, version)


def _selected(code: str, options: CheckOptions) -> bool:
    """``code`` passes ``--select`` / ``--ignore`` (prefixes)."""
    if options.select is not None and not any(code.startswith(s) for s in options.select):
        return False
    return not any(code.startswith(i) for i in options.ignore)


def findings_for(result: ConfigResult, options: CheckOptions) -> list[Finding]:
    """Run the rules on a checked result (may raise only on a bug in a rule)."""
    if result.status != CHECKED or result.plan is None:
        return []
    # rules that cannot fire on this plan are not even imported (start-up of a check)
    ignore = [*options.ignore, *sorted(rules_silent_on(result.plan))]
    found = check_plan(result.plan, select=options.select, ignore=ignore or None)
    version = options.transformers_version
    if version is not None and _selected(lrg032.CODE, options):
        found += list(lrg032.for_version_findings(result.plan, version))
    adjusted = (
        _version_adjusted(_reader_adjusted(f, result), result, options.transformers_version)
        for f in found
    )
    return [f for f in adjusted if f is not None]


def _matches(path: Path, pattern: str, root: Path | None) -> bool:
    """``pattern`` matches ``path`` as given, its name, or its path relative to ``root``."""
    if _excluded(path, [pattern]):
        return True
    if root is None:
        return False
    try:
        relative = path.resolve().relative_to(root.resolve())
    except (OSError, ValueError, RuntimeError):
        return False
    return fnmatch.fnmatch(relative.as_posix(), pattern)


def file_options(path: Path, options: CheckOptions) -> CheckOptions:
    """``options`` for one file: ``per_file_ignores`` that match it added to ``ignore``.

    Example:
        >>> opts = CheckOptions(per_file_ignores={"legacy/*.yaml": ["LRG004"]})
        >>> list(file_options(Path("legacy/a.yaml"), opts).ignore)
        ['LRG004']
    """
    extra = [
        code
        for pattern, codes in options.per_file_ignores.items()
        if _matches(path, pattern, options.root)
        for code in codes
    ]
    return options._replace(ignore=[*options.ignore, *extra]) if extra else options


def _suppressed(
    result: ConfigResult,
    source: Path,
    found: list[Finding],
    options: CheckOptions,
    text: str | None = None,
) -> list[Finding]:
    """``found`` without the findings the file's suppression comments hide, plus LRG034
    (``text``: the file's text when already in memory)."""
    if result.document is None or result.document.syntax != "yaml":
        return found
    if text is None:
        try:
            text = read_text(source)
        except UnusableConfig:
            return found
    if "lrguard" not in text.lower():  # no suppression comment: nothing more to import
        return found
    from lrguard.rules import rule_codes
    from lrguard.suppressions import apply_suppressions, parse_suppressions

    suppressions = parse_suppressions(text)
    if not suppressions:
        return found
    known = set(rule_codes())
    kept, unused = apply_suppressions(
        found, suppressions, known.__contains__, lambda code: _selected(code, options)
    )
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted([*kept, *unused], key=lambda f: (order[f.severity], f.code))


def _check(source: Path, options: CheckOptions, shown_as: Path | None = None) -> FileReport:
    """Check the file ``source``, reported as ``shown_as`` (default: ``source``)."""
    shown = shown_as if shown_as is not None else source
    try:
        options = file_options(shown, options)
        result = load_config(source, options.kind, options.steps)
        if shown_as is not None:
            document = result.document
            if document is not None:
                document = document._replace(path=shown_as)
            result = result._replace(path=shown_as, document=document)
        found = findings_for(result, options)
        if result.status == CHECKED:
            found = _suppressed(result, source, found, options)
        return FileReport(result, found)
    except Exception as err:  # a bug must not hide the other files' results
        reason = f"internal error while checking: {type(err).__name__}: {err}"
        return FileReport(ConfigResult(shown, UNUSABLE, " ".join(reason.split())))


def check_source(text: str, path: Path, options: CheckOptions) -> FileReport:
    """Check ``text`` as the content of the file ``path`` (its suffix, its folder for a
    ``deepspeed:`` file it names, its ``per_file_ignores``) without reading or writing the
    file: how ``lrguard check --fix`` checks a rewrite before writing it. Never raises.

    Example:
        >>> check_source("learning_rate: 1e-5\\nmax_steps: 9\\n", Path("a.yaml"),
        ...              CheckOptions()).findings[0].code
        'LRG004'
    """
    try:
        options = file_options(path, options)
        try:
            doc = parse_document(path, text)
        except UnusableConfig as err:
            status = UNUSABLE if err.config_like else SKIPPED
            return FileReport(ConfigResult(path, status, str(err)))
        if options.kind is not None:
            if options.kind not in KINDS:
                reason = f"unknown --kind {options.kind!r}; use one of {KINDS}"
                return FileReport(ConfigResult(path, UNUSABLE, reason))
            detection = Detection(options.kind, f"--kind {options.kind}")
        else:
            detection = detect_kind(doc.data)
        result = build_result(doc, detection, options.steps)
        found = findings_for(result, options)
        if result.status == CHECKED:
            found = _suppressed(result, path, found, options, text)
        return FileReport(result, found)
    except Exception as err:  # a bug must not hide the other files' results
        reason = f"internal error while checking: {type(err).__name__}: {err}"
        return FileReport(ConfigResult(path, UNUSABLE, " ".join(reason.split())))


def check_file(path: Path, options: CheckOptions) -> FileReport:
    """Read and check one file; every failure becomes an ``unusable`` result, never raises."""
    return _check(path, options)


def check_text(text: str | bytes, name: str, options: CheckOptions) -> FileReport:
    """Check ``text`` (e.g. read from stdin) as if it were the file ``name``: the name's
    suffix decides YAML or JSON, ``per_file_ignores`` match it and it is the reported path.
    Bytes are read as a file is (size limit, UTF-8, not binary).

    Example:
        >>> check_text("learning_rate: 1e-5\\nwarmup_ratio: 0.1\\n", "t.yaml",
        ...            CheckOptions()).result.status
        'checked'
    """
    import tempfile  # only for stdin: not on the path of a check of files

    shown = Path(name)
    with tempfile.TemporaryDirectory(prefix="lrguard-stdin-") as folder:
        name_only = shown.name if shown.name not in ("", ".", "..") else "stdin.yaml"
        source = Path(folder) / name_only
        try:
            source.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        except (OSError, ValueError, UnicodeError) as err:
            reason = f"cannot read standard input: {err}"
            return FileReport(ConfigResult(shown, UNUSABLE, " ".join(reason.split())))
        return _check(source, options, shown_as=shown)


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


class Summary(Record):
    """Counts over a check run."""

    def __init__(
        self,
        checked: int,
        skipped: int,
        unusable: int,
        by_severity: dict[str, int],
        by_code: dict[str, int],
    ) -> None:
        self.checked = checked
        self.skipped = skipped
        self.unusable = unusable
        self.by_severity = by_severity
        self.by_code = by_code

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
    "check_source",
    "check_text",
    "expand_paths",
    "file_options",
    "findings_for",
    "summarize",
]
