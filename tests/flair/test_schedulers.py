"""Schedulers stepped by plugins are replayed for the run's steps before epoch 1.

``fine_tune``'s ``LinearSchedulerPlugin`` and a user's plugin stepping a
``torch.optim.lr_scheduler`` object in ``train_custom`` (per batch or per epoch), on real
Flair training runs of a tiny TextClassifier (24 training sentences, batches of 8: 3
batches per epoch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flair.trainers.plugins import TrainerPlugin
from torch.optim import lr_scheduler as L

from flair_lrguard import LRGuardPlugin
from flair_lrguard.schedulers import Driver, drivers
from lrguard import LRGuardError, read_jsonl
from tests.flair.conftest import FAST

LR = 0.01
BATCHES = 3  # 24 sentences in batches of 8


class BatchRates(TrainerPlugin):
    """Records the rate every optimizer step trained with."""

    def __init__(self) -> None:
        super().__init__()
        self.rates: list[float] = []

    @TrainerPlugin.hook
    def before_training_optimizer_step(self, **kw: Any) -> None:
        self.rates.append(float(self.trainer.optimizer.param_groups[0]["lr"]))


class PerBatch(TrainerPlugin):
    """A user's plugin: builds ``build(optimizer)`` and steps it after every batch."""

    def __init__(self, build: Callable[[Any], Any]) -> None:
        super().__init__()
        self.build = build

    @TrainerPlugin.hook
    def after_setup(self, **kw: Any) -> None:
        self.scheduler = self.build(self.trainer.optimizer)

    @TrainerPlugin.hook
    def after_training_batch(self, optimizer_was_run: bool = True, **kw: Any) -> None:
        if optimizer_was_run:
            self.scheduler.step()


class PerEpoch(PerBatch):
    """The same, stepped once per epoch."""

    @TrainerPlugin.hook
    def after_training_batch(self, **kw: Any) -> None:
        return None

    @TrainerPlugin.hook
    def after_training_epoch(self, **kw: Any) -> None:
        self.scheduler.step()


def _one_cycle(total: int) -> Callable[[Any], Any]:
    return lambda optimizer: L.OneCycleLR(optimizer, max_lr=LR, total_steps=total)


def _custom(trainer_factory, path, plugins, max_epochs=3, **kw):
    recorder = BatchRates()
    trainer_factory().train_custom(
        path,
        learning_rate=LR,
        max_epochs=max_epochs,
        plugins=[*plugins, recorder],
        **{**FAST, **kw},
    )
    return recorder


def test_drivers_are_read_from_the_hooks():
    assert drivers(PerBatch(_one_cycle(9))) == [Driver("scheduler", "batch")]
    assert drivers(PerEpoch(_one_cycle(9))) == [Driver("scheduler", "epoch")]
    assert drivers(BatchRates()) == [] and drivers(LRGuardPlugin()) == []


def test_stock_flair_crashes_mid_run_with_a_short_one_cycle(trainer_factory, tmp_path):
    recorder = BatchRates()
    with pytest.raises(ValueError, match="Tried to step 6 times"):
        trainer_factory().train_custom(
            tmp_path,
            learning_rate=LR,
            max_epochs=3,
            plugins=[PerBatch(_one_cycle(5)), recorder],
            **FAST,
        )
    assert len(recorder.rates) == 6  # epoch 2 crashes on its third batch


@pytest.mark.parametrize("mode", ["error", "adjust"])
def test_a_short_one_cycle_is_refused_before_epoch_1(trainer_factory, tmp_path, mode):
    guard = LRGuardPlugin(on_violation=mode)
    with pytest.raises(LRGuardError, match="Set total_steps=9") as info:
        _custom(trainer_factory, tmp_path, [PerBatch(_one_cycle(5)), guard])
    assert [f.code for f in info.value.findings] == ["LRG060"]
    assert "does not rebuild a scheduler" in str(info.value)
    assert "stepped per batch by PerBatch.scheduler" in str(info.value)
    assert not (tmp_path / "best-model.pt").exists()
    [record] = read_jsonl(tmp_path / "lrguard.jsonl")
    assert (record["rule"], record["action"], record["framework"]) == ("LRG060", "raised", "flair")
    assert "after step 6 of the run's 9" in record["message"]
    assert "LRG060" in (tmp_path / "training.log").read_text()
    assert guard.decisions == [record]


def test_a_fitting_one_cycle_is_silent_and_trains_at_the_same_rates(trainer_factory, tmp_path):
    stock = _custom(trainer_factory, tmp_path / "stock", [PerBatch(_one_cycle(9))])
    guard = LRGuardPlugin(on_violation="error")
    guarded = _custom(trainer_factory, tmp_path / "guarded", [PerBatch(_one_cycle(9)), guard])
    assert len(guarded.rates) == 3 * BATCHES
    assert guarded.rates == stock.rates
    assert guard.decisions == [] and not (tmp_path / "guarded" / "lrguard.jsonl").exists()
    assert guard.call.scheduled_by == ["PerBatch"] and guard.state is None  # no annealing


def test_cadence_decides_exponential_decay_per_batch_vs_per_epoch(trainer_factory, tmp_path):
    def build(optimizer):
        return L.ExponentialLR(optimizer, gamma=0.3)

    per_epoch = LRGuardPlugin()
    _custom(trainer_factory, tmp_path / "epoch", [PerEpoch(build), per_epoch], max_epochs=4)
    assert per_epoch.decisions == []
    per_batch = LRGuardPlugin()
    with pytest.raises(LRGuardError, match="LRG062") as info:
        _custom(trainer_factory, tmp_path / "batch", [PerBatch(build), per_batch], max_epochs=4)
    assert "for 8 of 12 steps" in str(info.value)
    assert "gamma=" in info.value.findings[0].fix


def test_fine_tune_linear_schedule_is_replayed_and_left_alone(trainer_factory, tmp_path):
    stock, guarded = BatchRates(), BatchRates()
    trainer_factory().fine_tune(
        tmp_path / "stock", learning_rate=LR, max_epochs=3, plugins=[stock], **FAST
    )
    guard = LRGuardPlugin(on_violation="error")
    trainer_factory().fine_tune(
        tmp_path / "guarded", learning_rate=LR, max_epochs=3, plugins=[guard, guarded], **FAST
    )
    assert guard.decisions == [] and guarded.rates == stock.rates
    assert len(guarded.rates) == 3 * BATCHES and guarded.rates[0] == 0.0  # warmup from 0


def test_fine_tune_warmup_of_the_whole_run_is_logged(trainer_factory, tmp_path):
    stock, guarded = BatchRates(), BatchRates()
    kwargs = {"learning_rate": LR, "max_epochs": 3, "warmup_fraction": 1.0, **FAST}
    trainer_factory().fine_tune(tmp_path / "stock", plugins=[stock], **kwargs)
    guard = LRGuardPlugin()
    trainer_factory().fine_tune(tmp_path / "guarded", plugins=[guard, guarded], **kwargs)
    [record] = guard.decisions
    assert (record["rule"], record["action"]) == ("LRG064", "warned")
    assert "stepped per batch by LinearSchedulerPlugin.scheduler" in record["message"]
    assert guarded.rates == stock.rates and max(stock.rates) < 0.8 * LR
    assert read_jsonl(tmp_path / "guarded" / "lrguard.jsonl") == [record]
    assert "LRG064" in (tmp_path / "guarded" / "training.log").read_text()


class OnPlateau(TrainerPlugin):
    """A user's plugin stepping ``ReduceLROnPlateau`` with the dev score after evaluation."""

    @TrainerPlugin.hook
    def after_setup(self, **kw: Any) -> None:
        optimizer = self.trainer.optimizer
        self.scheduler = L.ReduceLROnPlateau(optimizer, mode="max", patience=0, factor=0.1)

    @TrainerPlugin.hook
    def after_evaluation(self, validation_scores: tuple = (), **kw: Any) -> None:
        if validation_scores:
            self.scheduler.step(validation_scores[0])


def test_a_metric_driven_scheduler_is_replayed_per_epoch_in_its_worst_case(
    trainer_factory, tmp_path
):
    assert drivers(OnPlateau()) == [Driver("scheduler", "epoch")]
    stock = _custom(trainer_factory, tmp_path / "stock", [OnPlateau()], max_epochs=5)
    guard = LRGuardPlugin()
    guarded = _custom(trainer_factory, tmp_path / "guarded", [OnPlateau(), guard], max_epochs=5)
    [record] = guard.decisions
    assert (record["rule"], record["action"]) == ("LRG067", "noted")
    assert "stepped per epoch by OnPlateau.scheduler" in record["message"]
    assert "worst case" in record["message"] and "of 5 metric steps" in record["message"]
    assert guarded.rates == stock.rates and len(guarded.rates) == 5 * BATCHES
