"""Scheduler kwargs outside their range are refused before training, not inside it; a
one-step run keeps a step at the peak."""

from __future__ import annotations

import math

import pytest

from hf_lrguard import LRGuardCallback
from lrguard import LRGuardError
from tests.hf.conftest import logged_lrs, make_args, make_trainer

pytestmark = pytest.mark.hf


def plateau(tmp_path, **kwargs):
    return make_args(
        tmp_path,
        lr_scheduler_type="reduce_lr_on_plateau",
        lr_scheduler_kwargs=kwargs,
        eval_strategy="steps",
        eval_steps=10,
    )


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"min_lr": math.nan}, "LRG003 lr_scheduler_kwargs.min_lr=nan is not a number >= 0"),
        ({"min_lr": -1e-6}, "LRG003 lr_scheduler_kwargs.min_lr=-1e-06 is not a number >= 0"),
        ({"factor": 2}, "LRG032 lr_scheduler_kwargs.factor=2 is not a number in (0, 1)"),
        ({"patience": -1}, "LRG032 lr_scheduler_kwargs.patience=-1 is not a whole number >= 0"),
    ],
)
@pytest.mark.parametrize("mode", ["warn", "adjust", "error"])
def test_unusable_plateau_kwargs_refused_before_training(tmp_path, kwargs, expected, mode):
    trainer = None
    with pytest.raises(LRGuardError) as err:
        trainer = make_trainer(plateau(tmp_path, **kwargs), [LRGuardCallback(on_violation=mode)])
    assert expected in str(err.value) and "Fix: Set" in str(err.value)
    assert trainer is None  # refused while constructing, before any model step


def test_stock_factor_2_fails_inside_train(tmp_path):
    trainer = make_trainer(plateau(tmp_path, factor=2))
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        trainer.train()


def test_one_step_run_keeps_a_step_at_the_peak(tmp_path):
    args = make_args(tmp_path, max_steps=1, warmup_steps=5, lr_scheduler_type="linear")
    stock = make_trainer(make_args(tmp_path / "stock", max_steps=1, warmup_steps=5))
    stock.train()
    assert logged_lrs(stock) == [0.0]  # the only step runs at lr 0
    guard = LRGuardCallback()
    trainer = make_trainer(args, [guard])
    trainer.train()
    assert trainer.args.warmup_steps == 0
    assert [r["after"] for r in guard.decisions] == [{"warmup_steps": 0}]
    assert logged_lrs(trainer) == [pytest.approx(1e-5)]
