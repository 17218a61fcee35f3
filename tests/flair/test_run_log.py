"""The plugin's run log: the stop said once, and the same records on every process."""

from __future__ import annotations

import logging

import pytest

from flair_lrguard import LRGuardPlugin
from lrguard import read_jsonl
from tests.flair.conftest import FAST, FlatMetricClassifier

# two anneals (0.1 -> 0.05 -> 0.025), then patience 0 exhausted at the floor after epoch 4
STOPS = {"learning_rate": 0.1, "min_learning_rate": 0.025, "patience": 0, "max_epochs": 12}


def _train(trainer_factory, path) -> LRGuardPlugin:
    plugin = LRGuardPlugin()
    trainer_factory(FlatMetricClassifier).train(path, plugins=[plugin], **STOPS, **FAST)
    return plugin


def test_the_stop_is_written_once(trainer_factory, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="flair"):
        plugin = _train(trainer_factory, tmp_path)
    lines = (tmp_path / "training.log").read_text().splitlines()
    stops = [line for line in lines if "stopping after epoch" in line]
    assert len(stops) == 1, stops
    assert "LRG010 [stopped at epoch 4] stopping after epoch 4" in stops[0]
    said = [r for r in caplog.records if "stopping after epoch" in r.getMessage()]
    assert len(said) == 1
    (record,) = [r for r in read_jsonl(tmp_path / "lrguard.jsonl") if r["rule"] == "LRG010"]
    assert record["epoch"] == 4 and record["action"] == "stopped"
    assert plugin.stop_reason == stops[0][stops[0].index("lrguard LRG010") :]


def test_every_process_keeps_the_records_only_the_main_one_writes(
    trainer_factory, tmp_path, monkeypatch, caplog
):
    distributed = pytest.importorskip("flair.distributed_utils")  # Flair >= 0.15
    main = _train(trainer_factory, tmp_path / "main")
    # another rank: the plugin asks Flair whether it is the main process (Flair's trainer
    # keeps its own answer, so the run itself is the same)
    monkeypatch.setattr(distributed, "is_main_process", lambda: False)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="flair.lrguard"):
        other = _train(trainer_factory, tmp_path / "other")
    assert [r["rule"] for r in main.decisions] == ["LRG007", "LRG009", "LRG009", "LRG010"]
    assert other.decisions == main.decisions
    assert not (tmp_path / "other" / "lrguard.jsonl").exists()
    assert not [r for r in caplog.records if r.name == "flair.lrguard"]
    assert read_jsonl(tmp_path / "main" / "lrguard.jsonl") == main.decisions
