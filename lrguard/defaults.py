"""Default values that several modules state: each written once, here.

A cheap module (no imports) so that ``lrguard check`` can read it on every run.

Example:
    >>> from lrguard.defaults import DEFAULT_MIN_LR_RATIO, ratio_text
    >>> DEFAULT_MIN_LR_RATIO, ratio_text(DEFAULT_MIN_LR_RATIO)
    (0.1, '0.1x')
"""

from __future__ import annotations

DEFAULT_MIN_LR_RATIO = 0.1
"""A floor as a fraction of the peak rate: ``GuardPolicy.min_lr_ratio``'s default, the ratio
fix messages suggest, and the common cosine convention (LLaMA, Pythia, Chinchilla; Flair
<= 0.12's own ``min_learning_rate = lr / 10``)."""

DEFAULT_PLATEAU_MIN_LR_RATIO = 0.001
"""``GuardPolicy.plateau_min_lr_ratio``'s default: room for three reductions by 0.1 or ten
halvings below the peak, as Flair's defaults imply (0.1 -> 1e-4)."""

DEFAULT_WARMUP_FRACTION = 0.1
"""Warmup a fix proposes when the one given cannot be used: 10 % of the run (BERT's)."""

POLYNOMIAL_LR_END = 1e-7
"""transformers' default ``lr_end`` of ``get_polynomial_decay_schedule_with_warmup``."""


def ratio_text(ratio: float) -> str:
    """``ratio`` as fix messages write a multiple of the peak (``0.1x``, ``0.01x``)."""
    return f"{ratio:g}x"
