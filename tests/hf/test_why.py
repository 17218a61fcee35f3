"""Each problem of the issue: stock Trainer behaviour, then guarded in warn / adjust / error."""

from __future__ import annotations

import pytest

from hf_lrguard import LRGuardCallback
from lrguard import LRGuardError
from tests.hf.conftest import MAJOR, logged_lrs, make_args, make_trainer

pytestmark = pytest.mark.hf
MODES = ("warn", "adjust", "error")


def guarded(args, mode, late=False, **kw):
    guard = LRGuardCallback(on_violation=mode)
    if late:
        trainer = make_trainer(args, **kw)
        trainer.add_callback(guard)
    else:
        trainer = make_trainer(args, callbacks=[guard], **kw)
    return trainer, guard


def rules(guard):
    return {(r["rule"], r["action"]) for r in guard.records}


# -- min_lr above learning_rate: the rate rises all run ---------------------------------
MIN_ABOVE = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr": 1e-4}}


def test_min_above_peak_stock_rises(tmp_path):
    trainer = make_trainer(make_args(tmp_path, **MIN_ABOVE))
    trainer.train()
    assert logged_lrs(trainer)[-1] > 9e-5  # ends near 1e-4, ten times the peak 1e-5


@pytest.mark.parametrize("late", [False, True], ids=["callbacks", "add_callback"])
def test_min_above_peak_adjust_every_lr_below_peak(tmp_path, late):
    trainer, guard = guarded(make_args(tmp_path, **MIN_ABOVE), "adjust", late)
    trainer.train()
    lrs = logged_lrs(trainer)
    assert len(lrs) == 40 and max(lrs) <= 1e-5
    assert lrs[-1] < 2e-6  # decays towards the adjusted floor 1e-6
    assert ("LRG002", "adjusted") in rules(guard)
    assert trainer.args.lr_scheduler_kwargs == {"min_lr": 1e-6}


def test_min_above_peak_warn_keeps_values(tmp_path, caplog):
    trainer, guard = guarded(make_args(tmp_path, **MIN_ABOVE), "warn")
    trainer.train()
    assert logged_lrs(trainer)[-1] > 9e-5
    assert ("LRG002", "warned") in rules(guard)
    assert "LRG002" in caplog.text and "10x the peak" in caplog.text


def test_min_above_peak_error_raises_before_any_step(tmp_path):
    with pytest.raises(LRGuardError) as err:
        guarded(make_args(tmp_path, **MIN_ABOVE), "error")
    assert "lr_scheduler_kwargs.min_lr=0.0001" in str(err.value)
    assert "Fix: Set min_lr<=1e-06" in str(err.value)


def test_error_mode_late_raises_before_optimizer_step(tmp_path):
    trainer, _ = guarded(make_args(tmp_path, **MIN_ABOVE), "error", late=True)
    with pytest.raises(LRGuardError, match="LRG002"):
        trainer.train()
    assert trainer.state.global_step == 0
    assert not logged_lrs(trainer)


# -- cosine_with_min_lr without min_lr / min_lr_rate -------------------------------------
NO_MIN = {"lr_scheduler_type": "cosine_with_min_lr"}


def test_missing_min_stock_fails_at_train_time(tmp_path):
    trainer = make_trainer(make_args(tmp_path, **NO_MIN))  # construction succeeds
    with pytest.raises(ValueError, match="One of min_lr or min_lr_rate"):
        trainer.train()


@pytest.mark.parametrize("mode", MODES)
def test_missing_min_guarded(tmp_path, mode):
    if mode == "error":
        with pytest.raises(LRGuardError, match="LRG005 .*neither min_lr nor min_lr_rate"):
            guarded(make_args(tmp_path, **NO_MIN), mode)
        return
    trainer, guard = guarded(make_args(tmp_path, **NO_MIN), mode)
    if mode == "warn":  # values kept: transformers fails as stock, after the warning
        assert ("LRG005", "warned") in rules(guard)
        with pytest.raises(ValueError):
            trainer.train()
        return
    trainer.train()
    assert trainer.args.lr_scheduler_kwargs == {"min_lr_rate": 0.1}
    assert logged_lrs(trainer)[-1] == pytest.approx(1e-6, rel=0.05)


# -- a kwarg the schedule does not take ---------------------------------------------------
UNKNOWN = {"lr_scheduler_type": "cosine", "lr_scheduler_kwargs": {"min_lr": 1e-6}}


def test_unknown_kwarg_stock_type_error_at_train_time(tmp_path):
    trainer = make_trainer(make_args(tmp_path, **UNKNOWN))
    with pytest.raises(TypeError, match="min_lr"):
        trainer.train()


@pytest.mark.parametrize("mode", MODES)
def test_unknown_kwarg_refused_in_every_mode(tmp_path, mode):
    with pytest.raises(LRGuardError) as err:
        guarded(make_args(tmp_path, **UNKNOWN), mode)
    text = str(err.value)
    assert "lr_scheduler_kwargs.min_lr=1e-06 is not a parameter" in text
    assert "cosine_with_min_lr" in text  # the fix names a schedule that takes it


# -- kwargs silently ignored ---------------------------------------------------------------
IGNORED = {"lr_scheduler_type": "constant_with_warmup", "lr_scheduler_kwargs": {"min_lr": 1e-6}}


def test_ignored_kwargs_stock_silently_dropped(tmp_path):
    trainer = make_trainer(make_args(tmp_path, **IGNORED))
    trainer.train()
    assert min(logged_lrs(trainer)[1:]) == pytest.approx(1e-5)  # no floor, no decay


@pytest.mark.parametrize("mode", MODES)
def test_ignored_kwargs_guarded(tmp_path, mode):
    if mode == "error":
        with pytest.raises(LRGuardError, match="LRG021"):
            guarded(make_args(tmp_path, **IGNORED), mode)
        return
    trainer, guard = guarded(make_args(tmp_path, **IGNORED), mode)
    trainer.train()
    expected = {"warn": {"min_lr": 1e-6}, "adjust": {}}[mode]
    assert trainer.args.lr_scheduler_kwargs == expected
    assert ("LRG021", "warned" if mode == "warn" else "adjusted") in rules(guard)


@pytest.mark.skipif(MAJOR >= 5, reason="transformers 5.x passes inverse_sqrt its kwargs")
def test_inverse_sqrt_v4_ignores_timescale(tmp_path):
    args = make_args(
        tmp_path, lr_scheduler_type="inverse_sqrt", lr_scheduler_kwargs={"timescale": 1}
    )
    trainer, guard = guarded(args, "warn")
    trainer.train()
    assert ("LRG021", "warned") in rules(guard)
    assert logged_lrs(trainer)[-1] > 9e-6  # timescale=1 would decay to ~1.6e-6


@pytest.mark.skipif(MAJOR < 5, reason="transformers 4.x ignores inverse_sqrt kwargs")
def test_inverse_sqrt_v5_uses_timescale(tmp_path):
    args = make_args(
        tmp_path, lr_scheduler_type="inverse_sqrt", lr_scheduler_kwargs={"timescale": 1}
    )
    trainer, guard = guarded(args, "warn")
    trainer.train()
    assert not guard.records
    assert logged_lrs(trainer)[-1] < 5e-6


# -- numbers written as strings ------------------------------------------------------------
STRINGS = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr": "1e-6"}}


def test_string_kwarg_stock_type_error(tmp_path):
    trainer = make_trainer(make_args(tmp_path, **STRINGS))
    with pytest.raises(TypeError):
        trainer.train()


def test_json_string_kwargs_keep_yaml_strings(tmp_path):
    args = make_args(
        tmp_path,
        lr_scheduler_type="cosine_with_min_lr",
        lr_scheduler_kwargs='{"min_lr": "1e-6"}',
    )
    assert args.lr_scheduler_kwargs == {"min_lr": "1e-6"}  # transformers keeps the string
    trainer, guard = guarded(args, "adjust")
    trainer.train()
    assert args.lr_scheduler_kwargs == {"min_lr": 1e-6}


@pytest.mark.parametrize("mode", MODES)
def test_string_kwarg_guarded(tmp_path, mode):
    if mode == "error":
        with pytest.raises(LRGuardError, match="LRG004 lr_scheduler_kwargs.min_lr='1e-6'"):
            guarded(make_args(tmp_path, **STRINGS), mode)
        return
    trainer, guard = guarded(make_args(tmp_path, **STRINGS), mode)
    trainer.train()  # coerced in warn mode too: the string cannot be used as given
    assert trainer.args.lr_scheduler_kwargs == {"min_lr": 1e-6}
    assert ("LRG004", "adjusted") in rules(guard)
    assert logged_lrs(trainer)[-1] == pytest.approx(1e-6, rel=0.05)


# -- warmup longer than the run --------------------------------------------------------------
WARMUP = {"warmup_steps": 100}


def test_warmup_stock_never_peaks(tmp_path):
    trainer = make_trainer(make_args(tmp_path, **WARMUP))
    trainer.train()
    assert max(logged_lrs(trainer)) < 0.5e-5


@pytest.mark.parametrize("mode", MODES)
def test_warmup_guarded(tmp_path, mode):
    if mode == "error":
        with pytest.raises(LRGuardError, match="LRG006 warmup_steps=100 >= the run's 40"):
            guarded(make_args(tmp_path, **WARMUP), mode)
        return
    trainer, guard = guarded(make_args(tmp_path, **WARMUP), mode)
    trainer.train()
    peak = max(logged_lrs(trainer))
    if mode == "warn":
        assert peak < 0.5e-5 and ("LRG006", "warned") in rules(guard)
    else:
        assert peak == pytest.approx(1e-5) and trainer.args.warmup_steps == 4


def test_warmup_known_only_at_train_begin_fixed_live(tmp_path):
    """No max_steps: the step count exists only in on_train_begin; the fix still applies."""
    args = make_args(tmp_path, max_steps=-1, num_train_epochs=2, warmup_steps=100)
    trainer, guard = guarded(args, "adjust", late=True)
    trainer.train()
    lrs = logged_lrs(trainer)
    assert len(lrs) == 32
    assert max(lrs) == pytest.approx(1e-5) and lrs[0] < 1e-5
    assert ("LRG006", "adjusted") in rules(guard)


WSD = {"lr_scheduler_type": "warmup_stable_decay", "lr_scheduler_kwargs": {"num_decay_steps": 100}}


def test_wsd_decay_longer_than_run_stock_never_peaks(tmp_path):
    trainer = make_trainer(make_args(tmp_path, **WSD))
    trainer.train()
    assert max(logged_lrs(trainer)) < 1e-5


@pytest.mark.parametrize("mode", MODES)
def test_wsd_guarded(tmp_path, mode):
    if mode == "error":
        with pytest.raises(LRGuardError, match="LRG018"):
            guarded(make_args(tmp_path, **WSD), mode)
        return
    trainer, guard = guarded(make_args(tmp_path, **WSD), mode)
    trainer.train()
    peak = max(logged_lrs(trainer))
    assert (peak < 1e-5) if mode == "warn" else (peak == pytest.approx(1e-5))


# -- polynomial lr_end >= learning_rate ------------------------------------------------------
POLY = {"lr_scheduler_type": "polynomial", "lr_scheduler_kwargs": {"lr_end": 1e-4}}


def test_polynomial_stock_value_error(tmp_path):
    trainer = make_trainer(make_args(tmp_path, **POLY))
    with pytest.raises(ValueError, match="lr_end"):
        trainer.train()


@pytest.mark.parametrize("mode", MODES)
def test_polynomial_guarded(tmp_path, mode):
    if mode == "error":
        with pytest.raises(LRGuardError, match="LRG011"):
            guarded(make_args(tmp_path, **POLY), mode)
        return
    trainer, guard = guarded(make_args(tmp_path, **POLY), mode)
    if mode == "warn":
        with pytest.raises(ValueError, match="lr_end"):
            trainer.train()
        assert ("LRG011", "warned") in rules(guard)
        return
    trainer.train()
    assert trainer.args.lr_scheduler_kwargs == {"lr_end": 1e-6}
    assert max(logged_lrs(trainer)) <= 1e-5


# -- EarlyStoppingCallback -----------------------------------------------------------------
def _flat_metric(pred):
    return {"score": 0.5}


def _early_args(tmp_path, **kw):
    return make_args(
        tmp_path,
        eval_strategy="steps",
        eval_steps=1,
        metric_for_best_model="score",
        **kw,
    )


def test_early_stopping_stock_stops_at_step_2(tmp_path):
    from transformers import EarlyStoppingCallback

    trainer = make_trainer(
        _early_args(tmp_path),
        callbacks=[EarlyStoppingCallback(early_stopping_patience=1)],
        compute_metrics=_flat_metric,
    )
    trainer.train()
    assert trainer.state.global_step == 2


@pytest.mark.parametrize("mode", MODES)
def test_early_stopping_patience_warned(tmp_path, mode, caplog):
    from transformers import EarlyStoppingCallback

    guard = LRGuardCallback(on_violation=mode)
    trainer = make_trainer(
        _early_args(tmp_path),
        callbacks=[EarlyStoppingCallback(early_stopping_patience=1), guard],
        compute_metrics=_flat_metric,
    )
    trainer.train()  # no safe fix: the guard cannot change another callback's patience
    assert ("LRG019", "warned") in rules(guard)
    assert "training can stop at step 2 of 40" in caplog.text
    record = next(r for r in guard.records if r["rule"] == "LRG019")
    assert record["fix"].startswith("Set early_stopping_patience>=4")


def test_early_stopping_prerequisites_stock_bare_assert(tmp_path):
    from transformers import EarlyStoppingCallback

    trainer = make_trainer(make_args(tmp_path), callbacks=[EarlyStoppingCallback(2)])
    with pytest.raises(AssertionError):
        trainer.train()


@pytest.mark.parametrize("mode", MODES)
def test_early_stopping_prerequisites_refused(tmp_path, mode):
    from transformers import EarlyStoppingCallback

    with pytest.raises(LRGuardError) as err:
        make_trainer(
            make_args(tmp_path),
            callbacks=[EarlyStoppingCallback(2), LRGuardCallback(on_violation=mode)],
        )
    assert "LRG020" in str(err.value) and "metric_for_best_model" in str(err.value)
