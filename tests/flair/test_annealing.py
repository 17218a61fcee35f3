"""Annealing identical to Flair's until the floor; the stop only when patience is exhausted."""

from __future__ import annotations

import pytest

from flair_lrguard import LRGuardPlugin
from lrguard import read_jsonl
from tests.flair.conftest import FAST, FlatMetricClassifier, Recorder


def test_trajectory_equals_stock_until_the_floor(trainer_factory, tmp_path):
    settings = {"learning_rate": 0.1, "min_learning_rate": 1e-4, "patience": 0, "max_epochs": 16}
    stock = Recorder()
    trainer_factory(FlatMetricClassifier).train(
        tmp_path / "stock", plugins=[stock], **settings, **FAST
    )
    guarded = Recorder()
    plugin = LRGuardPlugin()
    trainer_factory(FlatMetricClassifier).train(
        tmp_path / "guarded", plugins=[plugin, guarded], **settings, **FAST
    )
    # stock: 0.1 halved after every evaluation from epoch 2; 0.1 * 0.5**10 < 1e-4 after epoch 11
    assert stock.epochs_trained == 11
    assert guarded.lr_per_epoch[:11] == stock.lr_per_epoch
    assert stock.lr_per_epoch[-1] == [pytest.approx(0.1 * 0.5**9)]
    # guarded: clamped to the floor for epoch 12, then patience (0) exhausted at the floor
    assert guarded.lr_per_epoch[11] == [1e-4]
    assert guarded.epochs_trained == 12
    assert plugin.stop_reason is not None and "after epoch 12" in plugin.stop_reason
    # the pre-flight's anneal budget described this run, not stock Flair's (epoch 11)
    budget = next(
        r for r in read_jsonl(tmp_path / "guarded" / "lrguard.jsonl") if r["rule"] == "LRG007"
    )
    assert "training can stop after epoch 12 of 16" in budget["message"]


def test_valid_config_with_patience_matches_stock(trainer_factory, tmp_path):
    settings = {"learning_rate": 0.1, "patience": 1, "anneal_factor": 0.3, "max_epochs": 8}
    runs = []
    for name, plugins in (("stock", []), ("guarded", [LRGuardPlugin()])):
        recorder = Recorder()
        trainer_factory().train(tmp_path / name, plugins=[*plugins, recorder], **settings, **FAST)
        runs.append(recorder.lr_per_epoch)
    assert runs[0] == runs[1]
    assert len(runs[0]) == 8


@pytest.mark.parametrize(("patience", "extra"), [(2, 0), (1, 2)])
def test_stop_exactly_when_patience_is_exhausted_at_the_floor(
    trainer_factory, tmp_path, patience, extra
):
    recorder = Recorder()
    plugin = LRGuardPlugin()
    trainer_factory(FlatMetricClassifier).train(
        tmp_path,
        learning_rate=0.1,
        min_learning_rate=0.025,  # two anneals: 0.1 -> 0.05 -> 0.025
        patience=patience,
        initial_extra_patience=extra,
        max_epochs=40,
        plugins=[plugin, recorder],
        **FAST,
    )
    first = 1 + patience + extra + 1  # epoch 1 sets the best; then patience+extra+1 bad ones
    second = first + patience + 1
    stop = second + patience + 1
    lrs = [lr[0] for lr in recorder.lr_per_epoch]
    assert lrs[first - 1] == 0.1 and lrs[first] == 0.05
    assert lrs[second - 1] == 0.05 and lrs[second] == 0.025
    assert recorder.epochs_trained == stop
    assert (tmp_path / "best-model.pt").exists()
    records = read_jsonl(tmp_path / "lrguard.jsonl")
    assert [r["epoch"] for r in records if r["action"] == "annealed"] == [first, second]
    stopped = [r for r in records if r["action"] == "stopped"]
    assert len(stopped) == 1 and stopped[0]["epoch"] == stop and stopped[0]["rule"] == "LRG010"
    assert f"after epoch {stop}" in stopped[0]["message"]
    assert f"patience={patience}" in stopped[0]["message"]
    assert "0.025" in stopped[0]["message"]
    assert f"lrguard LRG010 [stopped at epoch {stop}] stopping after epoch {stop}:" in (
        (tmp_path / "training.log").read_text()
    )


def test_no_dev_split_anneals_in_flairs_own_mode(trainer_factory, tmp_path):
    """Without a dev split Flair's AnnealingPlugin maximizes the training loss (its mode
    follows train_with_dev alone): a falling loss counts as a plateau. Taking over, the guard
    anneals in the same mode, so the run has stock Flair's rates."""
    stock = Recorder()
    trainer_factory(with_dev=False).train(
        tmp_path / "stock", learning_rate=0.1, patience=0, max_epochs=6, plugins=[stock], **FAST
    )
    assert [lr[0] for lr in stock.lr_per_epoch][:3] == [0.1, 0.1, 0.05]
    plugin = LRGuardPlugin()
    recorder = Recorder()
    trainer_factory(with_dev=False).train(
        tmp_path / "guarded",
        learning_rate=0.1,
        patience=0,
        max_epochs=6,
        plugins=[plugin, recorder],
        **FAST,
    )
    assert plugin.preflight is not None
    assert plugin.preflight.plan.annealing.mode == "max"
    assert recorder.lr_per_epoch == stock.lr_per_epoch


def test_no_dev_split_with_own_annealing_minimizes_the_training_loss(trainer_factory, tmp_path):
    """Annealing of the guard's own (train_custom, settings given) has no stock mode to keep:
    it minimizes the training loss, so a falling loss is no plateau."""
    plugin = LRGuardPlugin(patience=0)
    recorder = Recorder()
    trainer_factory(with_dev=False).train_custom(
        tmp_path, learning_rate=0.1, max_epochs=4, plugins=[plugin, recorder], **FAST
    )
    assert plugin.preflight is not None
    assert plugin.preflight.plan.annealing.mode == "min"
    # the training loss falls each epoch on this easy task: no plateau, so no anneal
    assert [lr[0] for lr in recorder.lr_per_epoch] == [0.1] * 4


def test_anneal_with_restarts_and_a_str_base_path(trainer_factory, tmp_path):
    recorder = Recorder()
    trainer_factory(FlatMetricClassifier).train(
        str(tmp_path),
        learning_rate=0.1,
        min_learning_rate=0.05,
        patience=0,
        anneal_with_restarts=True,
        max_epochs=5,
        plugins=[LRGuardPlugin(), recorder],
        **FAST,
    )
    assert [lr[0] for lr in recorder.lr_per_epoch] == [0.1, 0.1, 0.05]
    assert "resetting to best model" in (tmp_path / "training.log").read_text()


class FlatLossClassifier(FlatMetricClassifier):
    """A real TextClassifier whose training loss is the same number every epoch."""

    def forward_loss(self, sentences):
        loss, count = super().forward_loss(sentences)
        return loss * 0.0 + float(count), count  # 1.0 per sample, still a graph for backward


def test_no_dev_split_flat_training_loss_anneals_like_stock(trainer_factory, tmp_path):
    """Without a dev split the metric is the training loss: a flat one is a plateau for the
    guard exactly as for stock Flair."""
    settings = {"learning_rate": 0.1, "patience": 0, "max_epochs": 4, **FAST}
    stock = Recorder()
    trainer_factory(FlatLossClassifier, with_dev=False).train(
        tmp_path / "stock", plugins=[stock], **settings
    )
    guarded = Recorder()
    plugin = LRGuardPlugin()
    trainer_factory(FlatLossClassifier, with_dev=False).train(
        tmp_path / "guarded", plugins=[plugin, guarded], **settings
    )
    assert plugin.plan.annealing.mode == "max"
    expected = [[0.1], [0.1], [0.05], [0.025]]  # epoch 1 sets the best, then every one is bad
    assert stock.lr_per_epoch == expected and guarded.lr_per_epoch == expected
