"""LRG025 on real Trainer runs: EarlyStoppingCallback stops before the plateau schedule acts.

The metric stops improving after the first evaluation (``compute_metrics`` returns a constant
score), the stock ReduceLROnPlateau / GreedyLR and EarlyStoppingCallback of the installed
transformers do the counting, and the rates are read back from ``log_history`` and the
optimizer.
"""

from __future__ import annotations

import pytest
from transformers import EarlyStoppingCallback, TrainerCallback

from hf_lrguard import LRGuardCallback
from tests.hf.conftest import MAJOR, guard_records, logged_lrs, make_args, make_trainer

pytestmark = pytest.mark.hf

LR = 1e-5
PATIENCE = 2  # the schedule's: it lowers the rate at the 3rd evaluation without improvement
EVAL_STEPS = 4  # with patience 2, 8 steps: more than 10 % of the run (LRG019 stays silent)


def flat(pred) -> dict[str, float]:
    """A score that never improves after the first evaluation."""
    return {"score": 0.5}


class FirstStep(TrainerCallback):
    """Records the guard's rules as they stand when the first optimizer step begins."""

    def __init__(self, guard: LRGuardCallback) -> None:
        self.guard = guard
        self.codes: list[str] | None = None

    def on_step_begin(self, args, state, control, **kwargs):
        if self.codes is None:
            self.codes = [r["rule"] for r in self.guard.records]


def run(tmp_path, stop: int, guard: LRGuardCallback | None = None, schedule="reduce_lr_on_plateau"):
    kwargs = {"patience": PATIENCE, "factor": 0.5, "mode": "max"}
    if schedule == "greedy":
        kwargs["min_lr"] = LR * 1e-3  # below the rate: LRG013 has nothing to say
    args = make_args(
        tmp_path,
        max_steps=60,
        learning_rate=LR,
        lr_scheduler_type=schedule,
        lr_scheduler_kwargs=kwargs,
        eval_strategy="steps",
        eval_steps=EVAL_STEPS,
        metric_for_best_model="score",
        greater_is_better=True,
    )
    callbacks = [EarlyStoppingCallback(early_stopping_patience=stop)]
    probe = None
    if guard is not None:
        probe = FirstStep(guard)
        callbacks = [guard, *callbacks, probe]
    # 2 steps per epoch: the patience spans whole epochs (LRG019 has nothing to say)
    trainer = make_trainer(args, callbacks=callbacks, n_train=8, compute_metrics=flat)
    trainer.train()
    evaluations = [e for e in trainer.state.log_history if "eval_score" in e]
    return trainer, evaluations, probe


def _outcome(trainer, evaluations):
    return (
        trainer.state.global_step,
        len(evaluations),
        logged_lrs(trainer),
        [float(g["lr"]) for g in trainer.optimizer.param_groups],
    )


SCHEDULES = ["reduce_lr_on_plateau", "greedy"]


def _skip_old(schedule: str) -> None:
    if schedule == "greedy" and MAJOR < 5:
        pytest.skip("greedy is a transformers 5.x schedule")


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("stop", [PATIENCE, PATIENCE + 1])
def test_stock_stops_before_any_step_at_a_reduced_rate(tmp_path, schedule, stop):
    _skip_old(schedule)
    trainer, evaluations, _ = run(tmp_path, stop, schedule=schedule)
    assert len(evaluations) == 1 + stop  # the first evaluation, then `stop` without improvement
    assert trainer.state.global_step == EVAL_STEPS * (1 + stop) < 60
    assert set(logged_lrs(trainer)) == {LR}  # every step trained at the starting rate
    final = trainer.optimizer.param_groups[0]["lr"]
    # at patience + 1 the scheduler lowers the rate in the evaluation that stops the run
    assert final == (LR * 0.5 if stop == PATIENCE + 1 else LR)


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("stop", [PATIENCE, PATIENCE + 1])
def test_guard_says_so_before_step_one_and_changes_nothing(tmp_path, schedule, stop):
    _skip_old(schedule)
    stock = _outcome(*run(tmp_path / "stock", stop, schedule=schedule)[:2])
    guard = LRGuardCallback()
    trainer, evaluations, probe = run(tmp_path / "guarded", stop, guard, schedule=schedule)
    assert _outcome(trainer, evaluations) == stock  # a warning: the run is the stock run
    assert probe.codes == ["LRG025"]
    (record,) = [r for r in guard_records(trainer) if r["rule"] == "LRG025"]
    assert record["severity"] == "warning" and record["action"] == "warned"
    message = record["message"]
    assert f"EarlyStoppingCallback(early_stopping_patience={stop})" in message
    assert f"{schedule} (lr_scheduler_kwargs.patience={PATIENCE})" in message
    assert f"first lowers the rate at the {PATIENCE + 1}rd" in message
    assert ("in the evaluation that stops the run" in message) == (stop == PATIENCE + 1)
    assert "early_stopping_patience>=4" in record["message"] + str(record.get("fix", ""))


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_correct_twin_trains_at_the_reduced_rate_and_is_identical(tmp_path, schedule):
    _skip_old(schedule)
    stop = PATIENCE + 2
    stock_trainer, stock_evals, _ = run(tmp_path / "stock", stop, schedule=schedule)
    assert LR * 0.5 in logged_lrs(stock_trainer)  # one evaluation interval at the lower rate
    guard = LRGuardCallback()
    trainer, evaluations, probe = run(tmp_path / "guarded", stop, guard, schedule=schedule)
    assert _outcome(trainer, evaluations) == _outcome(stock_trainer, stock_evals)
    assert probe.codes == [] and guard_records(trainer) == []


def test_added_late_still_finds_the_early_stopping_callback(tmp_path):
    args = make_args(
        tmp_path,
        max_steps=20,
        lr_scheduler_type="reduce_lr_on_plateau",
        lr_scheduler_kwargs={"patience": PATIENCE, "mode": "max"},
        eval_strategy="steps",
        eval_steps=2,
        metric_for_best_model="score",
    )
    trainer = make_trainer(
        args,
        callbacks=[EarlyStoppingCallback(early_stopping_patience=1)],
        n_train=8,
        compute_metrics=flat,
    )
    guard = LRGuardCallback()
    trainer.add_callback(guard)
    trainer.train()
    assert [r["rule"] for r in guard.records] == ["LRG025"]
