"""The range test's training loops: ``find_learning_rate`` for plain PyTorch, and the loops
the Flair and Hugging Face finders share (one sweep, several sweeps, a race).

The framework integrations say how one optimizer step is trained (``train_step``) and
where the batches come from; this module sets every param group's rate for each sweep
step (in proportion to its starting rate, so a decoder group with its own rate keeps its
ratio), cycles a dataloader that runs out, averages the loss over processes when
``torch.distributed`` is initialized (every rank records the same curve, so every rank
stops at the same step and suggests the same rate), and shows a progress bar.
"""

from __future__ import annotations

import logging
import math
import random
import statistics
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import torch

from lrguard.range_test import (
    RangeTestResult,
    SweepRecorder,
    SweepSettings,
    consistent_floor,
    remove_if_empty,
    save_or_warn,
)
from lrguard.range_test.race import (
    MULTI_SWEEPS,
    RACE_BUDGET,
    RACE_CANDIDATES,
    RACE_HELD_OUT,
    band_top,
    check_race_settings,
    combine_sweeps,
    halving_plan,
    pool_losses,
    race_result,
    survivors,
)
from lrguard.range_test.race import race_candidates as race_candidate_rates
from lrguard.range_test.request import prepare_sweep
from lrguard.range_test.suggest import (
    DEFAULT_METHOD,
    TRAINING_METHODS,
    Suggestion,
    lag_free_curve,
    momentum_of,
    within_sweep,
)
from lrguard.range_test.suggest import lrguard as read_lrguard
from lrguard.range_test.sweep import SWEEP_DEFAULTS
from torch_lrguard.snapshot import TrainingSnapshot, _clone

logger = logging.getLogger(__name__)


class CyclingBatches:
    """Batches from ``make()`` (a dataloader, or a function returning one iterable per
    pass) forever: when a pass ends, ``on_cycle()`` is called and a new pass starts.

    Raises:
        ValueError: a pass yields no batch at all.
    """

    def __init__(self, make: Callable[[], Iterable[Any]], on_cycle: Callable[[], None]) -> None:
        self._make = make
        self._on_cycle = on_cycle
        self._iterator: Iterator[Any] = iter(make())

    def __iter__(self) -> CyclingBatches:
        return self

    def __next__(self) -> Any:
        try:
            return next(self._iterator)
        except StopIteration:
            self._iterator = iter(self._make())
            try:
                batch = next(self._iterator)
            except StopIteration:
                raise ValueError(
                    "the training data yields no batch: the range test needs at least one. "
                    "Fix: check the training split and the batch size"
                ) from None
            self._on_cycle()
            return batch


def distributed_mean(value: float) -> float:
    """``value`` averaged over all processes (itself when not distributed)."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return value
    tensor = torch.tensor([value], dtype=torch.float64)
    torch.distributed.all_reduce(tensor)
    return float(tensor.item()) / torch.distributed.get_world_size()


def average_gradients(parameters: Iterable[torch.nn.Parameter]) -> None:
    """Average gradients over processes, as DDP would (no-op when not distributed)."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return
    world = torch.distributed.get_world_size()
    for param in parameters:
        if param.grad is not None:
            torch.distributed.all_reduce(param.grad)
            param.grad.div_(world)


def run_sweep(
    optimizer: torch.optim.Optimizer,
    train_step: Callable[[], float],
    settings: SweepSettings,
    recorder: SweepRecorder,
    *,
    progress: bool = True,
    description: str = "lrguard range test",
    reference_group: int = 0,
) -> None:
    """Train up to ``settings.num_steps`` steps at the swept rates, recording each loss.

    Args:
        optimizer: its groups' rates are set before each step, in proportion to the rates
            they have now (group ``reference_group`` follows the sweep exactly).
        train_step: trains one optimizer step (forward, backward, ``optimizer.step()``,
            zeroing the gradients) and returns its training loss.
        settings: the sweep.
        recorder: collects the losses and decides when to stop.
        progress: show a tqdm progress bar.
        description: the bar's label.
        reference_group: the group whose rate is the swept rate.
    """
    starts = [float(group["lr"]) for group in optimizer.param_groups]
    reference = starts[reference_group]
    shares = [start / reference if reference > 0 else 1.0 for start in starts]
    bar = _bar(settings.num_steps, progress, description)
    try:
        for step in range(settings.num_steps):
            lr = settings.rate(step)
            for group, share in zip(optimizer.param_groups, shares, strict=True):
                group["lr"] = lr * share
            loss = distributed_mean(float(train_step()))
            if bar is not None:
                bar.update(1)
                bar.set_postfix(lr=f"{lr:.2e}", loss=f"{loss:.4g}", refresh=False)
            if not recorder.record(lr, loss):
                break
    finally:
        if bar is not None:
            bar.close()


def _bar(total: int, progress: bool, description: str) -> Any:
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ModuleNotFoundError:  # pragma: no cover - both frameworks depend on tqdm
        return None
    return tqdm(total=total, desc=description, leave=False)


# --- more than one sweep: multi and race ------------------------------------------------------


def _reseed(seed: int) -> None:
    """Seed Python's and torch's generators (the batch order and dropout of one sweep or
    one race run); the snapshot puts the caller's generators back afterwards."""
    random.seed(seed)
    torch.manual_seed(seed)


def _shares(optimizer: torch.optim.Optimizer, reference_group: int) -> list[float]:
    starts = [float(group["lr"]) for group in optimizer.param_groups]
    reference = starts[reference_group]
    return [start / reference if reference > 0 else 1.0 for start in starts]


def run_range_test(
    *,
    snapshot: TrainingSnapshot,
    optimizer: torch.optim.Optimizer,
    train_step: Callable[[Iterator[Any]], float],
    batches: Callable[[], Iterable[Any]],
    held_loss: Callable[[Any], float],
    settings: SweepSettings,
    method: str,
    context: dict[str, Any],
    sweeps: int = MULTI_SWEEPS,
    race_candidates: int = RACE_CANDIDATES,
    race_budget: int = RACE_BUDGET,
    race_held_out: int = RACE_HELD_OUT,
    seed: int | None = None,
    progress: bool = True,
    description: str = "lrguard range test",
    reference_group: int = 0,
    reseed: Callable[[int], None] | None = None,
) -> RangeTestResult:
    """Sweep (once, or ``sweeps`` times for ``multi``), race (for ``race``) and read the
    result; the model, optimizer and generators are restored from ``snapshot`` between runs
    (``restore(keep=True)``), never at the end: the caller restores last.

    Args:
        snapshot: the training state before the range test.
        optimizer: the optimizer to sweep (its groups keep their ratio).
        train_step: trains one optimizer step with batches from the iterator it is given and
            returns the training loss.
        batches: one pass over the training data (called again when a pass ends).
        held_loss: the loss of one batch without training (no gradient, eval mode is set by
            the caller's function if it wants one).
        settings / method / context: the sweep, the method to choose (``ALL_METHODS``) and
            the result's context (its ``optimizer`` decides how ``lrguard`` reads a curve).
        sweeps / race_candidates / race_budget / race_held_out: ``multi`` and ``race``
            settings (``lrguard.range_test.race``).
        seed: with ``multi`` and ``race``, sweep ``k`` and every race run are seeded from it
            (same seed, same suggestion); None: the first sweep runs on the generators as
            they are, and the later runs on a seed drawn from them.
        progress / description / reference_group: as in ``run_sweep``.
        reseed: seeds one run (default: Python's and torch's generators); a framework whose
            dataloader keeps its own seed also moves that on.

    An optimizer that is not ``snapshot``'s (made for the range test) has its state copied
    before the first run and put back before every later one: each sweep and race run starts
    from the same state.

    Returns:
        The result with ``method`` chosen; ``context['steps']`` counts the training steps
        spent (and the held-back batches scored).
    """
    more = method in TRAINING_METHODS
    reseed = reseed or _reseed
    context = {**context, "momentum": momentum_of(optimizer.param_groups)}
    # an optimizer made after the snapshot (the range test's own) is reset with it
    own = None if not more or snapshot.optimizer is optimizer else _clone(optimizer.state_dict())

    def restart() -> None:
        snapshot.restore(keep=True)
        if own is not None:
            optimizer.load_state_dict(_clone(own))

    base = seed
    if base is None and more:
        base = int(torch.randint(0, 2**31 - 1, (1,)).item())
    count = sweeps if method == "multi" else 1
    recorders: list[SweepRecorder] = []
    for k in range(count):
        if k:
            restart()
        if base is not None and (seed is not None or k):
            reseed(base + k)
        recorder = SweepRecorder(settings, "lrguard" if more else method)
        data = CyclingBatches(batches, recorder.note_cycled)
        run_sweep(
            optimizer,
            lambda data=data: train_step(data),
            settings,
            recorder,
            progress=progress,
            description=description if count == 1 else f"{description} {k + 1}/{count}",
            reference_group=reference_group,
        )
        recorders.append(recorder)
    steps = {"sweep": sum(len(r.rates) for r in recorders), "race": 0, "held_out_batches": 0}
    first = recorders[0]
    result = first.result(**context)
    if method == "multi":
        readings = [r.result(**context) for r in recorders]
        pooled_losses = pool_losses([r.losses for r in recorders])
        pooled_rates = max((r.rates for r in recorders), key=len)[: len(pooled_losses)]
        optimizer_name = context.get("optimizer")
        pooled = within_sweep(
            read_lrguard(
                pooled_rates,
                pooled_losses,
                settings,
                None if optimizer_name is None else str(optimizer_name),
                context["momentum"],
            ),
            pooled_rates,
        )
        multi = combine_sweeps(
            [
                Suggestion("lrguard", one.suggestions["lrguard"], None, one.reasons["lrguard"])
                for one in readings
            ],
            pooled,
        )
        multi.marks["pooled_rates"] = pooled_rates
        multi.marks["pooled_curve"] = [
            v if math.isfinite(v) else None for v in lag_free_curve(pooled_losses)
        ]
        result.adopt(multi)
    elif method == "race":
        restart()
        top, kind = band_top(result.marks.get("lrguard", {}), result.rates)
        field = race_candidate_rates(result.rates, top, race_candidates)
        plan = halving_plan(len(field), race_budget)
        shares = _shares(optimizer, reference_group)
        seeded = 0 if base is None else base  # set above whenever the method trains more
        rounds: list[dict[float, float]] = []
        alive = field
        for number, (_, length) in enumerate(plan):
            scores: dict[float, float] = {}
            for rate in alive:
                restart()
                reseed(seeded + 1000 + number)  # every runner of a round sees the same batches
                data = CyclingBatches(batches, lambda: None)
                held = [next(data) for _ in range(race_held_out)]
                for group, share in zip(optimizer.param_groups, shares, strict=True):
                    group["lr"] = rate * share
                loss = math.nan
                for _ in range(length):
                    loss = float(train_step(data))
                    steps["race"] += 1
                    if not math.isfinite(loss):
                        break
                scores[rate] = (
                    math.inf
                    if not math.isfinite(loss)
                    else statistics.fmean(float(held_loss(batch)) for batch in held)
                )
                steps["held_out_batches"] += len(held) if math.isfinite(loss) else 0
            rounds.append(scores)
            keep = plan[number + 1][0] if number + 1 < len(plan) else 1
            alive = survivors(scores, keep)
        result.adopt(race_result(rounds, plan, top=top, top_kind=kind, held_out=race_held_out))
    result.context["steps"] = steps
    if more:
        result.notes.append(
            f"cost: {steps['sweep'] + steps['race']} training steps ({steps['sweep']} in "
            f"{count} sweep(s), {steps['race']} in the race) and {steps['held_out_batches']} "
            "held-back batches scored"
        )
    return result


def find_learning_rate(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    data: Iterable[Any],
    loss_fn: Callable[[torch.nn.Module, Any], torch.Tensor],
    *,
    start_lr: float = SWEEP_DEFAULTS["start_lr"],
    end_lr: float = SWEEP_DEFAULTS["end_lr"],
    num_steps: int = SWEEP_DEFAULTS["num_steps"],
    mode: str = SWEEP_DEFAULTS["mode"],
    smoothing: float = SWEEP_DEFAULTS["smoothing"],
    diverge_factor: float = SWEEP_DEFAULTS["diverge_factor"],
    method: str = DEFAULT_METHOD,
    sweeps: int = MULTI_SWEEPS,
    race_candidates: int = RACE_CANDIDATES,
    race_budget: int = RACE_BUDGET,
    race_held_out: int = RACE_HELD_OUT,
    seed: int | None = None,
    max_grad_norm: float | None = None,
    output_dir: str | Path | None = None,
    policy: Any = None,
    keep_copy_on_disk: bool = False,
    progress: bool = True,
    verbose: bool = False,
) -> RangeTestResult:
    """A learning-rate range test for a plain PyTorch training loop; the model, the
    optimizer (state and rates) and every random generator are put back exactly afterwards.

    Each sweep step takes the next batch of ``data`` (a dataloader; a new pass starts when
    one ends), computes ``loss_fn(model, batch)``, back-propagates, clips the gradients to
    ``max_grad_norm`` when given and steps ``optimizer`` at the swept rate (every param group
    in proportion to the rate it has now).

    Args:
        model: the model to sweep (train mode during the sweep).
        optimizer: the optimizer you will train with; its class decides how ``lrguard``
            reads the curve (SGD: the edge of stability; adaptive: the descent).
        data: the training batches (iterated again for each pass).
        loss_fn: ``(model, batch) -> scalar loss tensor``.
        start_lr / end_lr / num_steps / mode / smoothing / diverge_factor: the sweep
            (``lrguard.range_test.SweepSettings``).
        method: ``lrguard`` (default), ``steepest``, ``valley``, ``minimum`` (one sweep,
            read by that rule), ``multi`` (``sweeps`` sweeps on different batch orders,
            their median in log space) or ``race`` (one sweep, then ``race_candidates``
            rates from its stable band trained from the same start and scored on
            ``race_held_out`` held-back batches, successive halving within ``race_budget``
            training steps).
        seed: seeds the sweeps and race runs of ``multi`` / ``race`` (same seed, same
            suggestion); None: the generators as they are.
        max_grad_norm: clip gradients to this norm before each step (None: no clipping).
        output_dir: where ``lr_range_test.json``, ``learning_rate.tsv``, the PNG and the
            LRG090 record go (None: nothing is written).
        policy: the ``GuardPolicy`` whose ratio sets the suggested floor.
        keep_copy_on_disk: keep the copy of model and optimizer in ``output_dir``.
        progress: show a progress bar.
        verbose: print the result.

    Returns:
        The result; ``result.arguments`` holds ``lr`` (and ``eta_min``, the floor as
        ``CosineAnnealingLR`` takes it); ``result.reason`` says how the rate was chosen.

    Raises:
        ValueError / TypeError: an invalid setting (named with its value and the fix),
            before anything trains or any folder is made.

    Example:
        >>> import torch
        >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
        <torch._C.Generator object at ...>
        >>> x = torch.randn(256, 4)
        >>> y = x @ torch.tensor([1.0, -2.0, 0.5, 3.0])
        >>> data = torch.utils.data.DataLoader(list(zip(x, y)), batch_size=16, shuffle=True)
        >>> model = torch.nn.Linear(4, 1)
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.01)
        >>> def loss_fn(m, batch):
        ...     return torch.nn.functional.mse_loss(m(batch[0]).squeeze(-1), batch[1])
        >>> result = find_learning_rate(model, opt, data, loss_fn, progress=False)
        >>> result.reason.startswith("SGD: edge of stability found at")
        True
        >>> result.suggested_lr < result.marks["lrguard"]["edge"], opt.param_groups[0]["lr"]
        (True, 0.01)
    """
    settings = prepare_sweep(
        start_lr=start_lr,
        end_lr=end_lr,
        num_steps=num_steps,
        mode=mode,
        smoothing=smoothing,
        diverge_factor=diverge_factor,
        method=method,
        policy=policy,
    )
    check_race_settings(
        sweeps=sweeps, candidates=race_candidates, budget=race_budget, held_out=race_held_out
    )
    if keep_copy_on_disk and output_dir is None:
        raise ValueError(
            "keep_copy_on_disk=True needs output_dir: the copy is kept there. Fix: pass "
            "output_dir=<a folder> or drop keep_copy_on_disk"
        )
    folder = None if output_dir is None else Path(output_dir)
    created = folder is not None and keep_copy_on_disk and not folder.exists()
    if created and folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    try:
        snapshot = TrainingSnapshot(
            model, optimizer, directory=folder if keep_copy_on_disk else None
        )
    except BaseException:
        if created and folder is not None:
            remove_if_empty(folder)
        raise

    def train_step(batches: Iterator[Any]) -> float:
        batch = next(batches)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model, batch)
        loss.backward()
        if max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        return float(loss.detach().item())

    def held_loss(batch: Any) -> float:
        training = model.training
        model.eval()
        try:
            with torch.no_grad():
                return float(loss_fn(model, batch).item())
        finally:
            model.train(training)

    failed = True
    try:
        model.train()
        result = run_range_test(
            snapshot=snapshot,
            optimizer=optimizer,
            train_step=train_step,
            batches=lambda: data,
            held_loss=held_loss,
            settings=settings,
            method=method,
            context={"framework": "torch", "optimizer": type(optimizer).__name__},
            sweeps=sweeps,
            race_candidates=race_candidates,
            race_budget=race_budget,
            race_held_out=race_held_out,
            seed=seed,
            progress=progress,
        )
        failed = False
    finally:
        snapshot.restore()
        if failed and created and folder is not None:
            remove_if_empty(folder)
    if result.suggested_lr is not None:
        floor = consistent_floor(result.suggested_lr, policy)  # the policy's min_lr_ratio
        arguments = {"lr": result.suggested_lr, "eta_min": floor.value}
        result.with_floor(floor.value, "eta_min", floor.value, arguments)
    if folder is not None:
        save_or_warn(result, folder, logger=logger, framework="torch", policy=policy)
    if verbose:
        print(result.summary())
    return result
