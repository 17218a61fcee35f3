"""on_violation error / warn / adjust and adjust_strategy on real Flair runs."""

from __future__ import annotations

import logging

import pytest

from flair_lrguard import LRGuardPlugin
from lrguard import GuardPolicy, LRGuardError
from tests.flair.conftest import FAST, Recorder


def test_error_mode_raises_before_any_epoch(trainer_factory, tmp_path):
    recorder = Recorder()
    with pytest.raises(LRGuardError) as err:
        trainer_factory().train(
            tmp_path,
            learning_rate=1e-5,
            patience=10,
            max_epochs=5,
            plugins=[LRGuardPlugin(on_violation="error"), recorder],
            **FAST,
        )
    message = str(err.value)
    assert "LRG001" in message
    assert "param group 0" in message
    assert "learning_rate=1e-05" in message
    assert "min_learning_rate=0.0001" in message
    assert "Fix: Set min_learning_rate<=1e-06 or learning_rate>=0.0001" in message
    assert recorder.epochs_trained == 0
    assert [f.code for f in err.value.findings] == ["LRG001"]


def test_warn_mode_keeps_values_and_does_not_cut_the_run(trainer_factory, tmp_path, caplog):
    recorder = Recorder()
    with caplog.at_level(logging.WARNING, logger="flair"):
        trainer_factory().train(
            tmp_path,
            learning_rate=1e-5,
            patience=10,
            max_epochs=4,
            plugins=[LRGuardPlugin(on_violation="warn"), recorder],
            **FAST,
        )
    assert recorder.epochs_trained == 4
    assert all(lrs == [1e-5] for lrs in recorder.lr_per_epoch)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("LRG001 [warned]" in w for w in warnings)


def test_raise_lr_strategy_raises_the_rate(trainer_factory, tmp_path):
    recorder = Recorder()
    plugin = LRGuardPlugin(policy=GuardPolicy(adjust_strategy="raise_lr"))
    trainer_factory().train(
        tmp_path, learning_rate=1e-5, max_epochs=2, plugins=[plugin, recorder], **FAST
    )
    assert recorder.lr_per_epoch[0] == [1e-3]  # min 1e-4 / min_lr_ratio 0.1
    adjusted = [d for d in plugin.decisions if d["action"] == "adjusted"]
    assert adjusted[0]["before"] == {"learning_rate": 1e-5}
    assert adjusted[0]["after"] == {"learning_rate": 1e-3}


def test_min_lr_ratio_sets_the_floor(trainer_factory, tmp_path):
    plugin = LRGuardPlugin(min_lr_ratio=0.01)
    trainer_factory().train(tmp_path, learning_rate=1e-5, max_epochs=1, plugins=[plugin], **FAST)
    assert plugin.floors == (1e-7,)


def test_policy_and_keywords_together_is_an_error():
    with pytest.raises(ValueError, match="not both"):
        LRGuardPlugin(policy=GuardPolicy(), on_violation="warn")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"on_violation": "explode"}, "on_violation"),
        ({"min_lr_ratio": 1.5}, "min_lr_ratio"),
        ({"adjust_strategy": "guess"}, "adjust_strategy"),
        ({"anneal_factor": 2.0}, "anneal_factor"),
        ({"patience": -1}, "patience"),
        ({"not_a_setting": 1}, "not_a_setting"),
    ],
)
def test_invalid_settings_are_rejected_at_construction(kwargs, field):
    with pytest.raises(ValueError, match=field):
        LRGuardPlugin(**kwargs)
