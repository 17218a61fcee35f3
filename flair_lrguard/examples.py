"""A tiny offline Flair task to try lrguard on: a two-class topic corpus, and two classifiers
for it. ``make_transformer_classifier`` fine-tunes a tiny local transformer through
``TransformerDocumentEmbeddings(fine_tune=True)``, the usual Flair setting (train it with
AdamW at about 1e-5); ``make_classifier`` trains one-hot embeddings from scratch. Everything
trains in seconds on a CPU and nothing is downloaded; use your own corpus and model for real
work.

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
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import flair
import torch
from flair.data import Corpus, Dictionary, Sentence
from flair.datasets import SentenceDataset
from flair.embeddings import DocumentPoolEmbeddings, OneHotEmbeddings, TransformerDocumentEmbeddings
from flair.models import TextClassifier

WORDS = {
    "sports": ["ball", "goal", "team", "match", "score", "coach"],
    "politics": ["vote", "law", "party", "senate", "bill", "court"],
}
FILLERS = ["the", "a", "today"]
SPECIAL_TOKENS = {
    "pad_token": "[PAD]",
    "unk_token": "[UNK]",
    "cls_token": "[CLS]",
    "sep_token": "[SEP]",
    "mask_token": "[MASK]",
}
PRETRAIN_BATCH = 64
"""Sentences per masked-word pre-training step of the tiny transformer."""
PRETRAIN_STEPS = 500
"""Masked-word pre-training steps of the tiny transformer (AdamW at 3e-3): enough for it to
predict a masked word from its sentence's topic (a few seconds on one CPU core)."""


def sentences(n: int, seed: int) -> list[Sentence]:
    """``n`` labelled sentences of four topic words and two fillers, reproducible by seed.

    Example:
        >>> [s.get_label("topic").value for s in sentences(2, seed=0)]
        ['sports', 'politics']
    """
    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = "sports" if i % 2 == 0 else "politics"
        words = rng.choices(WORDS[label], k=4) + rng.choices(FILLERS, k=2)
        rng.shuffle(words)
        sentence = Sentence(" ".join(words))
        sentence.add_label("topic", label)
        out.append(sentence)
    return out


def make_corpus(with_dev: bool = True) -> Corpus:
    """A two-class topic corpus: 24 train, 8 dev, 8 test sentences."""
    dev = SentenceDataset(sentences(8, 2)) if with_dev else None
    return Corpus(
        train=SentenceDataset(sentences(24, 1)),
        dev=dev,
        test=SentenceDataset(sentences(8, 3)),
        sample_missing_splits=False,
    )


def make_classifier(corpus: Corpus, cls: type[TextClassifier] = TextClassifier) -> TextClassifier:
    """A TextClassifier over 8-dimensional one-hot embeddings of the corpus vocabulary, trained
    from scratch (SGD's usual rates, about 0.1)."""
    flair.set_seed(0)
    vocab = Dictionary()
    for sentence in corpus.get_all_sentences():
        for token in sentence:
            vocab.add_item(token.text)
    embeddings = DocumentPoolEmbeddings([OneHotEmbeddings(vocab, embedding_length=8)])
    label_dict = corpus.make_label_dictionary("topic", add_unk=False)
    return cls(embeddings=embeddings, label_dictionary=label_dict, label_type="topic")


def _tokenizer():
    """A BERT-style word-level tokenizer over the corpus words: ``[CLS] words [SEP]``."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    words = [*SPECIAL_TOKENS.values(), *FILLERS, *(w for topic in WORDS.values() for w in topic)]
    vocab = {word: i for i, word in enumerate(words)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token=SPECIAL_TOKENS["unk_token"]))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[(t, vocab[t]) for t in ("[CLS]", "[SEP]")],
    )
    return PreTrainedTokenizerFast(tokenizer_object=core, **SPECIAL_TOKENS)


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch on one thread (tiny matrices: more threads only contend on a busy CPU)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _pretrain(model: Any, tokenizer: Any, steps: int) -> list[float]:
    """Masked-word pre-training on unlabelled topic sentences: one word in four is masked and
    predicted through the (tied) word embeddings, ``steps`` AdamW steps on batches of
    ``PRETRAIN_BATCH``. Returns the loss of every step."""
    texts = [s.to_plain_string() for s in sentences(256, seed=100)]
    ids = tokenizer(texts, return_tensors="pt")["input_ids"]  # all of one length
    special = torch.isin(ids, torch.tensor(tokenizer.all_special_ids))
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(0)
    losses = []
    model.train()
    for _ in range(steps):
        rows = torch.randint(0, len(ids), (PRETRAIN_BATCH,), generator=generator)
        masked = (torch.rand(ids[rows].shape, generator=generator) < 0.25) & ~special[rows]
        inputs = ids[rows].masked_fill(masked, tokenizer.mask_token_id)
        hidden = model(input_ids=inputs).last_hidden_state[masked]
        logits = hidden @ model.embeddings.word_embeddings.weight.T
        loss = torch.nn.functional.cross_entropy(logits, ids[rows][masked])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    return losses


def save_tiny_transformer(path: str | Path, pretrain_steps: int = PRETRAIN_STEPS) -> Path:
    """Build a 1-layer BERT (hidden size 16) from a config, pre-train it for a few masked-word
    steps on unlabelled topic sentences, and save it with its tokenizer at ``path``: a local
    model folder that ``TransformerDocumentEmbeddings(str(path))`` loads like a hub model.

    Args:
        path: the folder to write (created if missing); nothing is written anywhere else.
        pretrain_steps: masked-word pre-training steps (0: a randomly initialised model).

    Returns:
        ``path``, as a ``Path``.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     sorted(p.name for p in save_tiny_transformer(folder, 0).glob("*.json"))[:2]
        ['config.json', 'special_tokens_map.json']
    """
    from transformers import BertConfig, BertModel

    if not isinstance(pretrain_steps, int) or pretrain_steps < 0:
        raise ValueError(
            f"pretrain_steps={pretrain_steps!r} must be a whole number >= 0 (0: no pre-training)."
        )
    path = Path(path)
    tokenizer = _tokenizer()
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = BertModel(config)
    with _one_thread():
        _pretrain(model, tokenizer, pretrain_steps)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def make_transformer_classifier(
    corpus: Corpus, model_path: str | Path | None = None
) -> TextClassifier:
    """A TextClassifier that fine-tunes a tiny transformer: ``TransformerDocumentEmbeddings(
    fine_tune=True)`` over the local model at ``model_path`` (built there by
    ``save_tiny_transformer`` when the folder is missing, or in a temporary folder, removed
    once loaded, when ``model_path`` is None), and a zero-initialised linear head. Train it as
    transformers are fine-tuned in Flair: AdamW at about 1e-5 - 5e-5.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:  # 0: skip pre-training (faster)
        ...     model_path = save_tiny_transformer(folder, pretrain_steps=0)
        ...     classifier = make_transformer_classifier(make_corpus(), model_path)
        >>> classifier.embeddings.fine_tune, classifier.embeddings.embedding_length
        (True, 16)
    """
    if model_path is None:
        with tempfile.TemporaryDirectory(prefix="lrguard-tiny-bert-") as folder:
            return make_transformer_classifier(corpus, folder)
    model_path = Path(model_path)
    if not (model_path / "config.json").exists():
        save_tiny_transformer(model_path)
    flair.set_seed(0)
    embeddings = TransformerDocumentEmbeddings(str(model_path), fine_tune=True)
    label_dict = corpus.make_label_dictionary("topic", add_unk=False)
    classifier = TextClassifier(embeddings, label_dictionary=label_dict, label_type="topic")
    # a zero-initialised head on a pretrained encoder (as in ViT fine-tuning, Dosovitskiy et
    # al. 2021, sec. 3.2): it starts undecided and follows the encoder's own features
    torch.nn.init.zeros_(classifier.decoder.weight)
    torch.nn.init.zeros_(classifier.decoder.bias)
    return classifier


__all__ = [
    "WORDS",
    "make_classifier",
    "make_corpus",
    "make_transformer_classifier",
    "save_tiny_transformer",
    "sentences",
]
