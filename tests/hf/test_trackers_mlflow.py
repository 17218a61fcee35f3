"""MLflow gets each decision as numbers (metrics) and as text (a run tag and an artifact) in the
run ``MLflowCallback`` logs to, read back from MLflow's file store; nothing MLflow warns about,
no second run, ``log_history`` as transformers writes it.

MLflow 3.x refuses the file store (``file://…``, the layout read here) unless
``MLFLOW_ALLOW_FILE_STORE=true``; its database store (``sqlite:///…``) also works offline but
spends seconds creating its tables, so the tests use the file store."""

from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

from hf_lrguard import LRGuardCallback
from lrguard import read_jsonl
from tests.hf.conftest import guard_records, make_args, make_trainer

pytestmark = pytest.mark.hf
MIN_ABOVE = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr": 1e-4}}
FIELD = "lrguard/LRG002/lr_scheduler_kwargs.min_lr"


def read_store(root: Path) -> list[dict[str, Any]]:
    """Every run of a file store: metrics (key -> [(step, value)]), tags, artifacts' text.

    Layout: ``<root>/<experiment>/<run>/{metrics,tags,artifacts}/<key as a path>``; a metric
    file holds one ``timestamp value step`` line per logged value."""
    runs = []
    for meta in sorted(root.glob("*/*/meta.yaml")):
        run = meta.parent

        def files(kind: str, run: Path = run) -> dict[str, str]:
            folder = run / kind
            return {
                p.relative_to(folder).as_posix(): p.read_text()
                for p in sorted(folder.rglob("*"))
                if p.is_file()
            }

        metrics = {
            key: [(int(line.split()[2]), float(line.split()[1])) for line in text.splitlines()]
            for key, text in files("metrics").items()
        }
        runs.append({"metrics": metrics, "tags": files("tags"), "artifacts": files("artifacts")})
    return runs


@pytest.fixture
def mlflow_store(tmp_path, monkeypatch):
    """A local file store under ``tmp_path``; no run active before or after; transformers'
    own warnings (MLflowCallback's "only accepts float and int") reach ``caplog``."""
    mlflow = pytest.importorskip("mlflow")
    import transformers

    root = tmp_path / "mlruns"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", root.as_uri())
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    for name in ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_NESTED_RUN", "MLFLOW_TAGS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_MLFLOW_LOG_ARTIFACTS", "false")
    assert mlflow.active_run() is None
    transformers.logging.set_verbosity_warning()
    transformers.logging.enable_propagation()
    try:
        yield mlflow, root
    finally:
        transformers.logging.disable_propagation()
        while mlflow.active_run() is not None:
            mlflow.end_run()


@pytest.mark.parametrize("opened_by", ["callback", "user"])
def test_mlflow_gets_numbers_as_metrics_and_text_as_tag_and_artifact(
    tmp_path, mlflow_store, caplog, opened_by
):
    mlflow, root = mlflow_store
    if opened_by == "user":
        mlflow.start_run(run_name="mine")  # MLflowCallback logs into a run already active
    args = make_args(tmp_path, report_to="mlflow", logging_steps=10, **MIN_ABOVE)
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        trainer = make_trainer(args, callbacks=[LRGuardCallback()])
        trainer.train()
        if opened_by == "user":
            mlflow.end_run()
    assert mlflow.active_run() is None
    records = read_jsonl(tmp_path / "out" / "lrguard.jsonl")
    assert [(r["rule"], r["action"]) for r in records] == [("LRG002", "adjusted")]

    (run,) = read_store(root)  # one run: the guard opened none of its own
    metrics, tags = run["metrics"], run["tags"]
    assert metrics[f"{FIELD}/after"] == [(0, 1e-6)]  # the rate the decision set, at step 0
    assert metrics[f"{FIELD}/before"] == [(0, 1e-4)]
    assert records[0]["severity"] == "error"  # a finding that is an error, fixed
    assert metrics["lrguard/LRG002/severity"] == [(0, logging.ERROR)]
    assert [step for step, _ in metrics["loss"]] == [10, 20, 30, 40]  # the usual logs too
    line = tags["lrguard/LRG002"]
    assert line.startswith("lrguard LRG002 [adjusted]") and records[0]["message"] in line
    assert run["artifacts"] == {"lrguard/decisions.txt": line + "\n"}
    if opened_by == "user":
        assert tags["mlflow.runName"] == "mine"

    # nothing dropped with a warning: no log record nor Python warning names a guard key
    said = [r.getMessage() for r in caplog.records] + [str(w.message) for w in caught]
    assert not [m for m in said if "lrguard/" in m or "only accepts float and int" in m]
    # log_history as transformers writes it: four logging steps and the summary
    assert [e["step"] for e in trainer.state.log_history] == [10, 20, 30, 40, 40]
    assert guard_records(trainer) == records


def test_no_text_without_an_active_run(tmp_path, mlflow_store):
    """A tracker whose run is not open (its on_train_begin did not run yet) gets no tag: the
    guard never starts a run of its own."""
    from transformers.integrations import MLflowCallback

    from hf_lrguard._trackers import mlflow_text

    mlflow, root = mlflow_store
    record = {"rule": "LRG099", "severity": "info", "action": "noted", "message": "m."}
    assert mlflow_text(MLflowCallback(), record, ["lrguard LRG099 [noted] m."]) is False
    assert mlflow.active_run() is None and not root.exists()


def test_text_waits_for_the_metrics_mlflow_is_still_writing(mlflow_store, monkeypatch):
    """MLflowCallback logs metrics asynchronously; MLflow's ``log_text`` reads every metric
    file of the run. A metric file that exists but is not written yet ("malformed. No data
    found") must not cost the decision's text: the window is widened here to make it sure."""
    mlflow, root = mlflow_store
    from mlflow.store.tracking import file_store

    from hf_lrguard._trackers import ARTIFACT, mlflow_text

    def slow_append(filename: str, data: str) -> None:
        with open(filename, "a") as handle:  # the file exists, empty, for a while
            time.sleep(0.3)
            handle.write(data)

    monkeypatch.setattr(file_store, "append_to", slow_append)

    class Callback:
        _ml_flow = mlflow

    line = "lrguard LRG002 [adjusted] a decision"
    with mlflow.start_run():
        mlflow.log_metrics({f"{FIELD}/after": 1e-6}, step=0, synchronous=False)
        assert mlflow_text(Callback, {"rule": "LRG002"}, [line])
    (run,) = read_store(root)
    assert run["metrics"][f"{FIELD}/after"] == [(0, 1e-6)]
    assert run["artifacts"] == {ARTIFACT: line + "\n"}
