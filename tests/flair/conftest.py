"""Tiny offline Flair models and corpora, and a plugin that records what training did."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import pytest

flair = pytest.importorskip("flair")

from flair.data import Corpus, Dictionary, Sentence  # noqa: E402
from flair.datasets import SentenceDataset  # noqa: E402
from flair.embeddings import DocumentPoolEmbeddings, OneHotEmbeddings  # noqa: E402
from flair.models import TextClassifier  # noqa: E402
from flair.trainers import ModelTrainer  # noqa: E402
from flair.trainers.plugins import TrainerPlugin  # noqa: E402

WORDS = {
    "sports": ["ball", "goal", "team", "match", "score", "coach"],
    "politics": ["vote", "law", "party", "senate", "bill", "court"],
}


def _sentences(n: int, seed: int) -> list[Sentence]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = "sports" if i % 2 == 0 else "politics"
        words = rng.choices(WORDS[label], k=4) + rng.choices(["the", "a", "today"], k=2)
        rng.shuffle(words)
        sentence = Sentence(" ".join(words))
        sentence.add_label("topic", label)
        out.append(sentence)
    return out


def make_corpus(with_dev: bool = True) -> Corpus:
    """A two-class topic corpus: 24 train, 8 dev, 8 test sentences."""
    dev = SentenceDataset(_sentences(8, 2)) if with_dev else None
    return Corpus(
        train=SentenceDataset(_sentences(24, 1)),
        dev=dev,
        test=SentenceDataset(_sentences(8, 3)),
        sample_missing_splits=False,
    )


def make_classifier(corpus: Corpus, cls: type[TextClassifier] = TextClassifier) -> TextClassifier:
    """A TextClassifier over 8-dimensional one-hot embeddings of the corpus vocabulary."""
    flair.set_seed(0)
    vocab = Dictionary()
    for sentence in corpus.get_all_sentences():
        for token in sentence:
            vocab.add_item(token.text)
    embeddings = DocumentPoolEmbeddings([OneHotEmbeddings(vocab, embedding_length=8)])
    label_dict = corpus.make_label_dictionary("topic", add_unk=False)
    return cls(embeddings=embeddings, label_dictionary=label_dict, label_type="topic")


class FlatMetricClassifier(TextClassifier):
    """A real TextClassifier whose evaluation score and loss are pinned: the metric never
    improves after epoch 1, so plateau annealing and its stop can be tested exactly."""

    def evaluate(self, *args: Any, **kwargs: Any) -> Any:
        result = super().evaluate(*args, **kwargs)
        result.main_score = 0.5
        result.scores["loss"] = 1.0
        return result


@dataclass
class EpochLog:
    epoch: int
    lrs: list[float]


class Recorder(TrainerPlugin):
    """Records the learning rate of every param group at the start of each trained epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.epochs: list[EpochLog] = []

    @TrainerPlugin.hook
    def before_training_epoch(self, epoch: int, **kw: Any) -> None:
        self.epochs.append(EpochLog(epoch, [g["lr"] for g in self.trainer.optimizer.param_groups]))

    @TrainerPlugin.hook
    def after_training_epoch(self, epoch: int, **kw: Any) -> None:
        self.trained = epoch

    @property
    def epochs_trained(self) -> int:
        return getattr(self, "trained", 0)

    @property
    def lr_per_epoch(self) -> list[list[float]]:
        return [e.lrs for e in self.epochs[: self.epochs_trained]]


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
