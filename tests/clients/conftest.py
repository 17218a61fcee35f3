"""Settings shared by the training-client tests (TRL, sentence-transformers); the tiny
models and text come from ``tests.tiny_text``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("datasets")

from tests import tiny_text  # noqa: E402
from tests.tiny_text import BERT_SPECIALS, sentences, tiny_llama  # noqa: E402, F401
from tests.trackers import assert_written, tensorboard_texts  # noqa: E402, F401

MIN_ABOVE = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr": 1e-4}}
CLEAN = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr_rate": 0.1}}
"""A floor ten times the peak (the rate rises all run) and a clean one."""


def word_tokenizer() -> Any:
    """The word-level tokenizer with BERT-style special tokens."""
    return tiny_text.word_tokenizer(BERT_SPECIALS)


def logged_lrs(trainer: Any) -> list[float]:
    return [e["learning_rate"] for e in trainer.state.log_history if "learning_rate" in e]


def saved_state_records(output_dir: Path) -> list[dict[str, Any]]:
    """The lrguard entries of ``trainer_state.json`` (written by ``trainer.save_state()``)."""
    from hf_lrguard import saved_decisions

    return saved_decisions(output_dir / "trainer_state.json")


def common_args(output_dir: Path, **overrides: Any) -> dict[str, Any]:
    """Training-argument fields for a fast CPU run of 20 steps."""
    settings: dict[str, Any] = {
        "output_dir": str(output_dir),
        "max_steps": 20,
        "per_device_train_batch_size": 4,
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
    return settings
