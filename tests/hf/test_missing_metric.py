"""A plateau schedule whose ``metric_for_best_model`` is not among the evaluation metrics:
the guard says so once per run, naming the key it looked for and the keys that are there,
and changes nothing else (transformers still raises its own KeyError when it steps the
schedule)."""

from __future__ import annotations

import logging

import pytest

from hf_lrguard import LRGuardCallback
from tests.hf.conftest import make_args, make_trainer

pytestmark = pytest.mark.hf


def accuracy_only(pred) -> dict[str, float]:
    return {"accuracy": 0.5}


def test_a_missing_metric_is_said_once_with_the_keys_present(tmp_path, caplog):
    args = make_args(
        tmp_path,
        lr_scheduler_type="reduce_lr_on_plateau",
        lr_scheduler_kwargs={"patience": 0, "min_lr": 1e-7},
        eval_strategy="steps",
        eval_steps=2,
        metric_for_best_model="f1",
    )
    guard = LRGuardCallback()
    trainer = make_trainer(args, callbacks=[guard], compute_metrics=accuracy_only)
    with caplog.at_level(logging.INFO, logger="hf_lrguard"):
        # transformers steps ReduceLROnPlateau with metrics["eval_f1"]: its own KeyError, raised
        # after the callbacks' on_evaluate, is what stops this run - not the guard
        with pytest.raises(KeyError, match="eval_f1"):
            trainer.train()
        assert trainer.state.global_step == 2
        trainer.evaluate()  # a later evaluation of the same run: nothing said again
    said = [r.getMessage() for r in caplog.records if r.name.startswith("hf_lrguard")]
    missing = [m for m in said if "eval_f1" in m]
    assert len(missing) == 1, said
    assert "metric_for_best_model" in missing[0]
    assert "eval_accuracy" in missing[0] and "eval_loss" in missing[0]


def test_an_evaluation_under_another_prefix_is_not_a_missing_metric(tmp_path, caplog):
    args = make_args(
        tmp_path,
        lr_scheduler_type="reduce_lr_on_plateau",
        lr_scheduler_kwargs={"patience": 0, "min_lr": 1e-7, "mode": "max"},
        eval_strategy="steps",
        eval_steps=2,
        metric_for_best_model="accuracy",
    )
    trainer = make_trainer(args, callbacks=[LRGuardCallback()], compute_metrics=accuracy_only)
    with caplog.at_level(logging.INFO, logger="hf_lrguard"):
        trainer.train()
        metrics = trainer.evaluate(metric_key_prefix="test")
    assert "test_accuracy" in metrics
    said = [r.getMessage() for r in caplog.records if r.name.startswith("hf_lrguard")]
    assert not [m for m in said if "did not report" in m], said
