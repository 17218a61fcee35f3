"""Reading learning-rate-like numbers as users write them (floats, ints, YAML strings)."""

from __future__ import annotations

import math
from typing import Any

from lrguard.records import Record
from lrguard.safe_text import bounded_repr, shorten


class ParsedNumber(Record):
    """A value read as a number.

    Attributes:
        raw: the value as given.
        value: the float it stands for, or None when it is not a number at all.
        from_string: True when ``raw`` was a string such as YAML 1.1's ``"1e-5"``.
    """

    def __init__(self, raw: Any, value: float | None, from_string: bool = False) -> None:
        self.raw = raw
        self.value = value
        self.from_string = from_string

    @property
    def is_number(self) -> bool:
        """True when a float could be read (it may still be NaN, infinite or negative)."""
        return self.value is not None

    @property
    def is_finite_positive(self) -> bool:
        """True for a usable learning rate: finite and > 0."""
        return self.value is not None and math.isfinite(self.value) and self.value > 0

    @property
    def is_finite_non_negative(self) -> bool:
        """True for a usable minimum: finite and >= 0 (0 means no floor)."""
        return self.value is not None and math.isfinite(self.value) and self.value >= 0


def parse_number(raw: Any) -> ParsedNumber:
    """Read ``raw`` as a float without raising.

    Example:
        >>> parse_number("1e-5")
        ParsedNumber(raw='1e-5', value=1e-05, from_string=True)
        >>> parse_number("abc").is_number
        False

        An integer beyond float range reads as infinite, so rules report it as not finite:

        >>> parse_number(10**400).value
        inf
    """
    if isinstance(raw, bool):
        return ParsedNumber(raw, None)
    if isinstance(raw, int):
        try:
            return ParsedNumber(raw, float(raw))
        except OverflowError:
            return ParsedNumber(raw, math.inf if raw > 0 else -math.inf)
    if isinstance(raw, float):
        return ParsedNumber(raw, raw)
    if isinstance(raw, str):
        try:
            return ParsedNumber(raw, float(raw.strip()), from_string=True)
        except ValueError:
            return ParsedNumber(raw, None, from_string=True)
    try:  # numpy scalars, torch 0-d tensors, Decimal ...
        return ParsedNumber(raw, float(raw))
    except (TypeError, ValueError, OverflowError):
        return ParsedNumber(raw, None)


def fmt(value: Any) -> str:
    """Format a value compactly for messages (``1e-05``, ``0.0001``, ``'1e-5'``).

    Long values (a huge integer, a big list, a long string) are cut with an ellipsis, in
    bounded time whatever their size.

    Example:
        >>> fmt(1e-5), fmt(0.999999999), fmt(1e-5 * 0.1)
        ('1e-05', '0.999999999', '1e-06')
        >>> fmt("1e-5"), fmt(10**400)
        ("'1e-5'", '1000000000000000000000000000...00000000000000000000000000000')
    """
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        short = f"{value:.6g}"
        if abs(float(short) - value) > 1e-10 * abs(value):  # 0.999999999 is not 1
            return f"{value:.12g}"
        return short
    if isinstance(value, bool | None):
        return str(value)
    if isinstance(value, int | str | list | tuple | dict | set | frozenset):
        return bounded_repr(value)
    return shorten(str(value))


def tidy(value: float) -> float:
    """Round away float noise (``1e-5 * 0.1`` -> ``1e-06``, not ``1.0000000000000002e-06``)."""
    return float(f"{value:.12g}")
