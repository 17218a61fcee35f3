"""Reading a config file into a mapping plus the line of every key, never rewriting it.

YAML is read with PyYAML's safe loader, YAML 1.1 semantics kept: ``1e-5`` (no dot) stays the
string ``'1e-5'`` so rule LRG004 can report it. JSON is read with ``json`` (``1e-5`` is a
number there); its key lines come from the same YAML composer when it can read the file.

A file that cannot be read as a mapping of settings is either *unusable* (it names a
training setting such as ``learning_rate:``, so it is meant to be a training config) or *not
a config* (a dataset, a docs table of contents, a Helm / Jinja template, an mkdocs file with
Python tags, a binary or a very large file): ``UnusableConfig.config_like`` tells which.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from lrguard.records import Record

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_BYTES = 5_000_000
"""Files above this size are not read (no training config is that large)."""

MAX_DEPTH = 100
"""Deeper nesting of mappings and lists is refused before parsing (configs use a few levels)."""

MAX_VALUES = 100_000
"""More values (keys, items, scalars; an alias counts as the values it repeats) are refused."""

YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json",)
CONFIG_SUFFIXES = YAML_SUFFIXES + JSON_SUFFIXES


TRAINING_SETTING = (
    r"""(?m)^[ \t\-{,]*["']?(learning_rate|lr|lr_scheduler_type|lr_scheduler|lr_scheduler_kwargs|"""
    r"warmup_steps|warmup_ratio|min_learning_rate|min_lr|num_train_epochs|num_epochs|"
    r"""max_epochs|max_steps|flair_train|flair_fine_tune|flair_train_custom)["']?[ \t]*:"""
)
"""A training setting written as a key (YAML or JSON), at the start of a line: a pattern
compiled on first use (only a file that cannot be read is searched for one)."""

TEMPLATE_MARKERS = ("{{", "{%")
"""Helm / Go / Jinja template syntax: such a file is rendered into YAML by its tool first."""


def training_setting_in(text: str) -> str | None:
    """The first training setting written as a key in ``text``; None when there is none.

    Example:
        >>> training_setting_in('- name: x\\n  learning_rate: 1e-5\\n')
        'learning_rate'
        >>> training_setting_in('{"text": "learning_rate is high", "label": 1}') is None
        True
    """
    match = re.search(TRAINING_SETTING, text)
    return match.group(1) if match else None


class UnusableConfig(Exception):
    """A file that cannot be read as a config; ``str(err)`` is a one-line reason.

    Attributes:
        config_like: the file is meant to be a config (it names a training setting, or it
            could not be opened at all): it is unusable. False: it is no config, and is
            skipped with the reason.
    """

    def __init__(self, reason: str, *, config_like: bool = True) -> None:
        super().__init__(reason)
        self.config_like = config_like


def _not_a_config(err: UnusableConfig, text: str) -> UnusableConfig:
    """``err`` as a skip when ``text`` shows no training setting (or is a template)."""
    setting = training_setting_in(text)
    if any(marker in text for marker in TEMPLATE_MARKERS):
        what = "a template ({{ ... }} / {% ... %}), rendered by its own tool: not checked"
        return UnusableConfig(f"{err}; {what}", config_like=False)
    if setting is None:
        return UnusableConfig(f"{err}; no training settings: not a config", config_like=False)
    return err


class Document(Record):
    """A config file read into memory.

    Attributes:
        path: where it was read from.
        data: the top-level mapping, values as the parser gave them.
        lines: key path (``a.b``, ``a[0]``) -> 1-based line of the key.
        syntax: ``"yaml"`` or ``"json"``.
        duplicates: key path -> lines of every occurrence, for keys given more than once in
            one mapping (the parser keeps the last; ``lines`` points there).
    """

    def __init__(
        self,
        path: Path,
        data: dict[str, Any],
        lines: dict[str, int] | None = None,
        syntax: str = "yaml",
        duplicates: dict[str, tuple[int, ...]] | None = None,
    ) -> None:
        self.path = path
        self.data = data
        self.lines = {} if lines is None else lines
        self.syntax = syntax
        self.duplicates = {} if duplicates is None else duplicates

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
    """The text of ``path`` (at most ``MAX_BYTES``).

    Raises:
        UnusableConfig: missing, a dangling link, a folder or device, unreadable (permission
            denied, name too long ...), too large, binary, not UTF-8.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise UnusableConfig(
            "dangling symbolic link" if path.is_symlink() else "no such file"
        ) from None
    except (OSError, ValueError) as err:
        raise UnusableConfig(f"cannot read: {_os_reason(err)}") from None
    if not stat.S_ISREG(info.st_mode):
        raise UnusableConfig("not a regular file")
    if info.st_size > MAX_BYTES:
        raise UnusableConfig(
            f"{info.st_size} bytes: too large for a config (limit {MAX_BYTES}), not read",
            config_like=False,
        )
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as err:
        raise UnusableConfig(f"cannot read: {_os_reason(err)}") from None
    if len(raw) > MAX_BYTES:
        raise UnusableConfig(
            f"more than {MAX_BYTES} bytes: too large for a config, not read", config_like=False
        )
    if b"\x00" in raw[:8192]:
        raise UnusableConfig(
            "binary file (contains NUL bytes), not a YAML/JSON config", config_like=False
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        reason = f"not UTF-8 text (byte {err.start}): not a YAML/JSON config"
        raise _not_a_config(UnusableConfig(reason), raw.decode("latin-1")) from None


def _os_reason(err: Exception) -> str:
    return (getattr(err, "strerror", None) or str(err)).rstrip(".")


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


def check_structure(text: str) -> None:
    """Refuse YAML/JSON text nested or expanded beyond what a config needs, before parsing.

    Walks libyaml's event stream (which needs no recursion) and counts nesting depth and
    values, an alias counting as the values it repeats. Building the document instead would
    crash the C composer on deep nesting and take minutes and gigabytes on an alias bomb.

    Raises:
        UnusableConfig: more than ``MAX_DEPTH`` levels or ``MAX_VALUES`` values; invalid YAML.

    Example:
        >>> check_structure("x: " + "[" * 500 + "]" * 500)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        lrguard.configs.reading.UnusableConfig: nested more than 100 levels deep (line 1): ...
    """
    loader = _Loader(text)
    sizes: dict[str, tuple[int, int]] = {}  # anchor -> (values, height)
    open_: list[tuple[str | None, int, int]] = []  # (anchor, values before it, height)
    count = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            added, height = 0, 0
            if isinstance(event, yaml.CollectionStartEvent):
                open_.append((event.anchor, count, 0))
                added = 1
            elif isinstance(event, yaml.CollectionEndEvent):
                anchor, before, inner = open_.pop()
                height = inner + 1
                if anchor:
                    sizes[anchor] = (count - before, height)
            elif isinstance(event, yaml.ScalarEvent):
                added = 1
                if event.anchor:
                    sizes[event.anchor] = (1, 0)
            elif isinstance(event, yaml.AliasEvent):
                if any(anchor == event.anchor for anchor, _, _ in open_):
                    raise UnusableConfig(
                        f"alias *{event.anchor} inside the value &{event.anchor} it names "
                        f"(line {event.start_mark.line + 1}): a value that contains itself "
                        "is not a training setting"
                    )
                added, height = sizes.get(event.anchor, (1, 0))
            else:
                continue
            count += added
            if open_ and height:  # the enclosing collection is at least this much higher
                anchor, before, inner = open_[-1]
                open_[-1] = (anchor, before, max(inner, height))
            depth = len(open_) + (height if isinstance(event, yaml.AliasEvent) else 0)
            if depth > MAX_DEPTH:
                raise UnusableConfig(
                    f"nested more than {MAX_DEPTH} levels deep (line {event.start_mark.line + 1})"
                    ": not a training config"
                )
            if count > MAX_VALUES:
                how = " (aliases repeat values)" if sizes else ""
                raise UnusableConfig(
                    f"more than {MAX_VALUES} values{how} (line {event.start_mark.line + 1}): "
                    "not a training config"
                )
    except yaml.YAMLError as err:
        if "nesting depth" in str(getattr(err, "problem", "")):  # libyaml >= 0.2.5 stops at 1000
            line = err.problem_mark.line + 1 if getattr(err, "problem_mark", None) else "?"
            raise UnusableConfig(
                f"nested more than {MAX_DEPTH} levels deep (line {line}): not a training config"
            ) from None
        raise _yaml_error(err) from None
    finally:
        loader.dispose()


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def _check_json_depth(text: str) -> None:
    """Refuse JSON text nested deeper than ``MAX_DEPTH`` before ``json.loads`` recurses."""
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            raise UnusableConfig(f"nested more than {MAX_DEPTH} levels deep: not a training config")


def loads_json(text: str) -> Any:
    """``json.loads`` with the limits of every config reader: at most ``MAX_BYTES``
    characters, ``MAX_DEPTH`` levels and ``MAX_VALUES`` values, numbers Python can convert.

    Used for JSON files, DeepSpeed files and JSON written inside a setting
    (``lr_scheduler_kwargs: '{"min_lr": 1e-6}'``).

    Raises:
        UnusableConfig: invalid JSON (the reason names the line and column), too large, too
            deep or too many values.

    Example:
        >>> loads_json('{"min_lr": 1e-6}')
        {'min_lr': 1e-06}
        >>> loads_json("[" * 500 + "]" * 500)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        lrguard.configs.reading.UnusableConfig: nested more than 100 levels deep: ...
    """
    import json  # on first use: a check of a YAML config needs no json

    try:
        return check_json_limits(text, json.loads)
    except json.JSONDecodeError as err:
        raise UnusableConfig(
            f"invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}"
        ) from None
    except RecursionError:  # a depth the scan above missed must still be no traceback
        raise UnusableConfig(
            f"nested more than {MAX_DEPTH} levels deep: not a training config"
        ) from None
    except ValueError as err:  # e.g. an integer of more digits than Python converts
        raise UnusableConfig(f"JSON cannot be read: {_one_line(err)}") from None


def check_json_limits(text: str, parse: Callable[[str], Any]) -> Any:
    """``parse(text)`` within the reader limits (size and depth checked before parsing, value
    count after); the parser's own errors propagate.

    Raises:
        UnusableConfig: more than ``MAX_BYTES`` characters, ``MAX_DEPTH`` levels or
            ``MAX_VALUES`` values.
    """
    if len(text) > MAX_BYTES:
        raise UnusableConfig(
            f"{len(text)} characters: too large for a config (limit {MAX_BYTES}), not read"
        )
    _check_json_depth(text)
    data = parse(text)
    _check_data(data)
    return data


def _check_data(data: Any) -> None:
    """``check_structure`` for data parsed without YAML (JSON): depth and value count."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    count = 1  # values counted when their container is opened, before they are stacked
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise UnusableConfig(
                    f"nested more than {MAX_DEPTH} levels deep: not a training config"
                )
            count += len(value)
            if count > MAX_VALUES:
                raise UnusableConfig(f"more than {MAX_VALUES} values: not a training config")
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)


def _key_text(node: yaml.Node) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else f"<{node.tag}>"


def _walk_keys(root: yaml.Node) -> tuple[dict[str, int], dict[str, tuple[int, ...]]]:
    """Key path -> line of its last occurrence; key path -> every line of a repeated key."""
    lines: dict[str, int] = {}
    repeated: dict[str, list[int]] = {}
    seen: set[int] = set()
    stack: list[tuple[str, yaml.Node]] = [("", root)]
    while stack:
        prefix, node = stack.pop()
        if id(node) in seen:  # aliases may share or nest nodes
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            here: dict[str, list[int]] = {}
            for key, value in node.value:
                path = f"{prefix}.{_key_text(key)}" if prefix else _key_text(key)
                line = key.start_mark.line + 1
                if _key_text(key) != "<<":  # YAML merge keys may repeat
                    here.setdefault(path, []).append(line)
                lines[path] = line  # the last occurrence is the value the parser keeps
                stack.append((path, value))
            repeated.update({p: found for p, found in here.items() if len(found) > 1})
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                path = f"{prefix}[{index}]"
                lines.setdefault(path, item.start_mark.line + 1)
                stack.append((path, item))
    return lines, {p: tuple(found) for p, found in sorted(repeated.items())}


def duplicate_keys(root: yaml.Node) -> dict[str, tuple[int, ...]]:
    """Key path -> lines of every occurrence, for keys given more than once in a mapping.

    Example:
        >>> duplicate_keys(yaml.compose("a: 1\\nb: 2\\na: 3\\n"))
        {'a': (1, 3)}
    """
    return _walk_keys(root)[1]


_NO_KEYS: tuple[dict[str, int], dict[str, tuple[int, ...]]] = ({}, {})


def _parse_yaml(text: str) -> tuple[Any, tuple[dict[str, int], dict[str, tuple[int, ...]]]]:
    check_structure(text)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, _NO_KEYS
        data = loader.construct_document(node)
    except yaml.YAMLError as err:
        raise _yaml_error(err) from None
    except (RecursionError, ValueError, TypeError, OverflowError) as err:
        raise UnusableConfig(f"YAML cannot be read: {_one_line(err)}") from None
    finally:
        loader.dispose()
    return data, _walk_keys(node)


def _parse_json(text: str) -> tuple[Any, tuple[dict[str, int], dict[str, tuple[int, ...]]]]:
    data = loads_json(text)
    try:
        check_structure(text)
        node = yaml.compose(text, Loader=_Loader)
        keys = _walk_keys(node) if node is not None else _NO_KEYS
    except (UnusableConfig, yaml.YAMLError, RecursionError):
        keys = _NO_KEYS
    return data, keys


def parse_yaml(text: str) -> tuple[Any, dict[str, int]]:
    """Parse one YAML document (YAML 1.1, safe) and the lines of its keys.

    Raises:
        UnusableConfig: invalid YAML (the reason names the line), several documents, nested
            or expanded (aliases) beyond ``MAX_DEPTH`` / ``MAX_VALUES``.
    """
    data, (lines, _) = _parse_yaml(text)
    return data, lines


def read_document(path: Path) -> Document:
    """Read ``path`` as a YAML or JSON mapping.

    ``.json`` files are read as JSON, everything else as YAML (YAML 1.1 reads most JSON too).

    Raises:
        UnusableConfig: the file cannot be read, is not valid YAML/JSON, or its top level is
            not a mapping of settings (``config_like`` False when it shows no training
            setting: not a config).

    Example:
        >>> import tempfile, os
        >>> fd, name = tempfile.mkstemp(suffix=".yaml")
        >>> _ = os.write(fd, b"learning_rate: 1e-5\\nwarmup_ratio: 0.1\\n"); os.close(fd)
        >>> doc = read_document(Path(name))
        >>> doc.data["learning_rate"], doc.lines["warmup_ratio"]
        ('1e-5', 2)
        >>> os.remove(name)
    """
    return parse_document(path, read_text(path))


def parse_document(path: Path, text: str) -> Document:
    """``text`` read as the file ``path`` would be (its suffix decides YAML or JSON).

    Used for a file's text already in memory (the rewrite of ``lrguard check --fix``, checked
    again before it is written).

    Raises:
        UnusableConfig: as ``read_document``.

    Example:
        >>> parse_document(Path("t.json"), '{"learning_rate": 1e-5}').data
        {'learning_rate': 1e-05}
    """
    syntax = "json" if path.suffix.lower() in JSON_SUFFIXES else "yaml"
    if not text.strip():  # an empty file: nothing to check (reported as skipped)
        data, (lines, repeated) = None, _NO_KEYS
    else:
        try:
            data, (lines, repeated) = (_parse_json if syntax == "json" else _parse_yaml)(text)
        except UnusableConfig as err:
            raise _not_a_config(err, text) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        kind = {list: "a list", str: "a string", int: "a number", float: "a number"}.get(
            type(data), type(data).__name__
        )
        raise _not_a_config(UnusableConfig(f"top level is {kind}, not a mapping of settings"), text)
    return Document(
        path=path,
        data={str(k): v for k, v in data.items()},
        lines=lines,
        syntax=syntax,
        duplicates=repeated,
    )
