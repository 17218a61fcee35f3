"""Tiny offline models, tokenizers and text data for the training clients (TRL,
sentence-transformers): built from configs and a word list, nothing is downloaded."""

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

from tests.hf.test_trackers import assert_written, tensorboard_texts  # noqa: E402, F401

WORDS = [
    "the",
    "a",
    "cat",
    "dog",
    "sat",
    "ran",
    "on",
    "under",
    "mat",
    "log",
    "fast",
    "slow",
    "red",
    "blue",
    "small",
    "big",
]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[EOS]"]
MIN_ABOVE = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr": 1e-4}}
CLEAN = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr_rate": 0.1}}
"""A floor ten times the peak (the rate rises all run) and a clean one."""


def sentences(n: int, seed: int = 0) -> list[str]:
    """Short sentences over ``WORDS``."""
    gen = torch.Generator().manual_seed(seed)
    picks = torch.randint(0, len(WORDS), (n, 6), generator=gen).tolist()
    return [" ".join(WORDS[i] for i in row) for row in picks]


def word_tokenizer() -> Any:
    """A whitespace word-level fast tokenizer over ``WORDS`` (with BERT-style specials)."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {token: i for i, token in enumerate(SPECIALS + WORDS)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        eos_token="[EOS]",
    )


def logged_lrs(trainer: Any) -> list[float]:
    return [e["learning_rate"] for e in trainer.state.log_history if "learning_rate" in e]


def saved_state_records(output_dir: Path) -> list[dict[str, Any]]:
    """The lrguard entries of ``trainer_state.json`` (written by ``trainer.save_state()``)."""
    import json

    state = json.loads((output_dir / "trainer_state.json").read_text())
    return [e["lrguard"] for e in state["log_history"] if "lrguard" in e]


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
