"""Text from configs made safe to print: control characters escaped, length bounded.

A file name or a key may contain a newline, an escape sequence or a megabyte of text; printed
as is, a newline starts a new output line (which CI systems such as GitHub Actions may read as
a command) and a huge value floods the log. Everything lrguard prints from a config goes
through ``escape_controls`` and is bounded by ``shorten`` / ``bounded_repr``.
"""

from __future__ import annotations

import reprlib
from typing import Any

MAX_VALUE_CHARS = 200
"""A value formatted into a message is cut to this many characters (with an ellipsis)."""

MAX_LINE_CHARS = 4000
"""One output line (a finding, an unusable file's reason) is cut to this many characters."""

ELLIPSIS = "..."

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CONTROLS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029]
_TABLE = {
    code: _NAMED.get(chr(code), f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    for code in _CONTROLS
}


def escape_controls(text: str) -> str:
    r"""``text`` with C0/C1 control characters, DEL and Unicode line separators escaped.

    Example:
        >>> escape_controls("a.yaml\n::error::x\x1b[31m")
        'a.yaml\\n::error::x\\x1b[31m'
    """
    return text.translate(_TABLE)


def shorten(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, the cut marked with an ellipsis.

    Example:
        >>> shorten("x" * 10, 6)
        'xxx...'
    """
    if len(text) <= limit:
        return text
    return text[: max(limit - len(ELLIPSIS), 0)] + ELLIPSIS


_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxdict = 6
_REPR.maxstring = MAX_VALUE_CHARS
_REPR.maxother = MAX_VALUE_CHARS
_REPR.maxlong = 60


def bounded_repr(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """``repr(value)`` in bounded time and length, however large or nested ``value`` is.

    Containers show their first items and ``...``; the result is at most ``limit`` characters.

    Example:
        >>> bounded_repr(list(range(100)))
        '[0, 1, 2, 3, 4, 5, ...]'
        >>> len(bounded_repr("x" * 10_000)) <= MAX_VALUE_CHARS
        True
    """
    try:
        text = _REPR.repr(value)
    except Exception:  # a value whose __repr__ fails must not fail the message
        text = f"<{type(value).__name__}>"
    return shorten(text, limit)


__all__ = [
    "ELLIPSIS",
    "MAX_LINE_CHARS",
    "MAX_VALUE_CHARS",
    "bounded_repr",
    "escape_controls",
    "shorten",
]
