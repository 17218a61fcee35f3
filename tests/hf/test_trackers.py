"""Decisions reach the trackers a run reports to: read back from what TensorBoard and W&B
(offline) wrote, and nothing extra when the run reports to none."""

from __future__ import annotations

import json
import logging
import struct
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from transformers import TrainerCallback

from hf_lrguard import LRGuardCallback
from hf_lrguard._trackers import TrackerRelay, tracker_logs
from lrguard import read_jsonl
from tests.hf.conftest import guard_records, make_args, make_trainer
from tests.hf.test_plateau import FLOOR, flat, plateau_args
from tests.trackers import assert_written, tensorboard_texts

pytestmark = pytest.mark.hf
MIN_ABOVE = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr": 1e-4}}


def train(args, attach: str = "init", others: tuple = (), guard=None, **kwargs) -> Any:
    """Train with a fresh guard, passed to ``Trainer(callbacks=...)`` or added afterwards."""
    guard = guard or LRGuardCallback()
    callbacks = [*others, guard] if attach == "init" else list(others)
    trainer = make_trainer(args, callbacks=callbacks, **kwargs)
    if attach == "add":
        trainer.add_callback(guard)
    trainer.train()
    return trainer


def decisions(tmp_path: Path) -> list[dict[str, Any]]:
    records = read_jsonl(tmp_path / "out" / "lrguard.jsonl")
    assert records, "the run must take at least one decision"
    return records


# -- TensorBoard ----------------------------------------------------------------------------
@pytest.mark.parametrize("attach", ["init", "add"])
def test_tensorboard_gets_every_decision(tmp_path, attach):
    pytest.importorskip("tensorboard")
    args = make_args(tmp_path, report_to="tensorboard", logging_steps=10, **MIN_ABOVE)
    trainer = train(args, attach)
    records = decisions(tmp_path)
    assert [r["rule"] for r in records] == ["LRG002"]
    texts = tensorboard_texts(tmp_path / "out")
    assert_written(records, texts)
    assert len(texts["train/lrguard/LRG002"]) == 1  # once, not once per event
    assert guard_records(trainer) == records  # kept in the state, not in log_history


def test_tensorboard_gets_decisions_taken_during_training(tmp_path):
    pytest.importorskip("tensorboard")
    args = plateau_args(tmp_path, "score", **FLOOR)
    args.report_to = ["tensorboard"]
    trainer = train(args, guard=LRGuardCallback(stop_at_floor=True), compute_metrics=flat)
    records = decisions(tmp_path)
    assert {"LRG022", "LRG010"} <= {r["rule"] for r in records}
    assert all(r["step"] > 0 for r in records)
    assert trainer.state.global_step == max(r["step"] for r in records)  # stopped there
    assert_written(records, tensorboard_texts(tmp_path / "out"))


RECORD = {"rule": "LRG099", "severity": "info", "action": "noted", "message": "early."}


class EarlyRelay(TrainerCallback):
    """Sends a record from ``on_init_end``, before any tracker has been set up."""

    def __init__(self) -> None:
        self.relay = TrackerRelay()
        self.queued = -1

    def on_init_end(self, args, state, control, **kwargs):
        self.relay.send([RECORD], state)
        self.queued = len(self.relay.pending)

    def on_train_begin(self, args, state, control, **kwargs):
        self.relay.send([], state)


def test_decisions_before_training_wait_for_the_trackers(tmp_path, monkeypatch):
    pytest.importorskip("tensorboard")
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    early = EarlyRelay()
    trainer = make_trainer(make_args(tmp_path, report_to="tensorboard", max_steps=2), [early])
    assert early.queued == 1  # held back: no tracker is ready in on_init_end
    trainer.train()
    assert not early.relay.pending
    assert_written([RECORD], tensorboard_texts(tmp_path / "out"))
    assert not list((tmp_path / "cwd").iterdir())  # no writer opened at a default place


def test_relay_sends_only_from_rank_zero_inside_a_handler():
    relay = TrackerRelay()
    assert relay.send([RECORD], SimpleNamespace(is_world_process_zero=False, max_steps=40)) == 0
    assert relay.pending == []  # other ranks keep nothing
    assert relay.send([RECORD], SimpleNamespace(is_world_process_zero=True, max_steps=40)) == 0
    assert relay.pending == [RECORD]  # no CallbackHandler on the stack: kept for later
    assert tracker_logs(RECORD) == {"lrguard/LRG099": "lrguard LRG099 [noted] early."}


# -- Weights & Biases, offline ----------------------------------------------------------------
def wandb_history(path: Path) -> list[dict[str, Any]]:
    """History rows of an offline run's ``.wandb`` file.

    The file is a LevelDB-style log (a 7-byte ``:W&B`` header, 32 KiB blocks of records with
    a 7-byte header: crc, length, type) of ``wandb_internal_pb2.Record`` protobufs.
    """
    from wandb.proto import wandb_internal_pb2

    data, block = path.read_bytes(), 32768
    assert data[:4] == b":W&B"
    rows, pos, chunk, closed = [], 7, b"", False
    while pos + 7 <= len(data):
        if block - pos % block < 7:
            pos += block - pos % block  # block trailer
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        chunk += data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):  # a full record, or the last part of one
            record = wandb_internal_pb2.Record()
            record.ParseFromString(chunk)
            chunk = b""
            closed |= record.WhichOneof("record_type") == "exit"
            if record.WhichOneof("record_type") == "history":
                rows.append(
                    {
                        "/".join(item.nested_key) or item.key: json.loads(item.value_json)
                        for item in record.history.item
                    }
                )
    assert closed, f"{path} has no exit record: the run was not finished"
    return rows


def test_wandb_offline_gets_every_decision(tmp_path, monkeypatch):
    wandb = pytest.importorskip("wandb")
    for name, value in {
        "WANDB_MODE": "offline",
        "WANDB_DIR": str(tmp_path),
        "WANDB_CONFIG_DIR": str(tmp_path / "config"),
        "WANDB_CACHE_DIR": str(tmp_path / "cache"),
        "WANDB_DATA_DIR": str(tmp_path / "data"),
        "WANDB_BASE_URL": "http://127.0.0.1:9",  # nothing listens: no request can leave
        "WANDB_PROJECT": "lrguard-test",
        "WANDB_SILENT": "true",
        "WANDB_CONSOLE": "off",
        "WANDB_DISABLE_GIT": "true",
        "WANDB_DISABLE_CODE": "true",
        "WANDB_LOG_MODEL": "false",
        "WANDB_WATCH": "false",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)

    def no_login(*args, **kwargs):
        raise AssertionError("wandb tried to log in")

    monkeypatch.setattr("wandb.sdk.wandb_login._login", no_login)
    args = make_args(tmp_path, report_to="wandb", logging_steps=10, **MIN_ABOVE)
    try:
        train(args)
    finally:
        wandb.finish()
        wandb.teardown()  # stops wandb's service process, which closes the run file
    records = decisions(tmp_path)
    (run_file,) = (tmp_path / "wandb").glob("offline-run-*/run-*.wandb")
    rows = wandb_history(run_file)
    written: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        for key, value in row.items():
            if key.startswith("train/lrguard/"):
                written.setdefault(key, []).append((row["train/global_step"], value))
    assert_written(records, written)
    assert any("train/loss" in row for row in rows)  # the reader sees the ordinary logs too


# -- no tracker ---------------------------------------------------------------------------------
class Recorder(TrainerCallback):
    """A user callback: keeps every ``logs`` dict it is given."""

    def __init__(self) -> None:
        self.logs: list[dict[str, Any]] = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        self.logs.append(dict(logs))


@pytest.mark.parametrize("disable_tqdm", [True, False])
def test_no_tracker_no_warning_no_console_duplicate(tmp_path, caplog, capsys, disable_tqdm):
    import transformers

    transformers.logging.set_verbosity_warning()
    transformers.logging.enable_propagation()
    try:
        recorder = Recorder()
        args = make_args(tmp_path, report_to=[], disable_tqdm=disable_tqdm, **MIN_ABOVE)
        with caplog.at_level(logging.WARNING, logger="transformers"):
            trainer = train(args, "add", others=(recorder,))
    finally:
        transformers.logging.disable_propagation()
    records = decisions(tmp_path)
    assert not [r for r in caplog.records if r.name.startswith("transformers")]
    # a callback that is not a tracker sees on_log only for what transformers logged
    assert len(recorder.logs) == len(trainer.state.log_history)
    assert not [logs for logs in recorder.logs if any(k.startswith("lrguard/") for k in logs)]
    # printers (PrinterCallback / ProgressCallback) are skipped: the log line is the only one
    out = capsys.readouterr()
    assert "lrguard/" not in out.out + out.err
    assert caplog.text.count("LRG002") == 1
    # the decisions are kept in the trainer's state; log_history gets nothing of them
    assert guard_records(trainer) == records
    assert not [e for e in trainer.state.log_history if any("lrguard/" in k for k in e)]


# -- the form each tracker takes ------------------------------------------------------------
KNOWN_DEFAULT = {"CometCallback", "TrackioCallback", "SwanLabCallback"}
"""Trackers that keep the default form (text through ``on_log``): their ``on_log`` passes
any value on."""


def test_every_tracker_of_report_to_has_a_form():
    """A tracker a newer transformers adds fails here until its row is decided."""
    from transformers.integrations import INTEGRATION_TO_CALLBACK

    from hf_lrguard._trackers import FORMS

    for name, cls in INTEGRATION_TO_CALLBACK.items():
        rows = [c.__name__ for c in cls.__mro__ if c.__name__ in FORMS]
        assert rows or cls.__name__ in KNOWN_DEFAULT, (name, cls.__name__)


@pytest.mark.parametrize(
    ("record", "numbers"),
    [
        (  # a rate per param group: one key per group
            {"rule": "LRG022", "severity": "info", "after": {"lr": [1e-6, 2e-6]}},
            {
                "lrguard/LRG022/severity": 20,
                "lrguard/LRG022/lr/0/after": 1e-6,
                "lrguard/LRG022/lr/1/after": 2e-6,
            },
        ),
        (  # a number written as text, an infinite one, a flag: no number to send
            {
                "rule": "LRG004",
                "severity": "warning",
                "before": {"learning_rate": "1e-5"},
                "after": {"learning_rate": float("inf"), "flag": True},
            },
            {"lrguard/LRG004/severity": 30},
        ),
        (  # plain numbers, no severity
            {"rule": "LRG001", "before": 0.1, "after": [0.01]},
            {"lrguard/LRG001/before": 0.1, "lrguard/LRG001/after": 0.01},
        ),
    ],
)
def test_numeric_form(record, numbers):
    from hf_lrguard._trackers import tracker_numbers

    assert tracker_numbers(record) == numbers


RECORD2 = {"rule": "LRG098", "severity": "warning", "action": "warned", "message": "later."}


class SendsTwo(TrainerCallback):
    """Sends two records from ``on_train_begin``, once the trackers are set up."""

    def __init__(self) -> None:
        self.relay = TrackerRelay()

    def on_train_begin(self, args, state, control, **kwargs):
        self.relay.send([RECORD, RECORD2], state)


def test_a_failing_tracker_api_is_said_once_and_the_run_goes_on(tmp_path, monkeypatch, caplog):
    pytest.importorskip("tensorboard")
    from hf_lrguard import _trackers

    calls = []

    def broken(callback, record, lines):
        calls.append(record["rule"])
        raise ConnectionError("tracking server unreachable")

    row = _trackers.Form(text_logs=True, write_text=broken)
    monkeypatch.setitem(_trackers.FORMS, "TensorBoardCallback", row)
    sender = SendsTwo()
    trainer = make_trainer(make_args(tmp_path, report_to="tensorboard", max_steps=4), [sender])
    with caplog.at_level(logging.WARNING, logger="hf_lrguard"):
        trainer.train()
    assert trainer.state.global_step == 4
    assert calls == ["LRG099"]  # not tried again after the failure
    said = [r.getMessage() for r in caplog.records if "could not write" in r.getMessage()]
    assert len(said) == 1 and "ConnectionError: tracking server unreachable" in said[0]
    assert sender.relay.lines == [
        tracker_logs(r)[f"lrguard/{r['rule']}"] for r in (RECORD, RECORD2)
    ]
    assert_written([RECORD, RECORD2], tensorboard_texts(tmp_path / "out"))  # on_log still works
