"""``Record``: equality, ``repr`` and ``_replace`` for the records a check builds (plans,
findings, rules, results).

They are plain classes with an explicit ``__init__``: ``lrguard check`` imports them on every
run, and a dataclass would cost it the ``dataclasses`` and ``inspect`` imports plus code
generated and compiled for every class at import (a ``typing.NamedTuple`` compiles its
annotations too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers only: a TypeVar bound by name compiles the name
    from typing import TypeVar

    _R = TypeVar("_R", bound="Record")


class Record:
    """Two records are equal when they are of the same class with equal attributes; the
    ``repr`` shows every attribute; ``_replace`` copies one. Mutable, so not hashable.

    Example:
        >>> from lrguard.plan import MetricPlan
        >>> MetricPlan(name="loss") == MetricPlan(name="loss")
        True
        >>> MetricPlan(name="loss")
        MetricPlan(name='loss', greater_is_better=None, load_best_model_at_end=False)
        >>> MetricPlan(name="loss")._replace(name="f1").name
        'f1'
    """

    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return vars(self) == vars(other)

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={value!r}" for name, value in vars(self).items())
        return f"{type(self).__name__}({values})"

    def _replace(self: _R, **changes: Any) -> _R:
        """A shallow copy with ``changes`` (attribute -> value) applied, as
        ``NamedTuple._replace`` and ``dataclasses.replace`` make one.

        Raises:
            TypeError: a name that is not an attribute of the record.
        """
        unknown = sorted(set(changes) - set(vars(self)))
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(unknown)}")
        new = object.__new__(type(self))  # not copy.copy: the copy module imports weakref
        vars(new).update(vars(self), **changes)
        return new
