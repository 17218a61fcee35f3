"""Send decisions to the experiment trackers a ``Trainer`` reports to (TensorBoard, W&B, …).

Trackers (``TensorBoardCallback``, ``WandbCallback``, …) only see what goes through
``on_log``; a record appended to ``state.log_history`` never reaches them. Callbacks get no
reference to the ``Trainer`` or its ``CallbackHandler``, so :class:`TrackerRelay` finds the
handler dispatching the current event on the call stack (this works for ``Trainer``
subclasses and for callbacks added with ``add_callback``) and calls its ``on_log`` once per
decision with a flat ``{"lrguard/<rule>": "<log line>"}``: TensorBoard writes it as text, W&B
into the run's history, both under ``train/lrguard/<rule>`` at the current global step.

Trackers open their writer or run in their own ``on_train_begin``, so decisions taken
before (``on_init_end``) wait until training has begun. Only the trackers transformers
attaches for ``report_to`` (the classes of ``transformers.integrations``'
``INTEGRATION_TO_CALLBACK`` and their subclasses) get the call: any other callback's
``on_log`` may read ``state.log_history[-1]`` as the entry just logged (LLaMA-Factory's
``LogCallback`` does, and writes it to ``trainer_log.jsonl``), and the guard adds nothing to
``log_history``. Console printers (``ProgressCallback``, ``PrinterCallback``) are not
trackers: the decision is already on the console once, through ``logging``.
"""

from __future__ import annotations

import copy
import sys
from dataclasses import fields
from typing import Any

from transformers.trainer_callback import CallbackHandler

from lrguard.findings import Decision

KEY_PREFIX = "lrguard/"
CONSOLE_SUFFIXES = ("ProgressCallback", "PrinterCallback")
"""Callbacks whose class name ends like this print ``on_log`` to the console."""

_FIELDS = tuple(f.name for f in fields(Decision))


def tracker_logs(record: dict[str, Any]) -> dict[str, str]:
    """The flat ``on_log`` entry for one decision record.

    Args:
        record: a decision record (keys ``rule``, ``action``, ``message``, …).

    Returns:
        ``{"lrguard/<rule>": line}`` where ``line`` is the decision's log line.

    Example:
        >>> tracker_logs({"rule": "LRG002", "severity": "warning", "action": "adjusted",
        ...               "message": "min_lr too high.", "before": 1e-4, "after": 1e-6})
        {'lrguard/LRG002': 'lrguard LRG002 [adjusted] min_lr too high. Changed 0.0001 -> 1e-06.'}
    """
    try:
        line = Decision(**{k: record[k] for k in _FIELDS if k in record}).render()
    except (TypeError, ValueError):
        line = f"lrguard {record.get('rule')} [{record.get('action')}] {record.get('message')}"
    return {f"{KEY_PREFIX}{record.get('rule')}": line}


def _is_console(callback: Any) -> bool:
    return any(c.__name__.endswith(CONSOLE_SUFFIXES) for c in type(callback).__mro__)


def _tracker_classes() -> tuple[type, ...]:
    """The callback classes transformers attaches for ``report_to`` (none when unknown)."""
    try:
        from transformers.integrations import INTEGRATION_TO_CALLBACK
    except ImportError:  # pragma: no cover - present in transformers 4.57 and 5.x
        return ()
    return tuple(c for c in INTEGRATION_TO_CALLBACK.values() if isinstance(c, type))


def is_tracker(callback: Any) -> bool:
    """Whether ``callback`` is an experiment tracker of ``report_to`` (TensorBoard, W&B ...).

    Example:
        >>> from transformers import PrinterCallback
        >>> is_tracker(PrinterCallback())
        False
    """
    return isinstance(callback, _tracker_classes()) and not _is_console(callback)


def _dispatching_handler() -> tuple[CallbackHandler, Any, Any] | None:
    """The innermost ``CallbackHandler`` on the stack, with the ``args`` and ``control`` it
    passes to every callback (locals of its event method)."""
    frame = sys._getframe(1)
    while frame is not None:
        local = frame.f_locals
        if isinstance(local.get("self"), CallbackHandler):
            if "args" in local and "control" in local:
                return local["self"], local["args"], local["control"]
            return None
        frame = frame.f_back
    return None


class TrackerRelay:
    """Hands decision records to the trackers, through the dispatching ``CallbackHandler``
    (its ``on_log``, called for the trackers only: nothing is added to ``log_history``).

    Call :meth:`send` from inside a callback event. Records are kept until training has
    begun (trackers are ready) and a handler is dispatching, then sent once; other processes
    than world process zero send and keep nothing.
    """

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self._sending = False

    def send(self, records: list[dict[str, Any]], state: Any) -> int:
        """Queue ``records`` and, once training has begun, log every queued one.

        Args:
            records: decision records not passed to ``send`` before.
            state: the ``TrainerState`` of the current event.

        Returns:
            The number of records handed to the trackers now.
        """
        if not state.is_world_process_zero:
            return 0
        self.pending.extend(records)
        if not self.pending or self._sending or not state.max_steps:
            return 0  # nothing to do, re-entered, or trackers not set up before train()
        found = _dispatching_handler()
        if found is None:
            return 0
        handler, args, control = found
        view = copy.copy(handler)  # same model/optimizer/loaders; own list of callbacks
        view.callbacks = [cb for cb in handler.callbacks if is_tracker(cb)]
        if not view.callbacks:
            self.pending = []
            return 0
        should_log = control.should_log
        sent, self.pending = self.pending, []
        self._sending = True
        try:
            for record in sent:
                view.on_log(args, state, control, tracker_logs(record))
        finally:
            self._sending = False
            control.should_log = should_log  # CallbackHandler.on_log resets it
        return len(sent)
