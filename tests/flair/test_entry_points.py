"""train(attach_default_scheduler=False), train_custom, fine_tune, re-use, check_train_args."""

from __future__ import annotations

import pytest

from flair_lrguard import LRGuardPlugin, check_train_args
from lrguard import read_jsonl
from tests.flair.conftest import FAST, FlatMetricClassifier, Recorder


def test_without_default_scheduler_uses_own_settings(trainer_factory, tmp_path):
    recorder = Recorder()
    plugin = LRGuardPlugin(min_learning_rate=0.05, patience=0)
    trainer_factory(FlatMetricClassifier).train(
        tmp_path,
        learning_rate=0.1,
        attach_default_scheduler=False,
        max_epochs=6,
        plugins=[plugin, recorder],
        **FAST,
    )
    assert plugin.call is not None and plugin.call.entry == "train_custom"
    assert [lr[0] for lr in recorder.lr_per_epoch] == [0.1, 0.1, 0.05]


def test_train_custom_validates_without_annealing(trainer_factory, tmp_path):
    """Stock train_custom keeps the rate constant: unasked, the guard does not anneal there
    (nor stop the run); it checks the rate against Flair's default floor all the same."""
    plugin = LRGuardPlugin()
    recorder = Recorder()
    trainer_factory(FlatMetricClassifier).train_custom(
        tmp_path, learning_rate=0.1, max_epochs=6, plugins=[plugin, recorder], **FAST
    )
    assert recorder.epochs_trained == 6
    assert [lr[0] for lr in recorder.lr_per_epoch] == [0.1] * 6
    assert plugin.preflight.plan.annealing is None
    assert plugin.state is None


def test_train_custom_with_settings_anneals_with_flairs_defaults(trainer_factory, tmp_path):
    plugin = LRGuardPlugin(min_learning_rate=1e-4)
    recorder = Recorder()
    trainer_factory().train_custom(
        tmp_path, learning_rate=1e-5, max_epochs=3, plugins=[plugin, recorder], **FAST
    )
    assert recorder.epochs_trained == 3
    settings = plugin.preflight.plan.annealing
    assert (settings.factor, settings.patience) == (0.5, 3)
    assert plugin.floors == (1e-6,)  # the minimum 1e-4, adjusted


def test_fine_tune_validates_and_logs_only(trainer_factory, tmp_path):
    plugin = LRGuardPlugin()
    recorder = Recorder()
    trainer_factory().fine_tune(
        tmp_path, learning_rate=5e-5, max_epochs=2, plugins=[plugin, recorder], **FAST
    )
    assert recorder.epochs_trained == 2
    assert plugin.call.entry == "fine_tune"
    assert plugin.preflight.plan.annealing is None
    assert plugin.state is None  # no plateau annealing on top of the linear schedule
    assert plugin.decisions == []  # a valid fine_tune: nothing to decide, no file written
    assert not (tmp_path / "lrguard.jsonl").exists()


def test_fine_tune_refuses_a_nan_rate(trainer_factory, tmp_path):
    from lrguard import LRGuardError

    with pytest.raises(LRGuardError, match="is NaN"):
        trainer_factory().fine_tune(
            tmp_path, learning_rate=float("nan"), plugins=[LRGuardPlugin()], **FAST
        )
    records = read_jsonl(tmp_path / "lrguard.jsonl")  # the refusal is on record
    assert [(r["rule"], r["action"]) for r in records] == [("LRG003", "raised")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lrguard.jsonl"]  # nothing else


def test_two_guards_in_one_call_are_refused(trainer_factory, tmp_path):
    from lrguard import LRGuardError

    with pytest.raises(LRGuardError, match="2 LRGuardPlugin instances"):
        trainer_factory().train(
            tmp_path, learning_rate=1e-5, plugins=[LRGuardPlugin(), LRGuardPlugin()], **FAST
        )
    assert not (tmp_path / "best-model.pt").exists()


def test_same_plugin_instance_for_a_second_train_call(trainer_factory, tmp_path):
    plugin = LRGuardPlugin()
    trainer = trainer_factory()
    for run in ("first", "second"):
        recorder = Recorder()
        trainer.train(
            tmp_path / run,
            learning_rate=1e-5,
            max_epochs=2,
            plugins=[plugin, recorder],
            **FAST,
        )
        assert recorder.epochs_trained == 2
        assert (tmp_path / run / "lrguard.jsonl").exists()
    assert len([d for d in plugin.decisions if d["rule"] == "LRG001"]) == 1  # fresh per run


def test_same_plugins_list_for_a_second_train_call(trainer_factory, tmp_path):
    plugins = [LRGuardPlugin()]  # Flair appends its AnnealingPlugin to this very list
    trainer = trainer_factory()
    trainer.train(tmp_path / "a", learning_rate=1e-5, max_epochs=2, plugins=plugins, **FAST)
    recorder = Recorder()
    plugins.append(recorder)
    trainer.train(tmp_path / "b", learning_rate=1e-5, max_epochs=2, plugins=plugins, **FAST)
    assert recorder.epochs_trained == 2


def test_check_train_args_without_training():
    findings = check_train_args(learning_rate=1e-5, patience=10)
    assert [f.code for f in findings] == ["LRG001"]
    assert "Flair stops after epoch 1" in findings[0].message
    assert check_train_args(learning_rate=0.1)[0].code == "LRG007"  # info: anneal budget
    assert [f.code for f in check_train_args(learning_rate="1e-5")] == ["LRG001", "LRG004"]
    assert [f.code for f in check_train_args("fine_tune", learning_rate=1e-5)] == []
    # without Flair's AnnealOnPlateau nothing stops at a floor: 1e-5 is no LRG001 there
    assert "LRG001" not in {f.code for f in check_train_args("train_custom", learning_rate=1e-5)}
    no_default = check_train_args(learning_rate=1e-5, attach_default_scheduler=False)
    assert "LRG001" not in {f.code for f in no_default}
    nan = check_train_args("train_custom", learning_rate=float("nan"))
    assert [f.code for f in nan] == ["LRG003"]  # the rates themselves are still checked
    codes = {f.code for f in check_train_args(learning_rate=0.1, min_learning_rate=[1e-4, 1e-5])}
    assert codes == {"LRG008"}


def test_attached_by_hand_outside_train_checks_at_setup(trainer_factory, tmp_path):
    trainer = trainer_factory(FlatMetricClassifier)
    plugin = LRGuardPlugin()
    plugin.attach_to(trainer)  # no train_custom on the stack: the check runs in after_setup
    assert plugin.preflight is None
    recorder = Recorder()
    trainer.train(
        tmp_path,
        learning_rate=1e-5,
        patience=0,
        max_epochs=6,
        plugins=[recorder],
        **FAST,
    )
    assert plugin.preflight is not None and plugin.floors == (1e-6,)
    # stock Flair would have stopped after epoch 1; the guard anneals 1e-5 -> 5e-6 -> ... 1e-6
    lrs = [lr[0] for lr in recorder.lr_per_epoch]
    assert recorder.epochs_trained > 1
    assert lrs[:3] == [1e-5, 1e-5, 5e-6]
