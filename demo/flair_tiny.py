"""A tiny offline Flair task: a two-class topic corpus and a TextClassifier over one-hot
embeddings. Trains in well under a second per epoch on a CPU; nothing is downloaded."""

from __future__ import annotations

import logging
import random
import warnings
from dataclasses import dataclass, field
from typing import Any

import flair
from flair.data import Corpus, Dictionary, Sentence
from flair.datasets import SentenceDataset
from flair.embeddings import DocumentPoolEmbeddings, OneHotEmbeddings
from flair.models import TextClassifier
from flair.trainers.plugins import TrainerPlugin


def quiet_flair() -> None:
    """Keep Flair's per-batch lines in training.log but off the console, without progress bars
    (Flair's evaluation forces its bar on) or torch's FutureWarnings."""
    warnings.filterwarnings("ignore", category=FutureWarning)
    for handler in logging.getLogger("flair").handlers:
        if type(handler) is logging.StreamHandler:
            handler.setLevel(logging.WARNING)
    from flair.file_utils import Tqdm
    from tqdm import tqdm

    Tqdm.tqdm = staticmethod(lambda *args, **kwargs: tqdm(*args, **{**kwargs, "disable": True}))


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


@dataclass
class EpochLog:
    """One trained epoch: the rate of every param group and the evaluation scores."""

    epoch: int
    lrs: list[float]
    scores: tuple[float, ...] = field(default_factory=tuple)


class EpochRecorder(TrainerPlugin):
    """Records, per trained epoch, the learning rates and the evaluation (score, loss)."""

    def __init__(self) -> None:
        super().__init__()
        self.epochs: list[EpochLog] = []
        self.epochs_trained = 0

    @TrainerPlugin.hook
    def before_training_epoch(self, epoch: int, **kw: Any) -> None:
        lrs = [group["lr"] for group in self.trainer.optimizer.param_groups]
        self.epochs.append(EpochLog(epoch, lrs))

    @TrainerPlugin.hook
    def after_training_epoch(self, epoch: int, **kw: Any) -> None:
        self.epochs_trained = epoch

    @TrainerPlugin.hook
    def after_evaluation(self, validation_scores: tuple = (), **kw: Any) -> None:
        self.epochs[-1].scores = tuple(float(v) for v in validation_scores)

    @property
    def lr_per_epoch(self) -> list[list[float]]:
        """Rates of the epochs that were trained to the end."""
        return [e.lrs for e in self.epochs[: self.epochs_trained]]
