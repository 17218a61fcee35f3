"""``LRGuardPlugin``: Flair plateau annealing that validates first and stops only on patience."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import flair
from flair.trainers.plugins import AnnealingPlugin, TrainerPlugin, TrainingInterrupt
from flair.trainers.plugins.metric_records import MetricRecord
from pydantic import BaseModel, ConfigDict, Field

from flair_lrguard.call import (
    TrainCall,
    describe_call,
    find_train_custom_locals,
    neutralize,
    restore,
)
from flair_lrguard.schedulers import Driver, batches_per_epoch, drivers, world_size
from lrguard import (
    GuardPolicy,
    LRGuardError,
    Preflight,
    decide,
)
from lrguard.adapters.flair_kwargs import flair_plan
from lrguard.annealing import PlateauOutcome, PlateauState, plateau_step
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.policy import resolve_policy
from lrguard.rules.lrg004_number_as_string import CODE as NUMBER_AS_STRING
from lrguard.run_log import RunLog, anneal_decision, floor_stop_decision
from torch_lrguard.check import preflight as replay_preflight
from torch_lrguard.check import scheduler_plan

log = logging.getLogger("flair.lrguard")
"""The guard's own lines: its decisions."""

flair_log = logging.getLogger("flair")
"""Lines the guard writes in place of Flair's AnnealingPlugin (same text, same logger), so
that silencing ``flair.lrguard`` silences the guard and nothing of Flair's."""


def fine_tunes_pretrained(model: Any) -> bool:
    """True when ``model`` fine-tunes transformer embeddings (``fine_tune=True``): its rate is
    then judged as fine-tuning a pretrained model (LRG091), otherwise as training from
    scratch (the trained layers are new; classic embeddings stay fixed)."""
    from flair.embeddings import TransformerEmbeddings

    return any(
        isinstance(module, TransformerEmbeddings) and bool(getattr(module, "fine_tune", False))
        for module in model.modules()
    )


STATE_SCHEMA = 1

UNFIXABLE_IN_FLAIR = (NUMBER_AS_STRING,)
"""Flair builds its optimizer from ``learning_rate`` before any plugin hook can change it,
so a learning rate given as a string cannot be coerced: it is refused with the fix."""

SCHEDULER_REFUSAL_NOTE = (
    "lrguard does not rebuild a scheduler that a plugin builds and steps: change its "
    "arguments (or fine_tune's warmup_fraction / max_epochs) as the fix says."
)


class AnnealingSettings(BaseModel):
    """Annealing settings given to the plugin itself (None: adopt Flair's, or its defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_learning_rate: float | list[float] | None = Field(default=None)
    anneal_factor: float | None = Field(default=None, gt=0.0, lt=1.0)
    patience: int | None = Field(default=None, ge=0)
    initial_extra_patience: int | None = Field(default=None, ge=0)
    anneal_with_restarts: bool | None = Field(default=None)

    def given(self) -> dict[str, Any]:
        """The settings that were set explicitly."""
        return self.model_dump(exclude_none=True)


class LRGuardPlugin(TrainerPlugin):
    """Replaces Flair's AnnealOnPlateau: validates learning rates before epoch 1, anneals like
    Flair but never below the floor, and stops only when patience is exhausted at the floor.

    Pass it to ``ModelTrainer.train(plugins=[LRGuardPlugin()])`` (it takes over the default
    AnnealingPlugin and its settings), to ``train_custom`` (validation and logging only, as
    stock ``train_custom`` keeps the rate constant; it anneals when given any annealing
    setting, e.g. ``LRGuardPlugin(patience=3)``) or to ``fine_tune`` (validation and logging
    only; the linear schedule is untouched).

    Args:
        policy: a ``GuardPolicy``; or give its fields as keywords instead
            (``on_violation``, ``adjust_strategy``, ``min_lr_ratio``, ...).
        min_learning_rate: floor per param group (float or list); default: the one given to
            ``train()``, else Flair's 1e-4.
        anneal_factor: lr multiplier on a plateau; default: ``train()``'s, else 0.5.
        patience: bad evaluations tolerated before annealing; default: ``train()``'s, else 3.
        initial_extra_patience: extra patience before the first anneal.
        anneal_with_restarts: reload the best model after each anneal.
        **policy_keywords: ``GuardPolicy`` fields.

    Raises:
        pydantic.ValidationError: a setting is invalid (named in the message).

    Example:
        >>> plugin = LRGuardPlugin(on_violation="warn", min_lr_ratio=0.01)
        >>> plugin.policy.on_violation
        'warn'
    """

    def __init__(
        self,
        policy: GuardPolicy | None = None,
        *,
        min_learning_rate: float | list[float] | None = None,
        anneal_factor: float | None = None,
        patience: int | None = None,
        initial_extra_patience: int | None = None,
        anneal_with_restarts: bool | None = None,
        **policy_keywords: Any,
    ) -> None:
        super().__init__()
        self.policy = resolve_policy(policy, policy_keywords)
        self.settings = AnnealingSettings(
            min_learning_rate=min_learning_rate,
            anneal_factor=anneal_factor,
            patience=patience,
            initial_extra_patience=initial_extra_patience,
            anneal_with_restarts=anneal_with_restarts,
        )
        self._reset_run()

    # -- run state ---------------------------------------------------------------------------

    def _reset_run(self) -> None:
        self.call: TrainCall | None = None
        self.plan: TrainingPlan | None = None
        self.preflight: Preflight | None = None
        self.run_log = RunLog("flair", log)  # replaced by the run's own at after_setup
        self.floors: tuple[float, ...] = ()
        self.state: PlateauState | None = None
        self.stop_reason: str | None = None
        self._base_path: Path | None = None
        self._run_length: dict[str, Any] = {}
        self._schedules_checked = False
        self._finished = False
        self._leftover_floors: dict[int, tuple[AnnealingPlugin, Any]] = {}

    @property
    def decisions(self) -> list[dict[str, Any]]:
        """The JSON-lines records of this run's decisions so far (on every process; only
        the main one logs them and writes ``lrguard.jsonl``)."""
        return self.run_log.records

    # -- attaching: the pre-flight check ------------------------------------------------------

    def attach_to(self, pluggable: Any) -> None:
        """Check the call's learning rates, then attach (again, for a second ``train()``).

        Raises:
            LRGuardError: the policy refuses the run; nothing has been trained.
        """
        if self.pluggable is not None:
            self.detach()  # the same instance used for another train() call
        self._reset_run()
        values = find_train_custom_locals(pluggable)
        if values is not None:
            guards = [p for p in values.get("plugins") or [] if isinstance(p, LRGuardPlugin)]
            if len({id(p) for p in guards}) > 1:
                raise LRGuardError(
                    f"plugins holds {len(guards)} LRGuardPlugin instances: each would anneal "
                    "the same optimizer and keep its own floor. Pass one LRGuardPlugin."
                )
            self._preflight(self._describe(values), pluggable)
        super().attach_to(pluggable)

    def _describe(self, values: dict[str, Any]) -> TrainCall:
        return describe_call(values, annealing_given=bool(self.settings.given()))

    def _preflight(self, call: TrainCall, trainer: Any, *, neutralize_now: bool = True) -> None:
        if neutralize_now:  # else before_training_epoch does it, outside their events
            for stock in call.stock_annealing:
                neutralize(stock)
        self.call = call
        kwargs = {**call.kwargs, **call.adopted, **self.settings.given()}
        self.plan = flair_plan(  # taking over Flair's annealing, the plan keeps Flair's mode
            kwargs,
            call.entry,
            has_dev=bool(trainer.corpus.dev),
            framework_version=flair.__version__,
            guard_annealing=kwargs if call.guard_anneals else None,
            guarded=True,
            pretrained=fine_tunes_pretrained(trainer.model),
        )
        self.preflight = decide(self.plan, self.policy, "flair", cannot_fix=UNFIXABLE_IN_FLAIR)
        if self.preflight.error is not None:
            base_path = call.kwargs.get("base_path")
            self._open_log(Path(base_path) if base_path is not None else None, trainer.model)
            for decision in self.preflight.decisions:
                self.run_log.emit(decision)
            raise self.preflight.error

    # -- hooks --------------------------------------------------------------------------------

    @TrainerPlugin.hook
    def after_setup(self, optimizer: Any = None, base_path: Any = None, **kw: Any) -> None:
        """Apply the pre-flight decisions to the optimizer and start the decision log."""
        if self._finished:  # still attached after its run, as Flair leaves plugins: inert
            return
        if self.preflight is None:  # attached outside train_custom: check now
            call = self._describe({**kw, "base_path": base_path})
            self._preflight(call, self.trainer, neutralize_now=False)
        if self.preflight is None or self.plan is None:
            return
        self._run_length = {
            key: kw.get(key) for key in ("dataset_size", "mini_batch_size", "max_epochs")
        }
        self._run_length["world_size"] = world_size(bool(kw.get("multi_gpu", False)))
        self._open_log(Path(base_path) if base_path is not None else None, self.model)
        self._disarm_leftovers()
        adjusted = self.preflight.plan
        groups = self.trainer.optimizer.param_groups
        if len(groups) != len(adjusted.param_groups):
            raise LRGuardError(
                f"the optimizer has {len(groups)} param groups, the training call implies "
                f"{len(adjusted.param_groups)} (decoder_learning_rate gives 2, else 1); "
                "LRGuardPlugin supports the optimizer ModelTrainer builds itself."
            )
        for group, planned, given in zip(
            groups, adjusted.param_groups, self.plan.param_groups, strict=True
        ):  # only what the pre-flight changed: a plugin's scheduler may have set the rate
            if float(planned.lr) != float(given.lr):
                group["lr"] = float(planned.lr)
        if adjusted.annealing is not None:
            self.floors = tuple(
                0.0 if g.min_lr is None else float(g.min_lr) for g in adjusted.param_groups
            )
            lrs = tuple(float(g["lr"]) for g in self.trainer.optimizer.param_groups)
            self.state = PlateauState.start(lrs, adjusted.annealing)
        problem = self._what_differs(adjusted)
        for decision in self.preflight.decisions:
            self.run_log.emit(decision.not_applied(problem))

    def _what_differs(self, planned: TrainingPlan) -> str | None:
        """Read back every param group's rate from the optimizer Flair trains with; None when
        they are the planned ones. (Floors need no read-back: the guard anneals with
        ``self.floors``, set from the same plan.)"""
        for index, (group, plan) in enumerate(
            zip(self.trainer.optimizer.param_groups, planned.param_groups, strict=True)
        ):
            if float(group["lr"]) != float(plan.lr):
                return f"param group {index} trains at {fmt(group['lr'])}, not {fmt(plan.lr)}"
        return None

    @TrainerPlugin.hook
    def before_training_epoch(self, epoch: int, **kw: Any) -> None:
        """Stop here, after the previous epoch's best model was saved, when patience ran out."""
        if self._finished:
            return
        if self.call is not None:
            for stock in self.call.stock_annealing:
                if stock.pluggable is not None:
                    neutralize(stock)
        if not self._schedules_checked:
            self._schedules_checked = True
            self._check_schedulers(epoch)
        if self.stop_reason is not None:
            raise TrainingInterrupt(self.stop_reason)

    # -- schedulers stepped by plugins: replayed before the first batch ------------------------

    def _check_schedulers(self, first_epoch: int) -> None:
        """Replay every scheduler a plugin of this run steps (Flair's ``LinearSchedulerPlugin``
        of ``fine_tune``, a user's plugin in ``train_custom``) for the run's steps, and
        decide on the trajectory rules' findings (LRG060 - LRG067).

        Runs at the first ``before_training_epoch``: every plugin's ``after_setup`` has built
        its scheduler, and no batch has been trained. Nothing is changed: an error is
        refused (logged, then raised) with the argument to change.

        Raises:
            LRGuardError: a finding the policy refuses.
        """
        if self.trainer is None or self.preflight is None:
            return
        for plugin in list(self.trainer.plugins):
            if plugin is self:
                continue
            for driver in drivers(plugin):
                scheduler = getattr(plugin, driver.attribute, None)
                if scheduler is None or not callable(getattr(scheduler, "step", None)):
                    continue
                self._replay(plugin, driver, scheduler, first_epoch)

    def _steps_left(self, driver: Driver, first_epoch: int) -> int | None:
        """How often the driver's scheduler will be stepped from ``first_epoch`` on."""
        length = self._run_length
        max_epochs = length.get("max_epochs")
        if not isinstance(max_epochs, int):
            return None
        epochs = max(max_epochs - first_epoch + 1, 0)
        if driver.per == "epoch":
            return epochs
        size, batch = length.get("dataset_size"), length.get("mini_batch_size")
        if not isinstance(size, int) or not isinstance(batch, int):
            return None
        return epochs * batches_per_epoch(size, batch, length.get("world_size", 1))

    def _replay(self, plugin: Any, driver: Driver, scheduler: Any, first_epoch: int) -> None:
        total = self._steps_left(driver, first_epoch)
        if total is None or total < 1:
            return
        plan = scheduler_plan(self.trainer.optimizer, scheduler, total, policy=self.policy)
        if plan.trajectory is not None:
            by = f"per {driver.per} by {type(plugin).__name__}.{driver.attribute}"
            plan = plan._replace(
                framework="flair",
                framework_version=flair.__version__,
                trajectory=replace(plan.trajectory, stepped_by=by),
            )
        result = replay_preflight(plan, self.policy, "flair")
        for decision in result.decisions:
            self.run_log.emit(decision)
        if result.error is not None:
            raise LRGuardError(f"{result.error}\n  {SCHEDULER_REFUSAL_NOTE}", result.error.findings)

    @TrainerPlugin.hook
    def after_evaluation(self, epoch: int, validation_scores: tuple = (), **kw: Any) -> None:
        """One plateau-annealing step on the evaluation's main score (aux: the dev loss).

        Like Flair's ``AnnealOnPlateau``, a reduction starts from the rates the optimizer has
        now, so a rate another plugin changed is annealed from where that plugin left it."""
        if self._finished or self.state is None or self.plan is None or not validation_scores:
            return
        settings = self.preflight.plan.annealing if self.preflight else None
        if settings is None:
            return
        metric = validation_scores[0]
        aux = validation_scores[1] if len(validation_scores) > 1 else None
        before = tuple(float(g["lr"]) for g in self.trainer.optimizer.param_groups)
        if before != self.state.lrs:
            self.state = replace(self.state, lrs=before)
        self.state, outcome = plateau_step(self.state, settings, self.floors, metric, aux)
        self._report_epoch(epoch, before, outcome, settings.patience)
        if outcome.reduced:
            for group, lr in zip(self.trainer.optimizer.param_groups, self.state.lrs, strict=True):
                group["lr"] = lr
            if settings.with_restarts:
                self._restore_best_model()
        if outcome.should_stop:
            self._stop(epoch, settings.patience)

    def _disarm_leftovers(self) -> None:
        """Turn off the stop of every ``AnnealingPlugin`` an earlier ``train()`` call left
        attached to this trainer (Flair never detaches plugins), for this run only.

        Such a plugin anneals this run too, and does so unchanged (stock Flair anneals twice per
        evaluation then; the rates stay stock's), but its ``lr < min_learning_rate`` check would
        end the run after an epoch whatever this call's settings are: the stop this guard
        exists to replace. ``finish`` gives each its ``min_learning_rate`` back.
        """
        own = {id(p) for p in self.call.stock_annealing} if self.call is not None else set()
        for plugin in list(self.trainer.plugins):
            if (
                isinstance(plugin, AnnealingPlugin)
                and plugin.pluggable is self.trainer
                and id(plugin) not in own
                and id(plugin) not in self._leftover_floors
            ):
                self._leftover_floors[id(plugin)] = (plugin, plugin.min_learning_rate)
                log.info(
                    "lrguard: an AnnealingPlugin left attached by an earlier train() call on "
                    "this trainer anneals this run too, as in stock Flair; its stop at "
                    f"min_learning_rate={plugin.min_learning_rate} is off for this run."
                )
                plugin.min_learning_rate = 0.0

    @TrainerPlugin.hook("after_training", "_training_exception")
    def finish(self, **kw: Any) -> None:
        """The run is over: give the ``AnnealingPlugin`` taken over back to the trainer (stock
        Flair leaves it attached, and a second ``train()`` on this trainer meets it), and stay
        inert while attached, as Flair leaves every plugin attached."""
        if self._finished:
            return
        self._finished = True
        for plugin, floor in self._leftover_floors.values():
            plugin.min_learning_rate = floor
        self._leftover_floors = {}
        if self.call is not None and self.trainer is not None:
            for stock in self.call.stock_annealing:
                restore(stock, self.trainer)

    # -- helpers ------------------------------------------------------------------------------

    def _report_epoch(
        self, epoch: int, before: tuple[float, ...], outcome: PlateauOutcome, patience: int
    ) -> None:
        if outcome.reduced and self.state is not None:
            flair_log.info(
                f" - {outcome.bad_epochs} epochs without improvement (above 'patience')"
                f"-> annealing learning_rate to {list(self.state.lrs)}"
            )
            self.run_log.emit(
                anneal_decision(
                    epoch=epoch,
                    patience=patience,
                    before=before,
                    after=self.state.lrs,
                    floors=self.floors,
                )
            )
        else:
            flair_log.info(f" - {outcome.bad_epochs} epochs without improvement")
        if self.state is not None:
            self.trainer.dispatch(
                "metric_recorded",
                MetricRecord.scalar(
                    name="bad_epochs", value=outcome.bad_epochs, global_step=self.state.last_epoch
                ),
            )

    def _stop(self, epoch: int, patience: int) -> None:
        """Record the stop (LRG010); Flair says it, once, when the next epoch raises
        ``TrainingInterrupt`` with its line."""
        if self.state is None:
            return
        best = "best-model.pt keeps the best epoch" if self._has_best_model() else "no best model"
        decision = floor_stop_decision(
            epoch=epoch, patience=patience, lrs=self.state.lrs, floors=self.floors, best=best
        )
        self.stop_reason = decision.render()
        self.run_log.emit(decision, echo=False)

    def _has_best_model(self) -> bool:
        return self._base_path is not None and (self._base_path / "best-model.pt").exists()

    def _restore_best_model(self) -> None:
        if self._base_path is None or not self._has_best_model():
            return
        flair_log.info("resetting to best model")
        best = self.model.load(self._base_path / "best-model.pt")
        self.model.load_state_dict(best.state_dict())

    def _open_log(self, base_path: Path | None, model: Any) -> None:
        """Start this run's log: appended to ``base_path/lrguard.jsonl`` by the main process,
        like Flair's ``training.log``, so an earlier run's decisions are never lost; every
        process keeps the same records (also in the model card)."""
        self._base_path = base_path
        path = None
        if self.policy.log_file and base_path is not None:
            path = base_path / self.policy.log_file
        self.run_log = RunLog("flair", log, path, main_process=_is_main_process())
        card = getattr(model, "model_card", None)
        if isinstance(card, dict):
            card["lrguard"] = {
                "schema": STATE_SCHEMA,
                "policy": self.policy.model_dump(mode="json"),
                "decisions": self.run_log.records,
            }

    # -- Flair plugin protocol ----------------------------------------------------------------

    def get_state(self) -> dict[str, Any]:
        """The plugin's description for the model card."""
        return {
            **super().get_state(),
            "policy": self.policy.model_dump(mode="json"),
            "settings": self.settings.given(),
        }

    def __str__(self) -> str:
        settings = self.preflight.plan.annealing if self.preflight else None
        if settings is None:
            return f"LRGuardPlugin | on_violation: '{self.policy.on_violation}' (validation only)"
        return (
            f"LRGuardPlugin (AnnealOnPlateau, stops only at the floor) | "
            f"patience: '{settings.patience}', anneal_factor: '{settings.factor}', "
            f"floor: '{_lrs(self.floors) if self.floors else 'from pre-flight'}', "
            f"on_violation: '{self.policy.on_violation}'"
        )


def _lrs(values: tuple[float, ...] | list[float]) -> str:
    text = ", ".join(fmt(float(v)) for v in values)
    return text if len(values) == 1 else f"[{text}]"


def _is_main_process() -> bool:
    try:
        from flair.distributed_utils import is_main_process
    except ImportError:  # flair < 0.15 has no distributed training
        return True
    return bool(is_main_process())


__all__ = ["AnnealingSettings", "LRGuardPlugin"]
