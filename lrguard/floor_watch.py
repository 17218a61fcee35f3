"""Patience at the floor for metric-driven schedules the framework anneals itself.

Hugging Face ``reduce_lr_on_plateau`` / ``greedy`` lower the rate on plateaus but never stop
a run: at the floor they keep training until ``max_steps``. ``observe`` is the pure decision
the integration takes after each evaluation: record when every rate has reached its floor
(LRG022) and, with ``stop_at_floor``, stop once the metric has not improved for more than
``patience`` evaluations there (LRG010). The texts of both are ``lrguard.run_log``'s.

Example:
    >>> watch = FloorWatch()
    >>> watch, out = observe(watch, step=10, lrs=[1e-6], floors=[1e-6], improved=False,
    ...                      patience=1, stop_at_floor=True, schedule="reduce_lr_on_plateau")
    >>> [d.rule for d in out], watch.bad_evals
    (['LRG022'], 1)
    >>> watch, out = observe(watch, step=20, lrs=[1e-6], floors=[1e-6], improved=False,
    ...                      patience=1, stop_at_floor=True, schedule="reduce_lr_on_plateau")
    >>> [d.action.value for d in out], watch.stopped
    (['stopped'], True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from lrguard.findings import Decision
from lrguard.run_log import floor_reached_decision, step_stop_decision

SCHEMA = 1


@dataclass(frozen=True)
class FloorWatch:
    """Counters kept across evaluations (and checkpoints).

    Attributes:
        reached_step: the step at which every rate was first seen at its floor; None: not yet.
        bad_evals: evaluations without improvement since the floor was reached.
        stopped: the guard asked the trainer to stop.
    """

    reached_step: int | None = None
    bad_evals: int = 0
    stopped: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe resume state with a schema version."""
        return {"schema": SCHEMA, **asdict(self)}

    @classmethod
    def from_dict(cls, data: Any) -> FloorWatch:
        """Read ``to_dict`` output back, tolerant of missing keys and foreign input."""
        if not isinstance(data, dict):
            return cls()
        return cls(
            reached_step=data.get("reached_step"),
            bad_evals=int(data.get("bad_evals", 0) or 0),
            stopped=bool(data.get("stopped", False)),
        )


def at_floor(lrs: Sequence[float], floors: Sequence[float], eps: float = 1e-8) -> bool:
    """True when no rate can be lowered any more (within ``eps``, as torch decides)."""
    return all(lr - floor <= eps for lr, floor in zip(lrs, floors, strict=True))


def observe(
    watch: FloorWatch,
    *,
    step: int,
    lrs: Sequence[float],
    floors: Sequence[float],
    improved: bool,
    patience: int,
    stop_at_floor: bool,
    schedule: str,
    eps: float = 1e-8,
) -> tuple[FloorWatch, list[Decision]]:
    """Update ``watch`` after one evaluation; return the new watch and decisions to log.

    Args:
        watch: counters so far.
        step: the optimizer step of the evaluation.
        lrs / floors: current rate and floor of every param group.
        improved: the evaluation improved on the best metric (the schedule's own test).
        patience: evaluations without improvement the schedule tolerates.
        stop_at_floor: stop when patience is exhausted at the floor.
        schedule: the schedule's name, for messages.
        eps: the schedule's smallest meaningful change of the rate.
    """
    if watch.stopped:
        return watch, []
    if not at_floor(lrs, floors, eps):
        return FloorWatch(), []
    decisions: list[Decision] = []
    if watch.reached_step is None:
        watch = FloorWatch(reached_step=step)
        decisions.append(
            floor_reached_decision(
                step=step, lrs=lrs, floors=floors, patience=patience, schedule=schedule
            )
        )
    watch = replace(watch, bad_evals=0 if improved else watch.bad_evals + 1)
    if stop_at_floor and watch.bad_evals > patience:
        watch = replace(watch, stopped=True)
        decisions.append(
            step_stop_decision(
                step=step,
                since=watch.reached_step,
                bad_evals=watch.bad_evals,
                patience=patience,
                lrs=lrs,
                floors=floors,
                schedule=schedule,
            )
        )
    return watch, decisions
