"""Flair integration of lrguard.

Example:
    >>> from flair_lrguard import LRGuardPlugin
    >>> LRGuardPlugin().policy.on_violation
    'adjust'
"""

from lrguard.extras import require

require("flair", "flair", "flair_lrguard")

from flair_lrguard.check import check_args, check_train_args  # noqa: E402 (after the check above)
from flair_lrguard.plugin import AnnealingSettings, LRGuardPlugin  # noqa: E402 (after the check above)
from flair_lrguard.range_test import find_learning_rate  # noqa: E402 (after the check above)

__all__ = [
    "AnnealingSettings",
    "LRGuardPlugin",
    "check_args",
    "check_train_args",
    "find_learning_rate",
]
