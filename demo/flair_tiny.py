"""The demo's Flair helpers. The tiny offline task ships as ``flair_lrguard.examples``;
``make_classifier``, ``make_corpus`` and the test suite's ``EpochRecorder`` are also reachable
from here for ``benchmarks/``, which imports them from this module."""

from __future__ import annotations

import logging
import warnings
from typing import Any

from flair_lrguard.examples import make_classifier, make_corpus


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


def __getattr__(name: str) -> Any:
    """``EpochLog`` / ``EpochRecorder`` from ``tests.fixtures.flair_tiny``, imported only when
    asked for (the demo itself does not need the test suite)."""
    if name in ("EpochLog", "EpochRecorder"):
        from tests.fixtures import flair_tiny

        return getattr(flair_tiny, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["make_classifier", "make_corpus", "quiet_flair"]
