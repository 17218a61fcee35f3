"""Stock-vs-guarded twins of the training clients (TRL ``SFTTrainer`` / ``DPOTrainer``,
sentence-transformers): correct runs identical in everything a user can observe, and the
guard silent (see ``tests.twins.hf_twin``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clients.conftest import sentences, tiny_llama, torch, word_tokenizer
from tests.tiny_text import LLAMA_SPECIALS, save_tiny_bert, save_tiny_llama
from tests.tiny_text import word_tokenizer as tokenizer_with
from tests.twins.hf_twin import Context, run_twin

pytestmark = pytest.mark.slow
CLIENT_ARGS = {"learning_rate": 1e-5, "max_steps": 4}


def sft(ctx: Context, streaming: bool = False):
    trl = pytest.importorskip("trl")
    from datasets import Dataset

    tokenizer = word_tokenizer()
    data = Dataset.from_dict({"text": sentences(32)})
    if streaming:
        data = data.to_iterable_dataset()
    trainer = trl.SFTTrainer(
        model=tiny_llama(tokenizer),
        args=ctx.args(trl.SFTConfig, max_length=16, **CLIENT_ARGS),
        train_dataset=data,
        processing_class=tokenizer,
        callbacks=ctx.callbacks(),
    )
    ctx.keep(trainer).train()
    return trainer


def dpo(model_path: Path):
    """DPO on a saved tiny Llama (TRL loads the policy and the reference from the path)."""

    def scenario(ctx: Context):
        return _dpo(ctx, model_path)

    return scenario


def _dpo(ctx: Context, model_path: Path):
    trl = pytest.importorskip("trl")
    from datasets import Dataset

    tokenizer = tokenizer_with(LLAMA_SPECIALS)
    n = 16
    data = Dataset.from_dict(
        {
            "prompt": sentences(n, seed=1, length=3),
            "chosen": sentences(n, seed=2, length=3),
            "rejected": sentences(n, seed=3, length=3),
        }
    )
    trainer = trl.DPOTrainer(
        model=str(model_path),
        args=ctx.args(trl.DPOConfig, per_device_train_batch_size=2, **CLIENT_ARGS),
        train_dataset=data,
        processing_class=tokenizer,
        callbacks=ctx.callbacks(),
    )
    ctx.keep(trainer).train()
    return trainer


@pytest.fixture(scope="module")
def tiny_llama_path(tmp_path_factory) -> Path:
    return save_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory) -> Path:
    return save_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


def sentence_transformers_fit(model_path: Path):
    st = pytest.importorskip("sentence_transformers")
    from datasets import Dataset
    from sentence_transformers.sentence_transformer import losses, modules

    def scenario(ctx: Context):
        torch.manual_seed(0)
        word = modules.Transformer(str(model_path), max_seq_length=16)
        model = st.SentenceTransformer(modules=[word, modules.Pooling(16)], device="cpu")
        pairs = Dataset.from_dict(
            {"anchor": sentences(32, seed=1), "positive": sentences(32, seed=2)}
        )
        trainer = st.SentenceTransformerTrainer(
            model=model,
            args=ctx.args(st.SentenceTransformerTrainingArguments, **CLIENT_ARGS),
            train_dataset=pairs,
            loss=losses.MultipleNegativesRankingLoss(model),
            callbacks=ctx.callbacks(),
        )
        ctx.keep(trainer).train()
        return trainer

    return scenario


def test_sft_twin(tmp_path):
    twin = run_twin(sft, tmp_path, name="trl_sft")
    twin.assert_invisible()
    assert twin.stock.error is None and len(twin.stock.rates) == 4


def test_sft_streaming_twin(tmp_path):
    """Streaming data (no length) with ``max_steps``: the guard must not probe a length."""
    twin = run_twin(lambda ctx: sft(ctx, streaming=True), tmp_path, name="trl_sft_streaming")
    twin.assert_invisible()
    assert twin.stock.error is None and len(twin.stock.rates) == 4


def test_dpo_twin(tiny_llama_path, tmp_path):
    twin = run_twin(dpo(tiny_llama_path), tmp_path, name="trl_dpo")
    twin.assert_invisible()
    assert twin.stock.error is None and len(twin.stock.rates) == 4


def test_sentence_transformers_twin(tiny_bert, tmp_path):
    twin = run_twin(sentence_transformers_fit(tiny_bert), tmp_path, name="sentence_transformers")
    twin.assert_invisible()
    assert twin.stock.error is None and len(twin.stock.rates) == 4
