"""The demo's Flair helpers; the tiny offline task itself ships as ``flair_lrguard.examples``
(a two-class topic corpus and a TextClassifier over one-hot embeddings)."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

from flair.trainers.plugins import TrainerPlugin

from flair_lrguard.examples import WORDS, _sentences, make_classifier, make_corpus  # noqa: F401


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


__all__ = [
    "EpochLog",
    "EpochRecorder",
    "make_classifier",
    "make_corpus",
    "quiet_flair",
]
