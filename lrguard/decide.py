"""Turning findings into decisions under a ``GuardPolicy`` (pure: no I/O, no framework)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from lrguard.errors import LRGuardError
from lrguard.findings import Action, Decision, Finding, Severity
from lrguard.plan import TrainingPlan
from lrguard.records import Record
from lrguard.rules import check_plan, get_rule

if TYPE_CHECKING:  # the policy is pydantic: not imported on the command line's path
    from lrguard.policy import GuardPolicy


class Preflight(Record):
    """The outcome of checking a plan before training.

    Attributes:
        plan: the plan to train with (adjusted where the policy said so).
        findings: everything the rules found.
        decisions: one per finding, in order.
        error: the error to raise (``on_violation="error"``, or a problem with no safe fix);
            None when training may go on.
    """

    def __init__(
        self,
        plan: TrainingPlan,
        findings: list[Finding],
        decisions: list[Decision] | None = None,
        error: LRGuardError | None = None,
    ) -> None:
        self.plan = plan
        self.findings = findings
        self.decisions = [] if decisions is None else decisions
        self.error = error


def _must_refuse(finding: Finding, policy: GuardPolicy, cannot_fix: frozenset[str]) -> bool:
    rule = get_rule(finding.code)
    if finding.severity == Severity.INFO:
        return False
    if finding.code in cannot_fix and (rule.always_adjust or policy.on_violation == "adjust"):
        return True
    if policy.on_violation == "error":
        return finding.severity == Severity.ERROR or rule.fixes(finding)
    return finding.severity == Severity.ERROR and not rule.fixes(finding)


def _refusal(findings: list[Finding]) -> LRGuardError:
    lines = [f"lrguard refused to train ({len(findings)} problem(s)):"]
    lines += [f"  {f.render()}" for f in findings]
    return LRGuardError("\n".join(lines), findings)


def with_policy_ratio(plan: TrainingPlan, policy: GuardPolicy) -> TrainingPlan:
    """``plan`` with the floor ratio its fixes propose set to ``policy.min_lr_ratio``."""
    if plan.min_lr_ratio == policy.min_lr_ratio:
        return plan
    return plan._replace(min_lr_ratio=policy.min_lr_ratio)


def decide(
    plan: TrainingPlan,
    policy: GuardPolicy,
    framework: str,
    findings: list[Finding] | None = None,
    cannot_fix: Iterable[str] = (),
) -> Preflight:
    """Check ``plan`` and decide, finding by finding, what to do under ``policy``.

    Findings without a safe fix that are errors are refused in every mode; in ``error`` mode
    every error or fixable warning is refused. Otherwise ``adjust`` applies each rule's fix
    (and ``warn`` those marked ``always_adjust``), ``warn`` records a warning. Fixes that
    only normalize a value (``always_adjust``: a number written as a string) come first, so
    every later decision's ``before`` is the user's value read as a number.

    Args:
        plan: the run as configured.
        policy: what to do about violations.
        framework: recorded in every decision ('flair', 'hf').
        findings: precomputed findings (``check_plan(plan)`` when None).
        cannot_fix: rule codes the integration cannot fix at this point (e.g. a string
            learning rate Flair has already handed to the optimizer): refused instead.

    Returns:
        A ``Preflight``; when ``error`` is set, the caller raises it before any training.

    Example:
        >>> from lrguard import GuardPolicy
        >>> from lrguard.plan import ParamGroupPlan
        >>> plan = TrainingPlan(framework="flair", stops_at_min_lr=True,
        ...     param_groups=[ParamGroupPlan(index=0, lr=1e-5, min_lr=1e-4)])
        >>> result = decide(plan, GuardPolicy(), "flair")
        >>> result.plan.param_groups[0].min_lr
        1e-06
    """
    plan = with_policy_ratio(plan, policy)
    if findings is None:
        findings = check_plan(plan, ignore=policy.ignore)
    findings = [f for f in findings if not policy.is_ignored(f.code)]
    blocked = frozenset(cannot_fix)
    refused = [f for f in findings if _must_refuse(f, policy, blocked)]
    if refused:
        raised = [Decision.from_finding(f, Action.RAISED, framework=framework) for f in refused]
        return Preflight(plan, findings, raised, _refusal(refused))
    decisions: list[Decision] = []
    current = plan
    produced_by: dict[str, str] = {}  # field -> the rule whose fix set its current value
    for finding in sorted(findings, key=lambda f: not get_rule(f.code).always_adjust):
        rule = get_rule(finding.code)
        if finding.severity == Severity.INFO:
            decisions.append(Decision.from_finding(finding, Action.NOTED, framework=framework))
            continue
        fix_now = rule.fixes(finding) and (policy.on_violation == "adjust" or rule.always_adjust)
        if fix_now and rule.adjust is not None:
            adjustment = rule.adjust(current, finding, policy)
            current = adjustment.plan
            decisions.append(_adjusted(finding, adjustment.before, adjustment.after, produced_by))
            for key in adjustment.after if isinstance(adjustment.after, dict) else ():
                produced_by[key] = finding.code
            decisions[-1] = decisions[-1]._replace(framework=framework)
        else:
            decisions.append(Decision.from_finding(finding, Action.WARNED, framework=framework))
    return Preflight(current, findings, decisions)


def _adjusted(finding: Finding, before: Any, after: Any, produced_by: dict[str, str]) -> Decision:
    """The decision of one fix; its ``before`` is what the user gave, or, when an earlier fix
    in the same pre-flight already changed that field, what that fix produced (said so)."""
    decision = Decision.from_finding(finding, Action.ADJUSTED, before=before, after=after)
    earlier = sorted(
        {produced_by[k] for k in before if k in produced_by} if isinstance(before, dict) else ()
    )
    if earlier:
        note = f" (before: the value {', '.join(earlier)} produced from the one given)"
        decision = decision._replace(message=decision.message + note)
    return decision
