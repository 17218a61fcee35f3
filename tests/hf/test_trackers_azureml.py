"""AzureML gets each decision as numbers, the only values its callback passes on.

The ``azureml`` SDK cannot be installed here (it needs a workspace), so only the remote run
object is replaced: ``azureml.core.run.Run.get_context()`` returns a recording stand-in for
the service, and transformers' own ``AzureMLCallback`` (attached by ``report_to="azure_ml"``)
runs for real, forwarding ``run.log(name, value)`` for every number of ``on_log``."""

from __future__ import annotations

import importlib.machinery
import logging
import sys
import types
from typing import Any

import pytest

from hf_lrguard import LRGuardCallback
from lrguard import read_jsonl
from tests.hf.conftest import guard_records, make_args, make_trainer

pytestmark = pytest.mark.hf
MIN_ABOVE = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr": 1e-4}}
FIELD = "lrguard/LRG002/lr_scheduler_kwargs.min_lr"


class RecordingRun:
    """Stands in for ``azureml.core.run.Run``: keeps every ``log`` call."""

    def __init__(self) -> None:
        self.logged: list[tuple[str, Any]] = []

    def log(self, name: str, value: Any, description: str = "") -> None:
        self.logged.append((name, value))


@pytest.fixture
def azure_run(monkeypatch) -> RecordingRun:
    """``azureml.core.run`` as an importable module whose ``Run.get_context()`` is a
    :class:`RecordingRun` (transformers checks the three modules with ``find_spec``)."""
    run = RecordingRun()
    for name in ("azureml", "azureml.core", "azureml.core.run"):
        module = types.ModuleType(name)
        module.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
        monkeypatch.setitem(sys.modules, name, module)
    sys.modules["azureml.core.run"].Run = types.SimpleNamespace(get_context=lambda: run)
    return run


def test_azureml_gets_the_decision_as_numbers(tmp_path, azure_run):
    from transformers.integrations import AzureMLCallback

    args = make_args(tmp_path, report_to="azure_ml", logging_steps=10, **MIN_ABOVE)
    trainer = make_trainer(args, callbacks=[LRGuardCallback()])
    assert any(isinstance(cb, AzureMLCallback) for cb in trainer.callback_handler.callbacks)
    trainer.train()
    records = read_jsonl(tmp_path / "out" / "lrguard.jsonl")
    assert [(r["rule"], r["action"]) for r in records] == [("LRG002", "adjusted")]

    guard = [(k, v) for k, v in azure_run.logged if k.startswith("lrguard/")]
    assert sorted(guard) == [
        (f"{FIELD}/after", 1e-6),  # the rate the decision set
        (f"{FIELD}/before", 1e-4),
        ("lrguard/LRG002/severity", logging.ERROR),
    ]
    assert all(isinstance(v, int | float) for _, v in azure_run.logged)
    assert [v for k, v in azure_run.logged if k == "loss"]  # the usual logs reach it too
    assert guard_records(trainer) == records  # kept in the state, not in log_history
    assert [e["step"] for e in trainer.state.log_history] == [10, 20, 30, 40, 40]
