"""Hugging Face ``Trainer`` integration of lrguard.

Example:
    >>> from hf_lrguard import LRGuardCallback, check_args
    >>> LRGuardCallback().policy.on_violation
    'adjust'
"""

from lrguard.extras import require

require("transformers", "hf", "hf_lrguard")

from hf_lrguard._args import check_args, check_training_args  # noqa: E402 (after the check above)
from hf_lrguard.callback import LRGuardCallback, saved_decisions  # noqa: E402 (after the check above)
from hf_lrguard.range_test import find_learning_rate  # noqa: E402 (after the check above)

__all__ = [
    "LRGuardCallback",
    "check_args",
    "check_training_args",
    "find_learning_rate",
    "saved_decisions",
]
