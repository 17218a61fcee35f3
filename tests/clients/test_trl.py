"""TRL's ``SFTTrainer`` takes ``callbacks=[LRGuardCallback()]`` like ``Trainer``: the real
TRL, a tiny causal LM built from a config, stock vs guarded vs a clean config."""

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
    tiny_llama,
    word_tokenizer,
)

trl = pytest.importorskip("trl")
pytestmark = pytest.mark.slow


def sft(output_dir: Path, callbacks=None, **overrides: Any):
    from datasets import Dataset

    tokenizer = word_tokenizer()
    model = tiny_llama(tokenizer)
    args = trl.SFTConfig(**common_args(output_dir, **overrides), max_length=16)
    trainer = trl.SFTTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_dict({"text": sentences(64)}),
        processing_class=tokenizer,
        callbacks=callbacks,
    )
    trainer.train()
    return trainer


def test_sft_stock_rises_guarded_does_not(tmp_path):
    stock = sft(tmp_path / "stock", **MIN_ABOVE)
    assert logged_lrs(stock)[-1] > 9e-5  # ends near min_lr, ten times the peak
    out = tmp_path / "guarded"
    guarded = sft(out, [LRGuardCallback()], report_to="tensorboard", **MIN_ABOVE)
    assert max(logged_lrs(guarded)) <= 1e-5
    assert guarded.args.lr_scheduler_kwargs == {"min_lr": 1e-6}
    records = read_jsonl(out / "lrguard.jsonl")
    assert [(r["rule"], r["action"]) for r in records] == [("LRG002", "adjusted")]
    guarded.save_state()
    assert saved_state_records(out) == records
    assert_written(records, tensorboard_texts(out))


def test_sft_clean_config_is_untouched(tmp_path):
    stock = sft(tmp_path / "stock", **CLEAN)
    guard = LRGuardCallback()
    guarded = sft(tmp_path / "guarded", [guard], **CLEAN)
    assert logged_lrs(guarded) == logged_lrs(stock)
    assert guard.decisions == []
