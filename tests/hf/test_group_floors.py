"""Per-group floors on real Trainer runs with a LoRA+ optimizer (peft's
``create_loraplus_optimizer``: LoRA A at ``learning_rate``, B at 16x, the LoRA embedding
group at ``loraplus_lr_embedding``).

* transformers' own schedules scale every group's own rate: ``cosine_with_min_lr`` with an
  absolute ``min_lr`` above the embedding group's rate, and ``reduce_lr_on_plateau``'s
  ``min_lr``, never lift that group: read back at every step, and the guard stays silent.
* A scheduler passed as ``Trainer(optimizers=(optimizer, scheduler))`` with one absolute
  ``eta_min`` for every group (``CosineAnnealingWarmRestarts``) lifts the embedding group
  above its own rate: stock trains at those rates, the guard refuses it before step 1
  (LRG069); with ``eta_min`` below every group it is silent and the run identical.
"""

from __future__ import annotations

import pytest
from transformers import Trainer, TrainerCallback

from hf_lrguard import LRGuardCallback
from lrguard import LRGuardError
from tests.hf.conftest import TinyData, guard_records, make_args

peft = pytest.importorskip("peft")
torch = pytest.importorskip("torch")

from peft.optimizers import create_loraplus_optimizer  # noqa: E402

from hf_lrguard.examples import tiny_model  # noqa: E402

pytestmark = pytest.mark.hf

LR = 1e-5
EMBEDDING_LR = 1e-6
RATIO = 16.0
FLOOR = 2e-6  # an absolute floor for the main rate: above the embedding group's own rate
STEPS = 20


class GroupRates(TrainerCallback):
    """Every param group's rate at the start of every optimizer step."""

    def __init__(self) -> None:
        self.rates: list[list[float]] = []

    def on_step_begin(self, args, state, control, optimizer=None, **kwargs):
        self.rates.append([float(g["lr"]) for g in optimizer.param_groups])


def lora_plus():
    """A LoRA model (query, value and the word embeddings) and its LoRA+ optimizer."""
    config = peft.LoraConfig(
        task_type="SEQ_CLS", r=4, target_modules=["query", "value", "word_embeddings"]
    )
    model = peft.get_peft_model(tiny_model(), config)
    optimizer = create_loraplus_optimizer(
        model,
        torch.optim.AdamW,
        lr=LR,
        loraplus_lr_ratio=RATIO,
        loraplus_lr_embedding=EMBEDDING_LR,
    )
    return model, optimizer


def _embedding_group(optimizer) -> int:
    (index,) = [
        i for i, g in enumerate(optimizer.param_groups) if g["lr"] == EMBEDDING_LR and g["params"]
    ]
    return index


def run(tmp_path, guard=None, scheduler_of=None, compute_metrics=None, **args):
    model, optimizer = lora_plus()
    emb = _embedding_group(optimizer)
    scheduler = scheduler_of(optimizer) if scheduler_of else None
    settings = {"max_steps": STEPS, "learning_rate": LR, **args}
    rates = GroupRates()
    callbacks = [rates] if guard is None else [guard, rates]
    extra = {}
    if compute_metrics is not None:
        extra = {"eval_dataset": TinyData(16, seed=1), "compute_metrics": compute_metrics}
    trainer = Trainer(
        model=model,
        args=make_args(tmp_path, **settings),
        train_dataset=TinyData(64),
        callbacks=callbacks,
        optimizers=(optimizer, scheduler),
        **extra,
    )
    trainer.train()
    return trainer, rates.rates, emb


def test_lora_plus_groups_are_as_described():
    _, optimizer = lora_plus()
    rates = sorted({g["lr"] for g in optimizer.param_groups if g["params"]})
    assert rates == [EMBEDDING_LR, LR, LR * RATIO]
    assert optimizer.defaults["lr"] == LR  # what cosine_with_min_lr divides min_lr by


def test_cosine_with_min_lr_keeps_each_groups_proportion(tmp_path):
    kwargs = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr": FLOOR}}
    trainer, rates, emb = run(tmp_path / "stock", **kwargs)
    embedding = [r[emb] for r in rates]
    assert max(embedding) == pytest.approx(EMBEDDING_LR)  # never above its own rate
    # it ends near its own rate times min_lr / learning_rate, not at min_lr
    assert embedding[-1] < EMBEDDING_LR * (FLOOR / LR) * 1.1 < FLOOR
    assert max(r[0] for r in rates) <= LR * RATIO * (1 + 1e-12)
    guard = LRGuardCallback()
    guarded, guarded_rates, _ = run(tmp_path / "guarded", guard, **kwargs)
    assert guarded_rates == rates
    assert [r for r in guard_records(guarded) if r["severity"] != "info"] == []


def test_plateau_min_lr_never_lifts_a_group(tmp_path):
    kwargs = {
        "lr_scheduler_type": "reduce_lr_on_plateau",
        "lr_scheduler_kwargs": {"min_lr": FLOOR, "patience": 0, "factor": 0.5},
        "eval_strategy": "steps",
        "eval_steps": 2,
        "metric_for_best_model": "score",
        "greater_is_better": True,
    }
    trainer, rates, emb = run(
        tmp_path / "stock", compute_metrics=lambda p: {"score": 0.5}, **kwargs
    )
    assert {r[emb] for r in rates} == {EMBEDDING_LR}  # below min_lr: never lowered, never raised
    assert min(max(r) for r in rates) >= FLOOR and rates[-1] != rates[0]  # the others anneal


def _warm_restarts(eta_min):
    return lambda opt: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        opt, T_0=10, eta_min=eta_min
    )


def test_stock_warm_restarts_lift_the_embedding_group(tmp_path):
    trainer, rates, emb = run(tmp_path, scheduler_of=_warm_restarts(FLOOR))
    embedding = [r[emb] for r in rates]
    assert embedding[0] == pytest.approx(EMBEDDING_LR)
    assert max(embedding) > 1.8 * EMBEDDING_LR  # it trains at up to ~2x its own rate
    assert sum(1 for r in embedding if r > 1.05 * EMBEDDING_LR) >= STEPS - 4


def test_guard_refuses_before_step_one(tmp_path):
    guard = LRGuardCallback()
    with pytest.raises(LRGuardError, match="LRG069") as raised:
        run(tmp_path, guard, scheduler_of=_warm_restarts(FLOOR))
    message = str(raised.value)
    assert "eta_min=2e-06 is one absolute floor for every param group" in message
    assert "own lr=1e-06" in message and "Set eta_min<=1e-07" in message
    (record,) = [r for r in guard.records if r["rule"] == "LRG069"]
    assert record.get("step") in (None, 0)


def test_correct_twin_is_silent_and_identical(tmp_path):
    _, stock, _ = run(tmp_path / "stock", scheduler_of=_warm_restarts(1e-8))
    guard = LRGuardCallback()
    guarded, rates, _ = run(tmp_path / "guarded", guard, scheduler_of=_warm_restarts(1e-8))
    assert rates == stock
    assert [r for r in guard_records(guarded) if r["severity"] != "info"] == []
