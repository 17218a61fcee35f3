"""``lrguard check --fix`` / ``--diff``: write each finding's fix into the config file.

The new value of a setting comes from the rule's own ``adjust`` function (the one the
runtime guard applies with ``on_violation="adjust"``, at the default ``GuardPolicy``), never
from a second description of the fix. A fix is applied when it is unambiguous: the rule can
adjust this finding, the adjustment changes exactly the one setting the finding names, and
that setting has one place in the file. Everything else stays reported.

The rewrite is textual: ruamel.yaml's round-trip composer gives the exact position and
style of every value (YAML, and JSON, which it reads as YAML), and only the characters of the
changed values are replaced (or one ``key: value`` added to the mapping it belongs to). Every
other byte of the file is kept: comments, key order, quoting, flow style, indentation,
anchors, line endings, a byte-order mark. Before anything is written the new text is read
again with the checker's own reader and must give the same settings as the old one except
the fixed values; otherwise the file is left alone and the reason said once.

Fixes are *safe* when they only make the named setting do what the file evidently meant (a
number written as a string, a floor above the peak lowered to the rule's floor) and
*unsafe* when they change the run beyond the finding (shorter warmup, a floor added where
none was chosen, a plateau mode flipped): unsafe ones need ``--unsafe-fixes``.

ruamel.yaml and pydantic (the policy) are imported only here, only with ``--fix`` /
``--diff``.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import math
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrguard.checking import CheckOptions, FileReport, check_source
from lrguard.configs.loader import CHECKED
from lrguard.configs.reading import UnusableConfig, parse_document
from lrguard.findings import Finding, Severity
from lrguard.rules import Rule, get_rule
from lrguard.rules._hf import label, yaml_number

if TYPE_CHECKING:
    from lrguard.policy import GuardPolicy

MAX_PASSES = 4
"""Fix, check again, fix what the new text still shows: at most this many rounds a file."""


def _above_only(finding: Finding) -> bool:
    """A floor *above* the peak (an error: the rate rises, or the schedule fails to build) is
    safe to lower; one *equal* to it (a warning: a constant rate, perhaps meant) is not."""
    return finding.severity == Severity.ERROR


SAFE_WHEN: dict[str, Callable[[Finding], bool]] = {
    "LRG001": lambda finding: True,  # a minimum above the initial rate: lowered below it
    "LRG002": _above_only,  # min_lr / min_lr_rate above the peak: lowered to 0.1x
    "LRG004": lambda finding: True,  # a number written as a string: the same number
    "LRG011": lambda finding: True,  # polynomial lr_end >= lr: transformers refuses to build
    "LRG012": _above_only,  # reduce_lr_on_plateau min_lr above the rate
    "LRG013": _above_only,  # greedy min_lr above the rate
}
"""Rules whose fix is safe (for the findings the function accepts). Every other fix a rule
can make is unsafe: LRG005 adds a floor nobody chose, LRG006 shortens warmup, LRG014 flips
the plateau mode, LRG018 shortens the decay, LRG021 removes settings, and a rule added later
is unsafe until it is listed here."""


def machine_fixable(finding: Finding, rule: Rule | None = None) -> bool:
    """The rule can fix ``finding`` by itself: it has an ``adjust`` for it, and the finding is
    not an info note (info findings describe a choice, e.g. a constant rate after warmup),
    except for pure normalizations (``always_adjust``: a number written as a string).

    Example:
        >>> machine_fixable(Finding(code="LRG004", severity="info", message="",
        ...                         field="learning_rate", value="5e-5"))
        True
    """
    rule = rule or get_rule(finding.code)
    if not rule.fixes(finding):
        return False
    return finding.severity != Severity.INFO or rule.always_adjust


def is_safe(finding: Finding) -> bool:
    """The fix of ``finding`` is applied without ``--unsafe-fixes`` (see ``SAFE_WHEN``)."""
    accept = SAFE_WHEN.get(finding.code)
    return accept is not None and accept(finding)


@dataclass(frozen=True)
class Change:
    """One setting to change: where it is in the file and its new value."""

    finding: Finding
    key: str
    path: tuple[str | int, ...]
    existing: int
    value: Any


@dataclass(frozen=True)
class NotApplied:
    """A fixable finding whose fix was not written, and why."""

    finding: Finding
    reason: str


@dataclass
class FileFix:
    """What ``--fix`` / ``--diff`` did with one file.

    Attributes:
        report: the file's findings after the fixes (the original report when nothing
            changed).
        old_text / new_text: the file before and after (equal when nothing changed).
        fixed: the findings whose fix is in ``new_text``.
        hidden_unsafe: findings left with an unsafe fix (``--unsafe-fixes`` applies them).
        not_applied: fixable findings whose fix could not be written, with the reason.
        problem: why the whole file was left alone (None: it was not).
        bom: the file starts with a UTF-8 byte-order mark (kept when written).
    """

    report: FileReport
    old_text: str = ""
    new_text: str = ""
    fixed: list[Finding] = field(default_factory=list)
    hidden_unsafe: int = 0
    not_applied: list[NotApplied] = field(default_factory=list)
    problem: str | None = None
    bom: bool = False

    @property
    def changed(self) -> bool:
        """The fixes change the text."""
        return self.new_text != self.old_text

    def diff(self) -> str:
        """The unified diff (``--- a/path`` / ``+++ b/path``) of the fixes ('' when none)."""
        if not self.changed:
            return ""
        name = _diff_name(self.report.path)
        lines = difflib.unified_diff(
            self.old_text.splitlines(keepends=True),
            self.new_text.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
        out = []
        for line in lines:
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        return "".join(out)

    def encoded(self) -> bytes:
        """``new_text`` as the file's bytes (its byte-order mark kept)."""
        return (b"\xef\xbb\xbf" if self.bom else b"") + self.new_text.encode("utf-8")


def _diff_name(path: Path) -> str:
    """The path shown after ``a/`` and ``b/``: relative to the working folder when it can be."""
    if path.is_absolute():
        try:
            return path.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return path.as_posix().lstrip("/")
    return path.as_posix()


# --- which settings change ---------------------------------------------------------------

_SEGMENT = re.compile(r"\[(\d+)\]")


def _steps(dotted: str) -> list[tuple[str, bool]]:
    """``a.b[0].c`` -> split points: (text, is_index) after each ``.`` or ``[i]``."""
    parts: list[tuple[str, bool]] = []
    for piece in re.split(r"(\[\d+\])", dotted):
        if not piece:
            continue
        if _SEGMENT.fullmatch(piece):
            parts.append((piece[1:-1], True))
        else:
            parts.extend((name, False) for name in piece.strip(".").split("."))
    return parts


def _resolve(data: Any, dotted: str) -> tuple[tuple[str | int, ...], int] | str:
    """Key path of ``dotted`` in ``data`` and how many of its steps exist; or why it cannot
    be placed. A key containing a dot is matched whole when the mapping has it."""
    parts = _steps(dotted)
    path: list[str | int] = []
    node = data
    i = 0
    existing = None
    while i < len(parts):
        text, index = parts[i]
        if index:
            if existing is not None or not isinstance(node, list):
                return f"{dotted} is not a list item of the file"
            number = int(text)
            if number >= len(node):
                return f"{dotted}: the list has {len(node)} item(s)"
            path.append(number)
            node = node[number]
            i += 1
            continue
        if existing is not None:
            path.append(text)
            i += 1
            continue
        if not isinstance(node, dict):
            where = ".".join(str(p) for p in path) or "the top level"
            kind = "text (JSON in a string)" if isinstance(node, str) else type(node).__name__
            return f"{where} is written as {kind}, not as a mapping: edit {dotted} by hand"
        for j in range(len(parts), i, -1):  # the longest run of names that is one key
            run = parts[i:j]
            if any(is_index for _, is_index in run):
                continue
            key = ".".join(name for name, _ in run)
            if key in node:
                path.append(key)
                node = node[key]
                i = j
                break
        else:
            existing = len(path)
            path.append(text)
            i += 1
    return tuple(path), existing if existing is not None else len(path)


def _policy() -> GuardPolicy:
    from lrguard.policy import GuardPolicy  # pydantic: only when fixing

    return GuardPolicy()


def plan_changes(
    report: FileReport, unsafe: bool, policy: GuardPolicy | None = None
) -> tuple[list[Change], list[NotApplied], int]:
    """The changes the findings of ``report`` make, each from its rule's ``adjust``.

    Findings are taken as ``decide`` takes them (normalizations first, each fix on the plan
    the earlier ones produced). Returns the changes, the fixable findings that cannot be
    written (with the reason), and how many findings have an unsafe fix left out.
    """
    result = report.result
    plan, document = result.plan, result.document
    if result.status != CHECKED or plan is None or document is None:
        return [], [], 0
    candidates = [f for f in report.findings if machine_fixable(f)]
    if not candidates:
        return [], [], 0
    policy = policy or _policy()
    changes: list[Change] = []
    skipped: list[NotApplied] = []
    hidden = 0
    current = plan
    for finding in sorted(candidates, key=lambda f: not get_rule(f.code).always_adjust):
        if not unsafe and not is_safe(finding):
            hidden += 1
            continue
        rule = get_rule(finding.code)
        try:
            adjustment = rule.adjust(current, finding, policy)  # type: ignore[misc]
        except Exception as err:  # a fix the rule cannot compute here is no crash
            skipped.append(NotApplied(finding, f"the fix cannot be computed ({err})"))
            continue
        after = adjustment.after
        if not isinstance(after, dict) or list(after) != [finding.field]:
            names = ", ".join(map(str, after)) if isinstance(after, dict) else repr(after)
            skipped.append(
                NotApplied(finding, f"the fix changes {names}, not only {finding.field}")
            )
            continue
        value = after[finding.field]
        if value is None:
            skipped.append(NotApplied(finding, f"no value to write for {finding.field}"))
            continue
        key = label(current, finding.field or "")  # the config's own name of the field
        where = _resolve(document.data, key)
        if isinstance(where, str):
            skipped.append(NotApplied(finding, where))
            continue
        path, existing = where
        changes.append(Change(finding, key, path, existing, value))
        current = adjustment.plan
    return _merge(changes, skipped), skipped, hidden


def _merge(changes: list[Change], skipped: list[NotApplied]) -> list[Change]:
    """One value per setting. A normalization (a string read as its number) is superseded
    by a later fix of the same setting, which started from it, as ``decide`` does; two other
    fixes wanting different values for one setting are both left out (and said so). Every
    change of a setting that is written keeps its finding (all of them are fixed by it)."""
    by_path: dict[tuple[str | int, ...], list[Change]] = {}
    for change in changes:
        by_path.setdefault(change.path, []).append(change)
    merged: list[Change] = []
    for same in by_path.values():
        deciding = [c for c in same if not get_rule(c.finding.code).always_adjust] or same[-1:]
        if len({repr(c.value) for c in deciding}) > 1:
            codes = ", ".join(c.finding.code for c in same)
            for c in same:
                skipped.append(NotApplied(c.finding, f"{codes} want different values for {c.key}"))
            continue
        final = deciding[-1].value
        merged.extend(replace(c, value=final) for c in same)
    return merged


# --- the text ------------------------------------------------------------------------------


class _Unplaceable(Exception):
    """A change that cannot be written into the text; ``str(err)`` says why."""


def _compose(text: str) -> Any:
    from ruamel.yaml import YAML  # only when fixing

    try:
        return YAML(typ="rt").compose(text)
    except Exception as err:  # ruamel's errors have no common base we can rely on
        raise _Unplaceable(
            f"the file cannot be read for rewriting ({type(err).__name__})"
        ) from None


def _kind(node: Any) -> str:
    return type(node).__name__  # ScalarNode, MappingNode, SequenceNode


def _references(root: Any) -> dict[int, int]:
    """How often each node is a value in the tree (more than once: an alias repeats it)."""
    counts: dict[int, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        counts[id(node)] = counts.get(id(node), 0) + 1
        if counts[id(node)] > 1:
            continue
        if _kind(node) == "MappingNode":
            for key, value in node.value:
                stack.extend((key, value))
        elif _kind(node) == "SequenceNode":
            stack.extend(node.value)
    return counts


def _child(node: Any, step: str | int) -> Any:
    if isinstance(step, int):
        if _kind(node) != "SequenceNode" or step >= len(node.value):
            return None
        return node.value[step]
    if _kind(node) != "MappingNode":
        return None
    found = None
    for key, value in node.value:
        if _kind(key) == "ScalarNode" and str(key.value) == step:
            found = value  # the last one is the value the reader keeps
    return found


def _walk(root: Any, path: Sequence[str | int], counts: dict[int, int], shown: str) -> Any:
    node = root
    for step in path:
        child = _child(node, step)
        if child is None:
            if _kind(node) == "MappingNode" and any(
                _kind(k) == "ScalarNode" and k.value == "<<" for k, _ in node.value
            ):
                raise _Unplaceable(f"{shown} comes from a merged anchor (<<): edit it by hand")
            raise _Unplaceable(f"{shown} is not where the reader found it")
        if counts.get(id(child), 0) > 1:
            raise _Unplaceable(
                f"{shown} is shared through a YAML anchor/alias with other settings: "
                "changing it would change them too; edit it by hand"
            )
        node = child
    return node


_PLAIN_SAFE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def _yaml_scalar(text: str) -> Any:
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _same(a: Any, b: Any) -> bool:
    """Equal data (key order aside: an added key has its own place), NaN equal to NaN, 1
    and 1.0 and True told apart."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return set(a) == set(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


_EXPONENT = re.compile(r"([eE])([+-]?)(\d+)$")


def _like(text: str, old: str) -> str | None:
    """``text`` (a float written with an exponent) in the notation of the number ``old`` the
    file had there: no exponent when it had none (``0.0001`` -> ``0.000001``), an exponent
    without leading zeros when its had none (``1.0e-4`` -> ``1.0e-6``), its ``E``."""
    old = old.strip()
    if not re.fullmatch(r"[+-]?\d*\.?\d*([eE][+-]?\d+)?", old) or not old:
        return None
    match = _EXPONENT.search(text)
    if match is None:
        return None
    if not _EXPONENT.search(old):
        from decimal import Decimal

        plain = format(Decimal(text).normalize(), "f")
        return plain if "." in plain and len(plain) <= 24 else None
    letter, sign, digits = match.groups()
    old_letter, _, old_digits = _EXPONENT.search(old).groups()  # type: ignore[union-attr]
    if not old_digits.startswith("0"):
        digits = digits.lstrip("0") or "0"
    return f"{text[: match.start()]}{old_letter}{sign}{digits}"


def _number_text(value: int | float, syntax: str, written: Any, old_text: str | None = None) -> str:
    """A number as YAML 1.1 (or JSON) reads it back exactly; the digits the file used when
    ``written`` is the same number as a string (``'5e-5'`` -> ``5.0e-5``), else in the
    notation of the number ``old_text`` it replaces."""
    import json

    candidates: list[str] = []
    if isinstance(written, str):
        raw = written.strip()
        if syntax == "json":
            candidates.append(raw)
        else:
            match = re.fullmatch(r"([+-]?)(\d*)(\.?)(\d*)(?:([eE])([+-]?)(\d+))?", raw)
            if match and (match.group(2) or match.group(4)):
                sign, whole, dot, frac, e, esign, exp = match.groups()
                if isinstance(value, float) and not dot:
                    dot, frac = ".", frac or "0"
                text = f"{sign}{whole or '0'}{dot}{frac}"
                if e:
                    text += f"{e}{esign or '+'}{exp}"
                candidates.append(text)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Unplaceable(f"{value!r} is not a number")
    if syntax == "json":
        candidates.append(json.dumps(value))
    else:
        candidates.append(yaml_number(value) if isinstance(value, float) else str(value))
    if old_text is not None and isinstance(value, float) and not isinstance(written, str):
        styled = _like(candidates[-1], old_text)
        if styled is not None:
            candidates.insert(len(candidates) - 1, styled)
    for text in candidates:
        try:
            back = json.loads(text) if syntax == "json" else _yaml_scalar(text)
        except Exception:
            continue
        if _same(back, value) or (
            isinstance(value, float) and isinstance(back, float) and back == value
        ):
            return text
    raise _Unplaceable(f"{value!r} cannot be written as a number the reader reads back")


def _render(value: Any, syntax: str, like: Any = None, written: Any = None) -> str:
    """``value`` as YAML (flow style) or JSON text; a string keeps the quotes of ``like``, a
    number the notation of the plain number ``like`` (a scalar node) held."""
    import json

    old_text = None
    if like is not None and _kind(like) == "ScalarNode" and like.style is None:
        old_text = str(like.value)
    if syntax == "json":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _number_text(value, syntax, written, old_text)
        if isinstance(value, dict):
            items = ", ".join(f"{json.dumps(k)}: {_render(v, syntax)}" for k, v in value.items())
            return "{" + items + "}"
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number_text(value, syntax, written, old_text)
    if isinstance(value, dict):
        items = ", ".join(f"{_render(k, syntax)}: {_render(v, syntax)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, str):
        style = getattr(like, "style", None)
        if style == '"':
            return json.dumps(value)
        if style != "'" and _PLAIN_SAFE.fullmatch(value) and _yaml_scalar(value) == value:
            return value
        return "'" + value.replace("'", "''") + "'"
    raise _Unplaceable(f"{type(value).__name__} values are not written")


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str


def _line_bounds(text: str, index: int) -> tuple[int, int]:
    """Start of the line holding ``index`` and the start of the next line."""
    start = text.rfind("\n", 0, index) + 1
    end = text.find("\n", index)
    return start, (len(text) if end < 0 else end + 1)


def _replace(text: str, node: Any, change: Change, syntax: str) -> _Edit:
    start, end = node.start_mark.index, node.end_mark.index
    if _kind(node) == "ScalarNode":
        if node.style in ("|", ">"):
            raise _Unplaceable(f"{change.key} is a block scalar (| or >): edit it by hand")
        if node.start_mark.line != node.end_mark.line:
            raise _Unplaceable(f"{change.key} spans several lines: edit it by hand")
    elif not getattr(node, "flow_style", False) or node.start_mark.line != node.end_mark.line:
        raise _Unplaceable(f"{change.key} is written over several lines: edit it by hand")
    prefix = ""
    anchor = getattr(node, "anchor", None)
    if anchor:  # an anchor no alias uses (a used one is refused as shared): keep it
        prefix = f"&{anchor} "
    written = change.finding.value if change.finding.code == "LRG004" else None
    return _Edit(start, end, prefix + _render(change.value, syntax, node, written))


def _insert(text: str, parent: Any, change: Change, syntax: str) -> _Edit:
    """Add ``key: value`` (the remaining steps of the change) to the mapping ``parent``."""
    steps = change.path[change.existing :]
    if any(isinstance(step, int) for step in steps):
        raise _Unplaceable(f"{change.key} is not in the file and is a list item")
    value: Any = change.value
    for step in reversed(steps[1:]):
        value = {step: value}
    key = str(steps[0])
    if syntax == "json":
        import json

        member = f"{json.dumps(key)}: {_render(value, syntax)}"
    else:
        member = f"{_render(key, syntax)}: {_render(value, syntax)}"
    if _kind(parent) != "MappingNode":
        raise _Unplaceable(f"{change.key}: its parent is not a mapping")
    pairs = parent.value
    flow = bool(getattr(parent, "flow_style", False)) or syntax == "json"
    if not pairs:
        if not flow:
            raise _Unplaceable(f"{change.key}: its mapping is empty")
        return _Edit(parent.start_mark.index, parent.end_mark.index, "{" + member + "}")
    single = [(k, v) for k, v in pairs if k.start_mark.line == v.end_mark.line]
    preferred = _PREFERRED_NEIGHBOURS.get(key, ())
    after = next((p for name in preferred for p in single if p[0].value == name), None)
    if flow:
        last_key, last_value = pairs[-1]
        if parent.start_mark.line == parent.end_mark.line:
            at = last_value.end_mark.index
            return _Edit(at, at, f", {member}")
        if after is None:
            inner = [p for p in single if p is not pairs[-1]]
            after = inner[-1] if inner else pairs[-1]
        newline = "\r\n" if "\r\n" in text else "\n"
        indent = " " * after[0].start_mark.column
        at = after[1].end_mark.index
        return _Edit(at, at, f",{newline}{indent}{member}")
    if after is None and single:
        after = single[-1]
    if after is not None:
        line_start, next_line = _line_bounds(text, after[1].end_mark.index)
        newline = "\r\n" if text[line_start:next_line].endswith("\r\n") else "\n"
        indent = " " * after[0].start_mark.column
        if next_line == len(text) and not text.endswith("\n"):
            return _Edit(next_line, next_line, f"{newline}{indent}{member}")
        return _Edit(next_line, next_line, f"{indent}{member}{newline}")
    first = pairs[0][0]
    line_start, _ = _line_bounds(text, first.start_mark.index)
    if text[line_start : first.start_mark.index].strip():
        raise _Unplaceable(f"{change.key}: no line to add it on (edit it by hand)")
    newline = "\r\n" if "\r\n" in text else "\n"
    return _Edit(line_start, line_start, f"{' ' * first.start_mark.column}{member}{newline}")


_PREFERRED_NEIGHBOURS = {
    "min_learning_rate": ("learning_rate",),
    "lr_scheduler_kwargs": ("lr_scheduler_type", "lr_scheduler"),
}
"""A setting added to a mapping goes on the line after the one it belongs with, when the
file has it (else after the last one-line setting of that mapping)."""


def _expected(data: dict[str, Any], changes: Iterable[Change]) -> dict[str, Any]:
    """``data`` with the changes applied: what the rewritten file must read as."""
    expected = copy.deepcopy(data)
    for change in changes:
        node: Any = expected
        for step in change.path[:-1]:
            if isinstance(step, str) and step not in node:
                node[step] = {}
            node = node[step]
        node[change.path[-1]] = change.value
    return expected


def rewrite(
    text: str, path: Path, changes: Sequence[Change]
) -> tuple[str, list[Change], list[NotApplied]]:
    """``text`` with ``changes`` written in; the changes written and those that could not be.

    Raises:
        _Unplaceable: the rewritten text would not read as the old one plus the changes (the
            whole file is then left alone).
    """
    if not changes:
        return text, [], []
    old = parse_document(path, text)
    root = _compose(text)
    if root is None:
        raise _Unplaceable("the file is empty")
    counts = _references(root)
    syntax = old.syntax
    groups: dict[tuple[str | int, ...], list[Change]] = {}
    for change in changes:  # one edit per setting (a normalization and a fix may share one)
        groups.setdefault(change.path, []).append(change)
    edits: list[tuple[_Edit, list[Change]]] = []
    skipped: list[NotApplied] = []
    for same in groups.values():
        change = next((c for c in same if not get_rule(c.finding.code).always_adjust), same[-1])
        try:
            parent = _walk(root, change.path[: change.existing], counts, change.key)
            if change.existing == len(change.path):
                edit = _replace(text, parent, change, syntax)
            else:
                edit = _insert(text, parent, change, syntax)
        except _Unplaceable as err:
            skipped.extend(NotApplied(c.finding, str(err)) for c in same)
            continue
        edits.append((edit, same))
    edits.sort(key=lambda item: (item[0].start, item[0].end))
    for (a, same_a), (b, _) in zip(edits, edits[1:], strict=False):
        if b.start < a.end or (a.start == a.end == b.start == b.end):
            raise _Unplaceable(f"two fixes touch the same place ({same_a[0].key})")
    new = text
    for edit, _ in reversed(edits):
        new = new[: edit.start] + edit.text + new[edit.end :]
    written = [change for _, same in edits for change in same]
    try:
        back = parse_document(path, new).data
    except UnusableConfig as err:
        raise _Unplaceable(f"the rewrite would not read back ({err})") from None
    if not _same(back, _expected(old.data, written)):
        raise _Unplaceable("the rewrite would change more than the fixed settings")
    return new, written, skipped


def fix_text(
    report: FileReport,
    text: str,
    options: CheckOptions,
    unsafe: bool = False,
    policy: GuardPolicy | None = None,
) -> FileFix:
    """Apply the fixes of ``report`` (the check of ``text``) and check the result again, up
    to ``MAX_PASSES`` rounds while a round still changes something. Never raises for bad
    input; the file itself is not touched.
    """
    outcome = FileFix(report=report, old_text=text, new_text=text)
    if report.result.status != CHECKED:
        return outcome
    current_report, current = report, text
    notes: dict[tuple[str, str | None], NotApplied] = {}
    for _ in range(MAX_PASSES):
        try:
            changes, skipped, hidden = plan_changes(current_report, unsafe, policy)
        except Exception as err:  # a bug in a rule's fix must not stop the others' files
            outcome.problem = f"fix not applied: internal error: {type(err).__name__}: {err}"
            break
        outcome.hidden_unsafe = hidden
        for note in skipped:
            notes.setdefault((note.finding.code, note.finding.field), note)
        if not changes:
            break
        try:
            new, written, unplaced = rewrite(current, report.path, changes)
        except _Unplaceable as err:
            outcome.problem = f"fix not applied: {err}"
            break
        for note in unplaced:
            notes.setdefault((note.finding.code, note.finding.field), note)
        if not written:
            break
        outcome.fixed.extend(change.finding for change in written)
        current = new
        current_report = check_source(current, report.path, options)
        if current_report.result.status != CHECKED:  # cannot happen after the read-back
            outcome.problem = "fix not applied: the rewrite is not a checkable config"
            current, current_report = text, report
            outcome.fixed.clear()
            break
    outcome.new_text = current
    outcome.report = current_report
    remaining = {(f.code, f.field) for f in current_report.findings}
    outcome.not_applied = [n for key, n in notes.items() if key in remaining]
    return outcome


def read_for_fix(path: Path) -> tuple[str, bool]:
    """The text of ``path`` and whether it starts with a byte-order mark.

    Raises:
        UnusableConfig: it cannot be read, or is not UTF-8.
    """
    from lrguard.configs.reading import read_text

    text = read_text(path)  # size, binary and encoding limits as for the check
    try:
        with path.open("rb") as fh:
            bom = fh.read(3) == b"\xef\xbb\xbf"
    except OSError as err:
        raise UnusableConfig(f"cannot read: {err.strerror or err}") from None
    return text, bom


def fix_file(
    report: FileReport, options: CheckOptions, unsafe: bool = False, policy: Any = None
) -> FileFix:
    """``fix_text`` on the file the report is about, read again from disk (not read when
    none of its findings has a fix)."""
    if report.result.status != CHECKED or not any(machine_fixable(f) for f in report.findings):
        return FileFix(report=report)
    try:
        text, bom = read_for_fix(report.path)
    except UnusableConfig as err:
        return FileFix(report=report, problem=f"fix not applied: {err}")
    outcome = fix_text(report, text, options, unsafe, policy)
    outcome.bom = bom
    return outcome


class WriteError(Exception):
    """The fixed file could not be written; ``str(err)`` says why (the file is unchanged)."""


def write_fixed(path: Path, fix: FileFix) -> None:
    """Write ``fix.new_text`` over ``path``: a temporary file in the same folder, then
    ``os.replace``, so the file is either the old one or the whole new one. A symbolic link
    is followed (the file it names is rewritten); the file's permissions are kept.

    Raises:
        WriteError: a read-only file, a folder that refuses the temporary file, a file that
            changed since it was read, a full disk ...
    """
    target = Path(os.path.realpath(path))
    try:
        info = target.stat()
        if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(
            target, os.W_OK
        ):
            raise WriteError("the file is read-only: make it writable or fix it by hand")
        current = target.read_bytes()
    except OSError as err:
        raise WriteError(f"cannot read it again: {err.strerror or err}") from None
    old = (b"\xef\xbb\xbf" if fix.bom else b"") + fix.old_text.encode("utf-8")
    if current != old:
        raise WriteError("the file changed while it was being fixed: run again")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".lrguard", dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(fix.encoded())
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(info.st_mode))
        os.replace(tmp, target)
        tmp = None
    except OSError as err:
        raise WriteError(f"cannot write it: {err.strerror or err}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


# --- the command ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FixRequest:
    """What ``lrguard check --fix`` / ``--diff`` was asked for.

    Attributes:
        write: ``--fix`` (True) or ``--diff`` (False).
        unsafe: apply unsafe fixes too (``--unsafe-fixes`` / ``unsafe-fixes = true``).
        fmt / verbose / quiet / statistics / strict / exit_zero / output_file: as for
            ``lrguard check``.
        stdin: the bytes read from stdin and their report (``-`` among the paths).
    """

    write: bool
    unsafe: bool = False
    fmt: str = "text"
    verbose: bool = False
    quiet: bool = False
    statistics: bool = False
    strict: bool = False
    exit_zero: bool = False
    output_file: Path | None = None
    stdin: tuple[bytes, FileReport] | None = None


def _say(text: str, stream: Any) -> None:
    if text:
        stream.write(text if text.endswith("\n") else text + "\n")


def _safe(text: str) -> str:
    from lrguard.safe_text import MAX_LINE_CHARS, escape_controls, shorten

    return shorten(escape_controls(text), MAX_LINE_CHARS)


def _notes(fixes: Sequence[FileFix]) -> list[str]:
    """One line per fix that was not written, and per file left alone."""
    lines = []
    for fix in fixes:
        path = fix.report.path
        if fix.problem:
            lines.append(_safe(f"{path}: {fix.problem}"))
        for note in fix.not_applied:
            line = f":{note.finding.line}" if note.finding.line else ""
            lines.append(_safe(f"{path}{line}: {note.finding.code} fix not applied: {note.reason}"))
    return lines


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _summary(fixes: Sequence[FileFix], write: bool) -> list[str]:
    fixed = sum(len(f.fixed) for f in fixes)
    hidden = sum(f.hidden_unsafe for f in fixes)
    remaining = sum(len(f.report.findings) for f in fixes)
    files = sum(1 for f in fixes if f.changed)
    if write:
        lines = [
            f"Found {_plural(fixed + remaining, 'finding')} ({fixed} fixed, {remaining} remaining)."
        ]
    else:
        lines = [f"Would fix {_plural(fixed, 'finding')} in {_plural(files, 'file')}."]
    if hidden:
        fixes = "fix" if hidden == 1 else "fixes"
        lines.append(
            f"{hidden} more {fixes} available with --unsafe-fixes (they change the run beyond "
            "the finding)."
        )
    return lines


def _emit(text: str, target: Path | None) -> str | None:
    """Print ``text`` or write it to ``target``; the problem when it cannot be written."""
    import sys

    if target is None:
        _say(text, sys.stdout)
        return None
    try:
        target.write_text(text if not text or text.endswith("\n") else text + "\n", "utf-8")
    except (OSError, ValueError) as err:
        return f"--output-file {target}: cannot write it: {getattr(err, 'strerror', None) or err}"
    return None


def run_fixes(reports: Sequence[FileReport], options: CheckOptions, request: FixRequest) -> int:
    """``lrguard check --fix`` / ``--diff`` over the reports of a check; the exit code.

    ``--diff``: the unified diff on stdout (or ``-o``), notes and a summary on stderr; exit 1
    when there is a diff, 0 when not, 2 for unusable input. ``--fix``: changed files are
    written (a temporary file, then ``os.replace``), then the findings that remain are
    reported as ``lrguard check`` reports them, with a summary line
    (``Found N findings (M fixed, K remaining)``); the exit code is that of the remaining
    findings, 2 when a file could not be written. A config read from stdin is printed fixed
    on stdout and its report goes to stderr.
    """
    import sys

    from lrguard.checking import summarize
    from lrguard.report import render, render_statistics

    fixable = any(machine_fixable(f) for r in reports for f in r.findings)
    policy = _policy() if fixable else None
    stdin_data, stdin_report = request.stdin if request.stdin is not None else (None, None)
    fixes: list[FileFix] = []
    stdin_fix: FileFix | None = None
    failed = False
    for report in reports:
        if report is stdin_report and stdin_data is not None:
            try:
                text = stdin_data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = None
            if text is None or report.result.status != CHECKED:
                stdin_fix = FileFix(report=report, old_text=text or "", new_text=text or "")
            else:
                stdin_fix = fix_text(report, text, options, request.unsafe, policy)
            stdin_fix.bom = stdin_data.startswith(b"\xef\xbb\xbf")
            fixes.append(stdin_fix)
            continue
        fix = fix_file(report, options, request.unsafe, policy)
        if request.write and fix.changed:
            try:
                write_fixed(report.path, fix)
            except WriteError as err:
                print(_safe(f"lrguard: {report.path}: fix not written: {err}"), file=sys.stderr)
                failed = True
                fix = FileFix(report=report, old_text=fix.old_text, new_text=fix.old_text)
        fixes.append(fix)
    unusable = any(r.result.status == "unusable" for r in reports)
    if not request.write:
        problem = _emit("".join(f.diff() for f in fixes), request.output_file)
        for line in _notes(fixes) + ([] if request.quiet else _summary(fixes, write=False)):
            print(line, file=sys.stderr)
        for report in reports:
            if report.result.status == "unusable":
                print(_safe(f"{report.path}: unusable: {report.result.reason}"), file=sys.stderr)
        if problem is not None:
            print(_safe(f"lrguard: {problem}"), file=sys.stderr)
            return 2
        if unusable or failed:
            return 2
        code = 1 if any(f.changed for f in fixes) else 0
        return 0 if request.exit_zero else code
    remaining = [f.report for f in fixes]
    machine = request.fmt in ("json", "sarif", "github")
    if request.statistics:
        body = render_statistics(remaining, "json" if request.fmt == "json" else "text", True)
        machine = request.fmt == "json"
    else:
        body = render(remaining, request.fmt, verbose=request.verbose, quiet=True)
    trailer = _notes(fixes)
    if not request.quiet:
        trailer += [_summary_line(remaining), *_summary(fixes, write=True)]
    if not machine:
        body, trailer = "\n".join(line for line in [body, *trailer] if line), []
    problem = None
    if stdin_fix is not None:
        sys.stdout.write(stdin_fix.new_text)
        sys.stdout.flush()
        if request.output_file is None:
            _say(body, sys.stderr)
        else:
            problem = _emit(body, request.output_file)
    else:
        problem = _emit(body, request.output_file)
    for line in trailer:
        print(line, file=sys.stderr)
    if problem is not None:
        print(_safe(f"lrguard: {problem}"), file=sys.stderr)
        return 2
    if failed:
        return 2
    code = summarize(remaining).exit_code(strict=request.strict)
    return 0 if request.exit_zero and code == 1 else code


def _summary_line(reports: Sequence[FileReport]) -> str:
    from lrguard.checking import summarize
    from lrguard.report import summary_line

    return summary_line(summarize(reports))


__all__ = [
    "MAX_PASSES",
    "FixRequest",
    "SAFE_WHEN",
    "Change",
    "FileFix",
    "NotApplied",
    "WriteError",
    "fix_file",
    "fix_text",
    "is_safe",
    "machine_fixable",
    "plan_changes",
    "read_for_fix",
    "rewrite",
    "run_fixes",
    "write_fixed",
]
