"""Two param groups, per-group minimums, and learning rates that are not usable numbers."""

from __future__ import annotations

import math

import pytest

from flair_lrguard import LRGuardPlugin
from lrguard import LRGuardError, read_jsonl
from tests.flair.conftest import FAST, Recorder


def test_decoder_learning_rate_gives_two_checked_groups(trainer_factory, tmp_path):
    plugin = LRGuardPlugin()
    recorder = Recorder()
    trainer_factory().train(
        tmp_path,
        learning_rate=1e-5,
        decoder_learning_rate=1e-3,
        max_epochs=3,
        plugins=[plugin, recorder],
        **FAST,
    )
    assert recorder.epochs_trained == 3
    # group 0 = decoder (1e-3 >= 1e-4: fine), group 1 = embeddings (1e-5 < 1e-4: adjusted)
    assert plugin.floors == (1e-4, 1e-6)
    adjusted = [d for d in plugin.decisions if d["action"] == "adjusted"]
    assert len(adjusted) == 1
    assert adjusted[0]["location"] == "param group 1 (embeddings)"


def test_stock_flair_crashes_on_a_list_min_learning_rate(trainer_factory, tmp_path):
    with pytest.raises(TypeError, match="not supported between"):
        trainer_factory().train(
            tmp_path, learning_rate=0.1, min_learning_rate=[1e-4], max_epochs=3, **FAST
        )


def test_list_min_learning_rate_per_group(trainer_factory, tmp_path):
    plugin = LRGuardPlugin()
    recorder = Recorder()
    trainer_factory().train(
        tmp_path,
        learning_rate=1e-5,
        decoder_learning_rate=1e-3,
        min_learning_rate=[1e-5, 1e-7],
        max_epochs=3,
        plugins=[plugin, recorder],
        **FAST,
    )
    assert recorder.epochs_trained == 3
    assert plugin.floors == (1e-5, 1e-7)
    assert not [d for d in plugin.decisions if d["action"] == "adjusted"]


def test_wrong_length_min_list_is_a_clear_error(trainer_factory, tmp_path):
    recorder = Recorder()
    with pytest.raises(
        LRGuardError, match=r"LRG008 min_learning_rate=\[1e-05, 1e-06, 1e-07\] has 3"
    ):
        trainer_factory().train(
            tmp_path,
            learning_rate=1e-3,
            min_learning_rate=[1e-5, 1e-6, 1e-7],
            plugins=[LRGuardPlugin(), recorder],
            **FAST,
        )
    assert recorder.epochs_trained == 0


@pytest.mark.parametrize(
    ("lr", "expected"),
    [
        (math.nan, "learning_rate=nan (param group 0) is NaN"),
        (-1e-5, "learning_rate=-1e-05 (param group 0) is negative"),
        (0.0, "learning_rate=0 (param group 0) is zero"),
        (math.inf, "learning_rate=inf (param group 0) is infinite"),
        ("fast", "learning_rate='fast' (param group 0) is not a number"),
        ("1e-5", "learning_rate='1e-5' (param group 0) is a string"),
    ],
)
@pytest.mark.parametrize("mode", ["adjust", "warn", "error"])
def test_unusable_learning_rates_are_refused_before_anything(
    trainer_factory, tmp_path, lr, expected, mode
):
    recorder = Recorder()
    with pytest.raises(LRGuardError) as err:
        trainer_factory().train(
            tmp_path, learning_rate=lr, plugins=[LRGuardPlugin(on_violation=mode), recorder], **FAST
        )
    assert expected in str(err.value)
    assert "Fix:" in str(err.value)
    assert recorder.epochs_trained == 0
    assert not (tmp_path / "training.log").exists()
    refused = read_jsonl(tmp_path / "lrguard.jsonl")  # only the refusal is written
    assert refused and {r["action"] for r in refused} == {"raised"}


def test_negative_min_learning_rate_is_refused(trainer_factory, tmp_path):
    with pytest.raises(
        LRGuardError, match=r"min_learning_rate=-0.0001 \(param group 0\) is negative"
    ):
        trainer_factory().train(
            tmp_path, min_learning_rate=-1e-4, plugins=[LRGuardPlugin()], **FAST
        )


def test_zero_min_learning_rate_means_no_floor(trainer_factory, tmp_path):
    plugin = LRGuardPlugin()
    trainer_factory().train(
        tmp_path, learning_rate=0.01, min_learning_rate=0, max_epochs=2, plugins=[plugin], **FAST
    )
    assert plugin.floors == (0.0,)
    assert not [d for d in plugin.decisions if d["severity"] != "info"]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [({"anneal_factor": 2.0}, "anneal_factor=2"), ({"patience": "3"}, "patience='3'")],
)
def test_unusable_annealing_settings_are_refused(trainer_factory, tmp_path, kwargs, expected):
    recorder = Recorder()
    with pytest.raises(LRGuardError, match=f"LRG050 {expected} cannot be used"):
        trainer_factory().train(tmp_path, plugins=[LRGuardPlugin(), recorder], **kwargs, **FAST)
    assert recorder.epochs_trained == 0
