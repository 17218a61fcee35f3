"""``LRGuardCallback``: learning-rate guard rails for ``transformers.Trainer``."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from transformers import TrainerCallback
from transformers.trainer_callback import ExportableState

from hf_lrguard._args import build_plan, early_stopping_settings, is_pretrained, steps_per_epoch
from hf_lrguard._live import (
    improves,
    rebuild_schedule,
    spec_of,
    starting_rates,
    unwrap,
    what_differs,
)
from hf_lrguard._trackers import TrackerRelay
from hf_lrguard._user_scheduler import (
    REFUSAL_NOTE,
    check_user_scheduler,
    running_callbacks,
    running_trainer,
    scheduler_given_by_user,
)
from lrguard.adapters.hf_args import hf_changes
from lrguard.decide import decide
from lrguard.decision_log import DecisionLog
from lrguard.errors import LRGuardError
from lrguard.findings import Action, Decision
from lrguard.floor_watch import FloorWatch, observe
from lrguard.numbers import parse_number
from lrguard.policy import GuardPolicy, resolve_policy

logger = logging.getLogger(__name__)

FRAMEWORK = "hf"
SCHEMA = 1


def _changed_fields(decisions: list[Decision]) -> set[str]:
    return {f for d in decisions if d.action == Action.ADJUSTED for f in (d.after or {})}


def _key(record: dict[str, Any]) -> tuple[str, str, str]:
    return (record.get("rule", ""), record.get("location", ""), record.get("action", ""))


class LRGuardCallback(TrainerCallback, ExportableState):
    """Checks, fixes or refuses learning-rate settings before the first optimizer step.

    * ``on_init_end`` (``Trainer(callbacks=[...])``): checks ``TrainingArguments`` before the
      schedule exists and writes fixes into ``args``, so transformers builds the right one.
      Warnings are logged at once; every decision is recorded at ``on_train_begin``.
    * ``on_train_begin`` (also for ``trainer.add_callback``): checks what needs the step
      count (warmup, WSD phases), moves fixes into the already built schedule, then reads
      back the optimizer's rates and the built schedule: only a fix found there is logged as
      ``adjusted``; one the run does not use is logged as a warning saying why.
    * A scheduler passed as ``Trainer(optimizers=(optimizer, scheduler))`` (recognised with
      ``Trainer(callbacks=[...])`` and ``add_callback`` alike) is replayed for
      the run's steps at ``on_train_begin`` (``torch_lrguard.check_scheduler``; a
      ``ReduceLROnPlateau`` for the run's evaluations, in its worst case). Its findings
      are logged like every other decision; errors are refused before step 1 with the
      argument to change (lrguard does not rebuild a scheduler object it did not build).
    * ``on_evaluate``: for ``reduce_lr_on_plateau`` / ``greedy``, records when the rate
      reaches its floor and, with ``stop_at_floor=True``, stops once patience is exhausted
      there.

    Every run starts afresh: one instance can serve several trainers or ``train()`` calls.
    Every decision is logged once (world process zero) through ``logging``, appended to
    ``output_dir/lrguard.jsonl``, kept in the callback's entry of
    ``state.stateful_callbacks`` (saved in every checkpoint's and the final
    ``trainer_state.json``; read it back with ``hf_lrguard.saved_decisions``), and passed to
    the run's trackers (``report_to``) through their ``on_log``. ``state.log_history`` is left
    exactly as transformers writes it. A run resumed from a checkpoint continues the log
    without repeating it.

    A training dataloader without a length (an ``IterableDataset``, streaming data) trains
    exactly as without the guard; what needs the steps per epoch is then said once, at
    INFO level, and checked against the run's ``max_steps`` instead.

    ``on_violation='error'`` raises ``LRGuardError`` before any optimizer step, and before
    anything is adjusted.

    A callback added with ``add_callback`` only runs from ``on_train_begin``: settings that
    make transformers fail while building the schedule (unknown kwargs, a missing
    ``min_lr``) fail before it runs; pass it to ``Trainer(callbacks=[...])`` to catch those.

    Args:
        policy: a ``GuardPolicy``; or give its fields as keywords instead.
        **policy_keywords: ``on_violation``, ``adjust_strategy``, ``min_lr_ratio``,
            ``plateau_min_lr_ratio``, ``stop_at_floor``, ``log_file``, ``ignore``.

    Example:
        >>> from hf_lrguard import LRGuardCallback
        >>> LRGuardCallback(on_violation="warn", min_lr_ratio=0.01).policy.min_lr_ratio
        0.01
    """

    def __init__(self, policy: GuardPolicy | None = None, **policy_keywords: Any) -> None:
        self.policy = resolve_policy(policy, policy_keywords)
        self._preflight_decisions: list[Decision] = []
        self._user_scheduler = False
        self._user_optimizer: Any = None
        self._start_run(None)

    def _start_run(self, output_dir: str | None) -> None:
        """Forget everything about the previous run (decisions, floor counters, log)."""
        self.decisions: list[dict[str, Any]] = []
        self.floor = FloorWatch()
        self._log: DecisionLog | None = None
        self._unlogged: list[dict[str, Any]] = []
        self._trackers = TrackerRelay()
        self._output_dir = output_dir

    @property
    def records(self) -> list[dict[str, Any]]:
        """The JSON-lines records of this run's decisions (same as ``decisions``)."""
        return self.decisions

    # -- resume state (ExportableState) -------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Resume state for checkpoints: counters and decisions, with a schema version."""
        return {
            "args": self.policy.model_dump(mode="json", exclude_defaults=True),
            "attributes": {"resume_state": self.resume_state},
        }

    @property
    def resume_state(self) -> dict[str, Any]:
        """What a resumed run needs: the floor counters and the decisions taken so far."""
        return {"schema": SCHEMA, "floor": self.floor.to_dict(), "decisions": list(self.decisions)}

    @resume_state.setter
    def resume_state(self, data: Any) -> None:
        if not isinstance(data, dict):
            return
        self.floor = FloorWatch.from_dict(data.get("floor"))
        self.decisions = list(data.get("decisions", []) or [])

    # -- events ---------------------------------------------------------------------------
    def on_init_end(self, args, state, control, **kwargs):
        """Before the schedule exists: check ``args`` and write the fixes into them."""
        self._preflight_decisions = []
        self._start_run(args.output_dir)
        self._user_scheduler = kwargs.get("lr_scheduler") is not None
        self._user_optimizer = kwargs.get("optimizer")
        self._pretrained = is_pretrained(kwargs.get("model"))
        if self._user_scheduler:  # its checks need the run's steps: at on_train_begin
            return
        total = args.max_steps if args.max_steps and args.max_steps > 0 else None
        self._preflight_decisions = self._preflight(args, state, total)
        for decision in self._preflight_decisions:  # before transformers may fail to build
            if decision.action != Action.ADJUSTED:  # the schedule; recorded at on_train_begin
                if state.is_world_process_zero:
                    self._decision_log().announce(decision)
                self.decisions.append(replace(decision, framework=FRAMEWORK).to_record())

    def on_train_begin(self, args, state, control, **kwargs):
        """Before the first optimizer step: checks needing the step count, live fixes, and the
        read-back of what the run uses; then every pre-flight decision is logged."""
        self._start_run(args.output_dir)
        if state.global_step > 0:
            self._restore(state)
        announced = {id(d) for d in self._preflight_decisions if d.action != Action.ADJUSTED}
        decisions = list(self._preflight_decisions)  # (the run's records start afresh above)
        optimizer, scheduler = kwargs.get("optimizer"), kwargs.get("lr_scheduler")
        given = scheduler_given_by_user(running_trainer(self))
        if given is not None:  # also for trainer.add_callback(...), where on_init_end never ran
            self._user_scheduler = given
            if given:  # its checks are the replay's, not those of args' schedule
                self._preflight_decisions = []
        extra = {}
        loader = kwargs.get("train_dataloader")
        per_epoch = steps_per_epoch(loader, args.gradient_accumulation_steps)
        if per_epoch is not None:
            extra["steps_per_epoch"] = per_epoch
        elif loader is not None:
            self._note_unknown_length(args, state)
        if self._user_scheduler and scheduler is not None and optimizer is not None:
            decisions += self._check_user_scheduler(
                args, state, optimizer, scheduler, extra.get("steps_per_epoch")
            )
        if not self._user_scheduler and scheduler is not None and optimizer is not None:
            old_lr = parse_number(args.learning_rate).value
            late = self._preflight(args, state, state.max_steps, extra, earlier=decisions)
            changed = _changed_fields(late)
            starts = starting_rates(optimizer)
            scale = 1.0
            if changed:
                new_lr = parse_number(args.learning_rate).value
                if old_lr and new_lr and "learning_rate" in changed:
                    scale = new_lr / old_lr
                rebuild_schedule(
                    args, optimizer, scheduler, state.max_steps, scale, fresh=state.global_step == 0
                )
            decisions = self._read_back(
                decisions + late, args, optimizer, scheduler, state, [s * scale for s in starts]
            )
        for decision in decisions:
            self._emit(decision, state, echo=id(decision) not in announced)
        self._publish(state)  # always: a run resumed from a checkpoint without the guard's
        # entry in stateful_callbacks would otherwise fail at its next checkpoint (KeyError)

    def on_train_end(self, args, state, control, **kwargs):
        """The decisions of the whole run into ``state.stateful_callbacks``, so that
        ``trainer.save_state()`` writes them into the final ``trainer_state.json``."""
        self._publish(state)

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        """Plateau schedules: note the floor; stop when patience is exhausted there."""
        scheduler = kwargs.get("lr_scheduler")
        spec = spec_of(args)
        if self._user_scheduler or spec is None or not spec.metric_driven:
            return
        if scheduler is None or not metrics or args.metric_for_best_model is None:
            return
        key = args.metric_for_best_model
        key = key if key.startswith("eval_") else f"eval_{key}"
        value = metrics.get(key)
        if value is None:
            return
        optimizer = unwrap(kwargs.get("optimizer") or scheduler.optimizer)
        self.floor, decisions = observe(
            self.floor,
            step=state.global_step,
            lrs=[float(g["lr"]) for g in optimizer.param_groups],
            floors=[float(m) for m in scheduler.min_lrs],
            improved=improves(scheduler, float(value)),
            patience=int(scheduler.patience),
            stop_at_floor=self.policy.stop_at_floor,
            schedule=spec.name,
            eps=float(getattr(scheduler, "eps", 1e-8)),
        )
        for decision in decisions:
            self._emit(decision, state)
        if self.floor.stopped:
            control.should_training_stop = True
        self._publish(state)

    # -- internals ------------------------------------------------------------------------
    def _refusal_note(self) -> str:
        """Why a faulty replayed scheduler is refused rather than rebuilt (appended to the
        refusal)."""
        return REFUSAL_NOTE

    def _check_user_scheduler(self, args, state, optimizer, scheduler, per_epoch):
        """Replay the scheduler given to Trainer; refuse (logged, raised) on an error."""
        result = check_user_scheduler(
            args, state, optimizer, scheduler, self.policy, FRAMEWORK, per_epoch
        )
        if result is None:
            return []
        if result.error is not None:
            for decision in result.decisions:
                self._emit(decision, state)
            self._publish(state)
            raise LRGuardError(f"{result.error}\n  {self._refusal_note()}", result.error.findings)
        return result.decisions

    def _preflight(self, args, state, total, extra=None, earlier=()) -> list[Decision]:
        """Check ``args``, write the fixes into them, and return the decisions (not yet
        logged: adjustments are logged once they are read back). A refusal is logged and
        raised at once, with the decisions taken before it."""
        extra = dict(extra or {})
        extra["pretrained"] = getattr(self, "_pretrained", None)
        extra.update(early_stopping_settings(self._trainer_callbacks(state)))
        plan = build_plan(args, total, optimizer=self._user_optimizer, extra=extra)
        result = decide(plan, self.policy, FRAMEWORK)
        if result.error is not None:
            for decision in [*earlier, *result.decisions]:
                self._emit(decision, state)
            self._publish(state)
            raise result.error
        for field, value in hf_changes(plan, result.plan).items():
            setattr(args, field, value)
        return result.decisions

    def _read_back(self, decisions, args, optimizer, scheduler, state, starts) -> list[Decision]:
        """Keep ``adjusted`` only for fixes the run actually uses (see ``what_differs``);
        the others become warnings saying why. (``on_violation='error'`` refuses every
        fixable finding before anything is adjusted, so there is nothing to raise here.)"""
        if not any(d.action == Action.ADJUSTED for d in decisions):
            return decisions
        peak = None
        if "learning_rate" in _changed_fields(decisions):
            peak = float(args.learning_rate)
        problem = what_differs(
            args, optimizer, scheduler, state.max_steps, starts=starts, peak=peak
        )
        return [d.not_applied(problem) for d in decisions]

    def _emit(self, decision: Decision, state, echo: bool = True) -> None:
        record = replace(decision, framework=FRAMEWORK).to_record()
        if decision.step is None and _key(record) in {_key(r) for r in self.decisions}:
            return  # logged already: at on_init_end and again at on_train_begin, or resumed
        if state.is_world_process_zero:
            self._decision_log().emit(decision, echo=echo)
        self.decisions.append(record)
        self._unlogged.append(record)

    def _decision_log(self) -> DecisionLog:
        if self._log is None:
            path = None
            if self.policy.log_file and self._output_dir:
                path = Path(self._output_dir) / self.policy.log_file
            self._log = DecisionLog(FRAMEWORK, logger, path)
        return self._log

    def _note_unknown_length(self, args, state) -> None:
        """Say once (INFO) what cannot be checked without the number of steps per epoch."""
        strategy = str(getattr(args.eval_strategy, "value", args.eval_strategy))
        if strategy == "no" or not state.is_world_process_zero:
            return  # nothing of the checks counts in epochs without evaluation
        logger.info(
            "lrguard: the training dataloader has no length (an IterableDataset or streaming "
            "data), so the steps per epoch are unknown: early-stopping patience is compared "
            "with the run's %s steps instead of an epoch, and evaluations of a metric-driven "
            "scheduler given to Trainer are not counted per epoch. The run is not changed.",
            state.max_steps,
        )

    def _trainer_callbacks(self, state) -> Any:
        """The running trainer's callbacks (``stateful_callbacks`` only when they cannot be
        reached and no step has run: after a resume that mapping is the checkpoint's)."""
        callbacks = running_callbacks(self)
        if callbacks is not None:
            return callbacks
        if state.global_step == 0:
            return getattr(state, "stateful_callbacks", None)
        return None

    def _instance_index(self) -> int:
        """Which of the trainer's callbacks of this class this one is (their saved states
        are a list in ``stateful_callbacks`` when there are several)."""
        mine = [c for c in running_callbacks(self) or () if type(c) is type(self)]
        return next((i for i, c in enumerate(mine) if c is self), 0)

    def _publish(self, state) -> None:
        """Keep the records in ``state.stateful_callbacks`` (``trainer_state.json``) and hand
        the new ones to the trackers; ``state.log_history`` is never touched."""
        saved = getattr(state, "stateful_callbacks", None)
        if isinstance(saved, dict):
            name, mine = type(self).__name__, self.state()
            current = saved.get(name)
            if isinstance(current, list):
                index = self._instance_index()
                if index < len(current):
                    current[index] = mine
                else:
                    current.append(mine)
            else:
                saved[name] = mine
        self._trackers.send(self._unlogged, state)
        self._unlogged.clear()

    def _restore(self, state) -> None:
        saved = (getattr(state, "stateful_callbacks", None) or {}).get(type(self).__name__)
        if isinstance(saved, list):
            index = self._instance_index()
            saved = saved[index] if index < len(saved) else None
        if isinstance(saved, dict):
            self.resume_state = (saved.get("attributes") or {}).get("resume_state")


def saved_decisions(source: Any) -> list[dict[str, Any]]:
    """The guard's decision records kept in a ``trainer_state.json``.

    Args:
        source: a path to ``trainer_state.json`` (or to the folder holding it), a
            ``TrainerState``, or the parsed JSON as a dict.

    Returns:
        The records of every ``LRGuardCallback`` of the run, in order (``[]`` without one).

    Example:
        >>> saved_decisions({"stateful_callbacks": {"LRGuardCallback": {"attributes": {
        ...     "resume_state": {"decisions": [{"rule": "LRG002"}]}}}}})
        [{'rule': 'LRG002'}]
    """
    import json

    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            path = path / "trainer_state.json"
        source = json.loads(path.read_text(encoding="utf-8"))
    saved = source.get("stateful_callbacks") if isinstance(source, dict) else None
    if saved is None:
        saved = getattr(source, "stateful_callbacks", None)
    records: list[dict[str, Any]] = []
    for name, entry in (saved or {}).items():
        if not name.endswith("GuardCallback"):  # LRGuardCallback and its subclasses
            continue
        seen: set[str] = set()  # transformers appends a copy per checkpoint to such a list
        for one in entry if isinstance(entry, list) else [entry]:
            resume = ((one or {}).get("attributes") or {}).get("resume_state") or {}
            for record in resume.get("decisions") or []:
                key = json.dumps(record, sort_keys=True, default=str)
                if key not in seen:
                    seen.add(key)
                    records.append(record)
    return records
