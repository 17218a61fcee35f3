"""The design half's six offline learning problems for the range test's quality benchmark,
and the machinery every task shares (``range_tasks_report`` holds the report half's).

Each task is a real learning problem whose dev score depends on the rate: too low a rate
underfits in the run's budget, too high a rate diverges or degrades. Everything is built
offline (no model hub): vocabularies, corpora and model configs are generated here, and the
fine-tuning task pre-trains its own tiny BERT with masked language modelling first.

Every task takes a seed (the model's initialisation, dropout and the order of the batches)
and can

* ``train(lr, seed)``: train a fresh model to completion with the task's recipe and return
  the dev score of every epoch;
* ``range_test(seed, method)``: run lrguard's ``find_learning_rate`` with ``method=`` on a
  fresh model;
* ``lr_finder(seed)``: run ``torch_lr_finder.LRFinder`` (torch-lr-finder 0.2.2) on a fresh
  model with the same optimizer, batches, loss and gradient clipping as the task's recipe,
  and read its own suggestion (``LRFinder.plot(suggest_lr=True)``);
* ``constant_score()``: the dev score of a constant predictor (the majority class; 0 for a
  correlation or R^2), below which a run counts as collapsed.

``TaskSpec.default_lr`` is the fixed default a user would train with instead of a range test
(the fourth peer), ``default_source`` where it comes from.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import os
import random
import tempfile
import warnings
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402

SEED = 0
"""The seed of everything a task builds once (data, pre-training)."""
SWEEP_STEPS = 100
SWEEP_START = 1e-7
SWEEP_END = 10.0


@dataclass
class Sweep:
    """One range test's raw curve and the suggestions read from it."""

    tool: str
    rates: list[float]
    losses: list[float]
    suggestions: dict[str, float | None]
    stop_reason: str = ""
    seconds: float = 0.0


@dataclass
class TaskSpec:
    """What a task is, for the report."""

    name: str
    recipe: str
    grid: tuple[float, ...]
    details: dict[str, Any] = field(default_factory=dict)
    default_lr: float = 1e-3
    default_source: str = ""
    requires: tuple[str, ...] = ()
    """Modules the task needs; a task whose modules are missing is skipped in that env."""

    def available(self) -> bool:
        """Every module the task needs can be imported in this environment."""
        return all(importlib.util.find_spec(name) is not None for name in self.requires)


ADAM_DEFAULT = "torch.optim.Adam / AdamW lr=1e-3 (and Keras Adam learning_rate=0.001)"
FINE_TUNE_DEFAULT = "transformers TrainingArguments.learning_rate=5e-5"
FLAIR_SGD_DEFAULT = "Flair ModelTrainer.train(learning_rate=0.1) with SGD"
LORA_DEFAULT = "peft's LoRA examples and the QLoRA paper: 2e-4"
SGD_DEFAULT = (
    "Flair's SGD default 0.1 also outside Flair: the usual SGD starting rate (torch's SGD "
    "default 1e-3 is a placeholder, not a recommendation)"
)


def _quiet() -> contextlib.AbstractContextManager[Any]:
    """Silence stdout (torch-lr-finder and Flair print progress)."""
    return contextlib.redirect_stdout(io.StringIO())


def _clip_on_step(optimizer: torch.optim.Optimizer, max_norm: float | None) -> None:
    """Clip the gradients before every ``optimizer.step()``, as the task's trainer does."""
    if not max_norm:
        return
    params = [p for group in optimizer.param_groups for p in group["params"]]

    def clip(*_: Any) -> None:
        torch.nn.utils.clip_grad_norm_(params, max_norm)

    optimizer.register_step_pre_hook(clip)


class _RawLoss:
    """torch-lr-finder's criterion: passes the wrapped model's loss through and records the
    raw per-example loss of every step (its own history holds the smoothed loss)."""

    def __init__(self) -> None:
        self.raw: list[float] = []

    def __call__(self, outputs: tuple[torch.Tensor, int], labels: Any) -> torch.Tensor:
        loss, count = outputs
        self.raw.append(float(loss.item()) / max(1, count))
        return loss


def _run_lr_finder(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Any,
    max_grad_norm: float | None,
) -> Sweep:
    import time

    from torch_lr_finder import LRFinder

    _clip_on_step(optimizer, max_grad_norm)
    criterion = _RawLoss()
    start = time.perf_counter()
    with _quiet(), contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder = LRFinder(model, optimizer, criterion, device="cpu")
        finder.range_test(batches, end_lr=SWEEP_END, num_iter=SWEEP_STEPS)
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots()
        _, suggestion = finder.plot(skip_start=10, skip_end=5, ax=ax, suggest_lr=True)
        plt.close(fig)
    seconds = time.perf_counter() - start
    rates = [float(r) for r in finder.history["lr"]]
    return Sweep(
        "torch-lr-finder",
        rates,
        criterion.raw[: len(rates)],
        {"torch-lr-finder": float(suggestion)},
        "diverged" if len(rates) < SWEEP_STEPS else "completed",
        seconds,
    )


# --- synthetic text ---------------------------------------------------------------------------

TOPICS = 4
TOPIC_WORDS = 16
FILLERS = 40


def topic_words() -> tuple[list[list[str]], list[str]]:
    """Per-topic word lists and the filler words (pseudo-words, no meaning leaks)."""
    topics = [[f"t{k}w{i}" for i in range(TOPIC_WORDS)] for k in range(TOPICS)]
    fillers = [f"f{i}" for i in range(FILLERS)]
    return topics, fillers


def topic_text(
    n: int, seed: int, *, length: int = 12, signal: int = 2, distractors: int = 2, noise: float
) -> list[tuple[list[str], int]]:
    """``n`` (words, topic) pairs: ``signal`` words of the topic, ``distractors`` words of other
    topics, fillers for the rest; a share ``noise`` of the labels is replaced at random."""
    rng = random.Random(seed)
    topics, fillers = topic_words()
    out = []
    for _ in range(n):
        label = rng.randrange(TOPICS)
        words = rng.choices(topics[label], k=signal)
        for _ in range(distractors):
            words.append(rng.choice(topics[rng.randrange(TOPICS)]))
        words += rng.choices(fillers, k=length - len(words))
        rng.shuffle(words)
        if rng.random() < noise:
            label = rng.randrange(TOPICS)
        out.append((words, label))
    return out


# Part-of-speech-like tagging: a small grammar with ambiguous words.
POS_WORDS = {
    "DET": ["the", "a", "this", "every", "some"],
    "ADJ": [f"adj{i}" for i in range(10)],
    "NOUN": [f"noun{i}" for i in range(14)],
    "VERB": [f"verb{i}" for i in range(12)],
    "ADV": [f"adv{i}" for i in range(6)],
    "PREP": ["on", "under", "with", "near"],
}
AMBIGUOUS = [f"amb{i}" for i in range(8)]
"""Words that are a NOUN after a determiner or adjective and a VERB after a noun."""


def tagged_text(n: int, seed: int, *, noise: float) -> list[list[tuple[str, str]]]:
    """``n`` tagged sentences: DET ADJ* NOUN VERB ADV? (PREP DET ADJ* NOUN)?, with ambiguous
    words in noun and verb slots (their tag follows from the context) and tag noise."""
    rng = random.Random(seed)

    def word(tag: str) -> str:
        if tag in ("NOUN", "VERB") and rng.random() < 0.5:
            return rng.choice(AMBIGUOUS)
        return rng.choice(POS_WORDS[tag])

    def phrase() -> list[str]:
        return ["DET"] + ["ADJ"] * rng.choice([0, 0, 1, 2]) + ["NOUN"]

    out = []
    tags_all = list(POS_WORDS)
    for _ in range(n):
        tags = phrase() + ["VERB"]
        if rng.random() < 0.5:
            tags.append("ADV")
        if rng.random() < 0.6:
            tags += ["PREP", *phrase()]
        sentence = []
        for tag in tags:
            shown = rng.choice(tags_all) if rng.random() < noise else tag
            sentence.append((word(tag), shown))
        out.append(sentence)
    return out


# --- Flair ------------------------------------------------------------------------------------


def _flair_quiet() -> None:
    from demo.flair_tiny import quiet_flair

    quiet_flair()
    logging.getLogger("flair").setLevel(logging.WARNING)


class FlairTask:
    """A Flair task: ``ModelTrainer.train`` with SGD (Flair's default), a fixed number of
    epochs, and ``patience`` above the epoch count with ``min_learning_rate=1e-12`` so
    AnnealOnPlateau never anneals and never quits: every rate trains all epochs at the rate."""

    spec: TaskSpec
    epochs = 12
    batch = 8
    max_grad_norm = 5.0
    optimizer: type[torch.optim.Optimizer] = torch.optim.SGD

    def __init__(self) -> None:
        _flair_quiet()
        self.corpus = self.make_corpus()

    def make_corpus(self) -> Any:
        raise NotImplementedError

    def build(self) -> Any:
        raise NotImplementedError

    label_type = "topic"

    def model(self, seed: int) -> Any:
        import flair

        flair.set_seed(seed)
        return self.build()

    def constant_score(self) -> float:
        """Micro F1 of predicting the commonest dev label everywhere."""
        from collections import Counter

        counts = Counter(
            label.value
            for sentence in self.corpus.dev
            for label in sentence.get_labels(self.label_type)
        )
        return max(counts.values()) / sum(counts.values())

    def train(self, lr: float, seed: int) -> list[float]:
        """Dev scores (Flair's main score, micro F1) of every epoch at rate ``lr``."""
        import flair
        from flair.trainers import ModelTrainer

        from demo.flair_tiny import EpochRecorder

        model = self.model(seed)
        recorder = EpochRecorder()
        with tempfile.TemporaryDirectory() as tmp, _quiet(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            flair.set_seed(seed)
            ModelTrainer(model, self.corpus).train(
                tmp,
                learning_rate=lr,
                optimizer=self.optimizer,
                max_epochs=self.epochs,
                mini_batch_size=self.batch,
                patience=10 * self.epochs,
                min_learning_rate=1e-12,
                max_grad_norm=self.max_grad_norm,
                plugins=[recorder],
                save_final_model=False,
                create_file_logs=False,
                create_loss_file=False,
                use_final_model_for_eval=True,
                embeddings_storage_mode="none",
            )
        return [e.scores[0] if e.scores else 0.0 for e in recorder.epochs]

    def range_test(self, seed: int, method: str) -> Any:
        import flair
        from flair.trainers import ModelTrainer

        from flair_lrguard.range_test import find_learning_rate

        model = self.model(seed)
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            flair.set_seed(seed)
            return find_learning_rate(
                ModelTrainer(model, self.corpus),
                tmp,
                optimizer=self.optimizer,
                mini_batch_size=self.batch,
                max_grad_norm=self.max_grad_norm,
                start_lr=SWEEP_START,
                end_lr=SWEEP_END,
                num_steps=SWEEP_STEPS,
                method=method,
                progress=False,
                verbose=False,
            )

    def lr_finder(self, seed: int) -> Sweep:
        import flair
        from flair.datasets import DataLoader
        from flair.training_utils import store_embeddings
        from torch_lr_finder import TrainDataLoaderIter

        model = self.model(seed)

        class Batch:
            """Sentences in a box without ``.to()``: torch-lr-finder moves what has one."""

            def __init__(self, sentences: list[Any]) -> None:
                self.sentences = sentences

        class LossModel(torch.nn.Module):
            def __init__(self, inner: Any) -> None:
                super().__init__()
                self.inner = inner

            def forward(self, batch: Batch) -> tuple[torch.Tensor, int]:
                store_embeddings(batch.sentences, "none")
                return self.inner.forward_loss(batch.sentences)

        class FlairBatches(TrainDataLoaderIter):
            def inputs_labels_from_batch(self, batch_data: Any) -> tuple[Batch, None]:
                return Batch(batch_data), None

        flair.set_seed(seed)
        loader = DataLoader(self.corpus.train, batch_size=self.batch, shuffle=True)
        optimizer = self.optimizer(model.parameters(), lr=SWEEP_START)
        try:
            return _run_lr_finder(
                LossModel(model), optimizer, FlairBatches(loader), self.max_grad_norm
            )
        finally:  # the last batch keeps its embeddings (and their graph) otherwise
            store_embeddings(list(self.corpus.train), "none")


class FlairTopics(FlairTask):
    """Topic classification: 4 topics, two topic words and two distractors in 12 words,
    10 % label noise; a ``TextClassifier`` over a GRU document embedding of trainable
    one-hot word embeddings."""

    spec = TaskSpec(
        "flair-textclassifier",
        "Flair ModelTrainer.train, SGD, 12 epochs, batch 8, no annealing",
        (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0),
        {"train": 480, "dev": 400, "model": "TextClassifier(GRU 32 over trainable one-hot 16)"},
        default_lr=0.1,
        default_source=FLAIR_SGD_DEFAULT,
        requires=("flair",),
    )

    def make_corpus(self) -> Any:
        from flair.data import Corpus, Sentence
        from flair.datasets import SentenceDataset

        names = [f"topic{k}" for k in range(TOPICS)]

        def sentences(n: int, seed: int) -> Any:
            out = []
            for words, label in topic_text(n, seed, noise=0.1, signal=3):
                sentence = Sentence(" ".join(words))
                sentence.add_label("topic", names[label])
                out.append(sentence)
            return SentenceDataset(out)

        return Corpus(
            train=sentences(480, 11),
            dev=sentences(400, 12),
            test=None,
            sample_missing_splits=False,
        )

    def build(self) -> Any:
        from flair.data import Dictionary
        from flair.embeddings import DocumentRNNEmbeddings, OneHotEmbeddings
        from flair.models import TextClassifier

        vocab = Dictionary()
        topics, fillers = topic_words()
        for word in [w for ws in topics for w in ws] + fillers:
            vocab.add_item(word)
        embeddings = DocumentRNNEmbeddings(
            [OneHotEmbeddings(vocab, embedding_length=16)],
            hidden_size=32,
            rnn_type="GRU",
            dropout=0.1,
        )
        labels = self.corpus.make_label_dictionary("topic", add_unk=False)
        return TextClassifier(embeddings=embeddings, label_dictionary=labels, label_type="topic")


class FlairTagger(FlairTask):
    """Part-of-speech-like tagging: a small grammar, ambiguous words whose tag follows from
    the context, 5 % tag noise; a ``SequenceTagger`` (GRU 32, no CRF) over trainable one-hot
    word embeddings."""

    spec = TaskSpec(
        "flair-sequencetagger",
        "Flair ModelTrainer.train, SGD, 4 epochs, batch 16, no annealing",
        (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0),
        {"train": 320, "dev": 300, "model": "SequenceTagger(GRU 32 over trainable one-hot 16)"},
        default_lr=0.1,
        default_source=FLAIR_SGD_DEFAULT,
        requires=("flair",),
    )
    epochs = 4
    batch = 16
    label_type = "pos"

    def make_corpus(self) -> Any:
        from flair.data import Corpus, Sentence
        from flair.datasets import SentenceDataset

        def sentences(n: int, seed: int) -> Any:
            out = []
            for tagged in tagged_text(n, seed, noise=0.05):
                sentence = Sentence([w for w, _ in tagged])
                for token, (_, tag) in zip(sentence, tagged, strict=True):
                    token.add_label("pos", tag)
                out.append(sentence)
            return SentenceDataset(out)

        return Corpus(
            train=sentences(320, 21),
            dev=sentences(300, 22),
            test=None,
            sample_missing_splits=False,
        )

    def build(self) -> Any:
        from flair.data import Dictionary
        from flair.embeddings import OneHotEmbeddings
        from flair.models import SequenceTagger

        vocab = Dictionary()
        for word in [w for ws in POS_WORDS.values() for w in ws] + AMBIGUOUS:
            vocab.add_item(word)
        tags = self.corpus.make_label_dictionary("pos", add_unk=False)
        return SequenceTagger(
            hidden_size=32,
            embeddings=OneHotEmbeddings(vocab, embedding_length=16),
            tag_dictionary=tags,
            tag_type="pos",
            use_crf=False,
            use_rnn=True,
            dropout=0.1,
        )


# --- Hugging Face -----------------------------------------------------------------------------


class IdData(torch.utils.data.Dataset):
    """Token-id sequences and labels, as ``Trainer`` takes them."""

    def __init__(self, ids: torch.Tensor, labels: torch.Tensor) -> None:
        self.ids = ids
        self.labels = labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {
            "input_ids": self.ids[i],
            "attention_mask": torch.ones_like(self.ids[i]),
            "labels": self.labels[i],
        }


# Token ids: 0 pad, 1 [CLS], 2 [MASK], then topic words and fillers.
CLS, MASK = 1, 2
FIRST_WORD = 3


def topic_ids(n: int, seed: int, *, noise: float, signal: int = 2) -> IdData:
    """``topic_text`` as token ids with a leading [CLS]."""
    topics, fillers = topic_words()
    index = {w: FIRST_WORD + i for i, w in enumerate([w for ws in topics for w in ws] + fillers)}
    rows, labels = [], []
    for words, label in topic_text(n, seed, noise=noise, signal=signal):
        rows.append([CLS] + [index[w] for w in words])
        labels.append(label)
    return IdData(torch.tensor(rows), torch.tensor(labels))


VOCAB = FIRST_WORD + TOPICS * TOPIC_WORDS + FILLERS


def topic_pairs(data: IdData) -> IdData:
    """The same texts labelled by which pair of topics they are about (0-1 or 2-3)."""
    return IdData(data.ids, data.labels // 2)


def _accuracy(pred: Any) -> dict[str, float]:
    logits, labels = pred
    return {"accuracy": float((logits.argmax(-1) == labels).mean())}


class HFTask:
    """A Hugging Face task: ``Trainer`` with its default optimizer (AdamW) and schedule
    (linear decay, no warmup), a fixed number of epochs, evaluated every epoch."""

    spec: TaskSpec
    epochs = 4
    batch = 16
    max_grad_norm = 1.0
    optimizer: type[torch.optim.Optimizer] | None = None
    """None: ``Trainer``'s default optimizer (AdamW)."""
    optimizer_kwargs: dict[str, Any] = {}
    """Further keywords of ``optimizer`` (besides the rate)."""
    metric = "accuracy"
    """The ``compute_metrics`` key that is the dev score."""
    extra_args: dict[str, Any] = {}
    """Further ``TrainingArguments`` of the task's recipe."""

    def __init__(self) -> None:
        import transformers

        transformers.logging.set_verbosity_error()
        self.train_data, self.dev_data = self.make_data()

    def make_data(self) -> tuple[Any, Any]:
        raise NotImplementedError

    def build(self) -> Any:
        raise NotImplementedError

    def model(self, seed: int) -> Any:
        torch.manual_seed(seed)
        return self.build()

    def constant_score(self) -> float:
        """Accuracy of predicting the commonest dev label everywhere."""
        labels = self.dev_data.labels
        return float(torch.bincount(labels).max()) / len(labels)

    def metrics(self, pred: Any) -> dict[str, float]:
        return _accuracy(pred)

    def training_keywords(self, lr: float, output_dir: str, seed: int) -> dict[str, Any]:
        """The training arguments every ``Trainer`` of a task shares: ``lr`` and ``seed``, the
        task's epochs, batch and clipping, one evaluation per epoch, nothing saved or logged."""
        return dict(
            output_dir=output_dir,
            learning_rate=lr,
            num_train_epochs=self.epochs,
            per_device_train_batch_size=self.batch,
            per_device_eval_batch_size=256,
            eval_strategy="epoch",
            save_strategy="no",
            logging_strategy="no",
            report_to=[],
            seed=seed,
            data_seed=seed,
            disable_tqdm=True,
            use_cpu=True,
            max_grad_norm=self.max_grad_norm,
            dataloader_num_workers=0,
        )

    def args(self, lr: float, output_dir: str, seed: int) -> Any:
        from transformers import TrainingArguments

        return TrainingArguments(
            **self.training_keywords(lr, output_dir, seed),
            label_names=["labels"],
            **self.extra_args,
        )

    def trainer(self, lr: float, output_dir: str, seed: int) -> Any:
        from transformers import Trainer

        return Trainer(
            model=self.model(seed),
            args=self.args(lr, output_dir, seed),
            train_dataset=self.train_data,
            eval_dataset=self.dev_data,
            compute_metrics=self.metrics,
            # the kwargs must carry the rate: Trainer does not add it
            optimizer_cls_and_kwargs=None
            if self.optimizer is None
            else (self.optimizer, {"lr": lr, **self.optimizer_kwargs}),
        )

    def train(self, lr: float, seed: int) -> list[float]:
        """Dev score of every epoch at rate ``lr``."""
        key = f"eval_{self.metric}"
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trainer = self.trainer(lr, tmp, seed)
            with _quiet():
                trainer.train()
            return [e[key] for e in trainer.state.log_history if key in e]

    def range_test(self, seed: int, method: str) -> Any:
        from hf_lrguard.range_test import find_learning_rate

        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return find_learning_rate(
                self.trainer(1e-3, tmp, seed),
                start_lr=SWEEP_START,
                end_lr=SWEEP_END,
                num_steps=SWEEP_STEPS,
                method=method,
                progress=False,
                verbose=False,
            )

    def lr_finder(self, seed: int) -> Sweep:
        """torch-lr-finder over the trainer's own optimizer, batches and loss
        (``Trainer.get_train_dataloader`` and ``Trainer.compute_loss``)."""
        from torch_lr_finder import TrainDataLoaderIter

        class LossModel(torch.nn.Module):
            def __init__(self, trainer: Any) -> None:
                super().__init__()
                self.inner = trainer.model
                self.trainer = trainer

            def forward(self, inputs: dict[str, Any]) -> tuple[torch.Tensor, int]:
                inputs = self.trainer._prepare_inputs(inputs)
                return self.trainer.compute_loss(self.inner, inputs), 1

        class DictBatches(TrainDataLoaderIter):
            def inputs_labels_from_batch(self, batch_data: Any) -> tuple[Any, None]:
                return batch_data, None

        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trainer = self.trainer(1e-3, tmp, seed)
            optimizer = trainer.create_optimizer()  # the optimizer Trainer trains with
            for group in optimizer.param_groups:
                group["lr"] = SWEEP_START
            loader = trainer.get_train_dataloader()
            return _run_lr_finder(
                LossModel(trainer), optimizer, DictBatches(loader), self.max_grad_norm
            )


def _bert_config(
    num_labels: int,
    *,
    hidden: int = 32,
    layers: int = 2,
    vocab: int = VOCAB,
    max_positions: int = 16,
) -> Any:
    """The benchmark's small BERTs: 4 heads, a feed-forward twice the hidden size, dropout
    0.1."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        intermediate_size=2 * hidden,
        max_position_embeddings=max_positions,
        num_labels=num_labels,
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
    )


class HFScratch(HFTask):
    """Topic classification from scratch: a 2-layer BERT (hidden 32) built from its config,
    two topic words and two distractors in 12, 10 % label noise."""

    spec = TaskSpec(
        "hf-bert-from-scratch",
        "HF Trainer, AdamW, linear decay, 10 epochs, batch 16",
        (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1),
        {"train": 800, "dev": 500, "model": "BertForSequenceClassification(2x32)"},
        default_lr=1e-3,
        default_source=ADAM_DEFAULT,
        requires=("transformers",),
    )
    epochs = 10

    def make_data(self) -> tuple[IdData, IdData]:
        return topic_ids(800, 31, noise=0.1, signal=3), topic_ids(500, 32, noise=0.1, signal=3)

    def build(self) -> Any:
        from transformers import BertForSequenceClassification

        return BertForSequenceClassification(_bert_config(TOPICS))


class HFFineTune(HFTask):
    """Fine-tuning a model pre-trained here: a 2-layer BERT (hidden 32) is first trained on a
    related task with plenty of data (4-topic classification, 4000 examples), then
    fine-tuned with a new head on few labelled examples of the target task (which pair of
    topics a text is about: 256 examples, 10 % label noise). transformers#16013's case: the
    pre-trained features are good, so the best fine-tuning rate is far below the rate at
    which a short sweep's loss falls fastest."""

    spec = TaskSpec(
        "hf-bert-fine-tune",
        "pre-training here, then HF Trainer, AdamW, linear decay, 4 epochs, batch 16",
        (1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2),
        {
            "train": 256,
            "dev": 500,
            "pre-training": "4-topic classification, 4000 examples, 4 epochs, lr 1e-3",
        },
        default_lr=5e-5,
        default_source=FINE_TUNE_DEFAULT,
        requires=("transformers",),
    )
    epochs = 4
    pretrain_examples = 4000
    pretrain_epochs = 4

    def __init__(self) -> None:
        super().__init__()
        self._pretrained = tempfile.TemporaryDirectory()
        self.pretrain(self._pretrained.name)

    def make_data(self) -> tuple[IdData, IdData]:
        return (
            topic_pairs(topic_ids(256, 41, noise=0.1, signal=2)),
            topic_pairs(topic_ids(500, 42, noise=0.1, signal=2)),
        )

    def pretrain(self, directory: str) -> None:
        """The related task, trained from scratch; the model is saved to ``directory``."""
        from transformers import BertForSequenceClassification, Trainer, TrainingArguments

        torch.manual_seed(SEED)
        model = BertForSequenceClassification(_bert_config(TOPICS))
        data = topic_ids(self.pretrain_examples, 40, noise=0.0, signal=4)
        check = topic_ids(500, 43, noise=0.0, signal=4)
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings(), _quiet():
            warnings.simplefilter("ignore")
            args = TrainingArguments(
                output_dir=tmp,
                learning_rate=1e-3,
                num_train_epochs=self.pretrain_epochs,
                per_device_train_batch_size=32,
                save_strategy="no",
                logging_strategy="no",
                report_to=[],
                seed=SEED,
                disable_tqdm=True,
                use_cpu=True,
            )
            trainer = Trainer(
                model=model,
                args=args,
                train_dataset=data,
                eval_dataset=check,
                compute_metrics=_accuracy,
            )
            trainer.train()
            self.pretrain_accuracy = trainer.evaluate()["eval_accuracy"]
        model.save_pretrained(directory)

    def build(self) -> Any:
        from transformers import BertForSequenceClassification

        return BertForSequenceClassification.from_pretrained(
            self._pretrained.name, num_labels=2, ignore_mismatched_sizes=True
        )


class FlairTopicsAdamW(FlairTopics):
    """``FlairTopics`` trained with AdamW instead of SGD: the same model and data, so the best
    rate moves with the optimizer alone."""

    spec = TaskSpec(
        "flair-textclassifier-adamw",
        "Flair ModelTrainer.train, AdamW, 12 epochs, batch 8, no annealing",
        (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1),
        FlairTopics.spec.details,
        default_lr=1e-3,
        default_source=ADAM_DEFAULT,
        requires=("flair",),
    )
    optimizer = torch.optim.AdamW


class BagOfWords(torch.nn.Module):
    """A bag-of-words classifier (mean of trainable word vectors, then a linear layer) that
    ``Trainer`` trains like a transformers model: ``forward(**batch)`` returns loss and
    logits."""

    def __init__(self, vocab: int, width: int, labels: int) -> None:
        super().__init__()
        self.words = torch.nn.EmbeddingBag(vocab, width, mode="mean")
        self.out = torch.nn.Linear(width, labels)

    def forward(
        self, input_ids: torch.Tensor, labels: torch.Tensor | None = None, **_: Any
    ) -> dict[str, torch.Tensor]:
        logits = self.out(torch.tanh(self.words(input_ids)))
        out = {"logits": logits}
        if labels is not None:
            out["loss"] = torch.nn.functional.cross_entropy(logits, labels)
        return out


class HFBagOfWordsSGD(HFScratch):
    """Topic classification from scratch with ``Trainer`` and plain SGD (no momentum), on a
    bag-of-words model (a 2-layer BERT learns nothing in 10 epochs with SGD at any rate of
    the grid, with or without momentum)."""

    spec = TaskSpec(
        "hf-bag-of-words-sgd",
        "HF Trainer, SGD, linear decay, 10 epochs, batch 16",
        (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0),
        {**HFScratch.spec.details, "model": "EmbeddingBag(32) + Linear"},
        default_lr=0.1,
        default_source=SGD_DEFAULT,
        requires=("transformers",),
    )
    optimizer = torch.optim.SGD

    def build(self) -> Any:
        return BagOfWords(VOCAB, 32, TOPICS)


TASKS = (FlairTopics, FlairTagger, HFScratch, HFFineTune, FlairTopicsAdamW, HFBagOfWordsSGD)
"""The design half's tasks, in the order they were built."""
