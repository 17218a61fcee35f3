"""Carry adjusted ``TrainingArguments`` into a schedule Trainer has already built.

``on_train_begin`` runs after ``create_scheduler``. To make a fix effective from the first
optimizer step, the schedule is rebuilt with ``transformers.get_scheduler`` on a *shadow*
optimizer (same param groups and rates, no parameters of the model) and its parts are moved
into the live scheduler object, which Trainer, accelerate and checkpoints keep referring to:
the step functions of a ``LambdaLR``, the settings of ``ReduceLROnPlateau`` / ``GreedyLR``.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import get_scheduler

PLATEAU_SETTINGS = (
    "mode",
    "mode_worse",
    "factor",
    "patience",
    "threshold",
    "threshold_mode",
    "cooldown",
    "min_lrs",
    "max_lrs",
    "eps",
    "warmup",
    "smooth",
    "window_size",
    "reset_start",
    "reset_start_original",
    "_streaming_avg",
)
"""Settings of a plateau-like scheduler copied from the rebuilt one (state is kept)."""


def unwrap(optimizer: Any) -> torch.optim.Optimizer:
    """The torch optimizer inside accelerate's ``AcceleratedOptimizer``."""
    return getattr(optimizer, "optimizer", optimizer)


def is_plateau_like(scheduler: Any) -> bool:
    """True for metric-driven schedulers (``ReduceLROnPlateau``, ``GreedyLR``)."""
    return hasattr(scheduler, "min_lrs") and hasattr(scheduler, "best")


def improves(scheduler: Any, value: float) -> bool:
    """The scheduler's own improvement test (torch: ``_is_better``; GreedyLR: ``is_better``)."""
    test = getattr(scheduler, "is_better", None) or scheduler._is_better
    return bool(test(value, scheduler.best))


def _shadow(optimizer: torch.optim.Optimizer, scale: float) -> torch.optim.Optimizer:
    groups = [
        {"params": [torch.zeros(1, requires_grad=True)], "lr": g.get("initial_lr", g["lr"]) * scale}
        for g in optimizer.param_groups
    ]
    return torch.optim.SGD(groups, lr=optimizer.defaults["lr"] * scale)


def rebuild_schedule(
    args: Any,
    optimizer: Any,
    scheduler: Any,
    num_training_steps: int,
    lr_scale: float = 1.0,
    fresh: bool = True,
) -> bool:
    """Make ``scheduler`` follow the (adjusted) ``args`` from its current step on.

    Args:
        args: the ``TrainingArguments`` after the fixes.
        optimizer: the trainer's optimizer (possibly wrapped by accelerate).
        scheduler: the trainer's ``lr_scheduler``.
        num_training_steps: ``state.max_steps``.
        lr_scale: new peak / old peak when the learning rate itself was changed.
        fresh: no optimizer step has been taken (False on resume: keep plateau state).

    Returns:
        True when the live scheduler was updated; False for schedulers it does not know.
    """
    opt = unwrap(optimizer)
    rebuilt = get_scheduler(
        args.lr_scheduler_type,
        optimizer=_shadow(opt, lr_scale),
        num_warmup_steps=args.get_warmup_steps(num_training_steps),
        num_training_steps=num_training_steps,
        scheduler_specific_kwargs=args.lr_scheduler_kwargs,
    )
    if isinstance(scheduler, torch.optim.lr_scheduler.LambdaLR) and isinstance(
        rebuilt, torch.optim.lr_scheduler.LambdaLR
    ):
        scheduler.lr_lambdas = rebuilt.lr_lambdas
        scheduler.base_lrs = list(rebuilt.base_lrs)
        step = max(scheduler.last_epoch, 0)
        for group, base, fn in zip(
            opt.param_groups, scheduler.base_lrs, scheduler.lr_lambdas, strict=True
        ):
            group["initial_lr"] = base
            group["lr"] = base * fn(step)
        scheduler._last_lr = [group["lr"] for group in opt.param_groups]
        return True
    if is_plateau_like(scheduler) and type(scheduler) is type(rebuilt):
        for name in PLATEAU_SETTINGS:
            if hasattr(rebuilt, name):
                setattr(scheduler, name, getattr(rebuilt, name))
        if fresh:
            scheduler.best = rebuilt.best
        if lr_scale != 1.0:
            for group in opt.param_groups:
                group["lr"] *= lr_scale
            if hasattr(scheduler, "_init_lrs"):
                scheduler._init_lrs = [g["lr"] for g in opt.param_groups]
            scheduler._last_lr = [g["lr"] for g in opt.param_groups]
        return True
    return False
