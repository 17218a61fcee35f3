"""A tiny offline Hugging Face task to try lrguard on: a 1-layer BERT (hidden size 16) built
from a config and synthetic token data with a learnable label. Nothing is downloaded; use your
own model and data for real work.

Example:
    >>> from hf_lrguard.examples import TinyData, tiny_model
    >>> len(TinyData(64)), tiny_model().config.hidden_size
    (64, 16)
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import BertConfig, BertForSequenceClassification

VOCAB = 100
SEQ = 8


class TinyData(torch.utils.data.Dataset):
    """Random token ids with a learnable label (token 1 present -> label 1)."""

    def __init__(self, n: int, seed: int = 0) -> None:
        gen = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(2, VOCAB, (n, SEQ), generator=gen)
        self.labels = torch.randint(0, 2, (n,), generator=gen)
        self.ids[self.labels == 1, 0] = 1

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"input_ids": self.ids[i], "labels": self.labels[i]}


def tiny_model(seed: int = 0) -> BertForSequenceClassification:
    """A randomly initialised 1-layer BERT classifier (two labels) over ``VOCAB`` tokens."""
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=VOCAB,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=SEQ,
        num_labels=2,
    )
    return BertForSequenceClassification(config)


def accuracy(pred: Any) -> dict[str, float]:
    """``compute_metrics`` for ``Trainer``: the share of correct labels."""
    logits, labels = pred
    return {"accuracy": float((logits.argmax(-1) == labels).mean())}


__all__ = ["SEQ", "VOCAB", "TinyData", "accuracy", "tiny_model"]
