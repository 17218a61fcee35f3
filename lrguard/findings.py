"""What a rule finds (``Finding``) and what the guard did about it (``Decision``)."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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


class Finding(BaseModel):
    """One problem a rule found in a training plan or config.

    Example:
        >>> f = Finding(code="LRG001", severity="error", message="lr below min",
        ...             location="param_groups[0]", fix="lower min_learning_rate")
        >>> f.render()
        'LRG001 lr below min Fix: lower min_learning_rate'
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(description="Stable rule code, 'LRG' + 3 digits.")
    severity: Severity = Field(description="error | warning | info")
    message: str = Field(description="Names the field, the value and the consequence.")
    location: str = Field(default="", description="Config key path or param group.")
    fix: str = Field(default="", description="A concrete suggested change.")
    field: str | None = Field(default=None, description="The setting the finding is about.")
    value: Any = Field(default=None, description="The offending value as given.")
    line: int | None = Field(default=None, description="Line in the config file, when known.")

    def render(self) -> str:
        """One line for people: code, message and fix."""
        text = f"{self.code} {self.message}"
        return f"{text} Fix: {self.fix}" if self.fix else text


class Decision(BaseModel):
    """A finding (or a training event) plus what the guard did, with values before and after.

    ``to_record()`` gives the JSON-lines record whose keys are part of the public contract:
    ``rule``, ``severity``, ``action``, ``message``, ``before``, ``after``, ``framework`` and
    ``epoch`` or ``step`` when taken during training.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    severity: Severity
    action: Action
    message: str
    before: Any = None
    after: Any = None
    framework: str = ""
    epoch: int | None = None
    step: int | None = None
    location: str = ""
    fix: str = ""

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

    def to_record(self) -> dict[str, Any]:
        """The JSON-lines record (contract keys; ``epoch``/``step`` only when set)."""
        record = self.model_dump(mode="json", exclude_none=True)
        for key in ("before", "after"):
            record.setdefault(key, None)
        return record

    def render(self) -> str:
        """One log line for people."""
        where = f" at epoch {self.epoch}" if self.epoch is not None else ""
        where += f" at step {self.step}" if self.step is not None else ""
        change = ""
        if self.action == Action.ADJUSTED:
            change = f" Changed {self.before} -> {self.after}."
        return f"lrguard {self.rule} [{self.action.value}{where}] {self.message}{change}"
