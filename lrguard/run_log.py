"""One run's decisions: the list, de-duplication, the file, the trackers' queue, resume state.

Every integration (the Flair plugin, the Hugging Face callback, the axolotl callback) keeps
one :class:`RunLog` per guarded run and does only the framework's part itself: hooks, the
model card, ``stateful_callbacks``, the tracker relay, stopping the trainer.

* Every process keeps the same records; only the main process logs lines and writes the
  JSON-lines file (through :class:`~lrguard.decision_log.DecisionLog`).
* A decision taken before training (no ``step`` / ``epoch``) is kept once: the same rule,
  location and action decided again (a second check of the same settings, a resumed run)
  is not repeated.
* Records wait in a queue until the integration can hand them to its trackers
  (:meth:`RunLog.take_pending`).
* :meth:`RunLog.resume_state` / :meth:`RunLog.restore` carry the records (and the
  integration's counters) through a checkpoint, keyed by the guard instance
  (:func:`instance_key`), so that two guards on one trainer never read each other's state.
  They also carry the facts of the schedule the run trains with (:attr:`RunLog.schedule`,
  ``lrguard.resume.ScheduleFacts.to_dict()``), so that a resume can compare its own
  schedule with the checkpoint's exactly (:attr:`RunLog.resumed_schedule`, LRG024).
* The texts of training-time events (LRG009 anneal, LRG010 stop, LRG022 floor reached) are
  built here, once for every framework.

The module is framework-free: plain values in, records and decisions out.

Example:
    >>> import logging
    >>> from lrguard.findings import Decision
    >>> run = RunLog("hf", logging.getLogger("demo"), instance="LRGuardCallback#0")
    >>> warn = Decision(rule="LRG021", severity="warning", action="warned", message="m.")
    >>> run.emit(warn)["rule"], run.emit(warn)  # decided twice before training: kept once
    ('LRG021', None)
    >>> state = run.resume_state(floor={"bad_evals": 2})
    >>> state["schema"], state["instance"], [r["rule"] for r in state["decisions"]]
    (2, 'LRGuardCallback#0', ['LRG021'])
    >>> resumed = RunLog("hf", logging.getLogger("demo"), instance="LRGuardCallback#0")
    >>> resumed.restore(state)
    {'floor': {'bad_evals': 2}}
    >>> resumed.emit(warn), len(resumed.records)  # resumed: neither repeated nor lost
    (None, 1)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lrguard.decision_log import DecisionLog
from lrguard.findings import Action, Decision, Severity
from lrguard.numbers import fmt

SCHEMA = 2
"""Version of :meth:`RunLog.resume_state` (1: no ``instance`` key)."""

RESERVED = ("schema", "instance", "decisions", "schedule")
"""Keys of the resume state that belong to the run log, not to an integration's counters."""


def instance_key(name: str, index: int) -> str:
    """The key of one guard instance: its class name and its position among the trainer's
    guards of that class (the same in a resumed run built the same way).

    Example:
        >>> instance_key("LRGuardCallback", 1)
        'LRGuardCallback#1'
    """
    return f"{name}#{index}"


def record_key(record: dict[str, Any]) -> tuple[str, str, str]:
    """What makes two records of a decision taken before training the same decision.

    Example:
        >>> record_key({"rule": "LRG002", "location": "min_lr", "action": "adjusted"})
        ('LRG002', 'min_lr', 'adjusted')
    """
    return (
        str(record.get("rule", "")),
        str(record.get("location", "")),
        str(record.get("action", "")),
    )


def latest_state(states: Sequence[Any], instance: str, position: int) -> dict[str, Any] | None:
    """The resume state of ``instance`` among saved ones, newest first.

    A trainer holding several guards of one class keeps a list of their states, and may
    append a fresh copy of each at every checkpoint; the newest entry of this instance wins.
    A state saved without an ``instance`` key (schema 1) is taken by its position.

    Args:
        states: the saved resume states (dicts; anything else is skipped).
        instance: this guard's :func:`instance_key`.
        position: this guard's index among the guards of its class.

    Example:
        >>> old = {"instance": "G#0", "decisions": [1]}
        >>> new = {"instance": "G#0", "decisions": [1, 2]}
        >>> latest_state([old, {"instance": "G#1"}, new], "G#0", 0) is new
        True
        >>> latest_state([{"decisions": []}, {"decisions": [3]}], "G#1", 1)
        {'decisions': [3]}
    """
    keyed = [s for s in states if isinstance(s, dict) and s.get("instance") == instance]
    if keyed:
        return keyed[-1]
    if 0 <= position < len(states):
        legacy = states[position]
        if isinstance(legacy, dict) and "instance" not in legacy:
            return legacy
    return None


class RunLog:
    """The decisions of one guarded run, on every process; lines and file on the main one.

    Args:
        framework: written into every record (``'flair'``, ``'hf'``).
        logger: where the log lines go (the integration's logger; no handlers configured).
        path: the JSON-lines file (``output_dir / log_file``), or None for none.
        main_process: this process logs and writes; others keep the records only.
        instance: this guard's :func:`instance_key`, written into the resume state.

    Attributes:
        records: every decision record of the run, in order (the same on every process).
        schedule: the facts of the schedule this run trains with (JSON-safe, saved in the
            resume state under ``schedule``); None: not recorded.
        resumed_schedule: the ``schedule`` of the state this run was restored from (the
            checkpoint's); None: not restored, or not recorded there.

    Example:
        >>> import logging
        >>> run = RunLog("flair", logging.getLogger("demo"), main_process=False)
        >>> _ = run.emit(anneal_decision(epoch=3, patience=1, before=[0.1], after=[0.05],
        ...                              floors=[1e-4]))
        >>> [r["rule"] for r in run.records], [r["epoch"] for r in run.take_pending()]
        (['LRG009'], [3])
        >>> run.take_pending()
        []
    """

    def __init__(
        self,
        framework: str,
        logger: logging.Logger,
        path: Path | None = None,
        *,
        main_process: bool = True,
        instance: str = "",
    ) -> None:
        self.framework = framework
        self.main_process = main_process
        self.instance = instance
        self.records: list[dict[str, Any]] = []
        self.schedule: dict[str, Any] | None = None
        self.resumed_schedule: dict[str, Any] | None = None
        self._pending: list[dict[str, Any]] = []
        self._said: set[str] = set()
        self._sink = DecisionLog(framework, logger, path if main_process else None)

    @property
    def path(self) -> Path | None:
        """The JSON-lines file written (None: none, or not the main process)."""
        return self._sink.path

    @property
    def logger(self) -> logging.Logger:
        """Where the log lines go."""
        return self._sink.logger

    def announce(self, decision: Decision) -> None:
        """Log ``decision`` now (main process only) without recording it: a warning due
        before the run's files exist. Record it later with ``emit(decision, echo=False)``."""
        if self.main_process:
            self._sink.announce(decision)

    def emit(self, decision: Decision, *, echo: bool = True) -> dict[str, Any] | None:
        """Record ``decision``: one line (unless ``echo`` is False: announced already, or
        said by the framework), one line of the file, one record, one entry for the trackers.

        Returns:
            The record, or None when a decision taken before training is recorded already.
        """
        decision = decision._replace(framework=decision.framework or self.framework)
        record = decision.to_record()
        if self.seen(decision):
            return None
        if self.main_process:
            self._sink.emit(decision, echo=echo)
        self.records.append(record)
        self._pending.append(record)
        return record

    def keep(self, decision: Decision) -> dict[str, Any] | None:
        """Record ``decision`` without a line, the file or the trackers: a decision known
        before the run starts (the run's records start afresh when it does).

        Returns:
            The record, or None when recorded already.
        """
        decision = decision._replace(framework=decision.framework or self.framework)
        if self.seen(decision):
            return None
        record = decision.to_record()
        self.records.append(record)
        return record

    def seen(self, decision: Decision) -> bool:
        """True for a decision taken before training whose rule, location and action are
        recorded already (training-time decisions, with a step or an epoch, are never)."""
        if decision.step is not None or decision.epoch is not None:
            return False
        key = record_key(decision.to_record())
        return any(record_key(r) == key for r in self.records)

    def say_once(self, topic: str, message: str, *args: Any) -> bool:
        """Log an INFO line about what the guard cannot check, once per run and topic, on the
        main process; True when it was said now."""
        if topic in self._said:
            return False
        self._said.add(topic)
        if self.main_process:
            self._sink.logger.info(message, *args)
        return True

    def take_pending(self) -> list[dict[str, Any]]:
        """The records not handed to the trackers yet (and forget them)."""
        pending, self._pending = self._pending, []
        return pending

    def resume_state(self, *, instance: str | None = None, **counters: Any) -> dict[str, Any]:
        """JSON-safe state for a checkpoint: the records, the instance's key, the schema
        version, the schedule's facts (when recorded) and the integration's ``counters``
        (e.g. ``floor=watch.to_dict()``).

        Args:
            instance: the guard's key now (default: the one given at construction).
            **counters: JSON-safe values of the integration, returned by ``restore``.

        Raises:
            ValueError: a counter named like a key of the run log (``schema``,
                ``instance``, ``decisions``, ``schedule``).
        """
        clash = set(counters) & set(RESERVED)
        if clash:
            raise ValueError(
                f"resume_state counters {sorted(clash)}: these keys belong to the run log. "
                "Fix: name the counters differently."
            )
        state: dict[str, Any] = {
            "schema": SCHEMA,
            "instance": self.instance if instance is None else instance,
            "decisions": list(self.records),
        }
        if self.schedule is not None:
            state["schedule"] = dict(self.schedule)
        return {**state, **counters}

    def restore(self, data: Any) -> dict[str, Any]:
        """Continue from a saved ``resume_state`` (tolerant of schema 1 and foreign input).

        The records saved become this run's records (not logged or written again, not sent
        to the trackers again); the saved schedule facts become ``resumed_schedule``; the
        integration's counters are returned.
        """
        if not isinstance(data, dict):
            return {}
        saved_schedule = data.get("schedule")
        self.resumed_schedule = dict(saved_schedule) if isinstance(saved_schedule, dict) else None
        saved = data.get("decisions") or []
        self.records[:] = [dict(r) for r in saved if isinstance(r, dict)]
        self._pending = []
        return {k: v for k, v in data.items() if k not in RESERVED}


# -- training-time events: their texts in one place ---------------------------------------


def _rates(values: Sequence[float]) -> str:
    text = ", ".join(fmt(float(v)) for v in values)
    return text if len(values) == 1 else f"[{text}]"


def anneal_decision(
    *,
    epoch: int,
    patience: int,
    before: Sequence[float],
    after: Sequence[float],
    floors: Sequence[float],
) -> Decision:
    """LRG009: a plateau annealed the rates (Flair's epochs).

    Example:
        >>> line = anneal_decision(epoch=4, patience=1, before=[0.1], after=[0.05],
        ...                        floors=[1e-4]).render()
        >>> for part in line.split(": "):
        ...     print(part)
        lrguard LRG009 [annealed at epoch 4] 2 evaluations without improvement (patience=1)
        learning rate 0.1 -> 0.05 (floor 0.0001).
    """
    return Decision(
        rule="LRG009",
        severity=Severity.INFO,
        action=Action.ANNEALED,
        message=f"{patience + 1} evaluations without improvement (patience={patience}): "
        f"learning rate {_rates(before)} -> {_rates(after)} (floor {_rates(floors)}).",
        before={"lr": list(before)},
        after={"lr": list(after)},
        epoch=epoch,
    )


def floor_stop_decision(
    *, epoch: int, patience: int, lrs: Sequence[float], floors: Sequence[float], best: str
) -> Decision:
    """LRG010 for a run counted in epochs (Flair): patience exhausted at the floor.

    Args:
        best: what the run keeps (e.g. ``'best-model.pt keeps the best epoch'``).

    Example:
        >>> stop = floor_stop_decision(epoch=9, patience=0, lrs=[1e-4], floors=[1e-4],
        ...                            best="no best model")
        >>> for part in stop.message.split(" with the "):
        ...     print(part)
        stopping after epoch 9: 1 evaluations without improvement (patience=0)
        learning rate at its floor 0.0001 (min 0.0001); no best model.
    """
    return Decision(
        rule="LRG010",
        severity=Severity.INFO,
        action=Action.STOPPED,
        message=f"stopping after epoch {epoch}: {patience + 1} evaluations without "
        f"improvement (patience={patience}) with the learning rate at its floor "
        f"{_rates(lrs)} (min {_rates(floors)}); {best}.",
        before={"lr": list(lrs)},
        after=None,
        epoch=epoch,
    )


def floor_reached_decision(
    *, step: int, lrs: Sequence[float], floors: Sequence[float], patience: int, schedule: str
) -> Decision:
    """LRG022 for a run counted in steps (Hugging Face plateau schedules): every rate is at
    its floor.

    Example:
        >>> noted = floor_reached_decision(step=10, lrs=[1e-6], floors=[1e-6], patience=1,
        ...                                schedule="reduce_lr_on_plateau")
        >>> for part in noted.message.split("; "):
        ...     print(part)
        learning rate 1e-06 reached min_lr=1e-06 (reduce_lr_on_plateau, patience=1)
        plateaus cannot lower it further.
    """
    return Decision(
        rule="LRG022",
        severity=Severity.INFO,
        action=Action.NOTED,
        message=f"learning rate {', '.join(fmt(lr) for lr in lrs)} reached min_lr="
        f"{', '.join(fmt(f) for f in floors)} ({schedule}, patience={patience}); plateaus "
        "cannot lower it further.",
        after={"lr": list(lrs)},
        step=step,
        location="lr_scheduler_kwargs.min_lr",
    )


def step_stop_decision(
    *,
    step: int,
    since: int | None,
    bad_evals: int,
    patience: int,
    lrs: Sequence[float],
    floors: Sequence[float],
    schedule: str,
) -> Decision:
    """LRG010 for a run counted in steps (Hugging Face plateau schedules, ``stop_at_floor``).

    Example:
        >>> stop = step_stop_decision(step=20, since=10, bad_evals=2, patience=1, lrs=[1e-6],
        ...                           floors=[1e-6], schedule="greedy")
        >>> for part in stop.message.split(" at the "):
        ...     print(part)
        2 evaluations without improvement (patience=1)
        floor min_lr=1e-06 since step 10 (greedy): stopping training at step 20.
    """
    return Decision(
        rule="LRG010",
        severity=Severity.INFO,
        action=Action.STOPPED,
        message=f"{bad_evals} evaluations without improvement (patience={patience}) at the "
        f"floor min_lr={', '.join(fmt(f) for f in floors)} since step {since} ({schedule}): "
        f"stopping training at step {step}.",
        before={"lr": list(lrs)},
        step=step,
        location="lr_scheduler_kwargs.min_lr",
    )


UNKNOWN_LENGTH_NOTE = (
    "lrguard: the training dataloader has no length (an IterableDataset or streaming "
    "data), so the steps per epoch are unknown: early-stopping patience is compared "
    "with the run's %s steps instead of an epoch, and evaluations of a metric-driven "
    "scheduler given to Trainer are not counted per epoch. The run is not changed."
)
"""What a run without steps per epoch leaves unchecked (``%s``: the run's ``max_steps``)."""


__all__ = [
    "SCHEMA",
    "UNKNOWN_LENGTH_NOTE",
    "RunLog",
    "anneal_decision",
    "floor_reached_decision",
    "floor_stop_decision",
    "instance_key",
    "latest_state",
    "record_key",
    "step_stop_decision",
]
