"""The range test's training loop, shared by the Flair and Hugging Face finders.

The framework integrations say how one optimizer step is trained (``train_step``) and
where the batches come from; this module sets every param group's rate for each sweep
step (in proportion to its starting rate, so a decoder group with its own rate keeps its
ratio), cycles a dataloader that runs out, averages the loss over processes when
``torch.distributed`` is initialized (every rank records the same curve, so every rank
stops at the same step and suggests the same rate), and shows a progress bar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch

from lrguard.range_test import SweepRecorder, SweepSettings


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
