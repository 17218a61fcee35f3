"""Check a scheduler passed to ``Trainer(optimizers=(optimizer, scheduler))`` before step 1.

Trainer steps such a scheduler after every optimizer step (``ReduceLROnPlateau``: after
every evaluation, with the metric), so it is replayed with ``torch_lrguard`` for the steps
left in the run (the evaluations left, for a metric-driven one, in its worst case). The
decisions are the core's (``decide``); nothing is changed: lrguard does not rebuild a
scheduler object it did not build, so a finding that would be fixed under ``adjust`` is
refused with its fix instead (see ``refusal_note``).
"""

from __future__ import annotations

import math
import sys
from types import FrameType
from typing import Any

from lrguard.decide import Preflight
from lrguard.policy import GuardPolicy
from torch_lrguard.check import preflight, scheduler_plan
from torch_lrguard.replay import is_metric_driven, unwrap_scheduler

REFUSAL_NOTE = (
    "lrguard does not rebuild a scheduler passed to Trainer(optimizers=(optimizer, "
    "scheduler)): change its arguments as the fix says, or let Trainer build the schedule "
    "(lr_scheduler_type) so lrguard can adjust it."
)


def running_trainer(callback: Any) -> Any | None:
    """The ``Trainer`` whose event is being dispatched to ``callback``, found on the stack.

    Callbacks are given the run's objects but not the trainer; the trainer is the ``self``
    of a calling frame whose ``callback_handler`` holds ``callback``. None when there is
    none (the callback called directly).
    """
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        owner = frame.f_locals.get("self")
        handler = getattr(owner, "callback_handler", None)
        if handler is not None and any(c is callback for c in getattr(handler, "callbacks", ())):
            return owner
        frame = frame.f_back
    return None


def running_callbacks(callback: Any) -> list[Any] | None:
    """The callbacks of the trainer dispatching the current event to ``callback``.

    Found on the stack: the ``CallbackHandler`` (or the trainer owning it) whose list holds
    ``callback``. None when the callback is called directly, outside a trainer.
    """
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        owner = frame.f_locals.get("self")
        callbacks = getattr(owner, "callbacks", None)
        if not isinstance(callbacks, list):
            callbacks = getattr(getattr(owner, "callback_handler", None), "callbacks", None)
        if isinstance(callbacks, list) and any(c is callback for c in callbacks):
            return callbacks
        frame = frame.f_back
    return None


def scheduler_given_by_user(trainer: Any) -> bool | None:
    """Whether the trainer's ``lr_scheduler`` came from ``Trainer(optimizers=(opt, sched))``.

    transformers (4.57 and 5.x) marks a schedule it builds itself with
    ``_created_lr_scheduler = True`` (``create_scheduler``) and resets the mark before each
    ``train()``; a scheduler present without the mark was given to the constructor.
    DeepSpeed's own scheduler (``is_deepspeed_enabled``) is not a user scheduler. None when
    the trainer does not say: an unknown version, a trainer that is not transformers', or a
    subclass overriding ``create_scheduler`` (axolotl's builds its ``one_cycle`` / ``rex`` /
    ``cosine_min_lr_ratio`` schedules without the mark) whose schedule is unmarked; the
    caller then keeps what ``on_init_end`` saw.
    """
    created = getattr(trainer, "_created_lr_scheduler", None)
    if not isinstance(created, bool):
        return None
    if created or getattr(trainer, "is_deepspeed_enabled", False):
        return False
    if getattr(trainer, "lr_scheduler", None) is None:
        return False
    if _builds_its_own_schedule(trainer):
        return None  # e.g. axolotl's trainer builds one_cycle / rex without the mark
    return True


def _builds_its_own_schedule(trainer: Any) -> bool:
    """A ``Trainer`` subclass that overrides ``create_scheduler``: it may build a schedule
    without setting ``_created_lr_scheduler``, so the mark says nothing about who built it."""
    from transformers import Trainer

    if not isinstance(trainer, Trainer):
        return True
    return type(trainer).create_scheduler is not Trainer.create_scheduler


def evaluations_left(args: Any, state: Any, steps_per_epoch: int | None) -> int:
    """How many times Trainer will evaluate in the rest of the run (0: never)."""
    strategy = str(getattr(args.eval_strategy, "value", args.eval_strategy))
    left = max(state.max_steps - state.global_step, 0)
    if strategy == "steps":
        every = args.eval_steps or args.logging_steps
        every = math.ceil(every * state.max_steps) if 0 < every < 1 else int(every)
        return left // max(every, 1)
    if strategy == "epoch" and steps_per_epoch:
        return math.ceil(left / steps_per_epoch)
    return 0


def check_user_scheduler(
    args: Any,
    state: Any,
    optimizer: Any,
    scheduler: Any,
    policy: GuardPolicy,
    framework: str,
    steps_per_epoch: int | None = None,
) -> Preflight | None:
    """Replay the user's scheduler for the rest of the run and decide under ``policy``.

    Returns:
        The core's ``Preflight`` (findings, decisions, the error to raise), or None when
        Trainer will never step the scheduler (a metric-driven one without evaluations).
    """
    inner = unwrap_scheduler(scheduler)
    if is_metric_driven(inner):
        total = evaluations_left(args, state, steps_per_epoch)
        mode = "max" if args.greater_is_better else "min"
    else:
        total = max(state.max_steps - state.global_step, 0)
        mode = None
    if total < 1:
        return None
    plan = scheduler_plan(optimizer, inner, total, policy=policy, metric_mode=mode)
    return preflight(plan, policy, framework)
