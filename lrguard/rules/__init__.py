"""The rule registry: every rule has a stable code, a kebab-case name and a doc.

Rules are data plus one pure function ``check(plan) -> list[Finding]``. Each module in this
package defines one rule, is named by its code (``lrg013_greedy_min_lr.py``) and registers
it with ``register``; helpers shared by several rules live in ``_``-prefixed modules. Codes
are never renumbered or reused.

A rule's ``example`` is a config that makes it fire and its ``corrected`` the same config
fixed: both are shown by ``lrguard explain`` and run by the test suite, so the docs cannot
drift from what the rule does. Rules about a real scheduler object (``example_kind="torch"``)
give Python code instead, defining ``optimizer``, ``scheduler`` and ``total_steps``: the
test suite runs it and checks the objects with ``torch_lrguard.check_scheduler``.

Example:
    >>> from lrguard.rules import get_rule
    >>> get_rule("LRG001").name
    'initial-lr-below-min'
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from lrguard.findings import Finding, Severity
from lrguard.plan import TrainingPlan

if TYPE_CHECKING:  # the policy is pydantic: not imported on the command line's path
    from lrguard.policy import GuardPolicy

CheckFn = Callable[[TrainingPlan], Iterable[Finding]]
AdjustFn = Callable[[TrainingPlan, Finding, "GuardPolicy"], "Adjustment"]


@dataclass(frozen=True)
class Adjustment:
    """The result of fixing one finding: the new plan and the values before and after."""

    plan: TrainingPlan
    before: Any
    after: Any


DOC_SECTIONS = ("what", "why", "example", "fix")


@dataclass(frozen=True)
class Rule:
    """A rule's identity, documentation and check.

    Attributes:
        code: stable code, ``LRG`` + 3 digits.
        name: kebab-case name.
        severity: the usual severity of its findings.
        summary: one line.
        what / why / example / fix: the doc sections shown by ``lrguard explain``.
            ``example`` is a config (YAML, as ``lrguard check`` reads it) that makes the
            rule fire; for event rules, a config whose run leads to the event; for
            ``example_kind="torch"``, Python code defining ``optimizer``, ``scheduler`` and
            ``total_steps``.
        corrected: the example fixed: the rule stays silent on it.
        example_kind: 'config' (YAML for ``lrguard check``), 'torch' (a snippet checked
            with ``torch_lrguard.check_scheduler``) or 'range_test' (Python code defining
            ``sweep``, a ``SweepSettings``, and ``loss_at(lr)``: the suite runs that sweep).
        check: pure function from a plan to findings; None for rules that name training
            events (annealing, stopping) rather than configuration problems.
        adjust: pure function fixing one finding of this rule (``on_violation="adjust"``);
            None when there is no safe fix.
        always_adjust: apply ``adjust`` in ``warn`` mode too (the value cannot be used as
            given, e.g. a number written as a string).
        can_adjust: for rules whose findings are only sometimes safe to fix: True when
            ``adjust`` can fix this finding (None: every finding, when ``adjust`` is set).
    """

    code: str
    name: str
    severity: Severity
    summary: str
    what: str
    why: str
    example: str
    fix: str
    corrected: str = ""
    example_kind: Literal["config", "torch", "range_test"] = "config"
    check: CheckFn | None = None
    adjust: AdjustFn | None = None
    always_adjust: bool = False
    can_adjust: Callable[[Finding], bool] | None = None

    def fixes(self, finding: Finding) -> bool:
        """True when ``adjust`` can fix ``finding``."""
        if self.adjust is None:
            return False
        return self.can_adjust is None or self.can_adjust(finding)

    def missing_sections(self) -> list[str]:
        """Doc sections that are empty (``corrected`` counts as one)."""
        return [s for s in (*DOC_SECTIONS, "corrected") if not getattr(self, s).strip()]

    def explain(self) -> str:
        """The rule's full doc as text."""
        parts = [f"{self.code} {self.name} ({self.severity.value})", self.summary, ""]
        for section, title in zip(
            DOC_SECTIONS, ("What it does", "Why is this bad?", "Example", "Fix"), strict=True
        ):
            parts += [f"## {title}", getattr(self, section).strip(), ""]
        parts += ["Corrected:", self.corrected.strip(), ""]
        return "\n".join(parts).rstrip() + "\n"


_REGISTRY: dict[str, Rule] = {}


def register(rule_: Rule) -> Rule:
    """Add ``rule_`` to the registry; a code or name used twice is an error."""
    if rule_.code in _REGISTRY:
        raise ValueError(f"rule code {rule_.code} registered twice")
    if any(r.name == rule_.name for r in _REGISTRY.values()):
        raise ValueError(f"rule name {rule_.name} registered twice")
    if rule_.missing_sections():
        raise ValueError(f"rule {rule_.code} lacks doc sections {rule_.missing_sections()}")
    _REGISTRY[rule_.code] = rule_
    return rule_


@functools.cache
def _load_all() -> None:
    """Import every rule module once (each registers its rules)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


def all_rules() -> list[Rule]:
    """Every registered rule, by code."""
    _load_all()
    return [_REGISTRY[code] for code in sorted(_REGISTRY)]


def get_rule(code: str) -> Rule:
    """The rule with ``code`` (case-insensitive).

    Raises:
        KeyError: no such rule; the message lists the known codes.
    """
    _load_all()
    key = code.strip().upper()
    if key not in _REGISTRY:
        raise KeyError(f"unknown rule {code!r}; known rules: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[key]


def _selected(code: str, select: Iterable[str] | None, ignore: Iterable[str] | None) -> bool:
    if select is not None and not any(code.startswith(p.upper()) for p in select):
        return False
    return not (ignore is not None and any(code.startswith(p.upper()) for p in ignore))


def check_plan(
    plan: TrainingPlan,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
) -> list[Finding]:
    """Run every registered rule on ``plan``.

    Args:
        plan: the run to check.
        select: only rule codes with one of these prefixes (all when None).
        ignore: skip rule codes with one of these prefixes.

    Returns:
        Findings, errors first, then in rule-code order.
    """
    select = list(select) if select is not None else None
    ignore = list(ignore) if ignore is not None else None
    findings: list[Finding] = []
    for rule_ in all_rules():
        if rule_.check is None or not _selected(rule_.code, select, ignore):
            continue
        findings.extend(rule_.check(plan))
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(findings, key=lambda f: (order[f.severity], f.code))
