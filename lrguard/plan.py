"""``TrainingPlan``: a framework-free description of one training run.

Integrations and config readers translate framework state into a plan; rules read only plans.
Values are kept as given (a string from YAML stays a string) so rules can report them.
Plain dataclasses (cheap to import for the command line); rules copy a plan with
``copy.deepcopy`` before changing it and never mutate their input.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from lrguard.defaults import DEFAULT_MIN_LR_RATIO

if TYPE_CHECKING:  # plain data; only integrations that replay a scheduler build one
    from lrguard.trajectory import Trajectory


@dataclass(kw_only=True)
class ParamGroupPlan:
    """One optimizer param group: its initial rate and the minimum it must not go below.

    Attributes:
        index: position of the group in the optimizer.
        name: what the group holds, e.g. 'decoder'.
        lr: initial learning rate as given.
        min_lr: minimum learning rate as given; None: none.
        lr_field: the setting the rate comes from.
        min_lr_field: the setting the minimum comes from.
    """

    index: int
    lr: Any
    name: str = ""
    min_lr: Any = None
    lr_field: str = "learning_rate"
    min_lr_field: str = "min_learning_rate"

    @property
    def label(self) -> str:
        """'param group 0' or 'param group 1 (decoder)'."""
        suffix = f" ({self.name})" if self.name else ""
        return f"param group {self.index}{suffix}"


@dataclass(kw_only=True)
class AnnealingPlan:
    """Reduce-on-plateau annealing as Flair's AnnealOnPlateau does it.

    Attributes:
        factor: new lr = lr * factor on a plateau.
        patience: bad evaluations tolerated before annealing.
        initial_extra_patience: extra patience before the first anneal.
        cooldown: evaluations ignored after an anneal.
        mode: ``max`` when a higher metric is better.
        with_restarts: reload the best model after annealing.
    """

    factor: float = 0.5
    patience: int = 3
    initial_extra_patience: int = 0
    cooldown: int = 0
    mode: Literal["min", "max"] = "max"
    with_restarts: bool = False


@dataclass(kw_only=True)
class SchedulePlan:
    """A step-based learning-rate schedule (Hugging Face ``lr_scheduler_type``).

    Attributes:
        name: schedule name as given, e.g. 'cosine_with_min_lr'.
        kwargs: ``lr_scheduler_kwargs`` as given.
        warmup_steps: warmup steps as given.
        warmup_ratio: warmup as a fraction of total steps, as given; None when the arguments
            have no such field (transformers 5.x).
        total_steps: optimizer steps, when known.
    """

    name: Any
    kwargs: Any = field(default_factory=dict)
    warmup_steps: Any = 0
    warmup_ratio: Any = None
    total_steps: int | None = None


@dataclass(kw_only=True)
class MetricPlan:
    """How a Hugging Face run judges its evaluations (as given, defaults filled in).

    Attributes:
        name: ``metric_for_best_model`` (``loss`` when a plateau schedule or
            ``load_best_model_at_end`` needs one and none is given, as transformers does).
        greater_is_better: whether a higher metric is better.
        load_best_model_at_end: ``load_best_model_at_end``.
    """

    name: Any = None
    greater_is_better: Any = None
    load_best_model_at_end: Any = False


@dataclass(kw_only=True)
class DeepSpeedPlan:
    """The DeepSpeed config a Hugging Face-style config names in ``deepspeed:``.

    Attributes:
        given: the ``deepspeed`` value as written (a path, or an inline mapping as '<inline>').
        path: the file read, as found (None: inline, or not read).
        problem: why the file could not be read (None: read, or inline).
        scheduler: the ``scheduler`` section as written (None: there is none).
        optimizer: the ``optimizer`` section as written (None: there is none).
        looked_in: the files tried, for messages.
    """

    given: str
    path: str | None = None
    problem: str | None = None
    scheduler: Any = None
    optimizer: Any = None
    looked_in: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """How messages name the file: its path as written, or 'deepspeed (inline)'."""
        return "deepspeed (inline)" if self.given == "<inline>" else self.given


@dataclass(kw_only=True)
class AcceleratePlan:
    """How accelerate's ``AcceleratedScheduler`` steps a prepared scheduler (its ``step``:
    ``num_processes`` scheduler steps per optimizer step unless ``split_batches`` or
    ``step_scheduler_with_optimizer=False``).

    Attributes:
        processes: the processes of the job (``accelerator.num_processes``).
        step_with_optimizer: ``Accelerator(step_scheduler_with_optimizer=...)``.
        split_batches: ``split_batches`` of the accelerator's dataloader config.
        optimizer_steps: the optimizer steps of the run on each process.

    Example:
        >>> AcceleratePlan(processes=4, optimizer_steps=100).steps_per_optimizer_step
        4
    """

    processes: int
    step_with_optimizer: bool = True
    split_batches: bool = False
    optimizer_steps: int = 0

    @property
    def steps_per_optimizer_step(self) -> int:
        """Scheduler steps per optimizer step, as ``AcceleratedScheduler.step`` takes them."""
        if self.step_with_optimizer and not self.split_batches:
            return max(1, self.processes)
        return 1


@dataclass(kw_only=True)
class ConfigSource:
    """How ``lrguard check`` read a config file into the plan (None for live runs).

    Attributes:
        kind: the config kind ('hf', 'llamafactory', 'axolotl', 'flair').
        steps_source: how the total step count was found, or why it is unknown.
        stray_keys: scheduler keywords written at the top level, with their values.
        coerces_strings: the tool reading this kind of config turns string numbers into
            numbers itself (no LRG004 there).
        defaults: fields not in the file, taken at the tool's default.
        renames: plan field -> the name the tool uses for it.
        invalid: settings that cannot be used, as ``{field, value, problem, fix, location}``.
        duplicate_keys: key path -> the lines of a key given more than once.
        deepspeed: the DeepSpeed config named by ``deepspeed:`` (None: none).
        scheduler_keys: the schedule settings as written in the file (``lr_scheduler_type``,
            ``lr_scheduler_kwargs``, axolotl's ``lr_scheduler`` / ``cosine_min_lr_ratio``),
            for LRG080: a DeepSpeed scheduler makes transformers ignore them.
        tool_settings: settings only the config's own tool reads (axolotl's
            ``cosine_constant_lr_ratio``, ``lr_quadratic_warmup``, ``lr_groups`` ...), as
            written.
    """

    kind: str = ""
    steps_source: str | None = None
    stray_keys: dict[str, Any] = field(default_factory=dict)
    coerces_strings: bool = False
    defaults: list[str] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)
    invalid: list[dict[str, Any]] = field(default_factory=list)
    duplicate_keys: dict[str, list[int]] = field(default_factory=dict)
    deepspeed: DeepSpeedPlan | None = None
    scheduler_keys: dict[str, Any] = field(default_factory=dict)
    tool_settings: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class TrainingPlan:
    """A normalized description of one run, the input of every rule.

    Attributes:
        framework: 'flair', 'hf' or a config kind.
        framework_version: the framework's version, when known.
        param_groups: every optimizer param group.
        annealing: plateau annealing, when the run uses it.
        stops_at_min_lr: reaching the minimum ends stock training (Flair's plateau stop).
        guarded: the run is trained under ``LRGuardPlugin``, which stops only when patience
            is exhausted at the floor; rules describing the run's course use that rule.
        schedule: a step-based schedule, when the run uses one.
        max_epochs / max_steps: the run's length, when known.
        evaluation / early_stopping: those settings as given.
        entry: the Flair ``ModelTrainer`` method (``train``, ``fine_tune``, ``train_custom``).
        learning_rate: the Hugging Face peak learning rate as given (Flair's rates are in
            ``param_groups``).
        min_learning_rate: Flair's ``min_learning_rate`` as given (a float or a list).
        annealing_given: Flair's annealing settings as given, before validation.
        metric: how a Hugging Face run judges evaluations.
        optimizer: the optimizer as given (a class name or an ``optim`` value), when known.
        pretrained: the run fine-tunes a pretrained network (True), trains from scratch
            (False), or it is not known (None).
        min_lr_ratio: the floor, as a fraction of the peak, that fixes propose (the policy's
            ``min_lr_ratio``; ``lrguard.defaults.DEFAULT_MIN_LR_RATIO`` unless a policy sets it).
        source: how ``lrguard check`` read the config (None for live runs).
        trajectory: the per-step rates of a real scheduler object, replayed by
            ``torch_lrguard`` (None for configs): the input of LRG060 - LRG068.
        accelerate: how accelerate steps the replayed scheduler (then ``trajectory``
            counts scheduler steps, ``steps_per_optimizer_step`` per optimizer step); None
            when the run steps it itself.
        locations: field name -> config key path, for messages.
        lines: field name -> line in the config file.

    Example:
        >>> plan = TrainingPlan(framework="flair", param_groups=[
        ...     ParamGroupPlan(index=0, lr=1e-5, min_lr=1e-4)])
        >>> plan.param_groups[0].label
        'param group 0'
    """

    framework: str = ""
    framework_version: str | None = None
    param_groups: list[ParamGroupPlan] = field(default_factory=list)
    annealing: AnnealingPlan | None = None
    stops_at_min_lr: bool = False
    guarded: bool = False
    schedule: SchedulePlan | None = None
    max_epochs: int | None = None
    max_steps: int | None = None
    evaluation: dict[str, Any] = field(default_factory=dict)
    early_stopping: dict[str, Any] = field(default_factory=dict)
    entry: str | None = None
    learning_rate: Any = None
    min_learning_rate: Any = None
    annealing_given: dict[str, Any] | None = None
    metric: MetricPlan = field(default_factory=MetricPlan)
    optimizer: Any = None
    pretrained: bool | None = None
    min_lr_ratio: float = DEFAULT_MIN_LR_RATIO
    source: ConfigSource | None = None
    trajectory: Trajectory | None = None
    accelerate: AcceleratePlan | None = None
    locations: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def clone(self) -> TrainingPlan:
        """A deep copy, for rules that adjust a plan without touching their input."""
        return copy.deepcopy(self)

    def where(self, field: str) -> str:
        """The config key path of ``field`` (the field itself when unknown)."""
        return self.locations.get(field, field)
