"""Carry adjusted ``TrainingArguments`` into a schedule Trainer has already built, and read
back what the run will actually use.

``on_train_begin`` runs after ``create_scheduler``. To make a fix effective from the first
optimizer step, the schedule is rebuilt with ``transformers.get_scheduler`` on a *shadow*
optimizer (same param groups and rates, no parameters of the model) and its parts are moved
into the live scheduler object, which Trainer, accelerate and checkpoints keep referring to:
the step functions of a ``LambdaLR``, the settings of ``ReduceLROnPlateau`` / ``GreedyLR``.

``what_differs`` is the read-back: the optimizer's starting rates and the built scheduler's
rates over the run (or its plateau settings), compared with what the arguments describe
through the schedule table's closed forms. An adjustment is only reported as applied when
it finds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import transformers
from transformers import get_scheduler

from hf_lrguard._logging import get_logger
from lrguard.numbers import fmt
from lrguard.rules._hf import scheduler_kwargs
from lrguard.schedules.closed_form import ScheduleError
from lrguard.schedules.plateau import PlateauSettings
from lrguard.schedules.readback import same_trajectory, sample_steps
from lrguard.schedules.table import ScheduleSpec, factor, major_version, schedule_spec
from torch_lrguard.replay import base_rates, shadow_optimizer

logger = get_logger(__name__)

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


def spec_of(args: Any) -> ScheduleSpec | None:
    """The schedule table's entry for ``args.lr_scheduler_type`` in the installed version."""
    name = getattr(args.lr_scheduler_type, "value", args.lr_scheduler_type)
    return schedule_spec(str(name), transformers.__version__)


def improves(scheduler: Any, value: float) -> bool:
    """The scheduler's own improvement test (torch: ``_is_better``; GreedyLR: ``is_better``)."""
    test = getattr(scheduler, "is_better", None) or scheduler._is_better
    return bool(test(value, scheduler.best))


def _shadow(optimizer: torch.optim.Optimizer, scale: float) -> torch.optim.Optimizer:
    """A parameter-free copy whose groups start at their base rate times ``scale`` (without
    ``initial_lr``, so a scheduler built on it takes the scaled rates as its base)."""
    shadow = shadow_optimizer(optimizer)
    for group in shadow.param_groups:
        group["lr"] = group.pop("initial_lr", group["lr"]) * scale
    shadow.defaults["lr"] = optimizer.defaults["lr"] * scale
    return shadow


def rebuild_schedule(
    args: Any,
    optimizer: Any,
    scheduler: Any,
    num_training_steps: int,
    lr_scale: float = 1.0,
    fresh: bool = True,
) -> None:
    """Make ``scheduler`` follow the (adjusted) ``args`` from its current step on.

    A scheduler it does not know, or arguments transformers cannot build a schedule from,
    leave the run untouched; ``what_differs`` then says so.

    Args:
        args: the ``TrainingArguments`` after the fixes.
        optimizer: the trainer's optimizer (possibly wrapped by accelerate).
        scheduler: the trainer's ``lr_scheduler``.
        num_training_steps: ``state.max_steps``.
        lr_scale: new peak / old peak when the learning rate itself was changed.
        fresh: no optimizer step has been taken (False on resume: keep plateau state).
    """
    opt = unwrap(optimizer)
    try:
        rebuilt = get_scheduler(
            args.lr_scheduler_type,
            optimizer=_shadow(opt, lr_scale),
            num_warmup_steps=args.get_warmup_steps(num_training_steps),
            num_training_steps=num_training_steps,
            scheduler_specific_kwargs=args.lr_scheduler_kwargs,
        )
    except (TypeError, ValueError) as err:
        logger.warning("lrguard: could not rebuild the schedule from the fixed arguments: %s", err)
        return
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
        opt.defaults["lr"] *= lr_scale
        return
    spec = spec_of(args)
    if spec is not None and spec.metric_driven and type(scheduler) is type(rebuilt):
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
            opt.defaults["lr"] *= lr_scale


def _plateau_differs(spec: ScheduleSpec, args: Any, scheduler: Any) -> str | None:
    if not hasattr(scheduler, "min_lrs"):
        return f"the built scheduler ({type(scheduler).__name__}) is not {spec.name}'s"
    expected = PlateauSettings.for_schedule(spec.name, scheduler_kwargs(args.lr_scheduler_kwargs))
    actual = {
        "factor": scheduler.factor,
        "patience": scheduler.patience,
        "mode": scheduler.mode,
        "threshold": scheduler.threshold,
        "threshold_mode": scheduler.threshold_mode,
        "cooldown": scheduler.cooldown,
        "eps": scheduler.eps,
    }
    for name, value in actual.items():
        if value != getattr(expected, name):
            wanted = fmt(getattr(expected, name))
            return f"the built scheduler has {name}={fmt(value)}, not {wanted}"
    for index, floor in enumerate(scheduler.min_lrs):
        if float(floor) != float(expected.min_lr):
            return f"the built scheduler's min_lr is {fmt(floor)} in param group {index}"
    return None


def _lambda_differs(
    spec: ScheduleSpec, args: Any, optimizer: Any, scheduler: Any, total: int
) -> str | None:
    if not isinstance(scheduler, torch.optim.lr_scheduler.LambdaLR):
        return (
            f"the built scheduler ({type(scheduler).__name__}) is not the LambdaLR transformers "
            f"builds for {spec.name}, so lrguard cannot change it"
        )
    warmup = args.get_warmup_steps(total)
    steps = sample_steps(total, warmup)
    try:
        expected = factor(
            spec.name,
            steps,
            warmup_steps=warmup,
            total_steps=total,
            learning_rate=float(unwrap(optimizer).defaults["lr"]),
            kwargs=scheduler_kwargs(args.lr_scheduler_kwargs),
            transformers_major=major_version(transformers.__version__),
        ).tolist()
    except ScheduleError as err:
        return f"the arguments do not describe a schedule transformers can build ({err})"
    for index, step_fn in enumerate(scheduler.lr_lambdas):
        actual = [float(step_fn(step)) for step in steps]
        if not same_trajectory(expected, actual):
            at = next(s for s, e, a in zip(steps, expected, actual, strict=True) if e != a)
            return (
                f"the built schedule's rate in param group {index} differs from {spec.name} "
                f"with these arguments (first at step {at})"
            )
    return None


def starting_rates(optimizer: Any) -> list[float]:
    """Every param group's starting rate (``initial_lr``, set by the scheduler, else ``lr``)."""
    return list(base_rates(unwrap(optimizer)))


def _differs(a: float, b: float) -> bool:
    return abs(a - b) > 1e-12 * max(abs(a), abs(b), 1e-300)


def what_differs(
    args: Any,
    optimizer: Any,
    scheduler: Any,
    total: int,
    *,
    starts: Sequence[float] | None = None,
    peak: float | None = None,
) -> str | None:
    """Why the run does not use what ``args`` describe, or None when it does.

    Reads back the optimizer (every param group's starting rate against ``starts``, its
    default rate against ``peak``; not checked when None) and the built scheduler: a
    ``LambdaLR``'s rate factors at sampled steps over the whole run against the closed form
    of ``args.lr_scheduler_type`` (relative error <= 1e-9), a plateau scheduler's settings.

    Args:
        args: the ``TrainingArguments`` after the fixes.
        optimizer: the trainer's optimizer (possibly wrapped by accelerate).
        scheduler: the trainer's ``lr_scheduler``.
        total: ``state.max_steps``.
        starts: the expected starting rate of each param group.
        peak: the expected learning rate of the optimizer (``defaults['lr']``).
    """
    opt = unwrap(optimizer)
    if starts is not None:
        for index, (start, wanted) in enumerate(zip(starting_rates(opt), starts, strict=True)):
            if _differs(start, wanted):
                return f"param group {index} starts at {fmt(start)}, not {fmt(wanted)}"
    if peak is not None and _differs(float(opt.defaults["lr"]), peak):
        return f"the optimizer's learning rate is {fmt(opt.defaults['lr'])}, not {fmt(peak)}"
    spec = spec_of(args)
    if spec is None:
        return f"lr_scheduler_type={args.lr_scheduler_type!r} is not in lrguard's schedule table"
    if spec.metric_driven:
        return _plateau_differs(spec, args, scheduler)
    return _lambda_differs(spec, args, optimizer, scheduler, total)
