"""Tiny offline text models for the training clients (TRL, sentence-transformers,
LLaMA-Factory): a word list, a word-level tokenizer, a 1-layer Llama and short sentences.
Nothing is downloaded."""

from __future__ import annotations

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
BERT_SPECIALS = {
    "pad_token": "[PAD]",
    "unk_token": "[UNK]",
    "cls_token": "[CLS]",
    "sep_token": "[SEP]",
    "mask_token": "[MASK]",
    "eos_token": "[EOS]",
}
LLAMA_SPECIALS = {
    "pad_token": "<pad>",
    "unk_token": "<unk>",
    "bos_token": "<s>",
    "eos_token": "</s>",
}


def word_tokenizer(specials: dict[str, str]) -> transformers.PreTrainedTokenizerFast:
    """A whitespace word-level fast tokenizer over ``WORDS``, special tokens first."""
    vocab = {token: i for i, token in enumerate([*specials.values(), *WORDS])}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token=specials["unk_token"]))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    return transformers.PreTrainedTokenizerFast(tokenizer_object=core, **specials)


def tiny_llama(tokenizer: transformers.PreTrainedTokenizerFast) -> transformers.LlamaForCausalLM:
    """A 1-layer Llama (hidden size 16) over ``tokenizer``'s vocabulary."""
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    return transformers.LlamaForCausalLM(config)


def sentences(n: int, seed: int = 0, length: int = 6) -> list[str]:
    """``n`` sentences of ``length`` words from ``WORDS``."""
    gen = torch.Generator().manual_seed(seed)
    picks = torch.randint(0, len(WORDS), (n, length), generator=gen).tolist()
    return [" ".join(WORDS[i] for i in row) for row in picks]


def save_tiny_llama(path: Path) -> Path:
    """Save a 1-layer Llama and its word-level tokenizer at ``path`` (loadable by name)."""
    tokenizer = word_tokenizer(LLAMA_SPECIALS)
    tiny_llama(tokenizer).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def save_tiny_bert(path: Path) -> Path:
    """Save a 1-layer BERT encoder (hidden size 16) and its word-level tokenizer at ``path``."""
    tokenizer = word_tokenizer(BERT_SPECIALS)
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
    )
    transformers.BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
