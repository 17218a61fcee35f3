"""The guard's console follows transformers' verbosity (``set_verbosity_*``, ``log_level``,
``log_level_replica``) as transformers' own modules do; its records do not.

Every test runs the real ``Trainer`` with no level set on the ``hf_lrguard`` logger (the
suite's ``conftest`` sets one for the other tests: a level set there wins, as in ``logging``)."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import transformers
from transformers import Trainer, TrainingArguments

from hf_lrguard import LRGuardCallback
from lrguard import read_jsonl
from tests.hf.conftest import TinyData, guard_records, make_args, make_trainer, tiny_model
from tests.hf.test_invisible import Stream

pytestmark = pytest.mark.hf
MIN_ABOVE = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr": 1e-4}}
NOTE = "has no length"
"""The guard's INFO note for a run that evaluates on data without a length."""


@pytest.fixture(autouse=True)
def follow_transformers():
    """No level on ``hf_lrguard`` (as for a user); transformers' verbosity restored after."""
    package = logging.getLogger("hf_lrguard")
    level, verbosity = package.level, transformers.logging.get_verbosity()
    package.setLevel(logging.NOTSET)
    yield
    package.setLevel(level)
    transformers.logging.set_verbosity(verbosity)


def guard_lines(caplog) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name.startswith("hf_lrguard")]


def train_min_above(tmp_path, **settings) -> Trainer:
    trainer = make_trainer(make_args(tmp_path, **MIN_ABOVE, **settings), [LRGuardCallback()])
    trainer.train()
    return trainer


def train_stream(tmp_path, **settings) -> Trainer:
    """Evaluates on a stream (no length): the guard says so once, at INFO."""
    args = make_args(tmp_path, max_steps=4, eval_strategy="steps", eval_steps=2, **settings)
    trainer = Trainer(
        model=tiny_model(),
        args=args,
        train_dataset=Stream(),
        eval_dataset=TinyData(8, seed=1),
        callbacks=[LRGuardCallback()],
    )
    trainer.train()
    return trainer


def test_default_verbosity_shows_warnings_not_notes(tmp_path, caplog):
    transformers.logging.set_verbosity_warning()  # transformers' default
    train_min_above(tmp_path / "a")
    train_stream(tmp_path / "b")
    lines = guard_lines(caplog)
    assert [level for level, _ in lines] == [logging.WARNING]
    assert lines[0][1].startswith("lrguard LRG002 [adjusted]")


def test_set_verbosity_error_hides_the_warnings_not_the_records(tmp_path, caplog):
    transformers.logging.set_verbosity_error()
    trainer = train_min_above(tmp_path)
    assert guard_lines(caplog) == []
    records = read_jsonl(tmp_path / "out" / "lrguard.jsonl")
    assert [(r["rule"], r["action"]) for r in records] == [("LRG002", "adjusted")]
    assert guard_records(trainer) == records  # trainer_state.json keeps it too
    assert trainer.args.lr_scheduler_kwargs == {"min_lr": 1e-6}  # and the fix is applied


def test_log_level_info_shows_the_notes(tmp_path, caplog):
    transformers.logging.set_verbosity_warning()
    train_stream(tmp_path, log_level="info")  # Trainer applies it to transformers' logger
    notes = [(level, m) for level, m in guard_lines(caplog) if NOTE in m]
    assert [level for level, _ in notes] == [logging.INFO]


def test_a_level_on_the_guards_logger_wins(tmp_path, caplog):
    transformers.logging.set_verbosity_error()
    logging.getLogger("hf_lrguard").setLevel(logging.INFO)
    train_stream(tmp_path)
    assert [m for _, m in guard_lines(caplog) if NOTE in m]


@dataclass
class ReplicaArguments(TrainingArguments):
    """The arguments as a process other than the main one sees them: ``should_log`` is
    False there, so ``Trainer`` applies ``log_level_replica`` (``get_process_log_level``)."""

    @property
    def should_log(self) -> bool:
        return False


@pytest.mark.parametrize(("replica_level", "shown"), [("warning", True), ("error", False)])
def test_replicas_follow_log_level_replica(tmp_path, caplog, replica_level, shown):
    transformers.logging.set_verbosity_warning()
    args = ReplicaArguments(
        output_dir=str(tmp_path / "out"),
        max_steps=10,
        per_device_train_batch_size=4,
        learning_rate=1e-5,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        log_level="info",
        log_level_replica=replica_level,
        **MIN_ABOVE,
    )
    assert args.get_process_log_level() == logging.getLevelName(replica_level.upper())
    trainer = make_trainer(args, [LRGuardCallback()])
    trainer.train()
    assert bool(guard_lines(caplog)) is shown
    assert [r["rule"] for r in read_jsonl(tmp_path / "out" / "lrguard.jsonl")] == ["LRG002"]


@contextlib.contextmanager
def no_handlers() -> Iterator[io.StringIO]:
    """The application configured no logging (the root logger has no handler, as in a plain
    script; pytest's own are put back after); transformers' console writes to a buffer."""
    root = logging.getLogger()
    saved = root.handlers[:]
    handlers = logging.getLogger("transformers").handlers
    (console,) = [h for h in handlers if type(h) is logging.StreamHandler]  # transformers' own
    buffer = io.StringIO()
    stream = console.setStream(buffer)
    root.handlers.clear()
    try:
        yield buffer
    finally:
        root.handlers[:] = saved
        console.setStream(stream)


def test_without_handlers_the_lines_go_to_transformers_console(tmp_path, capsys):
    with no_handlers() as shown:
        transformers.logging.set_verbosity_warning()
        train_min_above(tmp_path / "a")
        train_stream(tmp_path / "b")
        assert shown.getvalue().count("lrguard LRG002 [adjusted]") == 1
        assert NOTE not in shown.getvalue()
        assert "lrguard" not in capsys.readouterr().err  # not twice (Python's last resort)

        train_stream(tmp_path / "c", log_level="info")
        assert shown.getvalue().count(NOTE) == 1

        transformers.logging.set_verbosity_error()
        before = shown.getvalue()
        train_min_above(tmp_path / "d")
        assert shown.getvalue() == before
