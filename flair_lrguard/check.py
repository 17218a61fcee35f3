"""``check_args``: the pre-flight findings of a Flair training call, without training."""

from __future__ import annotations

from typing import Any

from lrguard import Finding, check_plan
from lrguard.adapters.flair_kwargs import FLAIR_TRAIN_DEFAULTS, Entry, flair_plan

CONSTANT_RATE_KEYS = ("learning_rate", "decoder_learning_rate", "max_epochs", "optimizer")
"""What a call without plateau annealing is judged by (``train_custom`` defaults)."""


def check_args(
    entry: Entry = "train", *, has_dev: bool = True, **train_kwargs: Any
) -> list[Finding]:
    """Findings for ``ModelTrainer.<entry>(**train_kwargs)``, without building anything.

    Args:
        entry: ``"train"`` (default; Flair's AnnealOnPlateau attached unless
            ``attach_default_scheduler=False``), ``"fine_tune"`` or ``"train_custom"``.
            Without Flair's AnnealOnPlateau (``train_custom``, ``attach_default_scheduler=
            False``) the rate stays constant and nothing stops at a floor: the rates are
            checked, ``min_learning_rate`` and the annealing settings are not (Flair ignores
            them there).
        has_dev: whether the corpus has a dev split.
        **train_kwargs: the keyword arguments you would pass (``base_path`` not needed).

    Returns:
        Findings, errors first.

    Example:
        >>> [f.code for f in check_args(learning_rate=1e-5, patience=10)]
        ['LRG001']
    """
    import flair  # the version goes into the plan; importing flair is this module's cost

    kwargs = {k: v for k, v in train_kwargs.items() if k not in ("base_path", "plugins")}
    anneals = entry == "fine_tune" or (
        entry == "train" and kwargs.get("attach_default_scheduler", True)
    )
    if anneals:
        plan = flair_plan(kwargs, entry, has_dev=has_dev, framework_version=flair.__version__)
    else:  # judged as a schedule-free call, with train_custom's own defaults
        values = {key: FLAIR_TRAIN_DEFAULTS[key] for key in CONSTANT_RATE_KEYS}
        values.update({k: v for k, v in kwargs.items() if k in CONSTANT_RATE_KEYS})
        plan = flair_plan(values, "fine_tune", has_dev=has_dev, framework_version=flair.__version__)
        plan.entry = "train_custom"
    return check_plan(plan)


check_train_args = check_args
"""The former name of ``check_args`` (kept for existing code)."""
