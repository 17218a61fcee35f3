"""Hugging Face ``Trainer`` integration of lrguard.

Example:
    >>> from hf_lrguard import LRGuardCallback, check_args
    >>> LRGuardCallback().policy.on_violation
    'adjust'
"""

from hf_lrguard._args import check_args, check_training_args
from hf_lrguard.callback import LRGuardCallback

__all__ = ["LRGuardCallback", "check_args", "check_training_args"]
