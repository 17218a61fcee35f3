"""The guard's loggers follow transformers' verbosity, as transformers' own modules do.

A ``transformers.*`` module logger has no level of its own: it takes the level of the
library's root logger ``transformers``, which ``transformers.logging.set_verbosity_*``,
``TRANSFORMERS_VERBOSITY`` and ``Trainer`` set (``Trainer`` applies
``args.get_process_log_level()``: ``log_level`` on the main process, ``log_level_replica`` on
the others), and prints through the handler transformers attaches to that logger.

:func:`get_logger` gives every ``hf_lrguard`` module the same behaviour while keeping the
standard ``hf_lrguard.<module>`` names:

* **Level.** A level set on the module's logger or on ``hf_lrguard`` (``logging.getLogger(
  "hf_lrguard").setLevel(...)``, ``caplog.at_level``, ``dictConfig``) wins, as in ``logging``;
  otherwise the threshold is transformers' verbosity (``WARNING`` by default, as before), so
  ``set_verbosity_error()`` hides the guard's warnings and ``log_level="info"`` shows its
  notes.
* **Where records go.** Records propagate to the application's handlers exactly as any
  logger's do (the root logger's, pytest's ``caplog``, axolotl's ``dictConfig``). Only when
  no handler anywhere would take them, where Python falls back to its last-resort handler
  (warnings and above, to ``stderr``), they go to transformers' console handler instead, the
  one that prints transformers' own lines at the same verbosity. The guard adds no handler.

Only the console is affected: decisions are written to ``lrguard.jsonl``, the trainer state
and the trackers whatever the verbosity.

Example:
    >>> import logging
    >>> import transformers
    >>> log = get_logger("hf_lrguard.example")
    >>> transformers.logging.set_verbosity_error()
    >>> log.isEnabledFor(logging.WARNING)
    False
    >>> transformers.logging.set_verbosity_warning()
    >>> log.isEnabledFor(logging.WARNING), log.isEnabledFor(logging.INFO)
    (True, False)
"""

from __future__ import annotations

import logging
from functools import cache

from transformers.utils import logging as hf_logging

LIBRARY = "hf_lrguard"
"""The package logger: a level set on it applies to every guard logger."""
TRANSFORMERS = "transformers"
"""transformers' library root logger, which holds its verbosity and its console handler."""


def transformers_verbosity() -> int:
    """The level of transformers' root logger (``transformers.logging.get_verbosity()``)."""
    return hf_logging.get_verbosity()


class FollowsTransformers(logging.Logger):
    """A logger whose level, unless one is set on it or on ``hf_lrguard``, is transformers'
    verbosity, and whose records reach transformers' console handler when the application
    has no handler for them. Built by :func:`get_logger`; never instantiated directly."""

    def getEffectiveLevel(self) -> int:  # noqa: N802 (logging's name)
        """The nearest level set between this logger and ``hf_lrguard``; transformers'
        verbosity when none is (``isEnabledFor`` caches the answer until a level changes)."""
        logger: logging.Logger | None = self
        while logger is not None and logger.parent is not None:
            if logger.level:
                return logger.level
            if logger.name == LIBRARY:
                break
            logger = logger.parent
        return transformers_verbosity()

    def callHandlers(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        """The application's handlers when there are any; transformers' console handler
        where Python would use its last-resort one."""
        library = logging.getLogger(TRANSFORMERS)
        if self.hasHandlers() or not library.handlers:
            super().callHandlers(record)
            return
        for handler in library.handlers:
            if record.levelno >= handler.level:
                handler.handle(record)


@cache
def _following(cls: type[logging.Logger]) -> type[logging.Logger]:
    """``cls`` (``logging.Logger`` or the class an application set with
    ``logging.setLoggerClass``) with :class:`FollowsTransformers`' level and handlers."""
    if issubclass(cls, FollowsTransformers):
        return cls
    if cls is logging.Logger:
        return FollowsTransformers
    return type(f"FollowsTransformers{cls.__name__}", (FollowsTransformers, cls), {})


def get_logger(name: str) -> logging.Logger:
    """The standard logger ``name`` (``logging.getLogger(name)``, the same object), made to
    follow transformers' verbosity.

    Args:
        name: the module's ``__name__`` (``hf_lrguard.<module>``).

    Returns:
        The logger; its class keeps the application's logger class (if one was set) and
        adds :class:`FollowsTransformers`' level and console.
    """
    logging.getLogger(LIBRARY)  # exists, so its level is on every guard logger's path
    logger = logging.getLogger(name)
    if not isinstance(logger, FollowsTransformers):
        logger.__class__ = _following(type(logger))
        logger.setLevel(logger.level)  # clears what isEnabledFor cached before the change
    return logger
