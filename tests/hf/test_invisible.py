"""Runs the guard must leave as transformers makes them: streaming data (no length), a resume
without a callback the checkpoint had, and ``log_history`` read the way transformers' own
code and tests read it."""

from __future__ import annotations

import json
import logging

import pytest
import torch
from transformers import EarlyStoppingCallback, Trainer, TrainerCallback, TrainerState

from hf_lrguard import LRGuardCallback, saved_decisions
from tests.hf.conftest import TinyData, guard_records, logged_lrs, make_args, tiny_model
from tests.trackers import assert_written, tensorboard_texts

pytestmark = pytest.mark.hf
MIN_ABOVE = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr": 1e-4}}
SUMMARY_KEYS = {"train_runtime", "train_loss", "train_samples_per_second", "total_flos"}


class Stream(torch.utils.data.IterableDataset):
    """The tiny task as an endless stream: no ``__len__``, like streaming data."""

    def __init__(self) -> None:
        self.data = TinyData(32)

    def __iter__(self):
        while True:
            yield from (self.data[i] for i in range(len(self.data)))


def test_iterable_dataset_with_max_steps_trains_as_without_the_guard(tmp_path, caplog):
    def run(callbacks):
        trainer = Trainer(
            model=tiny_model(),
            args=make_args(tmp_path / str(len(callbacks)), max_steps=6),
            train_dataset=Stream(),
            callbacks=callbacks,
        )
        trainer.train()
        return trainer

    stock = run([])
    guard = LRGuardCallback()
    guarded = run([guard])
    assert guarded.state.global_step == stock.state.global_step == 6
    assert logged_lrs(guarded) == logged_lrs(stock)
    assert guard.records == []
    assert "no length" not in caplog.text  # no evaluation: nothing left unchecked to report


def test_unknown_length_with_evaluation_is_said_once_at_info(tmp_path, caplog):
    args = make_args(tmp_path, max_steps=6, eval_strategy="steps", eval_steps=3)
    guard = LRGuardCallback()
    trainer = Trainer(
        model=tiny_model(),
        args=args,
        train_dataset=Stream(),
        eval_dataset=TinyData(8, seed=1),
        callbacks=[guard],
    )
    with caplog.at_level(logging.INFO, logger="hf_lrguard"):
        trainer.train()
    notes = [r for r in caplog.records if "has no length" in r.getMessage()]
    assert [r.levelno for r in notes] == [logging.INFO]
    assert trainer.state.global_step == 6 and guard.records == []


def test_resume_without_the_early_stopping_callback_the_checkpoint_had(tmp_path):
    early = {
        "eval_strategy": "steps",
        "eval_steps": 5,
        "save_strategy": "steps",
        "save_steps": 5,
        "metric_for_best_model": "eval_loss",
        "load_best_model_at_end": True,
    }
    first = Trainer(
        model=tiny_model(),
        args=make_args(tmp_path, max_steps=10, **early),
        train_dataset=TinyData(64),
        eval_dataset=TinyData(16, seed=1),
        callbacks=[EarlyStoppingCallback(early_stopping_patience=100), LRGuardCallback()],
    )
    first.train()
    checkpoint = tmp_path / "out" / "checkpoint-5"
    saved = json.loads((checkpoint / "trainer_state.json").read_text())
    assert "EarlyStoppingCallback" in saved["stateful_callbacks"]

    # same data, no evaluation and no early stopping: LRG020 would apply to a trainer with
    # an EarlyStoppingCallback, and this one has none
    guard = LRGuardCallback()
    second = Trainer(
        model=tiny_model(),
        args=make_args(tmp_path, max_steps=10, save_strategy="steps", save_steps=5),
        train_dataset=TinyData(64),
        callbacks=[guard],
    )
    second.train(resume_from_checkpoint=str(checkpoint))
    assert second.state.global_step == 10
    assert [r["rule"] for r in guard.records] == []


def test_checkpoint_without_the_guard_resumed_with_it_saves_checkpoints(tmp_path):
    """transformers indexes ``stateful_callbacks`` by every callback of the trainer when it
    saves: the guard's entry must exist after resuming a checkpoint written without it."""
    args = make_args(tmp_path, max_steps=10, save_strategy="steps", save_steps=5)
    Trainer(model=tiny_model(), args=args, train_dataset=TinyData(64)).train()
    trainer = Trainer(
        model=tiny_model(), args=args, train_dataset=TinyData(64), callbacks=[LRGuardCallback()]
    )
    trainer.train(resume_from_checkpoint=str(tmp_path / "out" / "checkpoint-5"))
    assert trainer.state.global_step == 10
    assert (tmp_path / "out" / "checkpoint-10" / "trainer_state.json").exists()


def test_log_history_and_trainer_state_read_as_transformers_reads_them(tmp_path):
    """Positional indexing of ``log_history`` (train log, eval log, ..., summary last), as
    transformers' tests and users' plotting code do, with a decision taken during the run."""
    args = make_args(
        tmp_path,
        max_steps=10,
        logging_steps=5,
        eval_strategy="steps",
        eval_steps=5,
        save_strategy="steps",
        save_steps=5,
        save_total_limit=1,
        load_best_model_at_end=True,
        metric_for_best_model="eval_loss",
        **MIN_ABOVE,
    )
    guard = LRGuardCallback()
    trainer = Trainer(
        model=tiny_model(),
        args=args,
        train_dataset=TinyData(64),
        eval_dataset=TinyData(16, seed=1),
        callbacks=[guard],
    )
    trainer.train()
    trainer.save_state()
    assert [r["rule"] for r in guard.records] == ["LRG002"]  # the run has a decision

    history = trainer.state.log_history
    assert len(history) == 5
    assert all("step" in entry and "epoch" in entry for entry in history)
    assert [history[i]["step"] for i in range(4)] == [5, 5, 10, 10]
    assert "loss" in history[0] and "learning_rate" in history[0]
    assert "eval_loss" in history[1] and "eval_loss" in history[3]
    assert set(history[-1]) >= SUMMARY_KEYS
    best = min(history[1]["eval_loss"], history[3]["eval_loss"])
    assert trainer.state.best_metric == best

    saved = TrainerState.load_from_json(str(tmp_path / "out" / "trainer_state.json"))
    assert saved.log_history == json.loads(json.dumps(history))
    assert saved_decisions(tmp_path / "out") == guard.records == guard_records(trainer)
    kept = json.loads(
        (
            tmp_path
            / "out"
            / trainer.state.best_model_checkpoint.split("/")[-1]
            / "trainer_state.json"
        ).read_text()
    )
    assert saved_decisions(kept) == guard.records


class LastEntryReader(TrainerCallback):
    """Reads ``state.log_history[-1]`` in ``on_log``, as LLaMA-Factory's ``LogCallback``
    does: transformers appends the entry, then calls ``on_log``."""

    def __init__(self) -> None:
        self.entries: list[dict] = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        self.entries.append(state.log_history[-1])


def test_callbacks_reading_the_last_log_entry_see_only_transformers_entries(tmp_path):
    pytest.importorskip("tensorboard")
    reader = LastEntryReader()
    guard = LRGuardCallback()
    args = make_args(tmp_path, max_steps=4, report_to=["tensorboard"], **MIN_ABOVE)
    trainer = Trainer(
        model=tiny_model(), args=args, train_dataset=TinyData(32), callbacks=[reader, guard]
    )
    trainer.train()
    assert [r["rule"] for r in guard.records] == ["LRG002"]
    assert_written(guard.records, tensorboard_texts(tmp_path / "out"))  # the tracker has it
    assert reader.entries == trainer.state.log_history  # the reader only transformers' entries
