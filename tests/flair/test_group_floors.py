"""Per-group floors in Flair runs: ``decoder_learning_rate`` makes two param groups.

* A plugin stepping ``CosineAnnealingWarmRestarts(eta_min=...)`` (one absolute floor for
  every group) lifts the smaller group above its own rate: stock Flair trains at those
  rates; ``LRGuardPlugin`` replays the scheduler and refuses it before the first batch
  (LRG069). With ``eta_min`` below both groups the guarded run is the stock run.
* Flair's own annealing never lifts a group: a group below ``min_learning_rate`` is LRG001's
  (stock Flair stops after the first evaluation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flair.trainers.plugins import TrainerPlugin
from torch.optim import lr_scheduler as L

from flair_lrguard import LRGuardPlugin
from lrguard import LRGuardError, read_jsonl
from tests.flair.conftest import FAST

LR = 1e-4  # the embeddings' group (param group 1)
DECODER_LR = 0.01  # the decoder's group (param group 0)
FLOOR = 1e-3  # eta_min chosen for the decoder: above the embeddings' rate


class GroupRates(TrainerPlugin):
    """Every param group's rate at every optimizer step."""

    def __init__(self) -> None:
        super().__init__()
        self.rates: list[list[float]] = []

    @TrainerPlugin.hook
    def before_training_optimizer_step(self, **kw: Any) -> None:
        self.rates.append([float(g["lr"]) for g in self.trainer.optimizer.param_groups])


class WarmRestarts(TrainerPlugin):
    """A user's plugin stepping ``CosineAnnealingWarmRestarts`` after every batch."""

    def __init__(self, eta_min: float) -> None:
        super().__init__()
        self.eta_min = eta_min

    @TrainerPlugin.hook
    def after_setup(self, **kw: Any) -> None:
        self.scheduler = L.CosineAnnealingWarmRestarts(
            self.trainer.optimizer, T_0=3, eta_min=self.eta_min
        )

    @TrainerPlugin.hook
    def after_training_batch(self, optimizer_was_run: bool = True, **kw: Any) -> None:
        if optimizer_was_run:
            self.scheduler.step()


def _run(trainer_factory: Callable[[], Any], path, eta_min: float, guard: bool) -> GroupRates:
    recorder = GroupRates()
    plugins: list[Any] = [WarmRestarts(eta_min)]
    if guard:
        plugins.append(LRGuardPlugin())
    trainer_factory().train_custom(
        path,
        learning_rate=LR,
        decoder_learning_rate=DECODER_LR,
        max_epochs=2,
        plugins=[*plugins, recorder],
        **FAST,
    )
    return recorder


def test_stock_lifts_the_embeddings_group(trainer_factory, tmp_path):
    rates = _run(trainer_factory, tmp_path, FLOOR, guard=False).rates
    embeddings = [r[1] for r in rates]
    assert len(rates) == 6 and embeddings[0] == pytest.approx(LR)
    assert max(embeddings) > 5 * LR  # up to ~7.5x its own rate within each 3-step cycle
    assert [r[0] for r in rates][1] < DECODER_LR  # the decoder decays towards eta_min


def test_guard_refuses_before_the_first_batch(trainer_factory, tmp_path):
    recorder = GroupRates()
    with pytest.raises(LRGuardError, match="LRG069") as raised:
        trainer_factory().train_custom(
            tmp_path,
            learning_rate=LR,
            decoder_learning_rate=DECODER_LR,
            max_epochs=2,
            plugins=[WarmRestarts(FLOOR), LRGuardPlugin(), recorder],
            **FAST,
        )
    assert recorder.rates == []
    message = str(raised.value)
    assert "param group 1" in message and "own lr=0.0001" in message
    assert "eta_min=0.001 is one absolute floor" in message and "eta_min<=1e-05" in message


def test_correct_twin_is_silent_and_identical(trainer_factory, tmp_path):
    stock = _run(trainer_factory, tmp_path / "stock", 1e-6, guard=False).rates
    guarded = _run(trainer_factory, tmp_path / "guarded", 1e-6, guard=True).rates
    assert guarded == stock and len(stock) == 6
    log = tmp_path / "guarded" / "lrguard.jsonl"
    records = read_jsonl(log) if log.exists() else []  # written only when there is a decision
    assert [r for r in records if r["severity"] != "info"] == []
