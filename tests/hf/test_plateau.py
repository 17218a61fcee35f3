"""reduce_lr_on_plateau / greedy: mode, min_lr, and patience-aware stopping at the floor."""

from __future__ import annotations

import pytest

from hf_lrguard import LRGuardCallback
from lrguard import LRGuardError
from tests.hf.conftest import MAJOR, logged_lrs, make_args, make_trainer

pytestmark = pytest.mark.hf


class Rising:
    """compute_metrics whose accuracy improves at every evaluation."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, pred) -> dict[str, float]:
        self.calls += 1
        return {"accuracy": 0.5 + 0.01 * self.calls}


def flat(pred) -> dict[str, float]:
    return {"score": 0.5}


def plateau_args(tmp_path, metric="accuracy", **kwargs):
    return make_args(
        tmp_path,
        lr_scheduler_type="reduce_lr_on_plateau",
        lr_scheduler_kwargs=kwargs,
        eval_strategy="steps",
        eval_steps=2,
        metric_for_best_model=metric,
    )


def run(args, guard=None, metrics=flat):
    trainer = make_trainer(args, callbacks=[guard] if guard else None, compute_metrics=metrics)
    trainer.train()
    return trainer


# -- mode never derived from greater_is_better ----------------------------------------------
def test_mode_stock_drops_while_improving(tmp_path):
    trainer = run(plateau_args(tmp_path, patience=0, factor=0.5), metrics=Rising())
    assert logged_lrs(trainer)[-1] < 1e-6


@pytest.mark.parametrize("mode", ["warn", "adjust", "error"])
def test_mode_guarded(tmp_path, mode):
    args = plateau_args(tmp_path, patience=0, factor=0.5)
    if mode == "error":
        with pytest.raises(LRGuardError, match="LRG014 lr_scheduler_kwargs.mode='min'"):
            run(args, LRGuardCallback(on_violation=mode), Rising())
        return
    guard = LRGuardCallback(on_violation=mode)
    trainer = run(args, guard, Rising())
    if mode == "warn":
        assert logged_lrs(trainer)[-1] < 1e-6
    else:
        assert args.lr_scheduler_kwargs["mode"] == "max"
        assert set(logged_lrs(trainer)) == {1e-5}  # improving: never lowered
    assert any(r["rule"] == "LRG014" for r in guard.records)


# -- min_lr >= learning_rate: never drops ----------------------------------------------------
def test_plateau_min_above_lr_stock_never_drops(tmp_path):
    args = plateau_args(tmp_path, "score", patience=0, mode="max", min_lr=1e-4)
    assert set(logged_lrs(run(args))) == {1e-5}


@pytest.mark.parametrize("mode", ["warn", "adjust", "error"])
def test_plateau_min_above_lr_guarded(tmp_path, mode):
    args = plateau_args(tmp_path, "score", patience=0, mode="max", min_lr=1e-4)
    guard = LRGuardCallback(on_violation=mode, stop_at_floor=False)
    if mode == "error":
        with pytest.raises(LRGuardError, match="LRG012"):
            run(args, guard)
        return
    lrs = logged_lrs(run(args, guard))
    if mode == "warn":
        assert set(lrs) == {1e-5}
    else:
        # room for three reductions by 0.1 (plateau_min_lr_ratio), not just one
        assert args.lr_scheduler_kwargs["min_lr"] == pytest.approx(1e-8)
        assert max(lrs) <= 1e-5 and min(lrs) == pytest.approx(1e-8)


# -- patience-aware stop at the floor ----------------------------------------------------------
FLOOR = {"patience": 0, "factor": 0.1, "mode": "max", "min_lr": 1e-7}


def test_floor_stock_trains_on_at_the_floor(tmp_path):
    trainer = run(plateau_args(tmp_path, "score", **FLOOR))
    assert trainer.state.global_step == 40
    assert logged_lrs(trainer)[-1] == pytest.approx(1e-7)


def test_floor_guard_never_shortens_the_run_by_default(tmp_path):
    """HF plateau schedules never end a run themselves: stopping at the floor is opt-in."""
    guard = LRGuardCallback()
    trainer = run(plateau_args(tmp_path, "score", **FLOOR), guard)
    assert trainer.state.global_step == 40
    assert "LRG010" not in [r["rule"] for r in guard.records]


def test_floor_guard_stops_when_patience_exhausted(tmp_path, caplog):
    guard = LRGuardCallback(stop_at_floor=True)
    trainer = run(plateau_args(tmp_path, "score", **FLOOR), guard)
    assert trainer.state.global_step < 40
    stop = next(r for r in guard.records if r["rule"] == "LRG010")
    assert stop["action"] == "stopped" and stop["step"] == trainer.state.global_step
    noted = next(r for r in guard.records if r["rule"] == "LRG022")
    assert noted["step"] <= stop["step"]
    assert "patience=0" in stop["message"] and "min_lr=1e-07" in stop["message"]
    assert "LRG010" in caplog.text
    assert caplog.text.count("stopping training at step") == 1  # said once


def test_floor_without_stop_at_floor_only_notes(tmp_path):
    guard = LRGuardCallback(stop_at_floor=False)
    trainer = run(plateau_args(tmp_path, "score", **FLOOR), guard)
    assert trainer.state.global_step == 40
    assert [r["rule"] for r in guard.records] == ["LRG022"]


# -- greedy (5.x): default min_lr 1e-3 above the rate ------------------------------------------
GREEDY = {"patience": 0, "mode": "max"}


def greedy_args(tmp_path, **kwargs):
    args = plateau_args(tmp_path, "score", **kwargs)
    args.lr_scheduler_type = "greedy"
    return args


@pytest.mark.skipif(MAJOR < 5, reason="greedy exists in transformers 5.x only")
def test_greedy_stock_only_grows(tmp_path):
    lrs = logged_lrs(run(greedy_args(tmp_path, **GREEDY)))
    assert min(lrs) == 1e-5 and max(lrs) > 1e-5  # the first evaluation raises it


@pytest.mark.skipif(MAJOR < 5, reason="greedy exists in transformers 5.x only")
@pytest.mark.parametrize("mode", ["warn", "adjust", "error"])
def test_greedy_guarded(tmp_path, mode):
    guard = LRGuardCallback(on_violation=mode, stop_at_floor=False)
    args = greedy_args(tmp_path, **GREEDY)
    if mode == "error":
        with pytest.raises(LRGuardError, match="LRG013 lr_scheduler_kwargs.min_lr=0.001"):
            run(args, guard)
        return
    lrs = logged_lrs(run(args, guard))
    if mode == "warn":
        assert min(lrs) == 1e-5
    else:
        assert args.lr_scheduler_kwargs["min_lr"] == pytest.approx(1e-8)
        assert min(lrs) < 1e-5  # plateaus lower it again


@pytest.mark.skipif(MAJOR >= 5, reason="transformers 5.x has greedy")
def test_greedy_on_v4_is_unknown():
    from hf_lrguard import check_training_args

    findings = check_training_args({"lr_scheduler_type": "greedy"})
    assert [f.code for f in findings] == ["LRG016"]
    assert "only in transformers 5.x" in findings[0].message


def test_plateau_without_eval_stock_and_checked():
    from transformers import TrainingArguments

    from hf_lrguard import check_training_args

    with pytest.raises(ValueError, match="requires an eval strategy"):
        TrainingArguments("x", lr_scheduler_type="reduce_lr_on_plateau", report_to=[])
    findings = check_training_args({"lr_scheduler_type": "reduce_lr_on_plateau"})
    assert [f.code for f in findings] == ["LRG015"]
