"""lrguard: learning-rate guard rails for fine-tuning (framework-free core).

The core holds every rule, policy and decision; ``flair_lrguard`` and ``hf_lrguard`` only
translate framework state into a ``TrainingPlan`` and carry decisions back.

Example:
    >>> from lrguard import GuardPolicy, LRGuardError
    >>> GuardPolicy().on_violation
    'adjust'
"""

from lrguard.decide import Preflight, decide
from lrguard.decision_log import DecisionLog, read_jsonl
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

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``GuardPolicy`` is imported on first use: it needs pydantic, which the command line
    (``lrguard check``) does not, and importing it would double the command's start-up."""
    if name == "GuardPolicy":
        from lrguard.policy import GuardPolicy

        return GuardPolicy
    raise AttributeError(f"module 'lrguard' has no attribute {name!r}")


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
