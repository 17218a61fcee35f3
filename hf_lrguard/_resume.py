"""LRG024 at ``on_train_begin``: a run resumed from a checkpoint with a different schedule.

What transformers (4.57 and 5.x) has done by the time ``on_train_begin`` runs on a resumed
run: it built the optimizer and the schedule of the *new* arguments (``max_steps`` of the
new run), loaded ``optimizer.pt`` and ``scheduler.pt`` (both or neither): the scheduler's
``last_epoch`` is the checkpoint's ``global_step`` and its ``base_lrs`` the checkpoint's
``learning_rate``; the optimizer's rate is the checkpoint's last one. ``state`` is the
checkpoint's ``trainer_state.json`` with ``max_steps`` replaced by the new run's, and
``stateful_callbacks`` as the checkpoint saved them. No optimizer step has run.

The guard records the facts of its own schedule in its resume state
(``RunLog.schedule``), so every checkpoint it saves can be compared exactly on resume. For
a checkpoint written without the guard, the checkpoint's own ``trainer_state.json`` is read
(the folder is the ``resume_from_checkpoint`` of the running ``train`` call). The
comparison itself is ``lrguard.resume``'s; this module only reads transformers' objects.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import transformers

from hf_lrguard._logging import get_logger
from lrguard.errors import LRGuardError
from lrguard.findings import Action, Decision, Finding, Severity
from lrguard.numbers import parse_number
from lrguard.resume import (
    CheckpointState,
    ResumeInputError,
    ScheduleFacts,
    check_resume,
    read_checkpoint,
    state_from_dict,
)
from lrguard.rules._hf import read_kwargs

logger = get_logger(__name__)

MAJOR = int(transformers.__version__.split(".")[0])

FRAMES = 64
"""How far up the stack the running ``train`` call's ``resume_from_checkpoint`` is looked
for."""


def _number(value: Any) -> float | None:
    parsed = parse_number(value).value
    return None if isinstance(value, bool) else parsed


def schedule_facts(args: Any, state: Any) -> ScheduleFacts | None:
    """The facts of the schedule ``args`` build for ``state.max_steps`` steps (None: no
    named schedule: a DeepSpeed scheduler, unusable values)."""
    if getattr(args, "deepspeed", None):
        return None
    name = str(getattr(args.lr_scheduler_type, "value", args.lr_scheduler_type))
    lr = _number(args.learning_rate)
    total = getattr(state, "max_steps", None)
    if lr is None or lr <= 0 or not isinstance(total, int) or total <= 0:
        return None
    kwargs, _ = read_kwargs(args.lr_scheduler_kwargs or {})
    if kwargs is None:
        return None
    parsed = {k: (_number(v) if _number(v) is not None else v) for k, v in kwargs.items()}
    try:
        warmup = int(args.get_warmup_steps(total))
    except (TypeError, ValueError):
        return None
    steps_given = _number(getattr(args, "warmup_steps", 0)) or 0.0
    ratio = _number(getattr(args, "warmup_ratio", 0) or 0) or 0.0
    fraction = steps_given if 0 < steps_given < 1 else (ratio if not steps_given else 0.0)
    by_epochs = not (args.max_steps and args.max_steps > 0)
    return ScheduleFacts(
        name=name,
        learning_rate=float(lr),
        warmup_steps=warmup,
        total_steps=total,
        kwargs=parsed,
        warmup_fraction=float(fraction),
        transformers_major=MAJOR,
        world_size=int(args.world_size),
        per_device_train_batch_size=int(args.per_device_train_batch_size),
        gradient_accumulation_steps=int(args.gradient_accumulation_steps),
        num_train_epochs=float(args.num_train_epochs) if by_epochs else None,
    )


def follows(scheduler: Any, facts: ScheduleFacts, step: int) -> bool:
    """True when the built scheduler's factor (a ``LambdaLR``'s first lambda) is the
    schedule table's for ``facts`` at the steps the comparison relies on; a scheduler of
    another kind, or one built by a trainer subclass from other settings, is not."""
    lambdas = getattr(scheduler, "lr_lambdas", None)
    if not lambdas or not callable(lambdas[0]) or not facts.has_closed_form():
        return False
    total = facts.total_steps
    probe = sorted(
        {s for s in (0, step, step + 1, facts.warmup_steps, total - 1) if 0 <= s < total}
    )
    try:
        expected = facts.factors(probe)
        got = [float(lambdas[0](s)) for s in probe]
    except Exception:  # noqa: BLE001 - a lambda of the user's: any failure means "not ours"
        return False
    return all(
        abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1e-12) for a, b in zip(expected, got, strict=True)
    )


def checkpoint_folder() -> Path | None:
    """The ``resume_from_checkpoint`` folder of the ``train`` call running now (found on
    the stack, as transformers passes it from ``train`` to its training loop)."""
    frame: FrameType | None = sys._getframe(1)
    for _ in range(FRAMES):
        if frame is None:
            return None
        value = frame.f_locals.get("resume_from_checkpoint")
        if isinstance(value, str | os.PathLike) and os.path.isdir(value):
            return Path(value)
        frame = frame.f_back
    return None


def _checkpoint_state(state: Any) -> CheckpointState:
    """The checkpoint's ``trainer_state.json`` (its folder's file; else what ``state`` kept
    of it, without its ``max_steps``, which transformers replaced)."""
    folder = checkpoint_folder()
    if folder is not None:
        try:
            return read_checkpoint(folder)
        except ResumeInputError:
            pass
    return state_from_dict(
        {
            "global_step": state.global_step,
            "log_history": state.log_history,
            "stateful_callbacks": getattr(state, "stateful_callbacks", None) or {},
        }
    )


def _decide(finding: Finding, policy: Any, step: int) -> Decision:
    """LRG024 under the policy: info is noted; ``error`` refuses errors; otherwise (``adjust``
    included: no fix continues both schedules) a warning."""
    if finding.severity == Severity.INFO:
        action = Action.NOTED
    elif policy.on_violation == "error" and finding.severity == Severity.ERROR:
        action = Action.RAISED
    else:
        action = Action.WARNED
    return Decision.from_finding(finding, action, step=step)


def resume_decisions(
    guard: Any, args: Any, state: Any, optimizer: Any, scheduler: Any, earlier: list[Decision]
) -> list[Decision]:
    """Record this run's schedule in ``guard.run_log``; on a resumed run compare it with the
    checkpoint's and return the LRG024 decisions (not yet logged).

    With ``on_violation='error'``, an error is logged with ``earlier`` and raised before the
    first optimizer step.

    Raises:
        LRGuardError: ``on_violation='error'`` and the resume changes the schedule beyond
            ``lrguard.resume.ERROR_RATIO``.
    """
    user_scheduler = bool(getattr(guard, "_user_scheduler", False))
    try:
        facts = None if user_scheduler else schedule_facts(args, state)
    except Exception:  # noqa: BLE001 - unusual arguments: nothing recorded, nothing compared
        facts = None
    if facts is not None and not follows(scheduler, facts, state.global_step):
        facts = None  # a trainer that builds its own scheduler (axolotl's one_cycle, rex ...)
    guard.run_log.schedule = facts.to_dict() if facts is not None else None
    if state.global_step <= 0 or guard.policy.is_ignored("LRG024") or scheduler is None:
        return []
    findings = _findings(guard, state, scheduler, facts, user_scheduler)
    decisions = [_decide(f, guard.policy, state.global_step) for f in findings]
    refused = [d for d in decisions if d.action == Action.RAISED]
    if refused:
        for decision in [*earlier, *decisions]:
            guard.run_log.emit(decision)
        guard._publish(state)
        lines = [f"lrguard refused to train ({len(refused)} problem(s)):"]
        lines += [f"  {f.render()}" for f in findings if f.severity == Severity.ERROR]
        raise LRGuardError("\n".join(lines), [f for f in findings if f.severity == Severity.ERROR])
    return decisions


def _findings(
    guard: Any, state: Any, scheduler: Any, facts: ScheduleFacts | None, user_scheduler: bool
) -> list[Finding]:
    from lrguard.resume import not_compared

    if user_scheduler:
        return [not_compared("the scheduler was given to Trainer, not built from its arguments")]
    if facts is None:
        return [
            not_compared(
                "this run's scheduler is not the named schedule of its arguments (a DeepSpeed "
                "scheduler, or one a trainer subclass builds)"
            )
        ]
    last = getattr(scheduler, "last_epoch", None)
    bases = getattr(scheduler, "base_lrs", None)
    if not isinstance(last, int) or not bases:
        return [not_compared(f"its scheduler ({type(scheduler).__name__}) has no step count")]
    restored = last == state.global_step
    base = float(bases[0]) if restored else None
    recorded = ScheduleFacts.from_dict(guard.run_log.resumed_schedule)
    if recorded is not None:
        checkpoint = CheckpointState(
            path=None,
            global_step=state.global_step,
            max_steps=recorded.total_steps,
            train_batch_size=None,
            recorded=recorded,
        )
    else:
        checkpoint = _checkpoint_state(state)
    try:
        return check_resume(checkpoint, facts, base=base, restored=restored)
    except Exception as err:  # the guard never causes what it prevents: say it, go on
        return [not_compared(f"{type(err).__name__}: {err}")]


__all__ = ["checkpoint_folder", "follows", "resume_decisions", "schedule_facts"]
