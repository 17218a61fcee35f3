"""A scheduler passed as ``Trainer(optimizers=(optimizer, scheduler))`` is checked before step 1."""

from __future__ import annotations

import pytest
import torch
from torch.optim import lr_scheduler as L

from hf_lrguard import LRGuardCallback
from lrguard import LRGuardError, read_jsonl
from tests.hf.conftest import (
    TinyData,
    Trainer,
    accuracy,
    guard_records,
    logged_lrs,
    make_args,
    tiny_model,
)

pytestmark = pytest.mark.hf
LR = 1e-3


def _trainer(tmp_path, build, callbacks=None, max_steps=300, late=False, **args):
    """A Trainer given ``optimizers=(optimizer, build(optimizer))``; ``late``: the callbacks
    are added with ``trainer.add_callback`` after construction."""
    model = tiny_model()
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR)
    scheduler = build(optimizer)
    settings = {"learning_rate": LR, "logging_steps": 10, **args}
    evaluation = {}
    if settings.get("eval_strategy", "no") != "no":
        evaluation = {"eval_dataset": TinyData(16, seed=1), "compute_metrics": accuracy}
    trainer = Trainer(
        model=model,
        args=make_args(tmp_path, max_steps=max_steps, **settings),
        train_dataset=TinyData(64),
        callbacks=None if late else callbacks,
        optimizers=(optimizer, scheduler),
        **evaluation,
    )
    for callback in (callbacks or []) if late else []:
        trainer.add_callback(callback)
    return trainer, optimizer, scheduler


def _one_cycle(optimizer):
    return L.OneCycleLR(optimizer, max_lr=LR, total_steps=100)


def test_stock_trainer_fails_at_step_101(tmp_path):
    trainer, optimizer, _ = _trainer(tmp_path, _one_cycle, max_steps=300)
    with pytest.raises(ValueError, match="Tried to step 101 times"):
        trainer.train()


LATE = pytest.mark.parametrize("late", [False, True], ids=["callbacks", "add_callback"])


@LATE
def test_error_mode_refuses_before_step_1_naming_total_steps(tmp_path, late):
    guard = LRGuardCallback(on_violation="error")
    trainer, optimizer, scheduler = _trainer(tmp_path, _one_cycle, [guard], late=late)
    weights = [p.detach().clone() for p in trainer.model.parameters()]
    with pytest.raises(LRGuardError, match="total_steps=300") as info:
        trainer.train()
    assert [f.code for f in info.value.findings] == ["LRG060"]
    assert "after step 101 of the run's 300" in str(info.value)
    assert trainer.state.global_step == 0 and scheduler.last_epoch == 0
    assert all(torch.equal(a, b) for a, b in zip(weights, trainer.model.parameters(), strict=True))
    [record] = read_jsonl(tmp_path / "out" / "lrguard.jsonl")
    assert record["rule"] == "LRG060" and record["action"] == "raised"
    assert guard_records(trainer) == [record]


def test_adjust_mode_refuses_with_the_fix_and_why(tmp_path):
    trainer, _, _ = _trainer(tmp_path, _one_cycle, [LRGuardCallback()])
    with pytest.raises(LRGuardError, match="does not rebuild a scheduler") as info:
        trainer.train()
    assert "Set total_steps=300" in str(info.value) and trainer.state.global_step == 0


@LATE
def test_a_fitting_scheduler_trains_untouched(tmp_path, late):
    def build(optimizer):
        return L.OneCycleLR(optimizer, max_lr=LR, total_steps=40)

    guard = LRGuardCallback(on_violation="error")
    trainer, _, _ = _trainer(tmp_path, build, [guard], max_steps=40, logging_steps=1, late=late)
    trainer.train()
    assert guard.records == []
    twin_opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=LR)
    twin = build(twin_opt)
    expected = []
    for _ in range(40):
        expected.append(twin_opt.param_groups[0]["lr"])
        twin_opt.step()
        twin.step()
    # log_history has the rate after each step's scheduler.step (4.x) or before it (5.x)
    assert logged_lrs(trainer) in (expected[1:] + [twin.get_last_lr()[0]], expected)


@LATE
def test_a_warning_is_logged_and_training_goes_on(tmp_path, late):
    def build(optimizer):
        return L.CosineAnnealingLR(optimizer, T_max=2)

    trainer, _, _ = _trainer(tmp_path, build, [LRGuardCallback()], max_steps=40, late=late)
    trainer.train()
    [record] = guard_records(trainer)
    assert record["rule"] == "LRG063" and record["action"] == "warned"
    assert "T_max=40" in record["fix"] and trainer.state.global_step == 40
    assert read_jsonl(tmp_path / "out" / "lrguard.jsonl") == [record]


def test_plateau_is_replayed_over_the_evaluations(tmp_path):
    def build(optimizer):
        return L.ReduceLROnPlateau(optimizer, patience=0)

    trainer, _, _ = _trainer(
        tmp_path,
        build,
        [LRGuardCallback()],
        max_steps=40,
        eval_strategy="steps",
        eval_steps=5,
        metric_for_best_model="eval_loss",
    )
    trainer.train()
    [record] = guard_records(trainer)
    assert record["rule"] == "LRG067" and record["action"] == "noted"
    assert "of 8 metric steps" in record["message"] and "worst case" in record["message"]


@LATE
def test_a_schedule_trainer_builds_is_not_taken_for_the_users(tmp_path, late):
    """Without ``optimizers=``, transformers builds the schedule (``_created_lr_scheduler``):
    it is read back as the schedule of ``args``, not replayed as a user scheduler."""
    guard = LRGuardCallback()
    args = make_args(tmp_path, max_steps=20, learning_rate=1e-5, lr_scheduler_type="linear")
    trainer = Trainer(
        model=tiny_model(),
        args=args,
        train_dataset=TinyData(64),
        callbacks=None if late else [guard],
    )
    if late:
        trainer.add_callback(guard)
    trainer.train()
    assert guard._user_scheduler is False and guard.records == []
    assert trainer.state.global_step == 20


def test_the_same_guard_serves_a_user_scheduler_then_a_built_one(tmp_path):
    guard = LRGuardCallback(on_violation="error")
    first, _, _ = _trainer(tmp_path / "a", _one_cycle, [guard], late=True)
    with pytest.raises(LRGuardError, match="total_steps=300"):
        first.train()
    second = Trainer(
        model=tiny_model(),
        args=make_args(tmp_path / "b", max_steps=10),
        train_dataset=TinyData(64),
    )
    second.add_callback(guard)
    second.train()
    assert guard._user_scheduler is False and second.state.global_step == 10


def test_a_subclass_building_its_own_schedule_without_the_mark_is_not_the_users(tmp_path):
    """axolotl's trainer builds one_cycle / rex in ``create_scheduler`` without setting
    ``_created_lr_scheduler``: such a schedule is not taken for one given to the constructor."""
    from transformers import get_scheduler

    class OwnSchedule(Trainer):
        def create_scheduler(self, num_training_steps, optimizer=None):
            if self.lr_scheduler is None:
                self.lr_scheduler = get_scheduler(
                    "linear", self.optimizer, num_warmup_steps=0, num_training_steps=10
                )
            return self.lr_scheduler

    guard = LRGuardCallback()
    trainer = OwnSchedule(
        model=tiny_model(),
        args=make_args(tmp_path, max_steps=10),
        train_dataset=TinyData(64),
    )
    trainer.add_callback(guard)
    trainer.train()
    assert trainer._created_lr_scheduler is False and trainer.lr_scheduler is not None
    assert guard._user_scheduler is False and trainer.state.global_step == 10
