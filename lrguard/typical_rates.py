"""The learning rates each kind of training is known to work with (LRG091's prior).

Two kinds of fact, each kept here once:

* ``TYPICAL_RATES``: one row per optimizer family and kind of training, with the rates the
  frameworks default to and the literature reports (``typical``) and a wider band
  (``plausible``). Only fine-tuning a pretrained network has an *established* range: outside
  it a run wipes out what the model knew or does not move, whatever the model, so LRG091
  warns there. Training from scratch has no such range (a small model can train well at a
  rate a large one diverges at), so outside its band LRG091 only notes it.
* ``DIVERGENCE_LIMITS``: per optimizer family, the rate at and above which every training
  diverges, whatever the model and kind (a warning in every case).

The range test (``find_learning_rate``) is the way to find the rate inside the bands.
"""

from __future__ import annotations

from typing import Any

from lrguard.records import Record


class TypicalRates(Record):
    """Learning rates of one optimizer family for one kind of training.

    Attributes:
        family: 'adam' (Adam, AdamW and their variants) or 'sgd'.
        pretrained: fine-tuning a pretrained network (True) or training from scratch.
        typical: the rates usually used, as (low, high).
        plausible: outside this (low, high) band the rate is implausible.
        start: the rate to start from when unsure (the frameworks' default).
        established: the band is an established range that holds for any model of this
            kind (a warning outside it); False: a rule of thumb (a note outside it).
        source: where ``typical``, ``plausible`` and ``start`` come from.
    """

    def __init__(
        self,
        family: str,
        pretrained: bool,
        typical: tuple[float, float],
        plausible: tuple[float, float],
        start: float,
        established: bool,
        source: str,
    ) -> None:
        self.family = family
        self.pretrained = pretrained
        self.typical = typical
        self.plausible = plausible
        self.start = start
        self.established = established
        self.source = source

    @property
    def kind(self) -> str:
        """'fine-tuning a pretrained model' or 'training from scratch'."""
        return "fine-tuning a pretrained model" if self.pretrained else "training from scratch"


TYPICAL_RATES: tuple[TypicalRates, ...] = (
    TypicalRates(
        "adam",
        True,
        (1e-5, 1e-3),
        (1e-7, 2e-3),
        5e-5,
        True,
        "full fine-tuning 1e-5 - 5e-4: BERT (Devlin et al. 2019) 2e-5 - 5e-5, RoBERTa (Liu et "
        "al. 2019) 1e-5 - 3e-5, T5 (Raffel et al. 2020) 1e-3 with Adafactor; TrainingArguments "
        "and Flair's fine_tune default to 5e-5. LoRA 1e-4 - 1e-3: LoRA (Hu et al. 2021) 2e-4 - "
        "5e-4, QLoRA (Dettmers et al. 2023) 1e-4 - 2e-4, about 10x the model's full fine-tuning "
        "rate (Schulman et al. 2025, 'LoRA Without Regret'). Preference tuning goes as low as "
        "5e-7 (DPO, Zephyr: Tunstall et al. 2023); axolotl's MPT-7B and RedPajama-3B full "
        "fine-tuning examples use 2e-7. "
        "Plausible: from half the lowest of these (2e-7) to 2x the top of the LoRA range.",
    ),
    TypicalRates(
        "adam",
        False,
        (1e-4, 1e-3),
        (1e-5, 1e-2),
        1e-3,
        False,
        "Adam's default 1e-3 (Kingma & Ba 2015); transformers trained from scratch use "
        "1e-4 - 1e-3 with warmup (Vaswani et al. 2017; GPT-3: 6e-5 - 6e-4). Small models train "
        "well far above (transformers' own trainer tests train at 0.1): a rule of thumb only.",
    ),
    TypicalRates(
        "sgd",
        True,
        (1e-4, 1e-2),
        (1e-6, 5e-2),
        1e-2,
        True,
        "fine-tuning transformer embeddings with SGD at Flair's train() default 0.1 "
        "destroys them (flair#1968); Flair recommends fine_tune (AdamW 5e-5) instead. "
        "Plausible: up to half that 0.1.",
    ),
    TypicalRates(
        "sgd",
        False,
        (1e-2, 0.1),
        (1e-4, 2.0),
        0.1,
        False,
        "Flair's train() defaults to SGD at 0.1 for its LSTM / classic-embedding models; "
        "ResNet-style training starts SGD at 0.1 per 256 examples (Goyal et al. 2017)",
    ),
)


class DivergenceLimit(Record):
    """The rate from which an optimizer family diverges in every kind of training.

    Attributes:
        family: 'adam' or 'sgd'.
        at_or_above: a rate at or above this diverges.
        source: why.
    """

    def __init__(self, family: str, at_or_above: float, source: str) -> None:
        self.family = family
        self.at_or_above = at_or_above
        self.source = source


DIVERGENCE_LIMITS: tuple[DivergenceLimit, ...] = (
    DivergenceLimit(
        "adam",
        10.0,
        "Adam moves every weight by about the rate at each step, whatever the gradient's scale "
        "(Kingma & Ba 2015, section 2.1); at 10 a single step is hundreds of times the scale of "
        "an initialized weight (0.02 in transformers). Adam-like rates in published training "
        "stay at or below about 1e-2 (Adafactor caps its relative step at 1e-2: Shazeer & "
        "Stern 2018); tiny models still train at 0.1 (transformers' own trainer tests), 100x "
        "below this limit, and those tests set 1e9 to make a model diverge.",
    ),
    DivergenceLimit(
        "sgd",
        100.0,
        "the largest plain-SGD rates in published training: 20 - 30 for LSTM language models "
        "with gradient clipping (AWD-LSTM, Merity et al. 2018: 30; Flair's "
        "LanguageModelTrainer defaults to 20), 3.2 for ResNet-50 at batch 8192 (Goyal et al. "
        "2017; larger batches need layer-wise scaling, LARS: You et al. 2017). 100 is over 3x "
        "the largest.",
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
    """The row for ``optimizer`` and the kind of training (None when either is unknown).

    Example:
        >>> typical_rates("adamw_torch", True).plausible
        (1e-07, 0.002)
    """
    family = optimizer_family(optimizer)
    if family is None or pretrained is None:
        return None
    return next(r for r in TYPICAL_RATES if r.family == family and r.pretrained == pretrained)


def family_rows(optimizer: Any) -> tuple[TypicalRates, ...]:
    """Every row of ``optimizer``'s family (both kinds of training); empty when unknown."""
    family = optimizer_family(optimizer)
    return tuple(r for r in TYPICAL_RATES if r.family == family)


def divergence_limit(optimizer: Any) -> DivergenceLimit | None:
    """The rate from which ``optimizer``'s family diverges in any training (None: unknown).

    Example:
        >>> divergence_limit("adamw_torch").at_or_above, divergence_limit("lion")
        (10.0, None)
    """
    family = optimizer_family(optimizer)
    return next((d for d in DIVERGENCE_LIMITS if d.family == family), None)
