"""``TrainingPlan``: a framework-free description of one training run.

Integrations and config readers translate framework state into a plan; rules read only plans.
Values are kept as given (a string from YAML stays a string) so rules can report them.
Plain mutable records (``lrguard.records.Record``: cheap to build for the command line);
``_replace`` makes a shallow copy with some values changed. Rules copy a plan with ``clone``
(a deep copy) before changing it and never mutate their input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from lrguard.defaults import DEFAULT_MIN_LR_RATIO
from lrguard.records import Record

if TYPE_CHECKING:  # plain data; only integrations that replay a scheduler build one
    from lrguard.trajectory import Trajectory


class ParamGroupPlan(Record):
    """One optimizer param group: its initial rate and the minimum it must not go below.

    Attributes:
        index: position of the group in the optimizer.
        name: what the group holds, e.g. 'decoder'.
        lr: initial learning rate as given.
        min_lr: minimum learning rate as given; None: none.
        lr_field: the setting the rate comes from.
        min_lr_field: the setting the minimum comes from.
    """

    def __init__(
        self,
        *,
        index: int,
        lr: Any,
        name: str = "",
        min_lr: Any = None,
        lr_field: str = "learning_rate",
        min_lr_field: str = "min_learning_rate",
    ) -> None:
        self.index = index
        self.lr = lr
        self.name = name
        self.min_lr = min_lr
        self.lr_field = lr_field
        self.min_lr_field = min_lr_field

    @property
    def label(self) -> str:
        """'param group 0' or 'param group 1 (decoder)'."""
        suffix = f" ({self.name})" if self.name else ""
        return f"param group {self.index}{suffix}"


class AnnealingPlan(Record):
    """Reduce-on-plateau annealing as Flair's AnnealOnPlateau does it.

    Attributes:
        factor: new lr = lr * factor on a plateau.
        patience: bad evaluations tolerated before annealing.
        initial_extra_patience: extra patience before the first anneal.
        cooldown: evaluations ignored after an anneal.
        mode: ``max`` when a higher metric is better.
        with_restarts: reload the best model after annealing.
    """

    def __init__(
        self,
        *,
        factor: float = 0.5,
        patience: int = 3,
        initial_extra_patience: int = 0,
        cooldown: int = 0,
        mode: Literal["min", "max"] = "max",
        with_restarts: bool = False,
    ) -> None:
        self.factor = factor
        self.patience = patience
        self.initial_extra_patience = initial_extra_patience
        self.cooldown = cooldown
        self.mode = mode
        self.with_restarts = with_restarts


class SchedulePlan(Record):
    """A step-based learning-rate schedule (Hugging Face ``lr_scheduler_type``).

    Attributes:
        name: schedule name as given, e.g. 'cosine_with_min_lr'.
        kwargs: ``lr_scheduler_kwargs`` as given.
        warmup_steps: warmup steps as given.
        warmup_ratio: warmup as a fraction of total steps, as given; None when the arguments
            have no such field (transformers 5.x).
        total_steps: optimizer steps, when known.
    """

    def __init__(
        self,
        *,
        name: Any,
        kwargs: Any = None,
        warmup_steps: Any = 0,
        warmup_ratio: Any = None,
        total_steps: int | None = None,
    ) -> None:
        self.name = name
        self.kwargs = {} if kwargs is None else kwargs
        self.warmup_steps = warmup_steps
        self.warmup_ratio = warmup_ratio
        self.total_steps = total_steps


class MetricPlan(Record):
    """How a Hugging Face run judges its evaluations (as given, defaults filled in).

    Attributes:
        name: ``metric_for_best_model`` (``loss`` when a plateau schedule or
            ``load_best_model_at_end`` needs one and none is given, as transformers does).
        greater_is_better: whether a higher metric is better.
        load_best_model_at_end: ``load_best_model_at_end``.
    """

    def __init__(
        self,
        *,
        name: Any = None,
        greater_is_better: Any = None,
        load_best_model_at_end: Any = False,
    ) -> None:
        self.name = name
        self.greater_is_better = greater_is_better
        self.load_best_model_at_end = load_best_model_at_end


class DeepSpeedPlan(Record):
    """The DeepSpeed config a Hugging Face-style config names in ``deepspeed:``.

    Attributes:
        given: the ``deepspeed`` value as written (a path, or an inline mapping as '<inline>').
        path: the file read, as found (None: inline, or not read).
        problem: why the file could not be read (None: read, or inline).
        scheduler: the ``scheduler`` section as written (None: there is none).
        optimizer: the ``optimizer`` section as written (None: there is none).
        looked_in: the files tried, for messages.
    """

    def __init__(
        self,
        *,
        given: str,
        path: str | None = None,
        problem: str | None = None,
        scheduler: Any = None,
        optimizer: Any = None,
        looked_in: list[str] | None = None,
    ) -> None:
        self.given = given
        self.path = path
        self.problem = problem
        self.scheduler = scheduler
        self.optimizer = optimizer
        self.looked_in = [] if looked_in is None else looked_in

    @property
    def label(self) -> str:
        """How messages name the file: its path as written, or 'deepspeed (inline)'."""
        return "deepspeed (inline)" if self.given == "<inline>" else self.given


class AcceleratePlan(Record):
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

    def __init__(
        self,
        *,
        processes: int,
        step_with_optimizer: bool = True,
        split_batches: bool = False,
        optimizer_steps: int = 0,
    ) -> None:
        self.processes = processes
        self.step_with_optimizer = step_with_optimizer
        self.split_batches = split_batches
        self.optimizer_steps = optimizer_steps

    @property
    def steps_per_optimizer_step(self) -> int:
        """Scheduler steps per optimizer step, as ``AcceleratedScheduler.step`` takes them."""
        if self.step_with_optimizer and not self.split_batches:
            return max(1, self.processes)
        return 1


class ConfigSource(Record):
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

    def __init__(
        self,
        *,
        kind: str = "",
        steps_source: str | None = None,
        stray_keys: dict[str, Any] | None = None,
        coerces_strings: bool = False,
        defaults: list[str] | None = None,
        renames: dict[str, str] | None = None,
        invalid: list[dict[str, Any]] | None = None,
        duplicate_keys: dict[str, list[int]] | None = None,
        deepspeed: DeepSpeedPlan | None = None,
        scheduler_keys: dict[str, Any] | None = None,
        tool_settings: dict[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.steps_source = steps_source
        self.stray_keys = {} if stray_keys is None else stray_keys
        self.coerces_strings = coerces_strings
        self.defaults = [] if defaults is None else defaults
        self.renames = {} if renames is None else renames
        self.invalid = [] if invalid is None else invalid
        self.duplicate_keys = {} if duplicate_keys is None else duplicate_keys
        self.deepspeed = deepspeed
        self.scheduler_keys = {} if scheduler_keys is None else scheduler_keys
        self.tool_settings = {} if tool_settings is None else tool_settings


class TrainingPlan(Record):
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

    def __init__(
        self,
        *,
        framework: str = "",
        framework_version: str | None = None,
        param_groups: list[ParamGroupPlan] | None = None,
        annealing: AnnealingPlan | None = None,
        stops_at_min_lr: bool = False,
        guarded: bool = False,
        schedule: SchedulePlan | None = None,
        max_epochs: int | None = None,
        max_steps: int | None = None,
        evaluation: dict[str, Any] | None = None,
        early_stopping: dict[str, Any] | None = None,
        entry: str | None = None,
        learning_rate: Any = None,
        min_learning_rate: Any = None,
        annealing_given: dict[str, Any] | None = None,
        metric: MetricPlan | None = None,
        optimizer: Any = None,
        pretrained: bool | None = None,
        min_lr_ratio: float = DEFAULT_MIN_LR_RATIO,
        source: ConfigSource | None = None,
        trajectory: Trajectory | None = None,
        accelerate: AcceleratePlan | None = None,
        locations: dict[str, str] | None = None,
        lines: dict[str, int] | None = None,
    ) -> None:
        self.framework = framework
        self.framework_version = framework_version
        self.param_groups = [] if param_groups is None else param_groups
        self.annealing = annealing
        self.stops_at_min_lr = stops_at_min_lr
        self.guarded = guarded
        self.schedule = schedule
        self.max_epochs = max_epochs
        self.max_steps = max_steps
        self.evaluation = {} if evaluation is None else evaluation
        self.early_stopping = {} if early_stopping is None else early_stopping
        self.entry = entry
        self.learning_rate = learning_rate
        self.min_learning_rate = min_learning_rate
        self.annealing_given = annealing_given
        self.metric = MetricPlan() if metric is None else metric
        self.optimizer = optimizer
        self.pretrained = pretrained
        self.min_lr_ratio = min_lr_ratio
        self.source = source
        self.trajectory = trajectory
        self.accelerate = accelerate
        self.locations = {} if locations is None else locations
        self.lines = {} if lines is None else lines

    def clone(self) -> TrainingPlan:
        """A deep copy, for rules that adjust a plan without touching their input."""
        import copy  # on first use: ``lrguard check`` adjusts no plan (copy imports weakref)

        return copy.deepcopy(self)

    def where(self, field: str) -> str:
        """The config key path of ``field`` (the field itself when unknown)."""
        return self.locations.get(field, field)
