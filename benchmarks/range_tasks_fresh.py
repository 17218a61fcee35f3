"""Fresh held-out tasks of the range test's quality benchmark: a report half no suggestion
rule has been looked at on.

These tasks were written, and the split fixed, before any of them was run through the
benchmark: they were only checked to learn at their default rate and to sweep, no
suggestion or curve was read on them, no suggestion rule was chosen or tuned on them, and
they are read once, for the acceptance numbers.
Each differs from every other task of the benchmark in model, data or optimizer: a linear
multinomial logistic regression on unscaled Gaussian features with plain SGD, a GRU sequence
classifier with RMSprop, a small transformer encoder with Adam and a linear warmup (three
plain PyTorch loops), and a GPT-2 trained from its config through ``Trainer`` with AdamW.
Every model and data set is built here.
"""

from __future__ import annotations

import math
import random
from typing import Any

import torch

from benchmarks.range_tasks import (
    ADAM_DEFAULT,
    SGD_DEFAULT,
    TOPICS,
    VOCAB,
    HFTask,
    IdData,
    TaskSpec,
    topic_ids,
)
from benchmarks.range_tasks_report import TorchMLPMomentum

RMSPROP_DEFAULT = (
    "Keras RMSprop learning_rate=0.001 (torch.optim.RMSprop's own default lr=1e-2 is ten "
    "times higher)"
)

# --- linear logistic regression, plain SGD ----------------------------------------------------

FEATURES = 40
CLASSES = 6


def gaussian_classes(n: int, seed: int, *, spread: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` points of ``CLASSES`` Gaussian classes in ``FEATURES`` dimensions: a fixed random
    class mean (standard deviation ``spread``) plus unit Gaussian noise, then every feature
    scaled by a fixed factor between 0.3 and 3 (log-uniform) and shifted by a fixed offset
    (standard deviation 1), so the inputs are neither centred nor unit-scaled."""
    layout = torch.Generator().manual_seed(4001)
    means = spread * torch.randn(CLASSES, FEATURES, generator=layout)
    low, high = math.log(0.3), math.log(3.0)
    scales = torch.exp(low + (high - low) * torch.rand(FEATURES, generator=layout))
    offsets = torch.randn(FEATURES, generator=layout)
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, CLASSES, (n,), generator=gen)
    x = (means[y] + torch.randn(n, FEATURES, generator=gen)) * scales + offsets
    return x, y


class TorchLogisticSGD(TorchMLPMomentum):
    """A plain PyTorch loop: a linear multinomial logistic regression (40 features, 6
    classes, no hidden layer) on unscaled Gaussian classes, plain SGD (no momentum), batch
    32, 10 epochs, no schedule."""

    spec = TaskSpec(
        "torch-logistic-sgd",
        "plain PyTorch loop, linear logistic regression, SGD, 10 epochs, batch 32, no schedule",
        (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0),
        {"train": 1200, "dev": 1000, "model": "Linear 40-6 (multinomial logistic regression)"},
        default_lr=0.1,
        default_source=SGD_DEFAULT,
        requires=("torch_lrguard",),
    )
    epochs = 10

    def __init__(self) -> None:
        self.train_x, self.train_y = gaussian_classes(1200, 401, spread=0.3)
        self.dev_x, self.dev_y = gaussian_classes(1000, 402, spread=0.3)

    def model(self, seed: int) -> torch.nn.Module:
        torch.manual_seed(seed)
        return torch.nn.Linear(FEATURES, CLASSES)

    def optimizer(self, model: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
        return torch.optim.SGD(model.parameters(), lr=lr)


# --- token sequences --------------------------------------------------------------------------

MARKERS = 3
SEQ_VOCAB = 30
"""Token ids: 0 unused (no padding: every sequence has the same length), 1-3 the markers,
4-29 fillers."""
SEQ_LENGTH = 12


def marker_sequences(n: int, seed: int, *, rate: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` sequences of ``SEQ_LENGTH`` tokens, each a marker (probability ``rate``, one of
    three) or a filler; the label is the marker that occurs most often (sequences with a tie
    are drawn again)."""
    rng = random.Random(seed)
    rows: list[list[int]] = []
    labels: list[int] = []
    for _ in range(20 * n):  # ties: about 1 draw in 4 at rate 0.5, 1 in 2 at rate 0.1
        if len(rows) == n:
            break
        row = [
            1 + rng.randrange(MARKERS)
            if rng.random() < rate
            else 1 + MARKERS + rng.randrange(SEQ_VOCAB - 1 - MARKERS)
            for _ in range(SEQ_LENGTH)
        ]
        counts = sorted((row.count(1 + k), k) for k in range(MARKERS))
        if counts[-1][0] == counts[-2][0]:
            continue
        rows.append(row)
        labels.append(counts[-1][1])
    if len(rows) < n:
        raise ValueError(f"marker_sequences: rate={rate} draws too many ties; use rate >= 0.1")
    return torch.tensor(rows), torch.tensor(labels)


class GRUClassifier(torch.nn.Module):
    """Token embeddings (16), a one-layer GRU (hidden 32) and a linear layer on its last
    hidden state."""

    def __init__(self, vocab: int, labels: int, *, width: int = 16, hidden: int = 32) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, width)
        self.gru = torch.nn.GRU(width, hidden, batch_first=True)
        self.out = torch.nn.Linear(hidden, labels)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        _, last = self.gru(self.embed(ids))
        return self.out(last[-1])


class TorchGRURMSprop(TorchMLPMomentum):
    """A plain PyTorch loop: a GRU sequence classifier learns which of three marker tokens
    occurs most often in 12 tokens, with ``torch.optim.RMSprop`` (its defaults apart from the
    rate), batch 32, 8 epochs, no schedule."""

    spec = TaskSpec(
        "torch-gru-rmsprop",
        "plain PyTorch loop, Embedding + GRU, RMSprop, 8 epochs, batch 32, no schedule",
        (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1),
        {"train": 1200, "dev": 1000, "model": "Embedding(30, 16) + GRU(32) + Linear"},
        default_lr=1e-3,
        default_source=RMSPROP_DEFAULT,
        requires=("torch_lrguard",),
    )
    epochs = 8

    def __init__(self) -> None:
        self.train_x, self.train_y = marker_sequences(1200, 501, rate=0.5)
        self.dev_x, self.dev_y = marker_sequences(1000, 502, rate=0.5)

    def model(self, seed: int) -> torch.nn.Module:
        torch.manual_seed(seed)
        return GRUClassifier(SEQ_VOCAB, MARKERS)

    def optimizer(self, model: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
        return torch.optim.RMSprop(model.parameters(), lr=lr)


ORDER_A, ORDER_B = 1, 2
"""The two tokens whose order ``order_sequences`` asks about; 3-19 are fillers."""
ORDER_VOCAB = 20


def order_sequences(n: int, seed: int, *, noise: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` sequences of ``SEQ_LENGTH`` tokens holding token A and token B once each, at
    random places, among fillers; the label is 1 when A comes before B, a share ``noise`` of
    the labels replaced at random."""
    rng = random.Random(seed)
    rows, labels = [], []
    for _ in range(n):
        row = [rng.randrange(ORDER_B + 1, ORDER_VOCAB) for _ in range(SEQ_LENGTH)]
        first, second = rng.sample(range(SEQ_LENGTH), 2)
        row[first], row[second] = ORDER_A, ORDER_B
        label = int(first < second)
        if rng.random() < noise:
            label = rng.randrange(2)
        rows.append(row)
        labels.append(label)
    return torch.tensor(rows), torch.tensor(labels)


class TinyEncoder(torch.nn.Module):
    """Token and learned position embeddings (32), a 2-layer ``nn.TransformerEncoder`` (4
    heads, feed-forward 64, dropout 0.1, batch first), mean pooling and a linear layer."""

    def __init__(self, vocab: int, length: int, labels: int, *, width: int = 32) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, width)
        self.position = torch.nn.Embedding(length, width)
        layer = torch.nn.TransformerEncoderLayer(
            width, 4, dim_feedforward=2 * width, dropout=0.1, batch_first=True
        )
        self.encoder = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.out = torch.nn.Linear(width, labels)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        places = torch.arange(ids.shape[1], device=ids.device)
        hidden = self.encoder(self.embed(ids) + self.position(places))
        return self.out(hidden.mean(dim=1))


def warmup_then_constant(warmup: int) -> Any:
    """The factor of a linear warmup over ``warmup`` steps, then constant: step ``s`` trains
    at ``min(1, (s + 1) / warmup)`` times the rate."""

    def factor(step: int) -> float:
        return min(1.0, (step + 1) / warmup)

    return factor


class TorchTransformerAdamWarmup(TorchMLPMomentum):
    """A plain PyTorch loop: a 2-layer transformer encoder (d_model 32) learns whether token
    A comes before token B, with ``torch.optim.Adam``, a linear warmup over the first 10 % of
    the steps then a constant rate (``LambdaLR`` stepped every batch), batch 32, 8 epochs.
    The range test sweeps without the schedule."""

    spec = TaskSpec(
        "torch-transformer-adam-warmup",
        "plain PyTorch loop, TransformerEncoder 2x32, Adam, linear warmup 10 % then constant, "
        "8 epochs, batch 32",
        (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1),
        {"train": 1200, "dev": 1000, "model": "TransformerEncoder 2 layers, d_model 32, 4 heads"},
        default_lr=1e-3,
        default_source=ADAM_DEFAULT,
        requires=("torch_lrguard",),
    )
    epochs = 8
    warmup_share = 0.1

    def __init__(self) -> None:
        self.train_x, self.train_y = order_sequences(1200, 601, noise=0.05)
        self.dev_x, self.dev_y = order_sequences(1000, 602, noise=0.05)

    def model(self, seed: int) -> torch.nn.Module:
        torch.manual_seed(seed)
        return TinyEncoder(ORDER_VOCAB, SEQ_LENGTH, 2)

    def optimizer(self, model: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
        return torch.optim.Adam(model.parameters(), lr=lr)

    def schedule(
        self, optimizer: torch.optim.Optimizer, steps: int
    ) -> torch.optim.lr_scheduler.LRScheduler:
        """A linear warmup over the first 10 % of the steps, then the rate itself."""
        warmup = max(1, math.ceil(self.warmup_share * steps))
        return torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_then_constant(warmup))


# --- Hugging Face Trainer ---------------------------------------------------------------------


class HFGPT2Scratch(HFTask):
    """Topic classification from scratch with a decoder: a 2-layer GPT-2 (``n_embd`` 32, 2
    heads) built from its config (``GPT2ForSequenceClassification``, which reads the last
    token), ``Trainer``'s AdamW and linear decay, two topic words and two distractors in 12,
    10 % label noise."""

    spec = TaskSpec(
        "hf-gpt2-scratch-adamw",
        "HF Trainer, GPT-2 2x32 from its config, AdamW, linear decay, 8 epochs, batch 16",
        (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1),
        {"train": 800, "dev": 500, "model": "GPT2ForSequenceClassification(2x32, 2 heads)"},
        default_lr=1e-3,
        default_source=ADAM_DEFAULT,
        requires=("transformers",),
    )
    epochs = 8

    def make_data(self) -> tuple[IdData, IdData]:
        return (
            topic_ids(800, 131, noise=0.1, signal=2),
            topic_ids(500, 132, noise=0.1, signal=2),
        )

    def build(self) -> Any:
        from transformers import GPT2Config, GPT2ForSequenceClassification

        config = GPT2Config(
            vocab_size=VOCAB,
            n_positions=16,
            n_embd=32,
            n_layer=2,
            n_head=2,
            num_labels=TOPICS,
            pad_token_id=0,
        )
        return GPT2ForSequenceClassification(config)


TASKS = (TorchLogisticSGD, TorchGRURMSprop, TorchTransformerAdamWarmup, HFGPT2Scratch)
"""The fresh report half's tasks."""
