"""``find_learning_rate``: a learning-rate range test for a Hugging Face ``Trainer``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
import transformers

from hf_lrguard._logging import get_logger
from lrguard.range_test import (
    RangeTestResult,
    consistent_floor,
    remove_if_empty,
    save_or_warn,
)
from lrguard.range_test.race import (
    MULTI_SWEEPS,
    RACE_BUDGET,
    RACE_CANDIDATES,
    RACE_HELD_OUT,
    check_race_settings,
)
from lrguard.range_test.request import prepare_sweep
from lrguard.range_test.suggest import DEFAULT_METHOD
from lrguard.range_test.sweep import SWEEP_DEFAULTS
from lrguard.rules._hf import scheduler_kwargs
from torch_lrguard.range_test import average_gradients, distributed_mean, run_range_test
from torch_lrguard.replay import unwrap_optimizer
from torch_lrguard.snapshot import TrainingSnapshot

logger = get_logger(__name__)

_MISSING = object()


def find_learning_rate(
    trainer: transformers.Trainer,
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
    policy: Any = None,
    keep_copy_on_disk: bool = False,
    progress: bool = True,
    verbose: bool = True,
) -> RangeTestResult:
    """Run a learning-rate range test with ``trainer``'s own training machinery, then put the
    model, optimizer, scheduler, GradScaler, random generators and ``trainer.state`` back
    exactly as they were.

    Each sweep step is one optimizer step as ``Trainer`` takes it: the trainer's own train
    dataloader and collator, ``gradient_accumulation_steps`` batches through
    ``trainer.training_step`` (so a custom ``compute_loss`` and the mixed-precision setting
    apply), ``max_grad_norm`` clipping, and the trainer's optimizer (the one it will create,
    when there is none yet). Under ``torchrun`` gradients and losses are averaged over the
    processes, so every rank follows the same curve and gets the same suggestion; only the
    main process writes files: ``learning_rate.tsv``, ``lr_range_test.json``,
    ``lr_range_test.png`` and an LRG090 record in ``lrguard.jsonl``, in ``output_dir``.

    Args:
        trainer: a ``transformers.Trainer`` (or a subclass: TRL, sentence-transformers …).
        start_lr / end_lr / num_steps / mode / smoothing / diverge_factor: the sweep
            (``lrguard.range_test.SweepSettings``).
        method: the suggestion method to choose: ``lrguard`` (default), ``steepest``,
            ``valley``, ``minimum`` (one sweep; all four are computed and stored), ``multi``
            or ``race`` (``torch_lrguard.range_test.find_learning_rate`` describes them).
        sweeps / race_candidates / race_budget / race_held_out / seed: ``multi`` and
            ``race`` settings (same seed, same suggestion).
        policy: the ``GuardPolicy`` whose ratio sets the suggested floor.
        keep_copy_on_disk: keep the copy of model and optimizer in ``output_dir`` instead of
            in memory.
        progress: show a progress bar (main process only).
        verbose: print the result and the ``TrainingArguments`` updates.

    Returns:
        The result; ``result.arguments`` holds the ``TrainingArguments`` updates:
        ``learning_rate`` and, when ``lr_scheduler_type`` has a floor, the
        ``lr_scheduler_kwargs`` with it (``min_lr``, ``min_lr_rate``, ``lr_end`` …).
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
    args = trainer.args
    main = trainer.is_world_process_zero()
    output_dir = Path(args.output_dir)
    created = keep_copy_on_disk and not output_dir.exists()
    if keep_copy_on_disk:
        output_dir.mkdir(parents=True, exist_ok=True)
    model = trainer.model
    had_optimizer = trainer.optimizer is not None
    accumulation = getattr(trainer, "current_gradient_accumulation_steps", _MISSING)
    scaler = getattr(trainer.accelerator, "scaler", None)
    try:
        snapshot = TrainingSnapshot(
            model,
            optimizer=unwrap_optimizer(trainer.optimizer) if had_optimizer else None,
            scheduler=trainer.lr_scheduler,
            scaler=scaler,
            objects={"state": (trainer, "state"), "control": (trainer, "control")},
            directory=output_dir if keep_copy_on_disk else None,
        )
    except BaseException:
        if created:
            remove_if_empty(output_dir)
        raise
    failed = True
    try:
        optimizer = unwrap_optimizer(
            trainer.optimizer if had_optimizer else trainer.create_optimizer()
        )
        dataloader = trainer.get_train_dataloader()

        def train_step(data: Iterator[Any]) -> float:
            batches, items = trainer.get_batch_samples(
                data, args.gradient_accumulation_steps, args.device
            )
            trainer.current_gradient_accumulation_steps = len(batches)
            total = 0.0
            for inputs in batches:
                with trainer.accelerator.autocast():
                    total += float(trainer.training_step(model, inputs, items).item())
            average_gradients(model.parameters())
            if args.max_grad_norm:
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.max_grad_norm)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            return total

        def held_loss(inputs: Any) -> float:
            model.eval()
            try:
                with torch.no_grad(), trainer.accelerator.autocast():
                    loss = trainer.compute_loss(model, trainer._prepare_inputs(inputs))
                return distributed_mean(float(loss.detach().mean().item()))
            finally:
                model.train()

        def reseed(seed: int) -> None:
            transformers.set_seed(seed)
            if hasattr(dataloader, "set_epoch"):  # accelerate's sampler seeds by epoch
                dataloader.set_epoch(seed)

        for group in optimizer.param_groups:  # groups keep the ratio they were built with
            group["lr"] = float(group.get("initial_lr", group["lr"]))
        schedule = str(getattr(args.lr_scheduler_type, "value", args.lr_scheduler_type))
        model.train()
        result = run_range_test(
            snapshot=snapshot,
            optimizer=optimizer,
            train_step=train_step,
            batches=lambda: dataloader,
            held_loss=held_loss,
            settings=settings,
            method=method,
            context={
                "framework": "hf",
                "transformers_version": transformers.__version__,
                "optimizer": type(optimizer).__name__,
                "lr_scheduler_type": schedule,
                "gradient_accumulation_steps": args.gradient_accumulation_steps,
                "world_size": args.world_size,
            },
            sweeps=sweeps,
            race_candidates=race_candidates,
            race_budget=race_budget,
            race_held_out=race_held_out,
            seed=seed,
            progress=progress and main,
            reseed=reseed,
        )
        failed = False
    finally:
        snapshot.restore()  # the optimizer's state dict brings its groups' rates back too
        if not had_optimizer:
            trainer.optimizer = None
        if accumulation is _MISSING:
            trainer.__dict__.pop("current_gradient_accumulation_steps", None)
        else:
            trainer.current_gradient_accumulation_steps = accumulation
        if failed and created:  # the snapshot's file is gone: leave no empty folder either
            remove_if_empty(output_dir)
    if result.suggested_lr is not None:
        kwargs = scheduler_kwargs(getattr(args, "lr_scheduler_kwargs", None))
        floor = consistent_floor(
            result.suggested_lr,
            policy,
            schedule=schedule,
            kwargs=kwargs,
            version=transformers.__version__,
        )
        arguments: dict[str, Any] = {"learning_rate": result.suggested_lr}
        if floor.key is not None:
            arguments["lr_scheduler_kwargs"] = {**kwargs, floor.key: floor.setting}
        result.with_floor(floor.value, floor.key, floor.setting, arguments)
    if main:
        save_or_warn(
            result,
            output_dir,
            logger=logger,
            framework="hf",
            policy=policy,
        )
        if verbose:
            print(result.summary())
    return result
