"""A tiny local causal LM and an alpaca-format dataset for LLaMA-Factory, built offline."""

from __future__ import annotations

import json
from pathlib import Path

import torch
import transformers
from tokenizers import Tokenizer, models, pre_tokenizers

WORDS = [
    "the",
    "a",
    "cat",
    "dog",
    "sat",
    "ran",
    "on",
    "under",
    "mat",
    "log",
    "fast",
    "slow",
    "red",
    "blue",
    "small",
    "big",
    "what",
    "is",
]
SPECIALS = ["<pad>", "<unk>", "<s>", "</s>"]


def build_model(path: Path) -> Path:
    """Save a 1-layer Llama (hidden size 16) and a word-level tokenizer at ``path``."""
    vocab = {token: i for i, token in enumerate(SPECIALS + WORDS)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<pad>",
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
    )
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
        pad_token_id=0,
        bos_token_id=2,
        eos_token_id=3,
    )
    transformers.LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def build_dataset(path: Path, n: int = 64) -> Path:
    """An alpaca-format dataset ``tiny_alpaca`` with its ``dataset_info.json`` in ``path``."""
    gen = torch.Generator().manual_seed(0)
    rows = []
    for _ in range(n):
        picks = torch.randint(0, len(WORDS), (8,), generator=gen).tolist()
        words = [WORDS[i] for i in picks]
        rows.append(
            {"instruction": " ".join(words[:4]), "input": "", "output": " ".join(words[4:])}
        )
    path.mkdir(parents=True, exist_ok=True)
    (path / "tiny_alpaca.json").write_text(json.dumps(rows))
    (path / "dataset_info.json").write_text(
        json.dumps({"tiny_alpaca": {"file_name": "tiny_alpaca.json"}})
    )
    return path
