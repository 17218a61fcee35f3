"""``LRGuardCallback``: learning-rate guard rails for ``transformers.Trainer``."""

from __future__ import annotations

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
from hf_lrguard._logging import get_logger
from hf_lrguard._resume import resume_decisions
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
from lrguard.errors import LRGuardError
from lrguard.findings import Action, Decision
from lrguard.floor_watch import FloorWatch, observe
from lrguard.numbers import parse_number
from lrguard.policy import GuardPolicy, resolve_policy
from lrguard.run_log import UNKNOWN_LENGTH_NOTE, RunLog, instance_key, latest_state

logger = get_logger(__name__)

FRAMEWORK = "hf"


def _changed_fields(decisions: list[Decision]) -> set[str]:
    return {f for d in decisions if d.action == Action.ADJUSTED for f in (d.after or {})}


def _resume_of(entry: Any) -> Any:
    """The ``resume_state`` inside one ``stateful_callbacks`` entry (None when absent)."""
    return (
        ((entry or {}).get("attributes") or {}).get("resume_state")
        if isinstance(entry, dict)
        else None
    )


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
    without repeating or losing a decision; several guards on one trainer each keep their
    own resume state (keyed by their position among the trainer's guards of their class).
    The bookkeeping is ``lrguard.run_log.RunLog``'s; the callback does the transformers part.

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
        self._pretrained: bool | None = None
        self._start_run(None, main_process=True)

    def _start_run(self, output_dir: str | None, *, main_process: bool) -> None:
        """Forget everything about the previous run (decisions, floor counters, log)."""
        path = None
        if self.policy.log_file and output_dir:
            path = Path(output_dir) / self.policy.log_file
        self.run_log = RunLog(FRAMEWORK, logger, path, main_process=main_process)
        self.floor = FloorWatch()
        self._trackers = TrackerRelay()
        self._missing_metric_said = False

    @property
    def decisions(self) -> list[dict[str, Any]]:
        """The JSON-lines records of this run's decisions, on every process."""
        return self.run_log.records

    @property
    def records(self) -> list[dict[str, Any]]:
        """The JSON-lines records of this run's decisions (same as ``decisions``)."""
        return self.run_log.records

    # -- resume state (ExportableState) -------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Resume state for checkpoints: counters and decisions, with a schema version."""
        return {
            "args": self.policy.model_dump(mode="json", exclude_defaults=True),
            "attributes": {"resume_state": self.resume_state},
        }

    @property
    def resume_state(self) -> dict[str, Any]:
        """What a resumed run needs: the floor counters and the decisions taken so far,
        keyed by this instance (``RunLog.resume_state``)."""
        return self.run_log.resume_state(instance=self._instance(), floor=self.floor.to_dict())

    @resume_state.setter
    def resume_state(self, data: Any) -> None:
        counters = self.run_log.restore(data)
        self.floor = FloorWatch.from_dict(counters.get("floor"))

    # -- events ---------------------------------------------------------------------------
    def on_init_end(self, args, state, control, **kwargs):
        """Before the schedule exists: check ``args`` and write the fixes into them."""
        self._preflight_decisions = []
        self._start_run(args.output_dir, main_process=state.is_world_process_zero)
        self._user_scheduler = kwargs.get("lr_scheduler") is not None
        self._user_optimizer = kwargs.get("optimizer")
        self._pretrained = is_pretrained(kwargs.get("model"))
        if self._user_scheduler:  # its checks need the run's steps: at on_train_begin
            return
        total = args.max_steps if args.max_steps and args.max_steps > 0 else None
        self._preflight_decisions = self._preflight(args, state, total)
        for decision in self._preflight_decisions:  # before transformers may fail to build
            if decision.action != Action.ADJUSTED:  # the schedule; recorded at on_train_begin
                self.run_log.announce(decision)
                self.run_log.keep(decision)

    def on_train_begin(self, args, state, control, **kwargs):
        """Before the first optimizer step: checks needing the step count, live fixes, and the
        read-back of what the run uses; then every pre-flight decision is logged."""
        self._start_run(args.output_dir, main_process=state.is_world_process_zero)
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
        decisions += resume_decisions(self, args, state, optimizer, scheduler, decisions)
        for decision in decisions:
            self.run_log.emit(decision, echo=id(decision) not in announced)
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
            self._say_missing_metric(args.metric_for_best_model, key, metrics)
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
            self.run_log.emit(decision)
        if self.floor.stopped:
            control.should_training_stop = True
        self._publish(state)

    # -- internals ------------------------------------------------------------------------
    def _say_missing_metric(self, name: str, key: str, metrics: dict[str, Any]) -> None:
        """Once per run: the plateau metric is not among the evaluation's metrics, so the
        floor is not watched at this evaluation; name the keys that are there."""
        if self._missing_metric_said or not any(str(k).startswith("eval_") for k in metrics):
            return  # said already, or an evaluation under another prefix (test_ ...)
        self._missing_metric_said = True
        present = ", ".join(sorted(str(k) for k in metrics)) or "none"
        logger.warning(
            "metric_for_best_model=%r is read as %r, which this evaluation did not report "
            "(its metrics: %s): the plateau floor is not watched until it does. Set "
            "metric_for_best_model to one of those keys (without the eval_ prefix), or return "
            "%r from compute_metrics.",
            name,
            key,
            present,
            key.removeprefix("eval_"),
        )

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
                self.run_log.emit(decision)
            self._publish(state)
            raise LRGuardError(f"{result.error}\n  {self._refusal_note()}", result.error.findings)
        return result.decisions

    def _preflight(self, args, state, total, extra=None, earlier=()) -> list[Decision]:
        """Check ``args``, write the fixes into them, and return the decisions (not yet
        logged: adjustments are logged once they are read back). A refusal is logged and
        raised at once, with the decisions taken before it."""
        extra = dict(extra or {})
        extra["pretrained"] = self._pretrained
        extra.update(early_stopping_settings(self._trainer_callbacks(state)))
        plan = build_plan(args, total, optimizer=self._user_optimizer, extra=extra)
        result = decide(plan, self.policy, FRAMEWORK)
        if result.error is not None:
            for decision in [*earlier, *result.decisions]:
                self.run_log.emit(decision)
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

    def _note_unknown_length(self, args, state) -> None:
        """Say once (INFO) what cannot be checked without the number of steps per epoch."""
        strategy = str(getattr(args.eval_strategy, "value", args.eval_strategy))
        if strategy == "no":
            return  # nothing of the checks counts in epochs without evaluation
        self.run_log.say_once("steps-per-epoch-unknown", UNKNOWN_LENGTH_NOTE, state.max_steps)

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

    def _instance(self) -> str:
        """This guard's key in the resume state (``lrguard.run_log.instance_key``)."""
        return instance_key(type(self).__name__, self._instance_index())

    def _publish(self, state) -> None:
        """Keep the records in ``state.stateful_callbacks`` (``trainer_state.json``) and hand
        the new ones to the trackers; ``state.log_history`` is never touched.

        With several guards of one class the entry is a list, to which transformers appends
        every guard's state at each checkpoint: this guard's newest entry is replaced (its
        position when none carries its key yet)."""
        saved = getattr(state, "stateful_callbacks", None)
        if isinstance(saved, dict):
            name, mine = type(self).__name__, self.state()
            current = saved.get(name)
            if isinstance(current, list):
                key = mine["attributes"]["resume_state"]["instance"]
                own = [
                    i for i, e in enumerate(current) if (_resume_of(e) or {}).get("instance") == key
                ]
                index = own[-1] if own else self._instance_index()
                if index < len(current):
                    current[index] = mine
                else:
                    current.append(mine)
            else:
                saved[name] = mine
        self._trackers.send(self.run_log.take_pending(), state)

    def _restore(self, state) -> None:
        """Continue this guard's log from the checkpoint's ``stateful_callbacks``."""
        saved = (getattr(state, "stateful_callbacks", None) or {}).get(type(self).__name__)
        entries = saved if isinstance(saved, list) else [saved]
        states = [_resume_of(e) for e in entries]
        self.resume_state = latest_state(states, self._instance(), self._instance_index())


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
