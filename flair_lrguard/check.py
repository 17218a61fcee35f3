"""``check_args``: the pre-flight findings of a Flair training call, without training."""

from __future__ import annotations

from typing import Any

from lrguard import Finding, check_plan
from lrguard.adapters.flair_kwargs import Entry, flair_plan


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
    plan = flair_plan(kwargs, entry, has_dev=has_dev, framework_version=flair.__version__)
    return check_plan(plan)


check_train_args = check_args
"""The former name of ``check_args`` (kept for existing code)."""
