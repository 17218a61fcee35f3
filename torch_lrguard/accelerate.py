"""Check a scheduler the way accelerate steps it after ``accelerator.prepare``.

accelerate's ``AcceleratedScheduler.step`` (``accelerate/scheduler.py``) steps the wrapped
scheduler only on steps where the optimizer stepped, and then ``num_processes`` times when
``step_with_optimizer`` (``Accelerator(step_scheduler_with_optimizer=True)``, the default) and
not ``split_batches``: each process's batches are one share of a batch that is
``num_processes`` times larger, so a schedule whose length counts single-process steps
(``len(train_dataloader)`` *before* ``prepare`` x epochs) ends with the run. A scheduler
with a ``total_steps`` attribute (``OneCycleLR``) is stepped only while its ``_step_count``
is at most ``total_steps``: it then stays at its last rate instead of raising.

``check_accelerated`` replays a copy of the wrapped scheduler for ``num_processes`` x the
run's optimizer steps per process (the bounded replay of ``torch_lrguard.replay``) and runs
the trajectory rules on it, LRG068 included: a schedule built from the *prepared* dataloader
decays ``num_processes`` times too fast. Nothing here imports accelerate unless the
objects come from it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from lrguard.decide import Preflight, decide
from lrguard.findings import Finding
from lrguard.plan import AcceleratePlan, ParamGroupPlan, TrainingPlan
from lrguard.policy import GuardPolicy
from lrguard.schedules.torch_classes import is_cyclic
from torch_lrguard.check import preflight, validate
from torch_lrguard.replay import base_rates, replay, settings_of, unwrap_optimizer

FRAMEWORK = "accelerate"
LRG068 = "LRG068"
KEPT_WITH_LRG068 = ("LRG068", "LRG066")
"""When LRG068 fires, the other trajectory findings describe the same early decay (near zero
most of the run, restarts): only it and the replay's coverage note are reported."""


def is_accelerated_scheduler(scheduler: Any) -> bool:
    """True for accelerate's ``AcceleratedScheduler`` (recognised without importing
    accelerate) and for an ``AcceleratedStepping``."""
    if isinstance(scheduler, AcceleratedStepping):
        return True
    kind = type(scheduler)
    return kind.__name__ == "AcceleratedScheduler" and kind.__module__.startswith("accelerate")


@dataclass(frozen=True)
class AcceleratedStepping:
    """A scheduler as accelerate steps it once prepared: on ``num_processes`` processes, with
    the accelerator's ``step_scheduler_with_optimizer`` and ``split_batches``.

    Built by ``check_accelerated`` from a prepared ``AcceleratedScheduler``; build one
    yourself to check a launch on more processes than the current one (a scheduler written
    on one machine for an 8-GPU job).

    Attributes:
        scheduler: the torch scheduler accelerate wraps (``AcceleratedScheduler.scheduler``).
        num_processes: the processes of the job.
        step_with_optimizer: ``Accelerator(step_scheduler_with_optimizer=...)``.
        split_batches: the accelerator's ``split_batches``.

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
        >>> sched = torch.optim.lr_scheduler.LinearLR(opt, 1.0, 0.01, total_iters=100)
        >>> AcceleratedStepping(sched, num_processes=4).plan(100).steps_per_optimizer_step
        4
    """

    scheduler: Any
    num_processes: int
    step_with_optimizer: bool = True
    split_batches: bool = False

    def __post_init__(self) -> None:
        """Refuse values accelerate cannot have (the message names them)."""
        count = self.num_processes
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(
                f"num_processes={count!r}: must be a whole number >= 1, the processes of the "
                "job (accelerator.num_processes)."
            )
        if not callable(getattr(self.scheduler, "step", None)):
            raise TypeError(
                f"scheduler={type(self.scheduler).__name__!r}: expected the torch scheduler "
                "accelerate wraps (with a step() method), e.g. LambdaLR(optimizer, ...)."
            )

    def plan(self, total_steps: int) -> AcceleratePlan:
        """The core's description of this stepping for a run of ``total_steps`` optimizer
        steps per process."""
        return AcceleratePlan(
            processes=self.num_processes,
            step_with_optimizer=bool(self.step_with_optimizer),
            split_batches=bool(self.split_batches),
            optimizer_steps=total_steps,
        )

    @property
    def holds_at_end(self) -> bool:
        """accelerate steps a scheduler with ``total_steps`` only up to it (then it holds)."""
        return (
            self.step_with_optimizer
            and not self.split_batches
            and hasattr(self.scheduler, "total_steps")
        )


def _running_processes(accelerator: Any) -> int:
    """The processes of the running job: ``accelerator.num_processes``, else accelerate's
    shared state (initialized by any ``Accelerator``), else 1."""
    if accelerator is not None:
        return int(accelerator.num_processes)
    try:
        from accelerate.state import AcceleratorState, PartialState
    except ImportError:  # an AcceleratedScheduler without accelerate importable: one process
        return 1
    if getattr(PartialState, "_shared_state", None):
        return int(PartialState().num_processes)
    if getattr(AcceleratorState, "_shared_state", None):
        return int(AcceleratorState().num_processes)
    return 1


def accelerated_stepping(
    scheduler: Any, *, accelerator: Any = None, num_processes: int | None = None
) -> AcceleratedStepping:
    """How accelerate steps ``scheduler``: the prepared ``AcceleratedScheduler``'s own flags,
    or those ``accelerator.prepare`` would give a plain scheduler.

    Raises:
        TypeError: a plain scheduler with neither ``accelerator`` nor ``num_processes``.
    """
    if isinstance(scheduler, AcceleratedStepping):
        if num_processes is None and accelerator is None:
            return scheduler
        count = num_processes if num_processes is not None else accelerator.num_processes
        return dataclasses.replace(scheduler, num_processes=count)
    if is_accelerated_scheduler(scheduler):
        count = num_processes if num_processes is not None else _running_processes(accelerator)
        return AcceleratedStepping(
            scheduler.scheduler,
            num_processes=count,
            step_with_optimizer=bool(scheduler.step_with_optimizer),
            split_batches=bool(scheduler.split_batches),
        )
    if accelerator is not None:
        return AcceleratedStepping(
            scheduler,
            num_processes=num_processes if num_processes is not None else accelerator.num_processes,
            step_with_optimizer=bool(accelerator.step_scheduler_with_optimizer),
            split_batches=bool(accelerator.split_batches),
        )
    if num_processes is not None:
        return AcceleratedStepping(scheduler, num_processes=num_processes)
    raise TypeError(
        f"scheduler={type(scheduler).__name__!r} is not prepared by accelerate: pass the "
        "scheduler accelerator.prepare returned, or accelerator=<the Accelerator> (or "
        "num_processes=N) to check how prepare will step it."
    )


class _HeldAtEnd:
    """A scheduler with ``total_steps`` as accelerate steps it: only while its
    ``_step_count`` is at most ``total_steps`` (``OneCycleLR`` then holds its last rate)."""

    def __init__(self, scheduler: Any) -> None:
        self.scheduler = scheduler
        self.optimizer = scheduler.optimizer

    def step(self) -> None:
        """Step the wrapped scheduler unless accelerate would skip it."""
        inner = self.scheduler
        if getattr(inner, "_step_count", 0) <= inner.total_steps:
            inner.step()


def accelerated_plan(
    stepping: AcceleratedStepping,
    total_steps: int,
    *,
    optimizer: Any = None,
    policy: GuardPolicy | None = None,
    metric_mode: str | None = None,
) -> TrainingPlan:
    """The plan of a run whose scheduler accelerate steps as ``stepping`` says, for
    ``total_steps`` optimizer steps per process: the trajectory counts scheduler steps
    (``steps_per_optimizer_step`` x ``total_steps`` of them)."""
    inner = stepping.scheduler
    opt = unwrap_optimizer(optimizer if optimizer is not None else inner.optimizer)
    validate(opt, inner, total_steps, metric_mode)
    policy = policy or GuardPolicy()
    accelerate = stepping.plan(total_steps)
    per_step = accelerate.steps_per_optimizer_step
    driven = _HeldAtEnd(inner) if stepping.holds_at_end else inner
    trajectory = replay(
        opt,
        driven,
        total_steps * per_step,
        metric_mode=metric_mode,
        limits=policy.trajectory_limits(),
    )
    how = (
        f"{per_step} times per optimizer step by accelerate's AcceleratedScheduler on "
        f"{stepping.num_processes} processes"
        if per_step > 1
        else ""
    )
    if driven is not inner:
        name = type(inner).__name__
        trajectory = dataclasses.replace(
            trajectory, scheduler=name, settings=settings_of(inner), cyclic=is_cyclic(name)
        )
    trajectory = dataclasses.replace(trajectory, stepped_by=how)
    groups = [ParamGroupPlan(index=i, lr=lr, lr_field="lr") for i, lr in enumerate(base_rates(opt))]
    return TrainingPlan(
        framework=FRAMEWORK,
        param_groups=groups,
        max_steps=total_steps,
        trajectory=trajectory,
        accelerate=accelerate,
    )


def accelerated_preflight(plan: TrainingPlan, policy: GuardPolicy) -> Preflight:
    """The trajectory rules' findings on an accelerated ``plan`` (only LRG068 and the
    coverage note when LRG068 fires) and the decisions ``decide`` takes on them."""
    result = preflight(plan, policy, FRAMEWORK)
    if any(f.code == LRG068 for f in result.findings):
        kept = [f for f in result.findings if f.code in KEPT_WITH_LRG068]
        return decide(plan, policy, FRAMEWORK, findings=kept)
    return result


def check_accelerated(
    scheduler: Any,
    total_steps: int,
    *,
    accelerator: Any = None,
    num_processes: int | None = None,
    optimizer: Any = None,
    policy: GuardPolicy | None = None,
    metric_mode: str | None = None,
) -> list[Finding]:
    """Check a scheduler prepared with accelerate the way ``AcceleratedScheduler`` steps it.

    Call it after ``accelerator.prepare`` and before the first step. With
    ``step_scheduler_with_optimizer=True`` (the default) and ``split_batches=False``,
    accelerate steps the wrapped scheduler ``num_processes`` times per optimizer step, so
    its length must count single-process steps (``len(train_dataloader)`` before
    ``prepare`` x epochs). A copy is replayed that way for the loop's ``total_steps``
    optimizer steps per process (bounded as in ``check_scheduler``); LRG068 reports a
    schedule whose decay ends early, with the step and the length to build it with; the
    other trajectory rules (LRG060 - LRG067) judge the rest, in scheduler steps. The
    scheduler, its optimizer and accelerate's state are left as they were.

    Args:
        scheduler: the ``AcceleratedScheduler`` ``accelerator.prepare`` returned; or a plain
            scheduler with ``accelerator`` (checked as ``prepare`` will wrap it) or
            ``num_processes``; or an ``AcceleratedStepping``.
        total_steps: the optimizer steps of the run on each process (``len(prepared
            dataloader) x epochs / gradient_accumulation_steps``).
        accelerator: the ``Accelerator``, for its ``num_processes`` and flags; default: the
            running job's (accelerate's shared state).
        num_processes: check for this many processes instead (a launch planned elsewhere).
        optimizer: the optimizer the scheduler drives (default: the scheduler's own).
        policy: thresholds and ``on_violation`` (default ``GuardPolicy()``).
        metric_mode: for metric-driven schedulers, as in ``check_scheduler``.

    Returns:
        Findings, errors first; ``[]`` when the schedule fits the run.

    Raises:
        LRGuardError: ``on_violation="error"`` and an error finding.
        TypeError / ValueError: arguments that cannot be checked (the message names them).

    Example:
        >>> import torch
        >>> from torch_lrguard import AcceleratedStepping, check_accelerated
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
        >>> sched = torch.optim.lr_scheduler.LinearLR(opt, 1.0, 0.01, total_iters=1000)
        >>> [f.code for f in check_accelerated(sched, 1000, num_processes=4)]
        ['LRG068']
        >>> sched = torch.optim.lr_scheduler.LinearLR(opt, 1.0, 0.01, total_iters=4000)
        >>> check_accelerated(sched, 1000, num_processes=4)
        []
    """
    stepping = accelerated_stepping(scheduler, accelerator=accelerator, num_processes=num_processes)
    policy = policy or GuardPolicy()
    plan = accelerated_plan(
        stepping, total_steps, optimizer=optimizer, policy=policy, metric_mode=metric_mode
    )
    result = accelerated_preflight(plan, policy)
    if policy.on_violation == "error" and result.error is not None:
        raise result.error
    return result.findings


__all__ = [
    "AcceleratedStepping",
    "accelerated_plan",
    "accelerated_stepping",
    "check_accelerated",
    "is_accelerated_scheduler",
]
