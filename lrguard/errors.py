"""Errors raised by lrguard."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lrguard.findings import Finding


class LRGuardError(ValueError):
    """A learning-rate setting that lrguard refuses to train with.

    Raised by ``on_violation="error"`` and for input that cannot be checked at all.
    ``findings`` holds the findings that caused it (may be empty).

    Example:
        >>> from lrguard import LRGuardError
        >>> try:
        ...     raise LRGuardError("learning_rate=-1: must be a positive number")
        ... except ValueError as err:
        ...     print(err)
        learning_rate=-1: must be a positive number
    """

    def __init__(self, message: str, findings: list[Finding] | None = None) -> None:
        super().__init__(message)
        self.findings: list[Finding] = list(findings or [])
