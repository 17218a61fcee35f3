"""sentence-transformers' ``SentenceTransformerTrainer`` takes ``callbacks=[LRGuardCallback()]``:
the real package, a tiny BERT built from a config and saved locally, stock vs guarded vs clean."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hf_lrguard import LRGuardCallback
from lrguard import read_jsonl
from tests.clients.conftest import (
    CLEAN,
    MIN_ABOVE,
    assert_written,
    common_args,
    logged_lrs,
    saved_state_records,
    sentences,
    tensorboard_texts,
    torch,
)
from tests.tiny_text import save_tiny_bert

st = pytest.importorskip("sentence_transformers")
from sentence_transformers.sentence_transformer import losses, modules  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory) -> Path:
    """A 1-layer BERT (hidden size 16) and its word tokenizer, saved where ST can load them."""
    return save_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


def fit(model_path: Path, output_dir: Path, callbacks=None, **overrides: Any):
    from datasets import Dataset

    torch.manual_seed(0)
    word = modules.Transformer(str(model_path), max_seq_length=16)
    model = st.SentenceTransformer(modules=[word, modules.Pooling(16)], device="cpu")
    pairs = Dataset.from_dict({"anchor": sentences(64, seed=1), "positive": sentences(64, seed=2)})
    args = st.SentenceTransformerTrainingArguments(**common_args(output_dir, **overrides))
    trainer = st.SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=pairs,
        loss=losses.MultipleNegativesRankingLoss(model),
        callbacks=callbacks,
    )
    trainer.train()
    return trainer


def test_st_stock_rises_guarded_does_not(tiny_bert, tmp_path):
    stock = fit(tiny_bert, tmp_path / "stock", **MIN_ABOVE)
    assert logged_lrs(stock)[-1] > 9e-5
    out = tmp_path / "guarded"
    guarded = fit(tiny_bert, out, [LRGuardCallback()], report_to="tensorboard", **MIN_ABOVE)
    assert max(logged_lrs(guarded)) <= 1e-5
    records = read_jsonl(out / "lrguard.jsonl")
    assert [(r["rule"], r["action"]) for r in records] == [("LRG002", "adjusted")]
    guarded.save_state()
    assert saved_state_records(out) == records
    assert_written(records, tensorboard_texts(out))


def test_st_clean_config_is_untouched(tiny_bert, tmp_path):
    stock = fit(tiny_bert, tmp_path / "stock", **CLEAN)
    guard = LRGuardCallback()
    guarded = fit(tiny_bert, tmp_path / "guarded", [guard], **CLEAN)
    assert logged_lrs(guarded) == logged_lrs(stock)
    assert guard.decisions == []
