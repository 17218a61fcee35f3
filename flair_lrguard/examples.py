"""A tiny offline Flair task to try lrguard on: a two-class topic corpus and a
``TextClassifier`` over one-hot embeddings. It trains in well under a second per epoch on a
CPU and downloads nothing; use your own corpus and model for real work.

Example:
    >>> from flair_lrguard.examples import make_classifier, make_corpus
    >>> corpus = make_corpus()
    >>> len(corpus.train), len(corpus.dev), len(corpus.test)
    (24, 8, 8)
    >>> make_classifier(corpus).label_type
    'topic'
"""

from __future__ import annotations

import random

import flair
from flair.data import Corpus, Dictionary, Sentence
from flair.datasets import SentenceDataset
from flair.embeddings import DocumentPoolEmbeddings, OneHotEmbeddings
from flair.models import TextClassifier

WORDS = {
    "sports": ["ball", "goal", "team", "match", "score", "coach"],
    "politics": ["vote", "law", "party", "senate", "bill", "court"],
}


def _sentences(n: int, seed: int) -> list[Sentence]:
    """``n`` labelled sentences of four topic words and two fillers, reproducible by seed."""
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


__all__ = ["make_classifier", "make_corpus"]
