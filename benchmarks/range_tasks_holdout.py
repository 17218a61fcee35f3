"""Four tasks of the range test's quality benchmark that were held out for one rule, then read.

These tasks were written, and set aside, before any of them was run and before the
suggestion rule chosen after them; they reported on that rule once and have been part of
the design half since (``benchmarks/range_tasks_fresh.py`` holds the report half). They
differ from the first thirteen tasks in model, data and optimizer: a plain PyTorch
regression trained long with AdamW, a small convolutional network with plain SGD, a BERT
pre-trained here fine-tuned with SGD and momentum through ``Trainer``, and a Llama
pre-trained here fully fine-tuned with AdamW on a cosine schedule with warmup. Every model
and corpus is built here.
"""

from __future__ import annotations

import tempfile
from typing import Any

import torch

from benchmarks.range_tasks import (
    ADAM_DEFAULT,
    FINE_TUNE_DEFAULT,
    SGD_DEFAULT,
    HFFineTune,
    HFTask,
    IdData,
    TaskSpec,
    topic_ids,
    topic_pairs,
)
from benchmarks.range_tasks_report import (
    SGD_MOMENTUM_DEFAULT,
    TorchMLPMomentum,
    _parity,
    pretrained_llama,
)


def teacher_targets(n: int, seed: int, *, noise: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` Gaussian points in 10 dimensions and a fixed random 2-layer tanh teacher's
    scalar output, plus Gaussian noise of standard deviation ``noise``."""
    teacher = torch.Generator().manual_seed(4321)
    w1 = torch.randn(10, 24, generator=teacher)
    w2 = torch.randn(24, 1, generator=teacher) / 24**0.5
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 10, generator=gen)
    y = (torch.tanh(x @ w1) @ w2).squeeze(-1)
    return x, y + noise * torch.randn(n, generator=gen)


class TorchMLPAdamWRegression(TorchMLPMomentum):
    """A plain PyTorch loop trained long: an MLP (10-64-64-1, ReLU) regresses a random
    teacher's output with AdamW, batch 32, 60 epochs (2,280 steps), no schedule; the dev score
    is R^2 (0 for the constant mean)."""

    spec = TaskSpec(
        "torch-mlp-adamw-regression-long",
        "plain PyTorch loop, AdamW, 60 epochs, batch 32, no schedule, MSE",
        (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1),
        {"train": 1200, "dev": 1000, "model": "MLP 10-64-64-1"},
        default_lr=1e-3,
        default_source=ADAM_DEFAULT,
        requires=("torch_lrguard",),
    )
    epochs = 60

    def __init__(self) -> None:
        self.train_x, self.train_y = teacher_targets(1200, 201, noise=0.2)
        self.dev_x, self.dev_y = teacher_targets(1000, 202, noise=0.2)

    def model(self, seed: int) -> torch.nn.Module:
        torch.manual_seed(seed)
        return torch.nn.Sequential(
            torch.nn.Linear(10, 64),
            torch.nn.ReLU(),
            torch.nn.Linear(64, 64),
            torch.nn.ReLU(),
            torch.nn.Linear(64, 1),
        )

    def constant_score(self) -> float:
        return 0.0

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.mse_loss(output.squeeze(-1), target)

    def score(self, output: torch.Tensor) -> float:
        """R^2 on the dev set (the constant mean's 0 once the model has diverged)."""
        if not torch.isfinite(output).all():
            return 0.0
        residual = float(((self.dev_y - output.squeeze(-1)) ** 2).sum())
        total = float(((self.dev_y - self.dev_y.mean()) ** 2).sum())
        return 1.0 - residual / total

    def optimizer(self, model: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
        return torch.optim.AdamW(model.parameters(), lr=lr)


SHAPES = 4
SIDE = 12


def shape_images(n: int, seed: int, *, noise: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` 12x12 images of one of 4 shapes (a horizontal bar, a vertical bar, a diagonal,
    a hollow square) at a random place, on Gaussian noise of standard deviation ``noise``."""
    gen = torch.Generator().manual_seed(seed)
    images = noise * torch.randn(n, 1, SIDE, SIDE, generator=gen)
    labels = torch.randint(0, SHAPES, (n,), generator=gen)
    corners = torch.randint(0, SIDE - 5, (n, 2), generator=gen)
    for k in range(n):
        row, col = int(corners[k, 0]), int(corners[k, 1])
        patch = images[k, 0, row : row + 5, col : col + 5]
        shape = int(labels[k])
        if shape == 0:
            patch[2, :] += 1.0
        elif shape == 1:
            patch[:, 2] += 1.0
        elif shape == 2:
            patch += torch.eye(5)
        else:
            patch[0, :] += 1.0
            patch[4, :] += 1.0
            patch[1:4, 0] += 1.0
            patch[1:4, 4] += 1.0
    return images, labels


class TorchCNNSGD(TorchMLPMomentum):
    """A plain PyTorch loop: a small convolutional network (two 3x3 convolutions, 8 and 16
    channels, max pooling, global average pooling, a linear layer) tells 4 noisy shapes apart
    with plain SGD (no momentum), batch 32, 15 epochs, no schedule."""

    spec = TaskSpec(
        "torch-cnn-sgd",
        "plain PyTorch loop, SGD, 15 epochs, batch 32, no schedule",
        (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0),
        {"train": 960, "dev": 800, "model": "CNN conv8-conv16-linear over 12x12"},
        default_lr=0.1,
        default_source=SGD_DEFAULT,
        requires=("torch_lrguard",),
    )
    epochs = 15

    def __init__(self) -> None:
        self.train_x, self.train_y = shape_images(960, 301, noise=0.6)
        self.dev_x, self.dev_y = shape_images(800, 302, noise=0.6)

    def model(self, seed: int) -> torch.nn.Module:
        torch.manual_seed(seed)
        return torch.nn.Sequential(
            torch.nn.Conv2d(1, 8, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(8, 16, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.AdaptiveAvgPool2d(1),
            torch.nn.Flatten(),
            torch.nn.Linear(16, SHAPES),
        )

    def optimizer(self, model: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
        return torch.optim.SGD(model.parameters(), lr=lr)


class HFFineTuneSGDMomentum(HFFineTune):
    """Sequence classification with SGD: ``HFFineTune``'s BERT pre-trained here fine-tuned
    through ``Trainer`` with SGD and momentum 0.9 (``optimizer_cls_and_kwargs``), on a new
    target (topic parity, 256 examples, 10 % label noise), 6 epochs, linear decay."""

    spec = TaskSpec(
        "hf-bert-fine-tune-sgd-momentum",
        "pre-training here, then HF Trainer, SGD momentum 0.9, linear decay, 6 epochs, batch 16",
        (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0),
        {
            "train": 256,
            "dev": 500,
            "pre-training": "4-topic classification, 4000 examples, 4 epochs, lr 1e-3",
        },
        default_lr=0.1,
        default_source=SGD_MOMENTUM_DEFAULT,
        requires=("transformers",),
    )
    epochs = 6
    optimizer = torch.optim.SGD
    optimizer_kwargs = {"momentum": 0.9}

    def make_data(self) -> tuple[IdData, IdData]:
        return (
            _parity(topic_ids(256, 71, noise=0.1, signal=2)),
            _parity(topic_ids(500, 72, noise=0.1, signal=2)),
        )


class HFLlamaFullFineTune(HFTask):
    """Full fine-tuning of a 2-layer Llama (hidden 32) pre-trained here on 4-topic
    classification: every weight trained with AdamW on a cosine schedule with 10 % warmup,
    5 epochs, on which pair of topics a text is about (256 examples, 10 % label noise)."""

    spec = TaskSpec(
        "hf-llama-full-fine-tune-cosine",
        "pre-training here, then HF Trainer, AdamW, cosine, warmup 10 %, 5 epochs, batch 16",
        (1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2),
        {
            "train": 256,
            "dev": 500,
            "model": "LlamaForSequenceClassification(2x32)",
            "pre-training": "4-topic classification, 4000 examples, 3 epochs, lr 1e-3",
        },
        default_lr=5e-5,
        default_source=FINE_TUNE_DEFAULT,
        requires=("transformers",),
    )
    epochs = 5
    extra_args = {"lr_scheduler_type": "cosine", "warmup_ratio": 0.1}

    def __init__(self) -> None:
        super().__init__()
        self._pretrained = tempfile.TemporaryDirectory()
        self.pretrain_accuracy = pretrained_llama(self._pretrained.name)

    def make_data(self) -> tuple[IdData, IdData]:
        return (
            topic_pairs(topic_ids(256, 91, noise=0.1, signal=2)),
            topic_pairs(topic_ids(500, 92, noise=0.1, signal=2)),
        )

    def build(self) -> Any:
        import warnings

        from transformers import LlamaForSequenceClassification

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return LlamaForSequenceClassification.from_pretrained(
                self._pretrained.name, num_labels=2, ignore_mismatched_sizes=True
            )


TASKS = (TorchMLPAdamWRegression, TorchCNNSGD, HFFineTuneSGDMomentum, HFLlamaFullFineTune)
"""The four tasks, now in the design half."""
