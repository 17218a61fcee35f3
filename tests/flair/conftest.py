"""Tiny offline Flair models and corpora, and a plugin that records what training did."""

from __future__ import annotations

from typing import Any

import pytest

flair = pytest.importorskip("flair")

from flair.data import Corpus  # noqa: E402
from flair.models import TextClassifier  # noqa: E402
from flair.trainers import ModelTrainer  # noqa: E402

from demo.flair_tiny import EpochRecorder as Recorder  # noqa: E402, F401
from demo.flair_tiny import make_classifier, make_corpus  # noqa: E402


class FlatMetricClassifier(TextClassifier):
    """A real TextClassifier whose evaluation score and loss are pinned: the metric never
    improves after epoch 1, so plateau annealing and its stop can be tested exactly."""

    def evaluate(self, *args: Any, **kwargs: Any) -> Any:
        result = super().evaluate(*args, **kwargs)
        result.main_score = 0.5
        result.scores["loss"] = 1.0
        return result


@pytest.fixture
def corpus() -> Corpus:
    return make_corpus()


@pytest.fixture
def trainer_factory():
    """Builds a fresh ModelTrainer over a fresh tiny classifier."""

    def build(cls: type[TextClassifier] = TextClassifier, with_dev: bool = True) -> ModelTrainer:
        corpus_ = make_corpus(with_dev=with_dev)
        return ModelTrainer(make_classifier(corpus_, cls), corpus_)

    return build


FAST = {"mini_batch_size": 8, "save_final_model": False, "create_loss_file": False}
"""Train kwargs that keep runs small."""
