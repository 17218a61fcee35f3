"""``find_learning_rate``: a learning-rate range test for a Flair ``ModelTrainer``."""

from __future__ import annotations

import inspect
import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flair
import torch
from flair.datasets import DataLoader
from flair.training_utils import store_embeddings

from lrguard.range_test import (
    RangeTestResult,
    consistent_floor,
    remove_if_empty,
    save_or_warn,
)
from lrguard.range_test.floor import round_rate
from lrguard.range_test.race import (
    MULTI_SWEEPS,
    RACE_BUDGET,
    RACE_CANDIDATES,
    RACE_HELD_OUT,
    check_race_settings,
)
from lrguard.range_test.request import prepare_sweep, refuse_train_keywords
from lrguard.range_test.suggest import DEFAULT_METHOD
from lrguard.range_test.sweep import SWEEP_DEFAULTS
from torch_lrguard.range_test import run_range_test
from torch_lrguard.snapshot import TrainingSnapshot

log = logging.getLogger("flair.lrguard")


def _param_groups(
    model: flair.nn.Model, learning_rate: float, decoder_learning_rate: float | None
) -> list[dict[str, Any]] | Any:
    """The param groups ``ModelTrainer.train_custom`` builds (decoder first when it has its
    own rate)."""
    if not decoder_learning_rate:
        return model.parameters()
    named = list(model.named_parameters())
    return [
        {"params": [p for n, p in named if "embeddings" not in n], "lr": decoder_learning_rate},
        {"params": [p for n, p in named if "embeddings" in n], "lr": learning_rate},
    ]


def _chunks(batch: list[Any], size: int | None) -> list[list[Any]]:
    if size is None or len(batch) <= size:
        return [batch]
    return [batch[i : i + size] for i in range(0, len(batch), size)]


def _check_optimizer_kwargs(
    trainer: Any, optimizer: type[torch.optim.Optimizer], kwargs: dict[str, Any]
) -> None:
    """Refuse keywords that must not reach ``optimizer(...)`` before anything is created or
    trained; a ``train()`` keyword is named as such (``refuse_train_keywords``)."""
    try:
        params = inspect.signature(optimizer).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: the optimizer decides
        params = None
    accepted: set[str] | None = None
    if params is not None and not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        accepted = {p.name for p in params}
    train = getattr(trainer, "train", None)
    try:
        train_keywords = set(inspect.signature(train).parameters) if train else set()
    except (TypeError, ValueError):
        train_keywords = set()
    refuse_train_keywords(
        kwargs,
        receiver=optimizer.__name__,
        accepted=accepted,
        train_keywords=train_keywords - {"optimizer", "kwargs"},
    )


def find_learning_rate(
    trainer: Any,
    base_path: str | Path,
    *,
    optimizer: type[torch.optim.Optimizer] = torch.optim.SGD,
    learning_rate: float | None = None,
    decoder_learning_rate: float | None = None,
    mini_batch_size: int = 32,
    mini_batch_chunk_size: int | None = None,
    max_grad_norm: float | None = 5.0,
    use_amp: bool = False,
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
    policy: Any = None,
    keep_copy_on_disk: bool = False,
    progress: bool = True,
    verbose: bool = True,
    **optimizer_kwargs: Any,
) -> RangeTestResult:
    """Run a learning-rate range test on ``trainer``'s model and training data, then put the
    model, every random generator and the data's cached embeddings back exactly as they were.

    The sweep trains ``num_steps`` mini-batches as ``ModelTrainer.train`` would (the same
    optimizer class and keywords, chunking, gradient clipping, mixed precision), with the
    rate rising from ``start_lr`` to ``end_lr``; it stops early when the smoothed loss
    diverges or a loss is not finite, and cycles the training data when it runs out. It
    writes Flair's ``learning_rate.tsv`` (plotted by ``flair.visual.training_curves.Plotter``),
    ``lr_range_test.json``, ``lr_range_test.png`` (with matplotlib) and an LRG090 record in
    ``lrguard.jsonl``, all in ``base_path``.

    Args:
        trainer: a ``flair.trainers.ModelTrainer``.
        base_path: where the files go (created when they are written; a folder that
            cannot be written costs the files, not the result: one warning says so).
        optimizer: the optimizer class you will train with; ``optimizer_kwargs`` go to it.
        learning_rate / decoder_learning_rate: give both to sweep a decoder with its own rate:
            the two groups are swept in proportion, and both are suggested.
        mini_batch_size / mini_batch_chunk_size / max_grad_norm / use_amp: as in ``train``.
        start_lr / end_lr / num_steps / mode / smoothing / diverge_factor: the sweep
            (``lrguard.range_test.SweepSettings``).
        method: the suggestion method to choose: ``lrguard`` (default), ``steepest``,
            ``valley``, ``minimum`` (one sweep; all four are computed and stored), ``multi``
            or ``race`` (``torch_lrguard.range_test.find_learning_rate`` describes them).
        sweeps / race_candidates / race_budget / race_held_out / seed: ``multi`` and
            ``race`` settings (same seed, same suggestion).
        policy: the ``GuardPolicy`` whose ratio sets the suggested ``min_learning_rate``.
        keep_copy_on_disk: keep the copy of the model in ``base_path`` instead of in memory.
        progress: show a progress bar.
        verbose: print the result and the ``train(...)`` arguments to use.

    Returns:
        The result; ``result.arguments`` holds ``learning_rate``, ``min_learning_rate`` (and
        ``decoder_learning_rate``) for ``train(...)``.

    Raises:
        ValueError: an invalid sweep setting, or ``decoder_learning_rate`` without
            ``learning_rate`` (the message names the field and the fix).
        TypeError: a keyword the optimizer does not take (a ``train()`` keyword such as
            ``max_epochs`` or ``patience`` is named as such), or a ``policy`` that is not a
            ``GuardPolicy``; raised before anything trains or any folder is created.
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
    if decoder_learning_rate and not learning_rate:
        raise ValueError(
            f"decoder_learning_rate={decoder_learning_rate!r} needs learning_rate: the two "
            "groups are swept in the ratio of the rates you plan to train with. Fix: pass "
            "learning_rate=<your planned rate> too"
        )
    check_race_settings(
        sweeps=sweeps, candidates=race_candidates, budget=race_budget, held_out=race_held_out
    )
    _check_optimizer_kwargs(trainer, optimizer, optimizer_kwargs)
    base_path = Path(base_path)
    created = keep_copy_on_disk and not base_path.exists()
    if keep_copy_on_disk:  # otherwise the folder is made when the files are written
        base_path.mkdir(parents=True, exist_ok=True)
    model = trainer.model
    ratio = (decoder_learning_rate / learning_rate) if decoder_learning_rate else None
    sweep_optimizer = optimizer(
        params=_param_groups(model, start_lr, start_lr * ratio if ratio else None),
        **{**optimizer_kwargs, "lr": start_lr},
    )
    try:
        snapshot = TrainingSnapshot(model, directory=base_path if keep_copy_on_disk else None)
    except BaseException:
        if created:
            remove_if_empty(base_path)
        raise
    scaler = torch.amp.GradScaler(enabled=use_amp and flair.device.type != "cpu")

    def batches() -> DataLoader:
        return DataLoader(trainer.corpus.train, batch_size=mini_batch_size, shuffle=True)

    def train_step(data: Iterator[list[Any]]) -> float:
        batch = next(data)
        sweep_optimizer.zero_grad()
        total_loss, total_count = 0.0, 0
        for chunk in _chunks(batch, mini_batch_chunk_size):
            with torch.autocast(device_type=flair.device.type, enabled=use_amp):
                loss, count = model.forward_loss(chunk)
            total_loss += loss.item()
            total_count += count
            scaler.scale(loss).backward()
            store_embeddings(chunk, "none")
        scaler.unscale_(sweep_optimizer)
        if max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        scaler.step(sweep_optimizer)
        scaler.update()
        return total_loss / total_count if total_count else math.nan

    def held_loss(batch: list[Any]) -> float:
        model.eval()
        try:
            with torch.no_grad():
                loss, count = model.forward_loss(batch)
            return loss.item() / count if count else math.nan
        finally:
            store_embeddings(batch, "none")
            model.train()

    failed = True
    try:
        model.train()
        result = run_range_test(
            snapshot=snapshot,
            optimizer=sweep_optimizer,
            train_step=train_step,
            batches=batches,
            held_loss=held_loss,
            settings=settings,
            method=method,
            context={
                "framework": "flair",
                "flair_version": flair.__version__,
                "optimizer": optimizer.__name__,
                "mini_batch_size": mini_batch_size,
                "decoder_ratio": ratio,
            },
            sweeps=sweeps,
            race_candidates=race_candidates,
            race_budget=race_budget,
            race_held_out=race_held_out,
            seed=seed,
            progress=progress,
            reference_group=1 if ratio else 0,
        )
        failed = False
    finally:
        snapshot.restore()
        if failed and created:  # the snapshot's file is gone: leave no empty folder either
            remove_if_empty(base_path)
    if result.suggested_lr is not None:
        floor = consistent_floor(result.suggested_lr * min(1.0, ratio or 1.0), policy)
        arguments: dict[str, Any] = {"learning_rate": result.suggested_lr}
        if ratio:
            arguments["decoder_learning_rate"] = round_rate(result.suggested_lr * ratio)
        arguments["min_learning_rate"] = floor.setting
        result.with_floor(floor.value, floor.key, floor.setting, arguments)
    save_or_warn(
        result,
        base_path,
        logger=log,
        framework="flair",
        policy=policy,
    )
    if verbose:
        print(result.summary())
    return result
