"""Plateau annealing as Flair's ``AnnealOnPlateau`` does it, as pure functions, plus a floor.

``plateau_step`` takes the state and one evaluation and returns the new state and what
happened; it never mutates. The rule it follows is Flair's (same improvement test, tie-break
on an auxiliary metric, patience, initial extra patience, cooldown, ``eps``) with one change:
a group never goes below its floor, and "patience exhausted while every group is at its floor"
is reported as ``should_stop`` instead of Flair's "learning rate too small" stop.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import overload

from lrguard.plan import AnnealingPlan

EPS = 1e-8
"""Flair's minimal decay: a reduction smaller than this is ignored."""


@dataclass(frozen=True)
class PlateauState:
    """Annealing state between evaluations (what a checkpoint needs to resume)."""

    lrs: tuple[float, ...]
    best: float
    best_aux: float | None
    num_bad_epochs: int
    cooldown_counter: int
    effective_patience: int
    last_epoch: int = 0

    @classmethod
    def start(cls, lrs: tuple[float, ...], settings: AnnealingPlan) -> PlateauState:
        """The state before the first evaluation."""
        return cls(
            lrs=tuple(float(lr) for lr in lrs),
            best=math.inf if settings.mode == "min" else -math.inf,
            best_aux=None,
            num_bad_epochs=0,
            cooldown_counter=0,
            effective_patience=settings.patience + settings.initial_extra_patience,
        )


@dataclass(frozen=True)
class PlateauOutcome:
    """What one evaluation did.

    Attributes:
        reduced: at least one group's rate was lowered.
        patience_exhausted: bad evaluations exceeded the patience.
        should_stop: patience was exhausted while every group was already at its floor.
        bad_epochs: bad evaluations to report (patience + 1 when it annealed, like Flair).
    """

    reduced: bool
    patience_exhausted: bool
    should_stop: bool
    bad_epochs: int


def annealed_lr(lr: float, floor: float, factor: float, eps: float = EPS) -> float:
    """The rate after one anneal: ``lr * factor`` but not below ``floor``, unchanged when the
    reduction would be ``eps`` or less (Flair's rule; a rate already below its floor stays)."""
    candidate = max(lr * factor, floor)
    return candidate if lr - candidate > eps else lr


def all_at_floor(
    lrs: tuple[float, ...], floors: tuple[float, ...], factor: float, eps: float = EPS
) -> bool:
    """True when annealing can lower no group any more."""
    return all(annealed_lr(lr, fl, factor, eps) == lr for lr, fl in zip(lrs, floors, strict=True))


def _is_better(
    settings: AnnealingPlan, state: PlateauState, current: float, aux: float | None
) -> bool:
    if settings.mode == "min" and current < state.best:
        return True
    if settings.mode == "max" and current > state.best:
        return True
    if current == state.best and aux is not None and state.best_aux is not None:
        # Flair breaks ties on the auxiliary metric (the dev loss): lower is better.
        return float(aux) < state.best_aux
    return False


def plateau_step(
    state: PlateauState,
    settings: AnnealingPlan,
    floors: tuple[float, ...],
    metric: float,
    aux: float | None = None,
    eps: float = EPS,
) -> tuple[PlateauState, PlateauOutcome]:
    """One evaluation of plateau annealing.

    Args:
        state: the state before this evaluation.
        settings: factor, patience, extra patience, cooldown and mode.
        floors: per group, the lowest rate annealing may reach.
        metric: the evaluation's main score (dev score, or training loss in ``min`` mode).
        aux: tie-breaking metric (the dev loss), optional.
        eps: reductions smaller than this are skipped, as in Flair.

    Returns:
        The new state and the outcome.

    Example:
        >>> s = PlateauState.start((0.1,), AnnealingPlan(patience=0))
        >>> s, out = plateau_step(s, AnnealingPlan(patience=0), (1e-4,), 0.5)
        >>> s, out = plateau_step(s, AnnealingPlan(patience=0), (1e-4,), 0.4)
        >>> out.reduced, s.lrs
        (True, (0.05,))
    """
    current = float(metric)
    improved = _is_better(settings, state, current, aux)
    best, best_aux, bad = state.best, state.best_aux, state.num_bad_epochs
    if improved:
        best = current
        if aux:  # Flair records the auxiliary metric only when it is truthy
            best_aux = float(aux)
        bad = 0
    else:
        bad += 1
    cooldown = state.cooldown_counter
    if cooldown > 0:
        cooldown -= 1
        bad = 0
    exhausted = bad > state.effective_patience
    was_at_floor = all_at_floor(state.lrs, floors, settings.factor, eps)
    lrs = state.lrs
    effective_patience = state.effective_patience
    if exhausted:
        lrs = tuple(
            annealed_lr(lr, fl, settings.factor, eps) for lr, fl in zip(lrs, floors, strict=True)
        )
        cooldown = settings.cooldown
        bad = 0
        effective_patience = settings.patience
    reduced = lrs != state.lrs
    new_state = PlateauState(
        lrs=lrs,
        best=best,
        best_aux=best_aux,
        num_bad_epochs=bad,
        cooldown_counter=cooldown,
        effective_patience=effective_patience,
        last_epoch=state.last_epoch + 1,
    )
    outcome = PlateauOutcome(
        reduced=reduced,
        patience_exhausted=exhausted,
        should_stop=exhausted and was_at_floor,
        bad_epochs=settings.patience + 1 if reduced else bad,
    )
    return new_state, outcome


class EpochRates(Sequence[tuple[float, ...]]):
    """Rates per epoch stored as runs of equal rates: ``rates[i]`` is epoch ``i + 1``'s.

    Memory grows with the number of anneals, not with the number of epochs.

    Example:
        >>> rates = EpochRates([(1, (0.1,)), (4, (0.05,))], 5)
        >>> list(rates)
        [(0.1,), (0.1,), (0.1,), (0.05,), (0.05,)]
    """

    def __init__(self, runs: Sequence[tuple[int, tuple[float, ...]]], epochs: int) -> None:
        self._starts = [start for start, _ in runs]
        self._rates = [rates for _, rates in runs]
        self._epochs = epochs

    def __len__(self) -> int:
        return self._epochs

    @overload
    def __getitem__(self, index: int) -> tuple[float, ...]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[float, ...]]: ...

    def __getitem__(self, index: int | slice) -> tuple[float, ...] | list[tuple[float, ...]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._epochs))]
        if index < 0:
            index += self._epochs
        if not 0 <= index < self._epochs:
            raise IndexError(index)
        return self._rates[bisect.bisect_right(self._starts, index + 1) - 1]

    def __repr__(self) -> str:
        return f"EpochRates({list(zip(self._starts, self._rates, strict=True))!r}, {self._epochs})"


EXACT_ANNEALS = 1_000
"""Anneals simulated one evaluation at a time; beyond, stretches of anneals that only
multiply the rates by the factor are jumped (``rate * factor**n``)."""

STRETCH_RUNS = 256
"""Runs of equal rates kept per jumped stretch (the rates in between are held)."""

MAX_ITERATIONS = 100_000
"""Budget of the worst-case loop (every jump or evaluation counts one)."""


class EpochList(Sequence[int]):
    """Epochs stored as whole numbers and arithmetic ranges, so that a run of millions of
    anneals takes the memory of a few ranges.

    Example:
        >>> epochs = EpochList([1, 4, range(7, 16, 3)])
        >>> len(epochs), list(epochs), epochs[-1]
        (5, [1, 4, 7, 10, 13], 13)
    """

    def __init__(self, parts: Sequence[int | range]) -> None:
        self._parts = [p if isinstance(p, range) else range(p, p + 1) for p in parts]
        self._ends: list[int] = []
        total = 0
        for part in self._parts:
            total += len(part)
            self._ends.append(total)

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> list[int]: ...

    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        part = bisect.bisect_right(self._ends, index)
        before = self._ends[part - 1] if part else 0
        return self._parts[part][index - before]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._parts))

    def __repr__(self) -> str:
        return f"EpochList({self._parts!r})"


def _stretch(
    lrs: tuple[float, ...],
    clamp: tuple[float, ...],
    floors: tuple[float, ...],
    factor: float,
    stop_rule: str,
) -> int:
    """How many further anneals certainly lower every group that still moves by exactly
    ``factor``: no group reaches its clamp, every reduction stays above ``EPS`` and (Flair's
    stop rule) no rate goes below its floor. 0 when nothing can be jumped."""
    if not 0 < factor < 1:
        return 0
    count: float = math.inf
    for lr, low, floor in zip(lrs, clamp, floors, strict=True):
        if annealed_lr(lr, low, factor) == lr:
            continue  # this group no longer moves
        bound = max(low, EPS / (1 - factor), floor if stop_rule == "flair" else 0.0)
        bound *= 1 + 1e-6  # margin for rate * factor**n against n products
        if not lr > bound:
            return 0
        count = min(count, math.floor(math.log(bound / lr) / math.log(factor)) - 2)
    return int(count) if math.isfinite(count) and count > 1 else 0


@dataclass(frozen=True)
class PlateauTrajectory:
    """Worst-case annealing: the metric improves once (epoch 1) and never again.

    Attributes:
        lrs: per epoch (1-based index 0 = epoch 1), the rates used *during* that epoch.
        anneal_epochs: epochs after whose evaluation the rate was lowered.
        floor_epoch: first epoch trained at the floor (None: not reached).
        stop_epoch: epoch after which training stops (None: runs to max_epochs).
    """

    lrs: Sequence[tuple[float, ...]]
    anneal_epochs: Sequence[int]
    floor_epoch: int | None
    stop_epoch: int | None


def _quiet_epochs(state: PlateauState) -> int:
    """Epochs without improvement that change only counters before patience is exhausted."""
    if state.cooldown_counter > 0:
        return state.cooldown_counter + state.effective_patience
    return max(state.effective_patience - state.num_bad_epochs, 0)


def _after_quiet(state: PlateauState, epochs: int) -> PlateauState:
    """``state`` after ``epochs`` (<= ``_quiet_epochs``) epochs without improvement."""
    cooldown = state.cooldown_counter
    if epochs <= cooldown:
        cooldown, bad = cooldown - epochs, 0
    else:
        bad = (0 if cooldown > 0 else state.num_bad_epochs) + epochs - cooldown
        cooldown = 0
    return replace(
        state,
        num_bad_epochs=bad,
        cooldown_counter=cooldown,
        last_epoch=state.last_epoch + epochs,
    )


def worst_case_trajectory(
    lrs: tuple[float, ...],
    floors: tuple[float, ...],
    settings: AnnealingPlan,
    max_epochs: int,
    stop_rule: str = "guard",
) -> PlateauTrajectory:
    """Simulate plateau annealing when the metric never improves after epoch 1.

    Epochs that only count towards the patience are skipped in one go and the simulation
    ends once the rates can no longer change. After ``EXACT_ANNEALS`` anneals, stretches in
    which every anneal only multiplies the rates by the factor are jumped in one go (the
    rates computed as ``rate * factor**n``, ``STRETCH_RUNS`` of them kept per stretch), so a
    factor close to 1 and millions of epochs take milliseconds; the loop has a budget of
    ``MAX_ITERATIONS``.

    Args:
        lrs: initial rate per group.
        floors: floor per group (Flair's ``min_learning_rate``).
        settings: annealing settings.
        max_epochs: epochs asked for.
        stop_rule: ``"guard"`` (stop when patience is exhausted at the floor) or ``"flair"``
            (stock Flair: stop as soon as any rate is below ``floors``, floors not clamping).

    Example:
        >>> t = worst_case_trajectory((0.1,), (1e-4,), AnnealingPlan(patience=3), 100)
        >>> len(t.anneal_epochs), t.stop_epoch
        (10, 45)
    """
    worse = 1.0 if settings.mode == "min" else -1.0
    state = PlateauState.start(lrs, settings)
    clamp = floors if stop_rule == "guard" else tuple(0.0 for _ in floors)
    runs: list[tuple[int, tuple[float, ...]]] = []
    anneals: list[int | range] = []
    exact = 0
    period = settings.cooldown + settings.patience + 1  # epochs between anneals, once annealing
    floor_epoch: int | None = None
    stop_epoch: int | None = None
    epoch = 1
    for _ in range(MAX_ITERATIONS):
        if epoch > max_epochs:
            break
        if not runs or runs[-1][1] != state.lrs:
            runs.append((epoch, state.lrs))
            if floor_epoch is None and all_at_floor(state.lrs, floors, settings.factor):
                floor_epoch = epoch
        quiet = min(_quiet_epochs(state), max_epochs - epoch) if epoch > 1 else 0
        if quiet > 0:
            state = _after_quiet(state, quiet)
            epoch += quiet
            continue
        metric = 0.0 if epoch == 1 else worse
        state, out = plateau_step(state, settings, clamp, metric)
        if out.reduced:
            anneals.append(epoch)
            exact += 1
            if exact > EXACT_ANNEALS:
                jump = min(
                    _stretch(state.lrs, clamp, floors, settings.factor, stop_rule),
                    (max_epochs - epoch) // period,
                )
                if jump > 1:
                    state, epoch = _jump(state, settings.factor, clamp, epoch, period, jump, runs)
                    anneals.append(range(epoch - (jump - 1) * period, epoch + 1, period))
        if stop_rule == "flair" and any(lr < fl for lr, fl in zip(state.lrs, floors, strict=True)):
            stop_epoch = epoch
            break
        if stop_rule == "guard" and out.should_stop:
            stop_epoch = epoch
            break
        if out.patience_exhausted and not out.reduced:
            break  # the rates can no longer change and this rule never stops: run to the end
        epoch += 1
    epochs = stop_epoch if stop_epoch is not None else max_epochs
    return PlateauTrajectory(EpochRates(runs, epochs), EpochList(anneals), floor_epoch, stop_epoch)


def _jump(
    state: PlateauState,
    factor: float,
    clamp: tuple[float, ...],
    epoch: int,
    period: int,
    count: int,
    runs: list[tuple[int, tuple[float, ...]]],
) -> tuple[PlateauState, int]:
    """``count`` more anneals after the one at ``epoch``, one every ``period`` epochs, each
    multiplying every group that still moves by ``factor``; appends runs of rates (at most
    ``STRETCH_RUNS``) and returns the state and epoch of the last anneal."""
    moving = [annealed_lr(lr, low, factor) != lr for lr, low in zip(state.lrs, clamp, strict=True)]

    def rates(n: int) -> tuple[float, ...]:
        return tuple(
            lr * factor**n if move else lr for lr, move in zip(state.lrs, moving, strict=True)
        )

    step = max(count // STRETCH_RUNS, 1)
    for n in [*range(1, count, step), count]:
        if runs[-1][0] < epoch + n * period + 1:
            runs.append((epoch + n * period + 1, rates(n)))
    last = epoch + count * period
    return replace(state, lrs=rates(count), last_epoch=state.last_epoch + count * period), last


__all__ = [
    "EPS",
    "PlateauOutcome",
    "PlateauState",
    "EXACT_ANNEALS",
    "EpochList",
    "EpochRates",
    "MAX_ITERATIONS",
    "STRETCH_RUNS",
    "PlateauTrajectory",
    "all_at_floor",
    "annealed_lr",
    "plateau_step",
    "worst_case_trajectory",
]
