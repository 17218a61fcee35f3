"""Tiny offline Flair models and corpora, and a plugin that records what training did."""

from __future__ import annotations

import random
from typing import Any

import pytest

flair = pytest.importorskip("flair")

from flair.data import Corpus, Dictionary, Sentence  # noqa: E402
from flair.datasets import SentenceDataset  # noqa: E402
from flair.embeddings import OneHotEmbeddings  # noqa: E402
from flair.models import SequenceTagger, TextClassifier  # noqa: E402
from flair.trainers import ModelTrainer  # noqa: E402

from flair_lrguard.examples import WORDS, make_classifier, make_corpus  # noqa: E402
from tests.fixtures.flair_tiny import EpochRecorder as Recorder  # noqa: E402, F401


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


def _tagged_sentences(n: int, seed: int) -> list[Sentence]:
    """Sentences of five words; every topic word is a one-token span tagged with its topic."""
    rng = random.Random(seed)
    fillers = ["the", "a", "today", "then"]
    out = []
    for _ in range(n):
        words = [rng.choice(fillers) for _ in range(5)]
        topics = {}
        for position in rng.sample(range(5), 2):
            topic = rng.choice(sorted(WORDS))
            words[position] = rng.choice(WORDS[topic])
            topics[position] = topic
        sentence = Sentence(" ".join(words))
        for position, topic in topics.items():
            sentence[position : position + 1].add_label("topic", topic.upper())
        out.append(sentence)
    return out


def make_tag_corpus(with_dev: bool = True) -> Corpus:
    """A tiny span-tagging corpus: 24 train, 8 dev, 8 test sentences."""
    dev = SentenceDataset(_tagged_sentences(8, 12)) if with_dev else None
    return Corpus(
        train=SentenceDataset(_tagged_sentences(24, 11)),
        dev=dev,
        test=SentenceDataset(_tagged_sentences(8, 13)),
        sample_missing_splits=False,
    )


def make_tagger(corpus: Corpus) -> SequenceTagger:
    """A SequenceTagger (no RNN, no CRF) over 8-dimensional one-hot word embeddings."""
    flair.set_seed(0)
    vocab = Dictionary()
    for sentence in corpus.get_all_sentences():
        for token in sentence:
            vocab.add_item(token.text)
    return SequenceTagger(
        embeddings=OneHotEmbeddings(vocab, embedding_length=8),
        tag_dictionary=corpus.make_label_dictionary("topic", add_unk=False),
        tag_type="topic",
        use_rnn=False,
        use_crf=False,
        reproject_embeddings=False,
    )
