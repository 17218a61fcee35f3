"""Reading a config file into a mapping plus the line of every key, never rewriting it.

YAML is read with PyYAML's safe loader, YAML 1.1 semantics kept: ``1e-5`` (no dot) stays the
string ``'1e-5'`` so rule LRG004 can report it. JSON is read with ``json`` (``1e-5`` is a
number there); its key lines come from the same YAML composer when it can read the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_BYTES = 5_000_000
"""Files above this size are not read (no training config is that large)."""

YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json",)
CONFIG_SUFFIXES = YAML_SUFFIXES + JSON_SUFFIXES


class UnusableConfig(Exception):
    """A file that cannot be read as a config; ``str(err)`` is a one-line reason."""


@dataclass(frozen=True)
class Document:
    """A config file read into memory.

    Attributes:
        path: where it was read from.
        data: the top-level mapping, values as the parser gave them.
        lines: key path (``a.b``, ``a[0]``) -> 1-based line of the key.
        syntax: ``"yaml"`` or ``"json"``.
    """

    path: Path
    data: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)
    syntax: str = "yaml"

    def line(self, key_path: str) -> int | None:
        """The line of ``key_path`` or of its closest parent that has one."""
        path = key_path
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


def read_text(path: Path) -> str:
    """The text of ``path``.

    Raises:
        UnusableConfig: missing, a folder, unreadable, too large, binary, not UTF-8.
    """
    if not path.exists():
        raise UnusableConfig("no such file")
    if not path.is_file():
        raise UnusableConfig("not a regular file")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise UnusableConfig(f"{size} bytes: too large for a config (limit {MAX_BYTES})")
        raw = path.read_bytes()
    except OSError as err:
        raise UnusableConfig(f"cannot read: {err.strerror or err}") from None
    if b"\x00" in raw[:8192]:
        raise UnusableConfig("binary file (contains NUL bytes), not a YAML/JSON config")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UnusableConfig(f"not UTF-8 text (byte {err.start}): not a YAML/JSON config") from None


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _yaml_error(err: yaml.YAMLError) -> UnusableConfig:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    context = getattr(err, "context", None)
    what = _one_line(f"{context}, {problem}" if context else problem)
    if mark is not None:
        return UnusableConfig(
            f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {what}"
        )
    return UnusableConfig(f"invalid YAML: {what}")


def _key_text(node: yaml.Node) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else f"<{node.tag}>"


def node_lines(root: yaml.Node) -> dict[str, int]:
    """Key path -> 1-based line for every mapping key and list item under ``root``."""
    lines: dict[str, int] = {}
    seen: set[int] = set()
    stack: list[tuple[str, yaml.Node]] = [("", root)]
    while stack:
        prefix, node = stack.pop()
        if id(node) in seen:  # aliases may share or nest nodes
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                path = f"{prefix}.{_key_text(key)}" if prefix else _key_text(key)
                lines.setdefault(path, key.start_mark.line + 1)
                stack.append((path, value))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                path = f"{prefix}[{index}]"
                lines.setdefault(path, item.start_mark.line + 1)
                stack.append((path, item))
    return lines


def parse_yaml(text: str) -> tuple[Any, dict[str, int]]:
    """Parse one YAML document (YAML 1.1, safe) and the lines of its keys.

    Raises:
        UnusableConfig: invalid YAML (the reason names the line), several documents.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        data = loader.construct_document(node)
    except yaml.YAMLError as err:
        raise _yaml_error(err) from None
    except (RecursionError, ValueError, TypeError, OverflowError) as err:
        raise UnusableConfig(f"YAML cannot be read: {_one_line(err)}") from None
    finally:
        loader.dispose()
    return data, node_lines(node)


def parse_json(text: str) -> tuple[Any, dict[str, int]]:
    """Parse JSON; key lines come from the YAML composer when it accepts the text.

    Raises:
        UnusableConfig: invalid JSON (the reason names the line).
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise UnusableConfig(
            f"invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}"
        ) from None
    except RecursionError:
        raise UnusableConfig("invalid JSON: nested too deeply") from None
    try:
        node = yaml.compose(text, Loader=_Loader)
        lines = node_lines(node) if node is not None else {}
    except (yaml.YAMLError, RecursionError):
        lines = {}
    return data, lines


def read_document(path: Path) -> Document:
    """Read ``path`` as a YAML or JSON mapping.

    ``.json`` files are read as JSON, everything else as YAML (YAML 1.1 reads most JSON too).

    Raises:
        UnusableConfig: the file cannot be read, is not valid YAML/JSON, or its top level is
            not a mapping of settings.

    Example:
        >>> import tempfile, os
        >>> fd, name = tempfile.mkstemp(suffix=".yaml")
        >>> _ = os.write(fd, b"learning_rate: 1e-5\\nwarmup_ratio: 0.1\\n"); os.close(fd)
        >>> doc = read_document(Path(name))
        >>> doc.data["learning_rate"], doc.lines["warmup_ratio"]
        ('1e-5', 2)
        >>> os.remove(name)
    """
    text = read_text(path)
    syntax = "json" if path.suffix.lower() in JSON_SUFFIXES else "yaml"
    data, lines = parse_json(text) if syntax == "json" else parse_yaml(text)
    if data is None:  # an empty file: nothing to check (reported as skipped)
        data = {}
    if not isinstance(data, dict):
        kind = {list: "a list", str: "a string", int: "a number", float: "a number"}.get(
            type(data), type(data).__name__
        )
        raise UnusableConfig(f"top level is {kind}, not a mapping of settings")
    return Document(
        path=path, data={str(k): v for k, v in data.items()}, lines=lines, syntax=syntax
    )
