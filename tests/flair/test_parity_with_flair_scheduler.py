"""The core's pure plateau step against Flair's own AnnealOnPlateau, step by step."""

from __future__ import annotations

import random

import pytest
import torch
from flair.training_utils import AnnealOnPlateau

from lrguard.annealing import PlateauState, plateau_step
from lrguard.plan import AnnealingPlan


@pytest.mark.parametrize("seed", range(40))
def test_same_learning_rates_as_flair(seed):
    rng = random.Random(seed)
    lrs = [rng.choice([0.1, 0.05, 3e-4]), rng.choice([0.2, 1e-3])]
    floors = [lr * rng.choice([0.0, 0.01, 0.3]) for lr in lrs]
    settings = AnnealingPlan(
        factor=rng.choice([0.5, 0.1, 0.9]),
        patience=rng.randint(0, 3),
        initial_extra_patience=rng.randint(0, 2),
        cooldown=rng.randint(0, 2),
        mode=rng.choice(["min", "max"]),
    )
    params = [torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))]
    optimizer = torch.optim.SGD(
        [{"params": [p], "lr": lr} for p, lr in zip(params, lrs, strict=True)]
    )
    flair_scheduler = AnnealOnPlateau(
        optimizer,
        mode=settings.mode,
        factor=settings.factor,
        patience=settings.patience,
        initial_extra_patience=settings.initial_extra_patience,
        cooldown=settings.cooldown,
        min_lr=floors,
    )
    state = PlateauState.start(tuple(lrs), settings)
    # as in Flair training: with a dev split the aux metric (dev loss) is always given
    with_aux = seed % 2 == 0
    for _ in range(60):
        metric = rng.choice([0.5, 0.6, 0.4, 0.7])
        aux = rng.choice([0.3, 0.2, 0.25]) if with_aux else None
        flair_scheduler.step(metric, aux)
        state, _ = plateau_step(state, settings, tuple(floors), metric, aux)
        assert list(state.lrs) == [g["lr"] for g in optimizer.param_groups]
        assert state.num_bad_epochs == flair_scheduler.num_bad_epochs
        assert state.best == flair_scheduler.best
