"""Tiny offline Trainer runs: a 1-layer BERT built from a config, synthetic data, CPU."""

from __future__ import annotations

import logging
import os
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from transformers import Trainer, TrainingArguments  # noqa: E402

from hf_lrguard.examples import SEQ, VOCAB, TinyData, accuracy, tiny_model  # noqa: E402, F401

torch.set_num_threads(1)
MAJOR = int(transformers.__version__.split(".")[0])

pytestmark = pytest.mark.hf


def make_args(tmp_path, **overrides: Any) -> TrainingArguments:
    """TrainingArguments for a fast CPU run (40 steps of batch 4 by default)."""
    settings: dict[str, Any] = {
        "output_dir": str(tmp_path / "out"),
        "max_steps": 40,
        "per_device_train_batch_size": 4,
        "per_device_eval_batch_size": 16,
        "learning_rate": 1e-5,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": [],
        "use_cpu": True,
        "seed": 0,
        "dataloader_num_workers": 0,
        "disable_tqdm": True,
    }
    settings.update(overrides)
    return TrainingArguments(**settings)


def make_trainer(args: TrainingArguments, callbacks=None, n_train: int = 64, **kw) -> Trainer:
    extra = {}
    if args.eval_strategy != "no":
        extra = {"eval_dataset": TinyData(16, seed=1), "compute_metrics": accuracy}
    extra.update(kw)
    return Trainer(
        model=tiny_model(),
        args=args,
        train_dataset=TinyData(n_train),
        callbacks=callbacks,
        **extra,
    )


def logged_lrs(trainer: Trainer) -> list[float]:
    return [e["learning_rate"] for e in trainer.state.log_history if "learning_rate" in e]


def guard_records(trainer: Trainer) -> list[dict[str, Any]]:
    """The decisions kept in the trainer's state (``stateful_callbacks``, as saved in
    ``trainer_state.json``); ``log_history`` holds none."""
    from hf_lrguard import saved_decisions

    assert not [e for e in trainer.state.log_history if "lrguard" in e]
    return saved_decisions(trainer.state)


@pytest.fixture(autouse=True)
def _quiet_transformers():
    transformers.logging.set_verbosity_error()
    logging.getLogger("hf_lrguard").setLevel(logging.INFO)
    yield
