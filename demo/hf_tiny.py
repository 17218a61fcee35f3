"""The demo's Hugging Face task: shipped as ``hf_lrguard.examples`` (a 1-layer BERT built from
a config and synthetic token data), imported from there."""

from hf_lrguard.examples import SEQ, VOCAB, TinyData, accuracy, tiny_model

__all__ = ["SEQ", "VOCAB", "TinyData", "accuracy", "tiny_model"]
