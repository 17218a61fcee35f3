"""Flair integration of lrguard.

Example:
    >>> from flair_lrguard import LRGuardPlugin
    >>> LRGuardPlugin().policy.on_violation
    'adjust'
"""

from flair_lrguard.check import check_args, check_train_args
from flair_lrguard.plugin import AnnealingSettings, LRGuardPlugin

__all__ = ["AnnealingSettings", "LRGuardPlugin", "check_args", "check_train_args"]
