"""The learning rates each kind of training is known to work with (LRG091's prior).

One row per optimizer family and kind of training: the rates the frameworks default to and
the literature reports, and a wider band outside which a rate is implausible. The bands are
deliberately wide (a warning, never a change): outside them a run almost always diverges,
wipes out what a pretrained model knew, or does not move; the range test
(``find_learning_rate``) is the way to find the rate inside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TypicalRates:
    """Learning rates of one optimizer family for one kind of training.

    Attributes:
        family: 'adam' (Adam, AdamW and their variants) or 'sgd'.
        pretrained: fine-tuning a pretrained network (True) or training from scratch.
        typical: the rates usually used, as (low, high).
        plausible: outside this (low, high) band the rate is implausible.
        source: where ``typical`` comes from.
    """

    family: str
    pretrained: bool
    typical: tuple[float, float]
    plausible: tuple[float, float]
    source: str

    @property
    def kind(self) -> str:
        """'fine-tuning a pretrained model' or 'training from scratch'."""
        return "fine-tuning a pretrained model" if self.pretrained else "training from scratch"


TYPICAL_RATES: tuple[TypicalRates, ...] = (
    TypicalRates(
        "adam",
        True,
        (1e-5, 5e-5),
        (1e-7, 1e-3),
        "BERT (Devlin et al. 2019) fine-tunes at 2e-5 - 5e-5; TrainingArguments and Flair's "
        "fine_tune default to 5e-5; LoRA recipes (LLaMA-Factory, axolotl) use 1e-4 - 2e-4",
    ),
    TypicalRates(
        "adam",
        False,
        (1e-4, 1e-3),
        (1e-5, 1e-2),
        "Adam's default 1e-3 (Kingma & Ba 2015); transformers trained from scratch use "
        "1e-4 - 1e-3 with warmup",
    ),
    TypicalRates(
        "sgd",
        True,
        (1e-4, 1e-2),
        (1e-6, 5e-2),
        "fine-tuning transformer embeddings with SGD at Flair's train() default 0.1 "
        "destroys them (flair#1968); Flair recommends fine_tune (AdamW 5e-5) instead",
    ),
    TypicalRates(
        "sgd",
        False,
        (1e-2, 0.1),
        (1e-4, 2.0),
        "Flair's train() defaults to SGD at 0.1 for its LSTM / classic-embedding models; "
        "ResNet-style training starts SGD at 0.1",
    ),
)

_ADAM_NAMES = ("adam", "lamb", "adafactor", "rmsprop", "nadam", "radam", "schedule_free")
_SGD_NAMES = ("sgd",)


def optimizer_family(optimizer: Any) -> str | None:
    """'adam' or 'sgd' for an optimizer class, instance or name (``optim`` values such as
    'adamw_torch_fused', 'paged_adamw_8bit', 'sgd'); None when unknown.

    Example:
        >>> optimizer_family("adamw_torch"), optimizer_family("SGD"), optimizer_family("lomo")
        ('adam', 'sgd', None)
    """
    if optimizer is None:
        return None
    if isinstance(optimizer, type):
        name = optimizer.__name__
    elif isinstance(optimizer, str):
        name = optimizer
    else:
        name = getattr(optimizer, "value", None) or type(optimizer).__name__
    name = str(name).lower()
    if "lion" in name:
        return None  # Lion wants rates 3-10x below AdamW's: not judged by the Adam row
    if any(part in name for part in _SGD_NAMES):
        return "sgd"
    if any(part in name for part in _ADAM_NAMES):
        return "adam"
    return None


def typical_rates(optimizer: Any, pretrained: bool | None) -> TypicalRates | None:
    """The row for ``optimizer`` and the kind of training (None when either is unknown)."""
    family = optimizer_family(optimizer)
    if family is None or pretrained is None:
        return None
    return next(r for r in TYPICAL_RATES if r.family == family and r.pretrained == pretrained)
