"""lrguard: learning-rate guard rails for fine-tuning (framework-free core).

The core holds every rule, policy and decision; ``flair_lrguard`` and ``hf_lrguard`` only
translate framework state into a ``TrainingPlan`` and carry decisions back.

Example:
    >>> from lrguard import GuardPolicy, LRGuardError
    >>> GuardPolicy().on_violation
    'adjust'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# ``decide`` is imported here, not on first use: importing the module ``lrguard.decide`` later
# would bind that name to the module instead of the function.
from lrguard.decide import Preflight, decide
from lrguard.errors import LRGuardError
from lrguard.findings import Action, Decision, Finding, Severity
from lrguard.plan import (
    AnnealingPlan,
    ConfigSource,
    MetricPlan,
    ParamGroupPlan,
    SchedulePlan,
    TrainingPlan,
)
from lrguard.rules import Rule, all_rules, check_plan, get_rule

if TYPE_CHECKING:
    from lrguard.decision_log import DecisionLog, read_jsonl
    from lrguard.policy import GuardPolicy

__version__ = "0.1.0"

_ON_FIRST_USE = {
    "DecisionLog": "lrguard.decision_log",
    "read_jsonl": "lrguard.decision_log",
    "GuardPolicy": "lrguard.policy",
}
"""Names imported on first use: ``GuardPolicy`` needs pydantic, the decision log ``logging``
and ``json``; the command line (``lrguard check``) needs none of them, and importing them
would make up much of its start-up."""


def __getattr__(name: str) -> object:
    """The names of ``_ON_FIRST_USE``, imported when first asked for."""
    module = _ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module 'lrguard' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Every name of the module, those imported on first use included."""
    return sorted({*globals(), *__all__})


__all__ = [
    "Action",
    "AnnealingPlan",
    "ConfigSource",
    "Decision",
    "DecisionLog",
    "Finding",
    "GuardPolicy",
    "LRGuardError",
    "MetricPlan",
    "ParamGroupPlan",
    "Preflight",
    "Rule",
    "SchedulePlan",
    "Severity",
    "TrainingPlan",
    "all_rules",
    "check_plan",
    "decide",
    "get_rule",
    "read_jsonl",
]
