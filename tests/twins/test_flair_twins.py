"""Stock-vs-guarded twins over Flair's training features (see ``flair_twin`` for what is
compared and what is normalized).

Correct scenarios (stock Flair would not stop early: every rate stays at or above its floor)
must give identical twins and no decision above ``info``. Where the guard acts, the twins
differ in exactly what the guard's decision says.
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("flair")

import flair  # noqa: E402
from flair.data import Corpus, MultiCorpus  # noqa: E402
from flair.models import MultitaskModel, TextClassifier  # noqa: E402
from flair.trainers import ModelTrainer  # noqa: E402
from flair.trainers.plugins import AnnealingPlugin, CheckpointPlugin, TrainerPlugin  # noqa: E402
from torch.optim import Adam, lr_scheduler  # noqa: E402

from tests.flair.conftest import (  # noqa: E402
    FlatMetricClassifier,
    make_classifier,
    make_corpus,
    make_tag_corpus,
    make_tagger,
)
from tests.twins.flair_twin import Scenario, Stage, Twins, guard_records, run_twins  # noqa: E402

SMALL = {"mini_batch_size": 8}


def classifier(cls: type[TextClassifier] = TextClassifier, with_dev: bool = True) -> ModelTrainer:
    corpus = make_corpus(with_dev=with_dev)
    return ModelTrainer(make_classifier(corpus, cls), corpus)


def flat_classifier() -> ModelTrainer:
    return classifier(FlatMetricClassifier)


def tagger() -> ModelTrainer:
    corpus = make_tag_corpus()
    return ModelTrainer(make_tagger(corpus), corpus)


def multitask() -> ModelTrainer:
    class_corpus, tag_corpus = make_corpus(), make_tag_corpus()
    models = [make_classifier(class_corpus), make_tagger(tag_corpus)]
    flair.set_seed(0)
    model = MultitaskModel(models, task_ids=["topic_class", "topic_tags"])
    corpus: Corpus = MultiCorpus([class_corpus, tag_corpus], task_ids=["topic_class", "topic_tags"])
    return ModelTrainer(model, corpus)


class ExponentialPerEpoch(TrainerPlugin):
    """A user's plugin that builds and steps a scheduler of its own, once per epoch."""

    @TrainerPlugin.hook
    def after_setup(self, **kw: Any) -> None:
        self.scheduler = lr_scheduler.ExponentialLR(self.trainer.optimizer, gamma=0.7)

    @TrainerPlugin.hook
    def after_training_epoch(self, **kw: Any) -> None:
        self.scheduler.step()


class OneCyclePerBatch(TrainerPlugin):
    """A user's plugin stepping ``OneCycleLR`` once per optimizer step, sized for the run."""

    def __init__(self, total_steps: int) -> None:
        super().__init__()
        self.total_steps = total_steps

    @TrainerPlugin.hook
    def after_setup(self, **kw: Any) -> None:
        self.scheduler = lr_scheduler.OneCycleLR(
            self.trainer.optimizer, max_lr=0.2, total_steps=self.total_steps
        )

    @TrainerPlugin.hook
    def after_training_batch(self, optimizer_was_run: bool = True, **kw: Any) -> None:
        if optimizer_was_run:
            self.scheduler.step()


def _train(**kwargs: Any) -> Stage:
    return Stage("train", {**SMALL, **kwargs})


CORRECT = [
    Scenario("train/classifier", classifier, (_train(learning_rate=0.1, max_epochs=3),)),
    Scenario("train/tagger", tagger, (_train(learning_rate=0.1, max_epochs=3),)),
    Scenario(
        "fine_tune/classifier",
        classifier,
        (Stage("fine_tune", {**SMALL, "learning_rate": 5e-3, "max_epochs": 3}),),
    ),
    Scenario(
        "train_custom/classifier",
        flat_classifier,
        (Stage("train_custom", {**SMALL, "learning_rate": 0.1, "max_epochs": 6}),),
    ),
    Scenario(
        "train/no-default-scheduler",
        flat_classifier,
        (_train(learning_rate=0.1, max_epochs=6, attach_default_scheduler=False),),
    ),
    Scenario(
        "train/no-dev-split",
        lambda: classifier(with_dev=False),
        (_train(learning_rate=0.1, max_epochs=3),),
    ),
    Scenario(
        "train/train_with_dev",
        classifier,
        (_train(learning_rate=0.1, max_epochs=3, train_with_dev=True),),
    ),
    Scenario(
        "train/anneal_with_restarts",
        flat_classifier,
        (
            _train(
                learning_rate=0.1,
                max_epochs=5,
                patience=0,
                min_learning_rate=0.001,
                anneal_with_restarts=True,
            ),
        ),
    ),
    Scenario(
        "train/patience=1,initial_extra_patience=1",
        flat_classifier,
        (
            _train(
                learning_rate=0.1,
                max_epochs=7,
                patience=1,
                initial_extra_patience=1,
                anneal_factor=0.3,
                min_learning_rate=0.001,
            ),
        ),
    ),
    Scenario(
        "train/patience=0,no-dev",
        lambda: classifier(FlatMetricClassifier, with_dev=False),
        (_train(learning_rate=0.1, max_epochs=5, patience=0, min_learning_rate=0.005),),
    ),
    Scenario(
        "train/mini_batch_chunk_size",
        classifier,
        (_train(learning_rate=0.1, max_epochs=2, mini_batch_chunk_size=3),),
    ),
    Scenario(
        "train/save_final_model=False",
        classifier,
        (_train(learning_rate=0.1, max_epochs=2, save_final_model=False),),
    ),
    Scenario(
        "train/create_file_logs=False",
        classifier,
        (_train(learning_rate=0.1, max_epochs=2, create_file_logs=False, create_loss_file=False),),
    ),
    Scenario(
        "train/save_model_each_k_epochs",
        classifier,
        (_train(learning_rate=0.1, max_epochs=3, save_model_each_k_epochs=2),),
    ),
    Scenario(
        "train_custom/CheckpointPlugin",
        classifier,
        (
            Stage(
                "train_custom",
                {**SMALL, "learning_rate": 0.1, "max_epochs": 2},
                lambda base_path: [CheckpointPlugin(1, False, base_path=base_path)],
            ),
        ),
    ),
    Scenario(
        "train/resume-from-checkpoint",
        flat_classifier,
        (
            _train(
                learning_rate=0.1,
                max_epochs=2,
                save_model_each_k_epochs=2,
                patience=0,
                min_learning_rate=0.01,
            ),
            Stage(
                "train",
                {**SMALL, "learning_rate": 0.05, "epoch": 2, "max_epochs": 4, "patience": 0},
                load="model_epoch_2.pt",
            ),
        ),
    ),
    Scenario(
        "train/multitask",
        multitask,  # one-hot embeddings are trained: not stored between epochs
        (_train(learning_rate=0.1, max_epochs=2, embeddings_storage_mode="none"),),
    ),
    Scenario(
        "train_custom/plugin-steps-ExponentialLR",
        classifier,
        (
            Stage(
                "train_custom",
                {**SMALL, "learning_rate": 0.1, "max_epochs": 3},
                lambda _: [ExponentialPerEpoch()],
            ),
        ),
    ),
    Scenario(
        "train_custom/plugin-steps-OneCycleLR",
        classifier,
        (
            Stage(
                "train_custom",
                {**SMALL, "learning_rate": 0.1, "max_epochs": 3},
                lambda _: [OneCyclePerBatch(total_steps=9)],
            ),
        ),
    ),
    Scenario(
        "train/plugin-steps-ExponentialLR+AnnealOnPlateau",
        flat_classifier,
        (
            Stage(
                "train",
                {
                    **SMALL,
                    "learning_rate": 0.1,
                    "max_epochs": 4,
                    "patience": 0,
                    "min_learning_rate": 0.001,
                },
                lambda _: [ExponentialPerEpoch()],
            ),
        ),
    ),
    Scenario(
        "train/decoder_learning_rate",
        flat_classifier,
        (
            _train(
                learning_rate=0.1,
                decoder_learning_rate=0.05,
                max_epochs=4,
                patience=0,
                min_learning_rate=0.001,
            ),
        ),
    ),
    Scenario(
        "train_custom/AnnealingPlugin-given",
        flat_classifier,
        (
            Stage(
                "train_custom",
                {**SMALL, "learning_rate": 0.1, "max_epochs": 4},
                lambda base_path: [AnnealingPlugin(base_path, 0.001, 0.5, 0, 0, False)],
            ),
        ),
    ),
    Scenario(
        "train/twice-on-one-trainer",
        flat_classifier,
        (
            _train(learning_rate=0.1, max_epochs=3, patience=0, min_learning_rate=0.01),
            _train(learning_rate=0.05, max_epochs=2, patience=0, min_learning_rate=0.01),
        ),
    ),
    Scenario(
        "fine_tune/tagger",
        tagger,
        (Stage("fine_tune", {**SMALL, "learning_rate": 5e-3, "max_epochs": 2}),),
    ),
    Scenario(
        "train/monitor_test+use_final_model_for_eval",
        classifier,
        (
            _train(
                learning_rate=0.1, max_epochs=2, monitor_test=True, use_final_model_for_eval=True
            ),
        ),
    ),
    Scenario(
        "train/Adam",
        classifier,
        (_train(learning_rate=1e-3, min_learning_rate=1e-5, optimizer=Adam, max_epochs=3),),
    ),
]


def _check_correct(twins: Twins) -> None:
    differences = twins.differences()
    assert not differences, "stock and guarded differ:\n" + "\n".join(differences)
    assert not twins.loud_decisions(), twins.loud_decisions()
    assert twins.stock.error is None, twins.stock.error


@pytest.mark.parametrize("scenario", CORRECT, ids=[s.name for s in CORRECT])
def test_correct_scenario_is_identical_and_silent(scenario: Scenario, tmp_path):
    twins = run_twins(scenario, tmp_path)
    _check_correct(twins)
    assert twins.stock.epochs_trained > 0 and twins.stock.step_lrs


def test_low_rate_stock_stops_after_epoch_one_guarded_trains_every_epoch(tmp_path):
    scenario = Scenario(
        "train/lr-below-default-floor",
        classifier,
        (_train(learning_rate=1e-5, patience=10, max_epochs=4),),
    )
    twins = run_twins(scenario, tmp_path)
    stock, guarded = twins.stock, twins.guarded
    assert stock.trained == [1] and guarded.trained == [1, 2, 3, 4]
    assert "learning rate too small - quitting training!" in stock.texts["training.log"]
    # up to the stop, the twins trained the same steps at the same rates
    assert guarded.step_lrs[: len(stock.step_lrs)] == stock.step_lrs
    assert {lrs for *_, lrs in guarded.step_lrs} == {(1e-5,)}
    records = guard_records(tmp_path / "guarded")
    adjusted = [r for r in records if r["action"] == "adjusted"]
    assert [(r["rule"], r["before"], r["after"]) for r in adjusted] == [
        ("LRG001", {"min_learning_rate": 1e-4}, {"min_learning_rate": 1e-6})
    ]
    assert guarded.guards[0].floors == (1e-6,)


def test_list_floor_stock_crashes_guarded_trains(tmp_path):
    scenario = Scenario(
        "train/min_learning_rate-list",
        classifier,
        (
            _train(
                learning_rate=0.1,
                decoder_learning_rate=0.05,
                max_epochs=2,
                min_learning_rate=[1e-3, 1e-3],
            ),
        ),
    )
    twins = run_twins(scenario, tmp_path)
    assert twins.stock.error is not None and twins.stock.error.startswith("TypeError")
    assert twins.stock.trained == [1]
    assert twins.guarded.error is None and twins.guarded.trained == [1, 2]
    assert twins.guarded.step_lrs[: len(twins.stock.step_lrs)] == twins.stock.step_lrs
    assert twins.guarded.guards[0].floors == (1e-3, 1e-3)


def test_anneal_below_floor_stock_quits_guarded_stays_at_floor_until_patience(tmp_path):
    scenario = Scenario(
        "train/anneals-past-floor",
        flat_classifier,
        (_train(learning_rate=0.1, max_epochs=8, patience=0, min_learning_rate=0.02),),
    )
    twins = run_twins(scenario, tmp_path)
    stock, guarded = twins.stock, twins.guarded
    # stock: halves after every evaluation but the first, and quits once 0.0125 < 0.02
    assert stock.trained == [1, 2, 3, 4]
    assert [lrs for _, lrs in stock.epoch_lrs] == [(0.1,), (0.1,), (0.05,), (0.025,)]
    # guarded: the same rates, then the floor for one more evaluation (patience 0), then stop
    assert guarded.epoch_lrs[:4] == stock.epoch_lrs
    assert guarded.trained == [1, 2, 3, 4, 5]
    assert guarded.epoch_lrs[4][1] == (0.02,)
    stops = [r for r in guard_records(tmp_path / "guarded") if r["action"] == "stopped"]
    assert [(r["rule"], r["epoch"]) for r in stops] == [("LRG010", 5)]
    assert "floor 0.02" in stops[0]["message"]
