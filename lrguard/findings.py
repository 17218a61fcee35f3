"""What a rule finds (``Finding``) and what the guard did about it (``Decision``).

Plain records (``lrguard.records.Record``): the command line builds them on every run, and a
dataclass (or a named tuple) would cost it code generated at import. Nothing changes one once
made; ``_replace`` copies one with some values changed.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from lrguard.records import Record


class Severity(str, Enum):
    """How bad a finding is: ``error`` stops a run or makes it wrong, ``warning`` may."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Action(str, Enum):
    """What the guard did about a finding."""

    WARNED = "warned"
    ADJUSTED = "adjusted"
    RAISED = "raised"
    ANNEALED = "annealed"
    STOPPED = "stopped"
    NOTED = "noted"


class Finding(Record):
    """One problem a rule found in a training plan or config.

    Attributes:
        code: stable rule code, ``LRG`` + 3 digits.
        severity: error | warning | info (a string is accepted).
        message: names the field, the value and the consequence.
        location: config key path or param group.
        fix: a concrete suggested change.
        field: the setting the finding is about.
        value: the offending value as given.
        line: line in the config file, when known.

    Example:
        >>> f = Finding(code="LRG001", severity="error", message="lr below min",
        ...             location="param_groups[0]", fix="lower min_learning_rate")
        >>> f.render()
        'LRG001 lr below min Fix: lower min_learning_rate'
    """

    def __init__(
        self,
        code: str,
        severity: Severity | str,
        message: str,
        location: str = "",
        fix: str = "",
        field: str | None = None,
        value: Any = None,
        line: int | None = None,
    ) -> None:
        self.code = code
        self.severity = Severity(severity)
        self.message = message
        self.location = location
        self.fix = fix
        self.field = field
        self.value = value
        self.line = line

    def render(self) -> str:
        """One line for people: code, message and fix."""
        text = f"{self.code} {self.message}"
        return f"{text} Fix: {self.fix}" if self.fix else text


class Decision(Record):
    """A finding (or a training event) plus what the guard did, with values before and after.

    ``to_record()`` gives the JSON-lines record whose keys are part of the public contract:
    ``rule``, ``severity``, ``action``, ``message``, ``before``, ``after``, ``framework`` and
    ``epoch`` or ``step`` when taken during training.
    """

    def __init__(
        self,
        rule: str,
        severity: Severity | str,
        action: Action | str,
        message: str,
        before: Any = None,
        after: Any = None,
        framework: str = "",
        epoch: int | None = None,
        step: int | None = None,
        location: str = "",
        fix: str = "",
    ) -> None:
        self.rule = rule
        self.severity = Severity(severity)
        self.action = Action(action)
        self.message = message
        self.before = before
        self.after = after
        self.framework = framework
        self.epoch = epoch
        self.step = step
        self.location = location
        self.fix = fix

    @classmethod
    def from_finding(
        cls, finding: Finding, action: Action, before: Any = None, after: Any = None, **kw: Any
    ) -> Decision:
        """Build the decision taken on ``finding``."""
        return cls(
            rule=finding.code,
            severity=finding.severity,
            action=action,
            message=finding.message,
            before=before,
            after=after,
            location=finding.location,
            fix=finding.fix,
            **kw,
        )

    def not_applied(self, problem: str | None) -> Decision:
        """This decision once the run was read back: an ``adjusted`` decision the run does not
        use (``problem`` says why) becomes a warning that keeps ``before``; any other decision,
        or no problem, is returned unchanged.

        Example:
            >>> d = Decision(rule="LRG002", severity="error", action="adjusted",
            ...              message="min_lr above lr.", before=1e-4, after=1e-6)
            >>> warned = d.not_applied("the scheduler is a StepLR")
            >>> print(warned.action.value, warned.message)
            warned min_lr above lr. Not applied: the scheduler is a StepLR; the run keeps 0.0001.
        """
        if problem is None or self.action != Action.ADJUSTED:
            return self
        return self._replace(
            action=Action.WARNED,
            message=f"{self.message} Not applied: {problem}; the run keeps {self.before}.",
        )

    def to_record(self) -> dict[str, Any]:
        """The JSON-lines record (contract keys; ``epoch``/``step`` only when set)."""
        record: dict[str, Any] = {}
        for name, value in vars(self).items():
            if isinstance(value, Enum):
                value = value.value
            if value is not None or name in ("before", "after"):
                record[name] = value
        return record

    def render(self) -> str:
        """One log line for people."""
        where = f" at epoch {self.epoch}" if self.epoch is not None else ""
        where += f" at step {self.step}" if self.step is not None else ""
        change = ""
        if self.action == Action.ADJUSTED:
            change = f" Changed {self.before} -> {self.after}."
        return f"lrguard {self.rule} [{self.action.value}{where}] {self.message}{change}"
