"""``lrguard.run_log.RunLog``: one run's decisions, as every integration keeps them."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

from lrguard.decision_log import read_jsonl
from lrguard.findings import Decision
from lrguard.run_log import (
    SCHEMA,
    RunLog,
    anneal_decision,
    floor_reached_decision,
    floor_stop_decision,
    instance_key,
    latest_state,
    step_stop_decision,
)

CONTRACT = {"rule", "severity", "action", "message", "before", "after", "framework"}
LOGGER = logging.getLogger("tests.run_log")
WARN = Decision(
    rule="LRG021", severity="warning", action="warned", message="kwargs ignored.", location="k"
)


def test_a_decision_before_training_is_kept_once_training_events_every_time(tmp_path):
    run = RunLog("hf", LOGGER, tmp_path / "lrguard.jsonl")
    assert run.emit(WARN) is not None
    assert run.emit(WARN) is None
    stop = step_stop_decision(
        step=8, since=4, bad_evals=2, patience=1, lrs=[1e-6], floors=[1e-6], schedule="greedy"
    )
    assert run.emit(stop) is not None and run.emit(stop) is not None  # two events, two records
    assert [r["rule"] for r in run.records] == ["LRG021", "LRG010", "LRG010"]
    assert read_jsonl(tmp_path / "lrguard.jsonl") == run.records


def test_every_process_keeps_the_records_only_the_main_one_logs_and_writes(tmp_path, caplog):
    main = RunLog("flair", LOGGER, tmp_path / "main.jsonl", main_process=True)
    other = RunLog("flair", LOGGER, tmp_path / "other.jsonl", main_process=False)
    event = anneal_decision(epoch=2, patience=0, before=[0.1], after=[0.05], floors=[0.01])
    with caplog.at_level(logging.DEBUG, logger=LOGGER.name):
        for run in (main, other):
            run.announce(WARN)
            run.emit(WARN, echo=False)
            run.emit(event)
            run.say_once("topic", "cannot check %s", "x")
            run.say_once("topic", "cannot check %s", "x")
    assert other.records == main.records
    assert [r["framework"] for r in main.records] == ["flair", "flair"]
    assert other.path is None and not (tmp_path / "other.jsonl").exists()
    assert read_jsonl(tmp_path / "main.jsonl") == main.records
    # main: the warning (announced), the anneal, the note once; the other process: nothing
    assert [r.getMessage()[:20] for r in caplog.records] == [
        "lrguard LRG021 [warn",
        "lrguard LRG009 [anne",
        "cannot check x",
    ]


def test_keep_records_without_line_file_or_trackers(tmp_path, caplog):
    run = RunLog("hf", LOGGER, tmp_path / "lrguard.jsonl")
    with caplog.at_level(logging.DEBUG, logger=LOGGER.name):
        assert run.keep(WARN) is not None
        assert run.keep(WARN) is None
    assert [r["rule"] for r in run.records] == ["LRG021"]
    assert run.take_pending() == [] and not caplog.records
    assert not (tmp_path / "lrguard.jsonl").exists()


def test_records_wait_for_the_trackers_until_taken():
    run = RunLog("hf", LOGGER)
    run.emit(WARN)
    assert [r["rule"] for r in run.take_pending()] == ["LRG021"]
    assert run.take_pending() == []
    run.emit(floor_reached_decision(step=3, lrs=[1e-6], floors=[1e-6], patience=0, schedule="s"))
    assert [r["step"] for r in run.take_pending()] == [3]


def test_resume_neither_repeats_nor_loses_a_decision(tmp_path):
    first = RunLog("hf", LOGGER, tmp_path / "lrguard.jsonl", instance=instance_key("G", 0))
    first.emit(WARN)
    noted = floor_reached_decision(step=5, lrs=[1e-6], floors=[1e-6], patience=0, schedule="s")
    first.emit(noted)
    state = json.loads(json.dumps(first.resume_state(floor={"bad_evals": 1})))  # a checkpoint
    assert state["schema"] == SCHEMA and state["instance"] == "G#0"

    resumed = RunLog("hf", LOGGER, tmp_path / "lrguard.jsonl", instance="G#0")
    records = resumed.records  # e.g. held by a model card: restored in place
    assert resumed.restore(state) == {"floor": {"bad_evals": 1}}
    assert records is resumed.records and records == first.records
    assert resumed.take_pending() == []  # the trackers had them already
    assert resumed.emit(WARN) is None  # the same check again after the resume
    later = step_stop_decision(
        step=9, since=5, bad_evals=2, patience=0, lrs=[1e-6], floors=[1e-6], schedule="s"
    )
    resumed.emit(later)
    assert [r["rule"] for r in resumed.records] == ["LRG021", "LRG022", "LRG010"]
    assert [r["rule"] for r in read_jsonl(tmp_path / "lrguard.jsonl")] == [
        "LRG021",
        "LRG022",
        "LRG010",
    ]


@pytest.mark.parametrize("foreign", [None, [], "x", {"decisions": "not a list"}])
def test_restore_tolerates_foreign_input(foreign):
    run = RunLog("hf", LOGGER)
    run.emit(WARN)
    run.restore(foreign)
    assert [r["rule"] for r in run.records] == ([] if isinstance(foreign, dict) else ["LRG021"])


def test_counters_may_not_take_the_run_logs_keys():
    with pytest.raises(ValueError, match=r"\['decisions'\].*Fix: name the counters"):
        RunLog("hf", LOGGER).resume_state(decisions=[])


def test_two_instances_never_read_each_others_state():
    saved = [
        {"instance": "G#0", "decisions": [{"rule": "A"}]},
        {"instance": "G#1", "decisions": []},
        {"instance": "G#0", "decisions": [{"rule": "A"}, {"rule": "B"}]},  # newer copy
    ]
    assert latest_state(saved, "G#0", 0) is saved[2]
    assert latest_state(saved, "G#1", 1) is saved[1]
    assert latest_state(saved, "G#2", 2) is None  # a keyed state is never taken by position
    legacy = [{"decisions": [{"rule": "A"}]}, {"decisions": []}]  # schema 1: by position
    assert latest_state(legacy, "G#1", 1) is legacy[1]
    assert latest_state(legacy, "G#5", 5) is None


def test_event_decisions_carry_the_contract_keys():
    events = [
        anneal_decision(epoch=3, patience=1, before=[0.1, 0.2], after=[0.05, 0.1], floors=[0, 0]),
        floor_stop_decision(epoch=7, patience=1, lrs=[1e-4], floors=[1e-4], best="no best model"),
        floor_reached_decision(step=4, lrs=[1e-6], floors=[1e-6], patience=0, schedule="greedy"),
        step_stop_decision(
            step=6, since=4, bad_evals=1, patience=0, lrs=[1e-6], floors=[1e-6], schedule="greedy"
        ),
    ]
    run = RunLog("flair", LOGGER)
    records = [run.emit(e) for e in events]
    assert [r["rule"] for r in records] == ["LRG009", "LRG010", "LRG022", "LRG010"]
    for record in records:
        assert set(record) >= CONTRACT and ({"epoch", "step"} & set(record))
    assert "learning rate [0.1, 0.2] -> [0.05, 0.1]" in records[0]["message"]
    assert records[1]["message"].startswith("stopping after epoch 7: 2 evaluations")


def test_the_core_imports_no_framework():
    code = (
        "import sys, lrguard.run_log, lrguard.floor_watch; "
        "print(sorted(m for m in ('torch', 'flair', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
