"""``check_scheduler``: replay a scheduler object and run the trajectory rules on it."""

from __future__ import annotations

import logging
from typing import Any

from lrguard.decide import Preflight, decide
from lrguard.findings import Finding
from lrguard.plan import ParamGroupPlan, TrainingPlan
from lrguard.policy import GuardPolicy
from lrguard.rules import check_plan
from torch_lrguard.replay import base_rates, replay, unwrap_optimizer

logger = logging.getLogger(__name__)

FRAMEWORK = "torch"
TRAJECTORY_RULES = "LRG06"
"""The codes of the rules that read a replayed scheduler (LRG060 - LRG069)."""


def validate(optimizer: Any, scheduler: Any, total_steps: Any, metric_mode: Any) -> None:
    """Refuse arguments that cannot be checked, naming the argument, its value and the fix.

    Raises:
        TypeError / ValueError: the argument that cannot be used.
    """
    opt = unwrap_optimizer(optimizer)
    if not hasattr(opt, "param_groups") or not hasattr(opt, "defaults"):
        raise TypeError(
            f"optimizer={type(optimizer).__name__!r}: expected a torch.optim.Optimizer (with "
            "param_groups); pass the optimizer the scheduler was built with."
        )
    if not callable(getattr(scheduler, "step", None)):
        raise TypeError(
            f"scheduler={type(scheduler).__name__!r}: expected a learning-rate scheduler with "
            "a step() method, e.g. torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, ...)."
        )
    if isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps < 1:
        raise ValueError(
            f"total_steps={total_steps!r}: must be a whole number >= 1, the optimizer steps of "
            "the run (for ReduceLROnPlateau: the calls of scheduler.step(metric))."
        )
    if metric_mode not in (None, "min", "max"):
        raise ValueError(
            f"metric_mode={metric_mode!r}: must be 'min' (lower is better, e.g. a loss), "
            "'max' (e.g. accuracy) or None (the scheduler's own mode)."
        )


def scheduler_plan(
    optimizer: Any,
    scheduler: Any,
    total_steps: int,
    *,
    policy: GuardPolicy | None = None,
    metric_mode: str | None = None,
) -> TrainingPlan:
    """The plan of a run driven by ``scheduler``: its param groups and replayed trajectory.

    Raises:
        TypeError / ValueError: an argument that cannot be checked (the message names it).
    """
    validate(optimizer, scheduler, total_steps, metric_mode)
    policy = policy or GuardPolicy()
    opt = unwrap_optimizer(optimizer)
    trajectory = replay(
        opt,
        scheduler,
        total_steps,
        metric_mode=metric_mode,
        limits=policy.trajectory_limits(),
    )
    groups = [ParamGroupPlan(index=i, lr=lr, lr_field="lr") for i, lr in enumerate(base_rates(opt))]
    return TrainingPlan(
        framework=FRAMEWORK, param_groups=groups, max_steps=total_steps, trajectory=trajectory
    )


def preflight(plan: TrainingPlan, policy: GuardPolicy, framework: str = FRAMEWORK) -> Preflight:
    """The trajectory rules' findings on ``plan`` and the decisions ``decide`` takes on them."""
    findings = check_plan(plan, select=[TRAJECTORY_RULES], ignore=policy.ignore)
    return decide(plan, policy, framework, findings=findings)


def check_scheduler(
    optimizer: Any,
    scheduler: Any,
    total_steps: int,
    *,
    policy: GuardPolicy | None = None,
    metric_mode: str | None = None,
) -> list[Finding]:
    """Replay ``scheduler`` for the run's ``total_steps`` and check the rates it gives.

    The replay runs on a copy of the scheduler and a shadow optimizer (see
    ``torch_lrguard.replay``): ``optimizer`` and ``scheduler`` are left exactly as they were.
    Findings come from the trajectory rules LRG060 - LRG067 (raises before the end, rises
    above the optimizer's rate, near zero most of the run, restarts, warmup never ends,
    non-finite rates, not replayable, metric-driven worst case).

    A scheduler prepared with accelerate (``accelerator.prepare`` returns an
    ``AcceleratedScheduler``) is checked as accelerate steps it, ``num_processes`` times per
    optimizer step unless ``split_batches`` or ``step_scheduler_with_optimizer=False``: see
    ``check_accelerated`` (LRG068); ``total_steps`` then counts optimizer steps per process.

    Unlike the integrations' pre-flight, nothing is adjusted (the objects are the user's)
    and only ``on_violation="error"`` raises: this is a check whose caller decides.

    The cost is bounded whatever ``total_steps`` and the number of param groups (10**9
    steps take well under a second): past 20,000 steps (and 50,000 rates over all groups)
    the rest of the run is sampled from the scheduler's closed form or by jumping to
    sampled steps where its class allows it, else only the first steps are checked; an
    LRG066 note (info) then says how far the check reached (``torch_lrguard.replay``).

    Args:
        optimizer: the optimizer the scheduler was built with.
        scheduler: the scheduler object, in the state training will start from.
        total_steps: the optimizer steps of the run (for a metric-driven scheduler such as
            ``ReduceLROnPlateau``: the calls of ``scheduler.step(metric)``).
        policy: thresholds and ``on_violation`` (default ``GuardPolicy()``).
        metric_mode: for metric-driven schedulers, which way the metric gets worse in the
            worst case replayed ('min': a loss; 'max': accuracy); default: the scheduler's.

    Returns:
        Findings, errors first.

    Raises:
        LRGuardError: ``on_violation="error"`` and an error (or fixable) finding.
        TypeError / ValueError: arguments that cannot be checked (the message names them).

    Example:
        >>> import torch
        >>> from torch_lrguard import check_scheduler
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
        >>> sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
        >>> [f.code for f in check_scheduler(opt, sched, 1000)]
        ['LRG063']
    """
    from torch_lrguard.accelerate import check_accelerated, is_accelerated_scheduler

    if is_accelerated_scheduler(scheduler):
        return check_accelerated(
            scheduler, total_steps, optimizer=optimizer, policy=policy, metric_mode=metric_mode
        )
    policy = policy or GuardPolicy()
    plan = scheduler_plan(optimizer, scheduler, total_steps, policy=policy, metric_mode=metric_mode)
    result = preflight(plan, policy)
    if policy.on_violation == "error" and result.error is not None:
        raise result.error
    return result.findings
