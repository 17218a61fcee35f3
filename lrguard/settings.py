"""``[tool.lrguard]`` in ``pyproject.toml``: defaults for ``lrguard check``.

Example ``pyproject.toml``::

    [tool.lrguard]
    select = ["LRG"]          # rule code prefixes to report (default: all)
    ignore = ["LRG030"]       # rule code prefixes never reported
    strict = false            # exit 1 on warnings too
    format = "text"           # text | json | github
    exclude = ["examples/accelerate/*"]
    world-size = 8            # data-parallel processes, for --dataset-size
    transformers-version = "5.2"  # the transformers the configs are for (default: installed)
    unsafe-fixes = false      # --fix / --diff also apply unsafe fixes

    [tool.lrguard.per-file-ignores]   # glob -> codes never reported in matching files
    "legacy/*.yaml" = ["LRG004"]      # globs are relative to the folder of pyproject.toml

Command-line options override these; ``--ignore`` adds to ``ignore``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lrguard.records import Record

KEYS = (
    "select",
    "ignore",
    "strict",
    "format",
    "exclude",
    "world-size",
    "kind",
    "transformers-version",
    "per-file-ignores",
    "unsafe-fixes",
)


class SettingsError(ValueError):
    """``[tool.lrguard]`` cannot be used; the message names the key and the fix."""


class Settings(Record):
    """Values read from ``[tool.lrguard]`` (None: not set there)."""

    def __init__(
        self,
        path: Path | None = None,
        select: list[str] | None = None,
        ignore: list[str] | None = None,
        strict: bool | None = None,
        format: str | None = None,
        exclude: list[str] | None = None,
        world_size: int | None = None,
        kind: str | None = None,
        transformers_version: str | None = None,
        per_file_ignores: dict[str, list[str]] | None = None,
        unsafe_fixes: bool = False,
    ) -> None:
        self.path = path
        self.select = select
        self.ignore = [] if ignore is None else ignore
        self.strict = strict
        self.format = format
        self.exclude = [] if exclude is None else exclude
        self.world_size = world_size
        self.kind = kind
        self.transformers_version = transformers_version
        self.per_file_ignores = {} if per_file_ignores is None else per_file_ignores
        self.unsafe_fixes = unsafe_fixes


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` in ``start`` or its parents."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            text = path.read_text(encoding="utf-8", errors="replace")
            if "[tool.lrguard]" in text:
                raise SettingsError(
                    f"{path}: reading [tool.lrguard] needs Python 3.11+ or the tomli package"
                ) from None
            return {}
    try:
        return tomllib.loads(_read_toml(path))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise SettingsError(f"{path}: cannot read: {err}") from None


def _read_toml(path: Path) -> str:
    """The text of ``path`` as ``tomllib.load`` reads it (UTF-8)."""
    with path.open("rb") as fh:
        return fh.read().decode("utf-8")


def _mentions_lrguard(path: Path) -> bool:
    """``path`` can hold ``[tool.lrguard]``: every way to write that table names lrguard.
    A ``pyproject.toml`` that does not is not parsed (tomllib costs a check's start-up)."""
    try:
        with path.open("rb") as fh:
            return b"lrguard" in fh.read()
    except OSError:
        return True  # let the reader report it


def _str_list(path: Path, key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(
            f'{path}: [tool.lrguard] {key}={value!r} must be a list of strings, e.g. ["LRG0"]'
        )
    return list(value)


def check_codes(codes: Sequence[str], where: str) -> list[str]:
    """``codes`` upper-cased, each a rule code or the prefix of one.

    Raises:
        SettingsError: an empty code, or one that matches no rule (the message lists the
            valid codes), so a typo cannot silently switch every check off.

    Example:
        >>> check_codes(["lrg00", "LRG030"], "--select")
        ['LRG00', 'LRG030']
    """
    from lrguard.rules import rule_codes

    known = rule_codes()
    valid = f"valid codes: {', '.join(known)} (or a prefix such as LRG0)"
    checked: list[str] = []
    for code in codes:
        code = code.strip().upper()
        if not code:
            raise SettingsError(f"{where}: an empty rule code; {valid}")
        if not any(k.startswith(code) for k in known):
            raise SettingsError(f"{where}: {code!r} matches no rule; {valid}")
        checked.append(code)
    return checked


def _per_file_ignores(path: Path, value: Any) -> dict[str, list[str]]:
    """``per-file-ignores``: a table of glob -> rule codes (each checked)."""
    if not isinstance(value, dict):
        raise SettingsError(
            f"{path}: [tool.lrguard] per-file-ignores={value!r} must be a table of glob -> "
            'codes, e.g. per-file-ignores = {"legacy/*.yaml" = ["LRG004"]}'
        )
    table: dict[str, list[str]] = {}
    for pattern, codes in value.items():
        where = f"{path}: [tool.lrguard] per-file-ignores {pattern!r}"
        if not pattern.strip():
            raise SettingsError(f'{where}: an empty glob; name files, e.g. "legacy/*.yaml"')
        table[pattern] = check_codes(_str_list(path, f"per-file-ignores {pattern!r}", codes), where)
    return table


def load_settings(pyproject: Path | None) -> Settings:
    """Read ``[tool.lrguard]`` from ``pyproject`` (an empty ``Settings`` when absent).

    Raises:
        SettingsError: unreadable TOML, an unknown key, a value of the wrong type, a rule
            code in ``select`` / ``ignore`` that matches no rule.
    """
    if pyproject is None or not _mentions_lrguard(pyproject):
        return Settings()
    table = _load_toml(pyproject).get("tool", {}).get("lrguard", {})
    if not isinstance(table, dict):
        raise SettingsError(f"{pyproject}: [tool.lrguard] must be a table")
    if "fix" in table:
        raise SettingsError(
            f"{pyproject}: [tool.lrguard] fix is not a setting: a check never rewrites files "
            "because of a setting; pass --fix (or --diff) on the command line"
        )
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise SettingsError(
            f"{pyproject}: unknown [tool.lrguard] key(s) {', '.join(unknown)}; "
            f"known: {', '.join(KEYS)}"
        )
    strict = table.get("strict")
    for key in ("strict", "unsafe-fixes"):
        if table.get(key) is not None and not isinstance(table[key], bool):
            raise SettingsError(
                f"{pyproject}: [tool.lrguard] {key}={table[key]!r} must be true or false"
            )
    world = table.get("world-size")
    if world is not None and (isinstance(world, bool) or not isinstance(world, int) or world < 1):
        raise SettingsError(
            f"{pyproject}: [tool.lrguard] world-size={world!r} must be an integer >= 1"
        )
    for key in ("format", "kind"):
        if key in table and not isinstance(table[key], str):
            raise SettingsError(
                f"{pyproject}: [tool.lrguard] {key}={table[key]!r} must be a string"
            )
    version = table.get("transformers-version")
    if version is not None and (
        not isinstance(version, str) or not re.fullmatch(r"[45](\.\d+)*", version.strip())
    ):
        raise SettingsError(
            f"{pyproject}: [tool.lrguard] transformers-version={version!r} must be a "
            'version string of transformers 4 or 5, e.g. "4.57" or "5.2"'
        )
    codes = {
        key: check_codes(
            _str_list(pyproject, key, table[key]), f"{pyproject}: [tool.lrguard] {key}"
        )
        for key in ("select", "ignore")
        if key in table
    }
    return Settings(
        path=pyproject,
        select=codes.get("select"),
        ignore=codes.get("ignore", []),
        strict=strict,
        format=table.get("format"),
        exclude=_str_list(pyproject, "exclude", table.get("exclude", [])),
        world_size=world,
        kind=table.get("kind"),
        transformers_version=version.strip() if version is not None else None,
        per_file_ignores=_per_file_ignores(pyproject, table.get("per-file-ignores", {})),
        unsafe_fixes=bool(table.get("unsafe-fixes", False)),
    )


def installed_transformers() -> str | None:
    """The installed transformers version, from the name of its ``.dist-info`` folder on
    ``sys.path`` (neither transformers nor ``importlib.metadata`` is imported: a listing of
    the folders is all it costs); None when it is not installed.

    Example:
        >>> installed_transformers() is None or installed_transformers()[0] in "45"
        True
    """
    prefix = "transformers-"
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except (OSError, ValueError):
            continue
        for name in names:
            if name.startswith(prefix) and name.endswith((".dist-info", ".egg-info")):
                version = name[len(prefix) :].removesuffix(".dist-info").removesuffix(".egg-info")
                if re.fullmatch(r"\d+(\.\d+)*\S*", version):
                    return version
    return None


__all__ = [
    "KEYS",
    "Settings",
    "SettingsError",
    "check_codes",
    "find_pyproject",
    "installed_transformers",
    "load_settings",
]
