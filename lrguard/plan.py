"""``TrainingPlan``: a framework-free description of one training run.

Integrations and config readers translate framework state into a plan; rules read only plans.
Values are kept as given (a string from YAML stays a string) so rules can report them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ParamGroupPlan(BaseModel):
    """One optimizer param group: its initial rate and the minimum it must not go below."""

    model_config = ConfigDict(extra="forbid")

    index: int = Field(description="Position of the group in the optimizer.")
    name: str = Field(default="", description="What the group holds, e.g. 'decoder'.")
    lr: Any = Field(description="Initial learning rate as given.")
    min_lr: Any = Field(default=None, description="Minimum learning rate as given; None: none.")
    lr_field: str = Field(default="learning_rate", description="Setting the lr comes from.")
    min_lr_field: str = Field(
        default="min_learning_rate", description="Setting the minimum comes from."
    )

    @property
    def label(self) -> str:
        """'param group 0' or 'param group 1 (decoder)'."""
        suffix = f" ({self.name})" if self.name else ""
        return f"param group {self.index}{suffix}"


class AnnealingPlan(BaseModel):
    """Reduce-on-plateau annealing as Flair's AnnealOnPlateau does it."""

    model_config = ConfigDict(extra="forbid")

    factor: float = Field(default=0.5, description="New lr = lr * factor on a plateau.")
    patience: int = Field(default=3, description="Bad evaluations tolerated before annealing.")
    initial_extra_patience: int = Field(default=0, description="Extra patience before 1st anneal.")
    cooldown: int = Field(default=0, description="Evaluations ignored after an anneal.")
    mode: Literal["min", "max"] = Field(default="max", description="max: higher metric is better.")
    with_restarts: bool = Field(default=False, description="Reload best model after annealing.")


class SchedulePlan(BaseModel):
    """A step-based learning-rate schedule (Hugging Face ``lr_scheduler_type``)."""

    model_config = ConfigDict(extra="forbid")

    name: Any = Field(description="Schedule name as given, e.g. 'cosine_with_min_lr'.")
    kwargs: Any = Field(default_factory=dict, description="lr_scheduler_kwargs as given.")
    warmup_steps: Any = Field(default=0, description="Warmup steps as given.")
    warmup_ratio: Any = Field(default=0.0, description="Warmup as a fraction of total steps.")
    total_steps: int | None = Field(default=None, description="Optimizer steps, when known.")


class TrainingPlan(BaseModel):
    """A normalized description of one run, the input of every rule.

    Example:
        >>> plan = TrainingPlan(framework="flair", param_groups=[
        ...     ParamGroupPlan(index=0, lr=1e-5, min_lr=1e-4)])
        >>> plan.param_groups[0].label
        'param group 0'
    """

    model_config = ConfigDict(extra="forbid")

    framework: str = Field(default="", description="'flair', 'hf' or a config kind.")
    framework_version: str | None = Field(default=None)
    param_groups: list[ParamGroupPlan] = Field(default_factory=list)
    annealing: AnnealingPlan | None = Field(default=None, description="Plateau annealing.")
    stops_at_min_lr: bool = Field(
        default=False,
        description="True when reaching the minimum ends training (Flair's plateau stop).",
    )
    schedule: SchedulePlan | None = Field(default=None)
    max_epochs: int | None = Field(default=None)
    max_steps: int | None = Field(default=None)
    evaluation: dict[str, Any] = Field(
        default_factory=dict, description="Evaluation cadence settings as given."
    )
    early_stopping: dict[str, Any] = Field(
        default_factory=dict, description="Early-stopping settings as given."
    )
    settings: dict[str, Any] = Field(
        default_factory=dict, description="Other raw settings rules may read, by field name."
    )
    locations: dict[str, str] = Field(
        default_factory=dict, description="Field name -> config key path, for messages."
    )
    lines: dict[str, int] = Field(
        default_factory=dict, description="Field name -> line in the config file."
    )

    def where(self, field: str) -> str:
        """The config key path of ``field`` (the field itself when unknown)."""
        return self.locations.get(field, field)
