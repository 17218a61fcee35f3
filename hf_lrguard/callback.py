"""``LRGuardCallback``: learning-rate guard rails for ``transformers.Trainer``."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from transformers import TrainerCallback
from transformers.trainer_callback import ExportableState

from hf_lrguard._args import build_plan, early_stopping_settings
from hf_lrguard._live import improves, is_plateau_like, rebuild_schedule, unwrap
from hf_lrguard._trackers import TrackerRelay
from lrguard.adapters.hf_args import hf_changes
from lrguard.decide import decide
from lrguard.decision_log import DecisionLog
from lrguard.findings import Decision
from lrguard.floor_watch import FloorWatch, observe
from lrguard.numbers import parse_number
from lrguard.policy import GuardPolicy, resolve_policy

logger = logging.getLogger(__name__)

FRAMEWORK = "hf"
SCHEMA = 1


class LRGuardCallback(TrainerCallback, ExportableState):
    """Checks, fixes or refuses learning-rate settings before the first optimizer step.

    * ``on_init_end`` (``Trainer(callbacks=[...])``): checks ``TrainingArguments`` before the
      schedule exists and writes fixes into ``args``, so transformers builds the right one.
    * ``on_train_begin`` (also for ``trainer.add_callback``): checks what needs the step
      count (warmup, WSD phases) and moves fixes into the already built schedule, effective
      from step 1.
    * ``on_evaluate``: for ``reduce_lr_on_plateau`` / ``greedy``, records when the rate
      reaches its floor and, with ``stop_at_floor``, stops once patience is exhausted there.

    Every decision is logged once (world process zero) through ``logging``, appended to
    ``output_dir/lrguard.jsonl`` and to ``state.log_history``, and passed to the run's trackers
    (``report_to``) through ``on_log``. ``on_violation='error'`` raises ``LRGuardError``
    before any optimizer step.

    A callback added with ``add_callback`` only runs from ``on_train_begin``: settings that
    make transformers fail while building the schedule (unknown kwargs, a missing
    ``min_lr``) fail before it runs; pass it to ``Trainer(callbacks=[...])`` to catch those.

    Args:
        policy: a ``GuardPolicy``; or give its fields as keywords instead.
        **policy_keywords: ``on_violation``, ``adjust_strategy``, ``min_lr_ratio``,
            ``stop_at_floor``, ``log_file``, ``ignore``.

    Example:
        >>> from hf_lrguard import LRGuardCallback
        >>> LRGuardCallback(on_violation="warn", min_lr_ratio=0.01).policy.min_lr_ratio
        0.01
    """

    def __init__(self, policy: GuardPolicy | None = None, **policy_keywords: Any) -> None:
        self.policy = resolve_policy(policy, policy_keywords)
        self.records: list[dict[str, Any]] = []
        self.floor = FloorWatch()
        self._log: DecisionLog | None = None
        self._seen: set[tuple[str, str, str]] = set()
        self._unlogged: list[dict[str, Any]] = []
        self._user_scheduler = False
        self._user_optimizer: Any = None
        self._output_dir: str | None = None
        self._trackers = TrackerRelay()

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
        return {"schema": SCHEMA, "floor": self.floor.to_dict(), "decisions": list(self.records)}

    @resume_state.setter
    def resume_state(self, data: Any) -> None:
        if not isinstance(data, dict):
            return
        self.floor = FloorWatch.from_dict(data.get("floor"))
        self.records = list(data.get("decisions", []) or [])

    # -- events ---------------------------------------------------------------------------
    def on_init_end(self, args, state, control, **kwargs):
        """Before the schedule exists: check ``args`` and write the fixes into them."""
        self._output_dir = args.output_dir
        self._user_scheduler = kwargs.get("lr_scheduler") is not None
        self._user_optimizer = kwargs.get("optimizer")
        if self._user_scheduler:
            logger.info("lrguard: a scheduler was passed to Trainer; schedule checks skipped.")
            return
        total = args.max_steps if args.max_steps and args.max_steps > 0 else None
        self._preflight(args, state, total, self._user_optimizer)

    def on_train_begin(self, args, state, control, **kwargs):
        """Before the first optimizer step: checks needing the step count; live fixes."""
        self._output_dir = args.output_dir
        if state.global_step > 0:
            self._restore(state)
        optimizer, scheduler = kwargs.get("optimizer"), kwargs.get("lr_scheduler")
        if not self._user_scheduler and scheduler is not None and optimizer is not None:
            extra = {}
            loader = kwargs.get("train_dataloader")
            if loader is not None and hasattr(loader, "__len__"):
                per_epoch = max(len(loader) // max(args.gradient_accumulation_steps, 1), 1)
                extra["steps_per_epoch"] = per_epoch
            old_lr = parse_number(args.learning_rate).value
            changes = self._preflight(args, state, state.max_steps, self._user_optimizer, extra)
            if changes:
                new_lr = parse_number(args.learning_rate).value
                scale = new_lr / old_lr if old_lr and new_lr and "learning_rate" in changes else 1.0
                rebuild_schedule(
                    args, optimizer, scheduler, state.max_steps, scale, fresh=state.global_step == 0
                )
        self._flush_history(state)

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        """Plateau schedules: note the floor; stop when patience is exhausted there."""
        scheduler = kwargs.get("lr_scheduler")
        if not is_plateau_like(scheduler) or not metrics or args.metric_for_best_model is None:
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
            schedule=str(getattr(args.lr_scheduler_type, "value", args.lr_scheduler_type)),
            eps=float(getattr(scheduler, "eps", 1e-8)),
        )
        for decision in decisions:
            self._emit(decision, state)
        if self.floor.stopped:
            control.should_training_stop = True
        self._flush_history(state)

    # -- internals ------------------------------------------------------------------------
    def _preflight(self, args, state, total, optimizer, extra=None) -> dict[str, Any]:
        extra = dict(extra or {})
        extra.update(early_stopping_settings(getattr(state, "stateful_callbacks", None)))
        plan = build_plan(args, total, optimizer=optimizer, extra=extra)
        result = decide(plan, self.policy, FRAMEWORK)
        for decision in result.decisions:
            self._emit(decision, state)
        if result.error is not None:
            raise result.error
        changes = hf_changes(plan, result.plan)
        for field, value in changes.items():
            setattr(args, field, value)
        return changes

    def _emit(self, decision: Decision, state) -> None:
        key = (decision.rule, decision.location, decision.action.value)
        if decision.step is None and key in self._seen:
            return  # the same pre-flight finding again at on_train_begin
        self._seen.add(key)
        if state.is_world_process_zero:
            record = self._decision_log(state).emit(decision)
        else:
            record = replace(decision, framework=FRAMEWORK).to_record()
        self.records.append(record)
        self._unlogged.append(record)

    def _decision_log(self, state) -> DecisionLog:
        if self._log is None:
            path = None
            if self.policy.log_file and self._output_dir:
                path = Path(self._output_dir) / self.policy.log_file
            self._log = DecisionLog(FRAMEWORK, logger, path)
        return self._log

    def _flush_history(self, state) -> None:
        for record in self._unlogged:
            state.log_history.append({"lrguard": record, "step": state.global_step})
        self._trackers.send(self._unlogged, state)
        self._unlogged.clear()

    def _restore(self, state) -> None:
        saved = (getattr(state, "stateful_callbacks", None) or {}).get(type(self).__name__)
        if isinstance(saved, list):
            saved = saved[0] if saved else None
        if isinstance(saved, dict):
            self.resume_state = (saved.get("attributes") or {}).get("resume_state")
        self._seen |= {
            (r.get("rule", ""), r.get("location", ""), r.get("action", ""))
            for r in self.records
            if r.get("step") is None
        }
