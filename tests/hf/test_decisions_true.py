"""Every decision true: a reused callback starts afresh, ``adjusted`` is read back from the
run, a chain of fixes names the user's values, and a resumed run does not log twice."""

from __future__ import annotations

import pytest
import torch
from transformers import Trainer

from hf_lrguard import LRGuardCallback
from lrguard import read_jsonl
from tests.hf.conftest import TinyData, guard_records, logged_lrs, make_args, tiny_model

pytestmark = pytest.mark.hf
MIN_ABOVE = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr": 1e-4}}


def flat(pred) -> dict[str, float]:
    return {"score": 0.5}


def plateau_trainer(tmp_path, name, guard, max_steps=30, **kwargs):
    args = make_args(
        tmp_path / name,
        max_steps=max_steps,
        lr_scheduler_type="reduce_lr_on_plateau",
        lr_scheduler_kwargs=kwargs,
        eval_strategy="steps",
        eval_steps=2,
        metric_for_best_model="score",
    )
    return Trainer(
        model=tiny_model(),
        args=args,
        train_dataset=TinyData(64),
        eval_dataset=TinyData(16, seed=1),
        compute_metrics=flat,
        callbacks=[guard],
    )


def test_reused_callback_does_not_stop_the_next_run(tmp_path):
    guard = LRGuardCallback(stop_at_floor=True)
    first = plateau_trainer(tmp_path, "a", guard, patience=0, mode="max", min_lr=1e-4)
    first.train()
    assert first.state.global_step < 30  # stopped at its floor, as asked
    assert "LRG010" in [r["rule"] for r in guard.decisions]

    second = plateau_trainer(tmp_path, "b", guard, patience=5, mode="max", min_lr=1e-9)
    second.train()
    assert second.state.global_step == 30
    assert [r["rule"] for r in guard.decisions] == []  # nothing carried over from run one
    assert not (tmp_path / "b" / "out" / "lrguard.jsonl").exists()


def test_same_trainer_trained_twice_starts_afresh(tmp_path):
    guard = LRGuardCallback()
    trainer = Trainer(
        model=tiny_model(),
        args=make_args(tmp_path, **MIN_ABOVE),
        train_dataset=TinyData(64),
        callbacks=[guard],
    )
    trainer.train()
    trainer.train()
    assert [r["rule"] for r in guard.decisions] == ["LRG002"]  # this run's, read back again
    assert max(logged_lrs(trainer)) <= 1e-5


class OwnScheduleTrainer(Trainer):
    """A Trainer subclass that builds its own scheduler, ignoring lr_scheduler_kwargs."""

    def create_scheduler(self, num_training_steps, optimizer=None):
        if self.lr_scheduler is None:
            opt = optimizer if optimizer is not None else self.optimizer
            self.lr_scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=2.0)
        return self.lr_scheduler


@pytest.mark.parametrize("late", [False, True], ids=["constructor", "add_callback"])
def test_adjusted_only_when_the_run_uses_it(tmp_path, late):
    args = make_args(tmp_path, **MIN_ABOVE)
    guard = LRGuardCallback()
    trainer = OwnScheduleTrainer(
        model=tiny_model(),
        args=args,
        train_dataset=TinyData(64),
        callbacks=None if late else [guard],
    )
    if late:
        trainer.add_callback(guard)
    trainer.train()
    records = read_jsonl(tmp_path / "out" / "lrguard.jsonl")
    assert [(r["rule"], r["action"]) for r in records] == [("LRG002", "warned")]
    assert "Not applied: the built scheduler (StepLR) is not the LambdaLR" in records[0]["message"]
    assert guard_records(trainer) == records
    assert max(logged_lrs(trainer)) > 1e-5  # the run really kept its own schedule


def test_adjusted_is_read_back_from_the_built_schedule(tmp_path):
    guard = LRGuardCallback()
    trainer = Trainer(
        model=tiny_model(),
        args=make_args(tmp_path, **MIN_ABOVE),
        train_dataset=TinyData(64),
        callbacks=[guard],
    )
    trainer.train()
    record = read_jsonl(tmp_path / "out" / "lrguard.jsonl")[0]
    assert (record["action"], record["after"]) == ("adjusted", {"lr_scheduler_kwargs.min_lr": 1e-6})
    assert trainer.lr_scheduler.lr_lambdas[0](40) == pytest.approx(0.1)  # ends at min_lr


def test_chained_fixes_name_the_users_values(tmp_path):
    args = make_args(
        tmp_path,
        lr_scheduler_type="cosine_with_min_lr",
        lr_scheduler_kwargs='{"min_lr": "1e-4"}',
    )
    trainer = Trainer(
        model=tiny_model(), args=args, train_dataset=TinyData(64), callbacks=[LRGuardCallback()]
    )
    trainer.train()
    records = read_jsonl(tmp_path / "out" / "lrguard.jsonl")
    steps = [(r["rule"], r["before"], r["after"]) for r in records]
    field = "lr_scheduler_kwargs.min_lr"
    assert steps == [
        ("LRG004", {field: "1e-4"}, {field: 1e-4}),
        ("LRG002", {field: 1e-4}, {field: 1e-6}),
    ]
    assert "the value LRG004 produced" in records[1]["message"]
    assert max(logged_lrs(trainer)) <= 1e-5


def test_resume_continues_the_log_without_repeating_it(tmp_path):
    settings = {"save_strategy": "steps", "save_steps": 20, **MIN_ABOVE}
    Trainer(
        model=tiny_model(),
        args=make_args(tmp_path, **settings),
        train_dataset=TinyData(64),
        callbacks=[LRGuardCallback()],
    ).train()
    trainer = Trainer(
        model=tiny_model(),
        args=make_args(tmp_path, **settings),
        train_dataset=TinyData(64),
        callbacks=[LRGuardCallback()],
    )
    trainer.train(resume_from_checkpoint=str(tmp_path / "out" / "checkpoint-20"))
    rules = [r["rule"] for r in read_jsonl(tmp_path / "out" / "lrguard.jsonl")]
    assert rules == ["LRG002"]  # written by the first run, not again by the resumed one
    assert [r["rule"] for r in guard_records(trainer)] == ["LRG002"]
