"""Schedule-free optimizers under a schedule (LRG026): real ``Trainer`` runs on a tiny BERT,
stock and guarded, reading the rates the optimizer actually uses (``scheduled_lr``, set by
schedulefree's ``step``: the scheduled rate times its own warmup factor)."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from transformers import Trainer, TrainerCallback

from hf_lrguard import LRGuardCallback
from hf_lrguard.examples import TinyData, tiny_model
from lrguard import LRGuardError
from tests.hf.conftest import MAJOR, make_args
from tests.twins.hf_twin import Context, run_twin

pytest.importorskip("schedulefree")
LR = 1e-3


class UsedRates(TrainerCallback):
    """The rate each optimizer step used, as schedulefree computed it."""

    def __init__(self) -> None:
        self.rates: list[float] = []

    def on_optimizer_step(self, args, state, control, optimizer=None, **kwargs):
        """After each optimizer step: the rate it used."""
        inner = getattr(optimizer, "optimizer", optimizer)
        self.rates.append(float(inner.param_groups[0]["scheduled_lr"]))


SAID_BEFORE_TRAINING: dict[bool, list[dict[str, Any]]] = {}
"""Per side (guarded or not): the guard's records right after ``Trainer(...)``."""


def schedule_free(**settings: Any):
    """A scenario: ``optim="schedule_free_adamw"`` for 8 steps with ``settings``."""

    def scenario(ctx: Context):
        used = UsedRates()
        args = ctx.args(optim="schedule_free_adamw", max_steps=8, learning_rate=LR, **settings)
        built = ctx.keep(
            Trainer(
                model=tiny_model(),
                args=args,
                train_dataset=TinyData(32),
                callbacks=ctx.callbacks(used),
            )
        )
        SAID_BEFORE_TRAINING[ctx.guarded] = [r for g in ctx.guards for r in g.records]
        built.train()
        ctx.extra["used"] = used.rates
        return built

    return scenario


def test_cosine_with_warmup_is_reported_before_step_one_and_left_as_is(tmp_path):
    twin = run_twin(schedule_free(lr_scheduler_type="cosine", warmup_steps=2), tmp_path)
    said = SAID_BEFORE_TRAINING[True]
    assert [(r["rule"], r["severity"], r["action"]) for r in said] == [
        ("LRG026", "warning", "warned")
    ]
    assert (
        "lr_scheduler_type='cosine' decays the rate under AdamWScheduleFree" in said[0]["message"]
    )
    assert "step 2 trains at 50% of learning_rate instead of 100%" in said[0]["message"]
    # what stock does: both warmups multiply (0, then 0.5x where the optimizer alone gives
    # 0.5x, 1x), then cosine decays the rate to 6.7 % of learning_rate by the last step
    used = twin.stock.extra["used"]
    assert used[0] == 0.0 and used[1] == pytest.approx(0.5 * LR)
    assert used[-1] == pytest.approx(LR * 0.5 * (1 + math.cos(math.pi * 5 / 6)))
    assert used[-1] < 0.1 * LR
    # a warning changes nothing: same rates, weights, files and log_history as stock
    assert twin.differences() == {}


def test_constant_schedule_is_silent_and_identical_to_stock(tmp_path):
    twin = run_twin(schedule_free(lr_scheduler_type="constant"), tmp_path)
    twin.assert_invisible()
    assert SAID_BEFORE_TRAINING[True] == []
    assert twin.stock.extra["used"] == [LR] * 8


@pytest.mark.skipif(MAJOR < 5, reason="transformers 4.x refuses a fractional warmup_steps")
def test_fractional_warmup_steps_would_start_at_twice_the_rate(tmp_path):
    twin = run_twin(schedule_free(lr_scheduler_type="constant", warmup_steps=0.5), tmp_path)
    # stock: transformers passes 0.5 to AdamWScheduleFree, whose first step runs at 2x
    assert twin.stock.error is None
    assert twin.stock.extra["used"][:2] == [pytest.approx(2 * LR), LR]
    # guarded: refused at Trainer(...), before any step, with the factor and the fix
    assert twin.guarded.error is not None and twin.guarded.error.startswith("LRGuardError")
    assert "is 2 on the first step" in twin.guarded.error
    assert twin.guarded.rates == []


def test_prodigy_learning_rate_is_refused_at_trainer_construction(tmp_path):
    class Prodigy(torch.optim.AdamW):
        """Stands for prodigyopt.Prodigy (not installed): the guard reads the class name."""

    model = tiny_model()
    args = make_args(tmp_path, max_steps=2)
    with pytest.raises(LRGuardError, match="learning_rate=2e-05 with Prodigy"):
        Trainer(
            model=model,
            args=args,
            train_dataset=TinyData(8),
            optimizers=(Prodigy(model.parameters(), lr=2e-5), None),
            callbacks=[LRGuardCallback()],
        )


def test_llamafactory_drop_in_refuses_before_the_model_loads():
    from hf_lrguard.llamafactory import preflight
    from lrguard import GuardPolicy

    base = {"stage": "sft", "do_train": True, "model_name_or_path": "./tiny", "max_steps": 10}
    refused = preflight({**base, "optim": "prodigy", "learning_rate": 2e-5}, GuardPolicy())
    assert len(refused) == 1 and "LRG026 learning_rate=2e-05 with Prodigy" in refused[0]
    # a warning does not stop the drop-in; the callback logs it when the trainer is built
    cosine = {**base, "optim": "schedule_free_adamw", "lr_scheduler_type": "cosine"}
    assert preflight({**cosine, "learning_rate": 1e-3}, GuardPolicy()) == []
