"""Send decisions to the experiment trackers a ``Trainer`` reports to, in the form each takes.

Trackers (``TensorBoardCallback``, ``WandbCallback``, ``MLflowCallback`` …) only see what goes
through ``on_log``; a record appended to ``state.log_history`` never reaches them. Callbacks
get no reference to the ``Trainer`` or its ``CallbackHandler``, so :class:`TrackerRelay`
finds the handler dispatching the current event on the call stack (this works for
``Trainer`` subclasses and for callbacks added with ``add_callback``) and calls the
trackers' ``on_log`` through it, one tracker at a time, with what that tracker accepts.

Each decision has two forms:

* **text**: ``{"lrguard/<rule>": "<log line>"}`` (:func:`tracker_logs`);
* **numbers**: ``{"lrguard/<rule>/severity": 40, "lrguard/<rule>/<field>/after": 1e-06, …}``
  (:func:`tracker_numbers`): the decision's severity as a logging level (20 info,
  30 warning, 40 error) and every finite number of its ``before`` / ``after`` (the rate a
  decision sets is under ``…/after``).

Which tracker gets which form, and how, is one table, :data:`FORMS` (tracker class name ->
:class:`Form`; subclasses such as ``DagsHubCallback`` take their base's row). The rows
follow what each transformers callback does with a value (4.57 and 5.x alike):

============================ =========================================== ===================
tracker                      text                                        numbers (on_log)
============================ =========================================== ===================
TensorBoard                  ``on_log``: a text summary                  no
Weights & Biases             ``on_log``: the run's history               no
MLflow (and DagsHub)         a run tag ``lrguard/<rule>`` and the        metrics
                             artifact ``lrguard/decisions.txt``
ClearML                      the task logger's ``report_text``           scalars (``train``)
AzureML, Neptune             not taken (their ``on_log`` keeps numbers)  yes
DVCLive, Kubeflow            nothing: DVCLive's ``on_log`` moves its     no
                             step on, Kubeflow's keeps the last value
                             of each key as the trial's result
CodeCarbon, Flyte            nothing (no ``on_log``)                     no
any other (Comet, Trackio,   ``on_log``                                  no
SwanLab, a user's tracker)
============================ =========================================== ===================

Everything sent through ``on_log`` lands at the current global step, under the key each
callback makes of it: ``train/lrguard/…`` for TensorBoard, W&B and Neptune (transformers'
``rewrite_logs``), ``lrguard/…`` for MLflow and AzureML, series ``lrguard/…`` of the
``train`` plot for ClearML. Text goes to MLflow only through the run its callback logs to
(``mlflow.active_run()``): with no active run nothing is written, so the guard never starts
a run. A call into a tracker's own API (MLflow tags and artifacts, ClearML text) that fails
is said once and not tried again in the run; the decisions stay in ``lrguard.jsonl`` and the
trainer state.

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
import inspect
import logging
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from transformers.trainer_callback import CallbackHandler

from hf_lrguard._logging import get_logger
from lrguard.findings import Decision

logger = get_logger(__name__)

KEY_PREFIX = "lrguard/"
CONSOLE_SUFFIXES = ("ProgressCallback", "PrinterCallback")
"""Callbacks whose class name ends like this print ``on_log`` to the console."""
ARTIFACT = "lrguard/decisions.txt"
"""The MLflow artifact holding every decision line of the run, one per line."""
LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
"""A decision's severity as a logging level: its ``…/severity`` number, its ClearML text level."""

_FIELDS = tuple(inspect.signature(Decision).parameters)


def tracker_logs(record: dict[str, Any]) -> dict[str, str]:
    """The text form of one decision record.

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


def _numbers(value: Any, key: str) -> dict[str, float]:
    """Every finite number in ``value`` (a number, a list per param group, a dict per field),
    keyed ``key[/<field>][/<group>]``; a list of one is not indexed."""
    if isinstance(value, bool):
        return {}
    if isinstance(value, int | float):
        return {key: value} if math.isfinite(value) else {}
    if isinstance(value, dict):
        found: dict[str, float] = {}
        for name, item in value.items():
            found.update(_numbers(item, f"{key}/{name}"))
        return found
    if isinstance(value, list | tuple):
        if len(value) == 1:
            return _numbers(value[0], key)
        found = {}
        for index, item in enumerate(value):
            found.update(_numbers(item, f"{key}/{index}"))
        return found
    return {}  # text (a number written as a string), None


def tracker_numbers(record: dict[str, Any]) -> dict[str, float]:
    """The numeric form of one decision record, for trackers that take numbers only.

    Args:
        record: a decision record (keys ``rule``, ``severity``, ``before``, ``after`` …).

    Returns:
        ``lrguard/<rule>/severity``: the decision's severity as a logging level (20 info,
        30 warning, 40 error); ``lrguard/<rule>[/<field>][/<group>]/before`` and ``…/after``
        for every finite number of ``before`` / ``after`` (a list of one rate per param group is
        indexed by group when there are several).

    Example:
        >>> tracker_numbers({"rule": "LRG002", "severity": "error", "action": "adjusted",
        ...                  "before": {"lr_scheduler_kwargs.min_lr": 1e-4},
        ...                  "after": {"lr_scheduler_kwargs.min_lr": 1e-6}})
        ... # doctest: +NORMALIZE_WHITESPACE
        {'lrguard/LRG002/severity': 40,
         'lrguard/LRG002/lr_scheduler_kwargs.min_lr/before': 0.0001,
         'lrguard/LRG002/lr_scheduler_kwargs.min_lr/after': 1e-06}
        >>> sorted(tracker_numbers({"rule": "LRG022", "after": {"lr": [1e-6, 2e-6]}}))
        ['lrguard/LRG022/lr/0/after', 'lrguard/LRG022/lr/1/after']
    """
    rule = f"{KEY_PREFIX}{record.get('rule')}"
    numbers: dict[str, float] = {}
    level = LEVELS.get(str(record.get("severity")))
    if level is not None:
        numbers[f"{rule}/severity"] = level
    for side in ("before", "after"):
        for key, number in _numbers(record.get(side), rule).items():
            numbers[f"{key}/{side}"] = number
    return numbers


# -- text through a tracker's own API -------------------------------------------------------
TextWriter = Callable[[Any, dict[str, Any], list[str]], bool]
"""``(tracker callback, decision record, every line of the run so far) -> written``."""


def mlflow_text(callback: Any, record: dict[str, Any], lines: list[str]) -> bool:
    """Tag ``lrguard/<rule>`` (the decision's line) and the artifact ``lrguard/decisions.txt``
    (every line of the run) on the run ``MLflowCallback`` logs to: MLflow's active run.
    With no active run nothing is written (a tag would start a second run)."""
    mlflow = getattr(callback, "_ml_flow", None)
    if mlflow is None or mlflow.active_run() is None:
        return False
    flush = getattr(mlflow, "flush_async_logging", None)
    if callable(flush):  # MLflowCallback logs metrics asynchronously (MLflow >= 2.8): writing
        flush()  # an artifact reads the run's metric files, one of which may be half written
    limit = getattr(getattr(mlflow.utils, "validation", None), "MAX_TAG_VAL_LENGTH", 5000)
    mlflow.set_tag(f"{KEY_PREFIX}{record.get('rule')}", lines[-1][:limit])
    mlflow.log_text("".join(f"{line}\n" for line in lines), ARTIFACT)
    return True


def clearml_text(callback: Any, record: dict[str, Any], lines: list[str]) -> bool:
    """The decision's line through the ClearML task's logger (``report_text``), at the
    decision's level, not printed again on the console."""
    task = getattr(callback, "_clearml_task", None)
    if task is None:
        return False
    level = LEVELS.get(str(record.get("severity")), logging.INFO)
    task.get_logger().report_text(lines[-1], level=level, print_console=False)
    return True


@dataclass(frozen=True)
class Form:
    """How one tracker takes a decision.

    Attributes:
        text_logs: the text form through its ``on_log``.
        number_logs: the numeric form through its ``on_log``.
        write_text: writes the text through the tracker's own API (a :data:`TextWriter`).
    """

    text_logs: bool = False
    number_logs: bool = False
    write_text: TextWriter | None = None


FORMS: dict[str, Form] = {
    "TensorBoardCallback": Form(text_logs=True),
    "WandbCallback": Form(text_logs=True),
    "MLflowCallback": Form(number_logs=True, write_text=mlflow_text),
    "ClearMLCallback": Form(number_logs=True, write_text=clearml_text),
    "AzureMLCallback": Form(number_logs=True),
    "NeptuneCallback": Form(number_logs=True),
    "DVCLiveCallback": Form(),
    "KubeflowCallback": Form(),
    "CodeCarbonCallback": Form(),
    "FlyteCallback": Form(),
}
"""Tracker class name -> the form it takes (see the module docstring's table)."""
DEFAULT_FORM = Form(text_logs=True)
"""Trackers not in :data:`FORMS` (Comet, Trackio, SwanLab, …) get the text through ``on_log``."""


def form_of(callback: Any) -> Form:
    """The :class:`Form` of a tracker callback: its class's row, or its nearest base's.

    Example:
        >>> from transformers.integrations import TensorBoardCallback
        >>> form_of(TensorBoardCallback.__new__(TensorBoardCallback))
        Form(text_logs=True, number_logs=False, write_text=None)
    """
    for cls in type(callback).__mro__:
        if cls.__name__ in FORMS:
            return FORMS[cls.__name__]
    return DEFAULT_FORM


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
    """Hands decision records to the trackers in the form each takes (:data:`FORMS`):
    through the dispatching ``CallbackHandler`` (its ``on_log``, called for one tracker at a
    time: nothing is added to ``log_history``) or the tracker's own API.

    Call :meth:`send` from inside a callback event. Records are kept until training has
    begun (trackers are ready) and a handler is dispatching, then sent once; other processes
    than world process zero send and keep nothing.
    """

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self.lines: list[str] = []
        """Every decision line sent in this run (MLflow's artifact holds them all)."""
        self._sending = False
        self._failed: set[str] = set()

    def send(self, records: list[dict[str, Any]], state: Any) -> int:
        """Queue ``records`` and, once training has begun, send every queued one.

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
        trackers = [cb for cb in handler.callbacks if is_tracker(cb)]
        if not trackers:
            self.pending = []
            return 0
        view = copy.copy(handler)  # same model/optimizer/loaders; own list of callbacks
        should_log = control.should_log
        sent, self.pending = self.pending, []
        self._sending = True
        try:
            for record in sent:
                self._send_one(record, trackers, view, args, state, control)
        finally:
            self._sending = False
            control.should_log = should_log  # CallbackHandler.on_log resets it
        return len(sent)

    def _send_one(self, record, trackers, view, args, state, control) -> None:
        text = tracker_logs(record)
        numbers = tracker_numbers(record)
        self.lines.extend(text.values())
        for callback in trackers:
            form = form_of(callback)
            logs = {**(text if form.text_logs else {}), **(numbers if form.number_logs else {})}
            if logs:
                view.callbacks = [callback]
                view.on_log(args, state, control, logs)
            if form.write_text is not None:
                self._write_text(form.write_text, callback, record)

    def _write_text(self, writer: TextWriter, callback: Any, record: dict[str, Any]) -> None:
        """Call ``writer``; a failure is said once and the tracker is not tried again."""
        name = type(callback).__name__
        if name in self._failed:
            return
        try:
            writer(callback, record, self.lines)
        except Exception as err:  # a remote tracker's error must not end the run
            self._failed.add(name)
            logger.warning(
                "lrguard: could not write the decisions' text to %s (%s: %s); it gets no more "
                "text in this run, the decisions are in lrguard.jsonl and trainer_state.json",
                name,
                type(err).__name__,
                err,
            )
