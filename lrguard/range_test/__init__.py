"""The learning-rate range test, framework-free: sweep, smoothing, suggestions, result.

A range test trains a few dozen to a few hundred steps while the rate grows from tiny to
large, watches the smoothed loss, and picks a rate on its steepest stable descent. This
package holds everything about it that needs no framework: the sweep schedule
(``SweepSettings``), the loop's bookkeeping (``SweepRecorder``: smoothing, divergence and
non-finite losses), the checks made before anything trains (``prepare_sweep``,
``refuse_train_keywords``), the suggestion methods (``suggest``) and their explanations, the
decisions of the methods that train more than one sweep (``race``: ``multi``, ``race``), a
floor consistent with the guard's policy, and ``RangeTestResult`` (JSON, Flair's
``learning_rate.tsv``, a plot of the curve that was read).
``flair_lrguard.find_learning_rate`` and ``hf_lrguard.find_learning_rate`` drive the real
training steps and restore the run exactly afterwards.

Example:
    >>> from lrguard.range_test import SweepSettings, SweepRecorder
    >>> settings = SweepSettings(start_lr=1e-5, end_lr=1.0, num_steps=60)
    >>> recorder = SweepRecorder(settings)
    >>> for step in range(settings.num_steps):
    ...     lr = settings.rate(step)
    ...     loss = (lr - 0.01) ** 2 * 1e4 + 1.0 if lr < 0.3 else 1e9
    ...     if not recorder.record(lr, loss):
    ...         break
    >>> result = recorder.result()
    >>> result.stop_reason
    'diverged'
    >>> 1e-4 < result.suggested_lr < 1e-2
    True
"""

from lrguard.range_test.floor import consistent_floor
from lrguard.range_test.recorder import SweepRecorder
from lrguard.range_test.request import prepare_sweep, refuse_train_keywords
from lrguard.range_test.result import (
    RangeTestResult,
    check_policy,
    remove_if_empty,
    save_or_warn,
)
from lrguard.range_test.smoothing import debiased_ema
from lrguard.range_test.suggest import (
    ALL_METHODS,
    DEFAULT_METHOD,
    METHODS,
    Suggestion,
    suggest,
)
from lrguard.range_test.sweep import SweepSettings

__all__ = [
    "ALL_METHODS",
    "DEFAULT_METHOD",
    "METHODS",
    "RangeTestResult",
    "Suggestion",
    "SweepRecorder",
    "SweepSettings",
    "check_policy",
    "consistent_floor",
    "debiased_ema",
    "prepare_sweep",
    "refuse_train_keywords",
    "remove_if_empty",
    "save_or_warn",
    "suggest",
]
