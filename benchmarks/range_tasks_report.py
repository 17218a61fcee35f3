"""The report half's offline learning problems for the range test's quality benchmark.

None of these tasks chose or tuned a suggestion rule: they were added to the task list
before any of them was run, and the acceptance numbers are read from them only. They cross
frameworks (Flair, ``Trainer``, sentence-transformers, a plain PyTorch loop), optimizers
(AdamW, Adam through LoRA, SGD with momentum) and regimes (fine-tuning a model pre-trained
here, LoRA, training from scratch, regression), at two model sizes. Every model, tokenizer
and corpus is built here; every "pre-trained" model is pre-trained here first.

The sentence-transformers task needs sentence-transformers (the ``.venv-hf5`` environment);
the others need Flair, peft and torch-lr-finder (``.venv``).
"""

from __future__ import annotations

import random
import tempfile
import warnings
from typing import Any

import torch

from benchmarks.range_tasks import (
    ADAM_DEFAULT,
    CLS,
    FINE_TUNE_DEFAULT,
    FIRST_WORD,
    LORA_DEFAULT,
    SEED,
    SWEEP_END,
    SWEEP_START,
    SWEEP_STEPS,
    TOPICS,
    VOCAB,
    FlairTagger,
    FlairTask,
    HFTask,
    IdData,
    Sweep,
    TaskSpec,
    _bert_config,
    _quiet,
    _run_lr_finder,
    topic_ids,
    topic_text,
    topic_words,
)

SGD_MOMENTUM_DEFAULT = (
    "0.1 with momentum 0.9: the classic SGD recipe (He et al. 2016, arXiv:1512.03385) and "
    "Flair's SGD default"
)
ST_DEFAULT = (
    "SentenceTransformerTrainingArguments.learning_rate=5e-5 (inherited from transformers' "
    "TrainingArguments)"
)

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _words() -> list[str]:
    topics, fillers = topic_words()
    return [w for ws in topics for w in ws] + fillers


def word_tokenizer() -> Any:
    """A whitespace word-level BERT-style fast tokenizer over the topic words and fillers
    (``[CLS] text [SEP]``)."""
    import transformers
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    vocab = {token: i for i, token in enumerate(SPECIALS + _words())}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )


def tokenized_topics(tokenizer: Any, n: int, seed: int, *, signal: int, noise: float) -> IdData:
    """``topic_text`` through ``tokenizer`` (every text has the same length)."""
    rows, labels = [], []
    for words, label in topic_text(n, seed, noise=noise, signal=signal):
        rows.append(tokenizer(" ".join(words))["input_ids"])
        labels.append(label)
    return IdData(torch.tensor(rows), torch.tensor(labels))


def pretrain(model: Any, data: IdData, check: IdData, *, epochs: int, lr: float) -> float:
    """Train ``model`` on the related task (``Trainer``, AdamW, batch 32); dev accuracy."""
    from transformers import Trainer, TrainingArguments

    from benchmarks.range_tasks import _accuracy

    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings(), _quiet():
        warnings.simplefilter("ignore")
        args = TrainingArguments(
            output_dir=tmp,
            learning_rate=lr,
            num_train_epochs=epochs,
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
        return float(trainer.evaluate()["eval_accuracy"])


def pretrain_topics(model: Any, directory: str) -> float:
    """Pre-train ``model`` (token ids in, 4 labels) on 4-topic classification (4000 examples,
    3 epochs, lr 1e-3) and save it to ``directory``; its dev accuracy."""
    accuracy = pretrain(
        model,
        topic_ids(4000, 40, noise=0.0, signal=4),
        topic_ids(500, 43, noise=0.0, signal=4),
        epochs=3,
        lr=1e-3,
    )
    model.save_pretrained(directory)
    return accuracy


def pretrained_word_bert(directory: str, *, hidden: int = 32, layers: int = 2) -> float:
    """A BERT over ``word_tokenizer`` pre-trained on 4-topic classification (4000 examples,
    3 epochs, lr 1e-3), saved with its tokenizer to ``directory``; its dev accuracy."""
    from transformers import BertForSequenceClassification

    tokenizer = word_tokenizer()
    torch.manual_seed(SEED)
    config = _bert_config(
        TOPICS, hidden=hidden, layers=layers, vocab=len(tokenizer), max_positions=32
    )
    model = BertForSequenceClassification(config)
    accuracy = pretrain(
        model,
        tokenized_topics(tokenizer, 4000, 40, signal=4, noise=0.0),
        tokenized_topics(tokenizer, 500, 43, signal=4, noise=0.0),
        epochs=3,
        lr=1e-3,
    )
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return accuracy


def pretrained_llama(directory: str) -> float:
    """A 2-layer Llama (hidden 32) over the topic ids, pre-trained on 4-topic classification
    (``pretrain_topics``) and saved to ``directory``; its dev accuracy."""
    from transformers import LlamaConfig, LlamaForSequenceClassification

    torch.manual_seed(SEED)
    config = LlamaConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=32,
        num_labels=TOPICS,
        pad_token_id=0,
    )
    return pretrain_topics(LlamaForSequenceClassification(config), directory)


# --- Flair ------------------------------------------------------------------------------------


class FlairTransformerFineTune(FlairTask):
    """A Flair ``TextClassifier`` over ``TransformerDocumentEmbeddings(fine_tune=True)``: a
    2-layer BERT (hidden 32) and its word-level tokenizer, pre-trained here on 4-topic
    classification, fine-tuned with AdamW on which parity of topic a text is about (topics
    0 and 2 against 1 and 3: the pre-trained features separate all four), 160 examples,
    10 % label noise."""

    spec = TaskSpec(
        "flair-transformer-fine-tune-adamw",
        "pre-training here, then Flair ModelTrainer.train, AdamW, 5 epochs, batch 16, no annealing",
        (1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2),
        {
            "train": 160,
            "dev": 300,
            "model": "TextClassifier(TransformerDocumentEmbeddings(BERT 2x32, fine_tune=True))",
            "pre-training": "4-topic classification, 4000 examples, 3 epochs, lr 1e-3",
        },
        default_lr=5e-5,
        default_source=FINE_TUNE_DEFAULT + " (and Flair's fine_tune() default 5e-5)",
        requires=("flair",),
    )
    epochs = 5
    batch = 16
    optimizer = torch.optim.AdamW

    def __init__(self) -> None:
        self._pretrained = tempfile.TemporaryDirectory()
        self.pretrain_accuracy = pretrained_word_bert(self._pretrained.name)
        super().__init__()

    def make_corpus(self) -> Any:
        from flair.data import Corpus, Sentence
        from flair.datasets import SentenceDataset

        def sentences(n: int, seed: int) -> Any:
            out = []
            for words, label in topic_text(n, seed, noise=0.1, signal=2):
                sentence = Sentence(" ".join(words))
                sentence.add_label("topic", f"parity{label % 2}")
                out.append(sentence)
            return SentenceDataset(out)

        return Corpus(
            train=sentences(160, 51),
            dev=sentences(300, 52),
            test=None,
            sample_missing_splits=False,
        )

    def build(self) -> Any:
        from flair.embeddings import TransformerDocumentEmbeddings
        from flair.models import TextClassifier

        with warnings.catch_warnings(), _quiet():
            warnings.simplefilter("ignore")
            embeddings = TransformerDocumentEmbeddings(self._pretrained.name, fine_tune=True)
        labels = self.corpus.make_label_dictionary("topic", add_unk=False)
        return TextClassifier(embeddings=embeddings, label_dictionary=labels, label_type="topic")


class FlairTaggerAdamW(FlairTagger):
    """``FlairTagger`` (the design half's tagging task) trained from scratch with AdamW."""

    spec = TaskSpec(
        "flair-sequencetagger-adamw",
        "Flair ModelTrainer.train, AdamW, 4 epochs, batch 16, no annealing",
        (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1),
        FlairTagger.spec.details,
        default_lr=1e-3,
        default_source=ADAM_DEFAULT,
        requires=("flair",),
    )
    optimizer = torch.optim.AdamW


# --- Hugging Face Trainer ---------------------------------------------------------------------


def _parity(data: IdData) -> IdData:
    return IdData(data.ids, data.labels % 2)


class HFLlamaLoRA(HFTask):
    """LoRA (peft, rank 4 on ``q_proj`` / ``v_proj``, a new trained score head) on a 2-layer
    Llama (hidden 32) pre-trained here on 4-topic classification; the target: which parity
    of topic a text is about, 256 examples, 10 % label noise."""

    spec = TaskSpec(
        "hf-llama-lora",
        "pre-training here, then HF Trainer + peft LoRA r=4, AdamW, linear decay, 4 epochs, "
        "batch 16",
        (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1),
        {
            "train": 256,
            "dev": 500,
            "model": "LlamaForSequenceClassification(2x32) + LoRA r=4",
            "pre-training": "4-topic classification, 4000 examples, 3 epochs, lr 1e-3",
        },
        default_lr=2e-4,
        default_source=LORA_DEFAULT,
        requires=("transformers", "peft"),
    )
    epochs = 4

    def __init__(self) -> None:
        super().__init__()
        self._pretrained = tempfile.TemporaryDirectory()
        self.pretrain_accuracy = pretrained_llama(self._pretrained.name)

    def make_data(self) -> tuple[IdData, IdData]:
        return (
            _parity(topic_ids(256, 61, noise=0.1, signal=2)),
            _parity(topic_ids(500, 62, noise=0.1, signal=2)),
        )

    def build(self) -> Any:
        from peft import LoraConfig, get_peft_model
        from transformers import LlamaForSequenceClassification

        with warnings.catch_warnings(), _quiet():
            warnings.simplefilter("ignore")
            model = LlamaForSequenceClassification.from_pretrained(
                self._pretrained.name, num_labels=2, ignore_mismatched_sizes=True
            )
        config = LoraConfig(
            task_type="SEQ_CLS",
            r=4,
            lora_alpha=8,
            lora_dropout=0.05,
            target_modules=["q_proj", "v_proj"],
        )
        return get_peft_model(model, config)


class HFWideFineTune(HFTask):
    """The second model size: a 4-layer BERT (hidden 64) pre-trained here on 4-topic
    classification, fine-tuned on topic parity (192 examples, 10 % label noise) with a
    cosine schedule and warmup."""

    spec = TaskSpec(
        "hf-bert-wide-fine-tune-cosine",
        "pre-training here, then HF Trainer, AdamW, cosine with 4 warmup steps, 4 epochs, batch 16",
        (1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2),
        {
            "train": 192,
            "dev": 500,
            "model": "BertForSequenceClassification(4x64)",
            "pre-training": "4-topic classification, 4000 examples, 3 epochs, lr 1e-3",
        },
        default_lr=5e-5,
        default_source=FINE_TUNE_DEFAULT,
        requires=("transformers",),
    )
    epochs = 4
    extra_args = {"lr_scheduler_type": "cosine", "warmup_steps": 4}

    def __init__(self) -> None:
        super().__init__()
        from transformers import BertForSequenceClassification

        self._pretrained = tempfile.TemporaryDirectory()
        torch.manual_seed(SEED)
        model = BertForSequenceClassification(_bert_config(TOPICS, hidden=64, layers=4))
        self.pretrain_accuracy = pretrain_topics(model, self._pretrained.name)

    def make_data(self) -> tuple[IdData, IdData]:
        return (
            _parity(topic_ids(192, 71, noise=0.1, signal=2)),
            _parity(topic_ids(500, 72, noise=0.1, signal=2)),
        )

    def build(self) -> Any:
        from transformers import BertForSequenceClassification

        with warnings.catch_warnings(), _quiet():
            warnings.simplefilter("ignore")
            return BertForSequenceClassification.from_pretrained(
                self._pretrained.name, num_labels=2, ignore_mismatched_sizes=True
            )


def regression_ids(n: int, seed: int) -> IdData:
    """Texts of 12 words, each a topic word (probability 0.4, any topic) or a filler; the
    target is (topic-0 words - topic-1 words) / 2 plus Gaussian noise (sd 0.25)."""
    rng = random.Random(seed)
    topics, fillers = topic_words()
    index = {w: FIRST_WORD + i for i, w in enumerate(_words())}
    rows, targets = [], []
    for _ in range(n):
        words, counts = [], [0] * TOPICS
        for _ in range(12):
            if rng.random() < 0.4:
                k = rng.randrange(TOPICS)
                counts[k] += 1
                words.append(rng.choice(topics[k]))
            else:
                words.append(rng.choice(fillers))
        rows.append([CLS] + [index[w] for w in words])
        targets.append((counts[0] - counts[1]) / 2 + rng.gauss(0.0, 0.25))
    return IdData(torch.tensor(rows), torch.tensor(targets, dtype=torch.float32))


class HFRegression(HFTask):
    """Regression from scratch (``num_labels=1``, mean squared error): a 2-layer BERT
    (hidden 32) counts topic words; the dev score is R^2 (0 for the constant mean)."""

    spec = TaskSpec(
        "hf-bert-regression",
        "HF Trainer, AdamW, linear decay, 6 epochs, batch 16, num_labels=1 (MSE)",
        (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1),
        {"train": 640, "dev": 500, "model": "BertForSequenceClassification(2x32, num_labels=1)"},
        default_lr=1e-3,
        default_source=ADAM_DEFAULT,
        requires=("transformers",),
    )
    epochs = 6
    metric = "r2"

    def make_data(self) -> tuple[IdData, IdData]:
        return regression_ids(640, 81), regression_ids(500, 82)

    def build(self) -> Any:
        from transformers import BertForSequenceClassification

        return BertForSequenceClassification(_bert_config(1))

    def constant_score(self) -> float:
        """R^2 of predicting the dev mean."""
        return 0.0

    def metrics(self, pred: Any) -> dict[str, float]:
        import numpy as np

        predictions, targets = pred
        predictions = np.asarray(predictions, dtype=np.float64).reshape(-1)
        targets = np.asarray(targets, dtype=np.float64).reshape(-1)
        if not np.all(np.isfinite(predictions)):
            return {"r2": float("-inf")}
        residual = float(((targets - predictions) ** 2).sum())
        total = float(((targets - targets.mean()) ** 2).sum())
        return {"r2": 1.0 - residual / total}


# --- sentence-transformers --------------------------------------------------------------------


def similarity_pairs(n: int, seed: int) -> dict[str, list[Any]]:
    """``n`` text pairs; score 1.0 when both texts' topics have the same parity, else 0.0
    (10 % of the texts' topics replaced at random)."""
    texts = topic_text(2 * n, seed, noise=0.1, signal=2)
    first, second = texts[:n], texts[n:]
    return {
        "sentence1": [" ".join(w) for w, _ in first],
        "sentence2": [" ".join(w) for w, _ in second],
        "score": [float(a % 2 == b % 2) for (_, a), (_, b) in zip(first, second, strict=True)],
    }


class STBiEncoder(HFTask):
    """A sentence-transformers bi-encoder (mean pooling) over a 2-layer BERT (hidden 32)
    pre-trained here on 4-topic classification, trained with ``CosineSimilarityLoss`` by
    ``SentenceTransformerTrainer`` to give texts whose topics share a parity a similar
    embedding; the dev score is the Spearman correlation of the cosine similarity with the
    gold score (``EmbeddingSimilarityEvaluator``)."""

    spec = TaskSpec(
        "st-bi-encoder-cosine",
        "pre-training here, then SentenceTransformerTrainer, CosineSimilarityLoss, AdamW, "
        "linear decay, 4 epochs, batch 16",
        (1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2),
        {
            "train pairs": 320,
            "dev pairs": 300,
            "model": "SentenceTransformer(BERT 2x32 + mean pooling)",
            "pre-training": "4-topic classification, 4000 examples, 3 epochs, lr 1e-3",
        },
        default_lr=5e-5,
        default_source=ST_DEFAULT,
        requires=("sentence_transformers", "datasets"),
    )
    epochs = 4
    metric = "dev_spearman_cosine"

    def __init__(self) -> None:
        import datasets
        import transformers

        transformers.utils.logging.disable_progress_bar()
        datasets.disable_progress_bars()
        super().__init__()
        self._pretrained = tempfile.TemporaryDirectory()
        self.pretrain_accuracy = pretrained_word_bert(self._pretrained.name)

    def make_data(self) -> tuple[Any, Any]:
        from datasets import Dataset

        return Dataset.from_dict(similarity_pairs(320, 91)), similarity_pairs(300, 92)

    def constant_score(self) -> float:
        """A constant embedding has no rank correlation with the gold score."""
        return 0.0

    def build(self) -> Any:
        from sentence_transformers import SentenceTransformer
        from sentence_transformers.models import Pooling, Transformer

        with warnings.catch_warnings(), _quiet():
            warnings.simplefilter("ignore")
            encoder = Transformer(self._pretrained.name, max_seq_length=16)
            pooling = Pooling(encoder.get_word_embedding_dimension(), "mean")
            return SentenceTransformer(modules=[encoder, pooling], device="cpu")

    def args(self, lr: float, output_dir: str, seed: int) -> Any:
        from sentence_transformers import SentenceTransformerTrainingArguments

        return SentenceTransformerTrainingArguments(**self.training_keywords(lr, output_dir, seed))

    def trainer(self, lr: float, output_dir: str, seed: int) -> Any:
        from sentence_transformers import SentenceTransformerTrainer
        from sentence_transformers.evaluation import EmbeddingSimilarityEvaluator
        from sentence_transformers.losses import CosineSimilarityLoss

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = self.model(seed)
            evaluator = EmbeddingSimilarityEvaluator(
                self.dev_data["sentence1"],
                self.dev_data["sentence2"],
                self.dev_data["score"],
                name="dev",
                batch_size=256,
                write_csv=False,
            )
            return SentenceTransformerTrainer(
                model=model,
                args=self.args(lr, output_dir, seed),
                train_dataset=self.train_data,
                loss=CosineSimilarityLoss(model),
                evaluator=evaluator,
            )


# --- plain PyTorch ----------------------------------------------------------------------------


def teacher_data(n: int, seed: int, *, noise: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` Gaussian points in 10 dimensions labelled by a fixed random 2-layer tanh teacher
    (3 classes, argmax), a share ``noise`` of the labels replaced at random."""
    teacher = torch.Generator().manual_seed(1234)
    w1 = torch.randn(10, 16, generator=teacher)
    w2 = torch.randn(16, 3, generator=teacher)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 10, generator=gen)
    y = (torch.tanh(x @ w1) @ w2).argmax(-1)
    flip = torch.rand(n, generator=gen) < noise
    y[flip] = torch.randint(0, 3, (int(flip.sum()),), generator=gen)
    return x, y


class TorchMLPMomentum:
    """A plain PyTorch loop: an MLP (10-64-64-3, ReLU) learns a random teacher's classes
    with SGD and momentum 0.9, batch 32, 8 epochs, no schedule. The sweep is lrguard's own
    range test machinery (``prepare_sweep``, ``SweepRecorder``, ``torch_lrguard``'s
    ``run_sweep``) over the same loop."""

    spec = TaskSpec(
        "torch-mlp-sgd-momentum",
        "plain PyTorch loop, SGD momentum 0.9, 8 epochs, batch 32, no schedule",
        (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0),
        {"train": 1200, "dev": 1000, "model": "MLP 10-64-64-3"},
        default_lr=0.1,
        default_source=SGD_MOMENTUM_DEFAULT,
        requires=("torch_lrguard",),
    )
    epochs = 8
    batch = 32
    momentum = 0.9

    def __init__(self) -> None:
        self.train_x, self.train_y = teacher_data(1200, 101, noise=0.1)
        self.dev_x, self.dev_y = teacher_data(1000, 102, noise=0.1)

    def model(self, seed: int) -> torch.nn.Module:
        torch.manual_seed(seed)
        return torch.nn.Sequential(
            torch.nn.Linear(10, 64),
            torch.nn.ReLU(),
            torch.nn.Linear(64, 64),
            torch.nn.ReLU(),
            torch.nn.Linear(64, 3),
        )

    def constant_score(self) -> float:
        return float(torch.bincount(self.dev_y).max()) / len(self.dev_y)

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The training loss of a batch's model output."""
        return torch.nn.functional.cross_entropy(output, target)

    def score(self, output: torch.Tensor) -> float:
        """The dev score of the model's output on the dev inputs (accuracy; 0 once the
        model has diverged)."""
        if not torch.isfinite(output).all():
            return 0.0
        return float((output.argmax(-1) == self.dev_y).float().mean())

    def loader(self, seed: int) -> torch.utils.data.DataLoader:
        generator = torch.Generator().manual_seed(seed)
        data = torch.utils.data.TensorDataset(self.train_x, self.train_y)
        return torch.utils.data.DataLoader(
            data, batch_size=self.batch, shuffle=True, generator=generator
        )

    def optimizer(self, model: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=self.momentum)

    def schedule(
        self, optimizer: torch.optim.Optimizer, steps: int
    ) -> torch.optim.lr_scheduler.LRScheduler | None:
        """The recipe's schedule over ``steps`` optimizer steps, stepped after every batch
        (None: a constant rate). The range test sweeps without it."""
        return None

    def train(self, lr: float, seed: int) -> list[float]:
        """The dev score after every epoch."""
        model = self.model(seed)
        optimizer = self.optimizer(model, lr)
        loader = self.loader(seed)
        scheduler = self.schedule(optimizer, self.epochs * len(loader))
        scores = []
        for _ in range(self.epochs):
            model.train()
            for x, y in loader:
                loss = self.loss(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
            model.eval()
            with torch.no_grad():
                scores.append(self.score(model(self.dev_x)))
        return scores

    def range_test(self, seed: int, method: str) -> Any:
        from lrguard.range_test.recorder import SweepRecorder
        from lrguard.range_test.request import prepare_sweep
        from lrguard.range_test.suggest import TRAINING_METHODS, momentum_of
        from torch_lrguard.range_test import CyclingBatches, find_learning_rate, run_sweep

        if method in TRAINING_METHODS:  # several sweeps or a race: the finder runs them
            model = self.model(seed)
            return find_learning_rate(
                model,
                self.optimizer(model, SWEEP_START),
                self.loader(seed),
                lambda model, batch: self.loss(model(batch[0]), batch[1]),
                start_lr=SWEEP_START,
                end_lr=SWEEP_END,
                num_steps=SWEEP_STEPS,
                method=method,
                seed=seed,
                progress=False,
            )
        settings = prepare_sweep(
            start_lr=SWEEP_START, end_lr=SWEEP_END, num_steps=SWEEP_STEPS, method=method
        )
        recorder = SweepRecorder(settings, method)
        model = self.model(seed)
        optimizer = self.optimizer(model, SWEEP_START)
        loader = self.loader(seed)
        data = CyclingBatches(lambda: loader, recorder.note_cycled)

        def train_step() -> float:
            x, y = next(data)
            loss = self.loss(model(x), y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            return float(loss.item())

        model.train()
        run_sweep(optimizer, train_step, settings, recorder, progress=False)
        return recorder.result(
            framework="torch",
            optimizer=type(optimizer).__name__,
            momentum=momentum_of(optimizer.param_groups),
        )

    def lr_finder(self, seed: int) -> Sweep:
        from torch_lr_finder import TrainDataLoaderIter

        task = self

        class LossModel(torch.nn.Module):
            def __init__(self, inner: torch.nn.Module) -> None:
                super().__init__()
                self.inner = inner

            def forward(self, batch: Any) -> tuple[torch.Tensor, int]:
                x, y = batch
                return task.loss(self.inner(x), y), 1

        class PairBatches(TrainDataLoaderIter):
            def inputs_labels_from_batch(self, batch_data: Any) -> tuple[Any, None]:
                return tuple(batch_data), None

        model = self.model(seed)
        optimizer = self.optimizer(model, SWEEP_START)
        return _run_lr_finder(LossModel(model), optimizer, PairBatches(self.loader(seed)), None)


TASKS = (
    FlairTransformerFineTune,
    HFLlamaLoRA,
    HFWideFineTune,
    HFRegression,
    STBiEncoder,
    FlairTaggerAdamW,
    TorchMLPMomentum,
)
"""The report half's tasks."""
