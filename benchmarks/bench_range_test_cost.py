"""What a range test costs: wall time against plain training, and memory for the snapshot.

* Time: ``find_learning_rate`` with 100 steps against 100 plain training steps of the same
  model, batches, optimizer and clipping (Flair: ``forward_loss``, backward, clipping, SGD
  step; Hugging Face: ``Trainer.training_step``, clipping, AdamW step), median of several
  interleaved runs. The sweep's rates stay low (1e-6 to 1e-2) so it runs all 100 steps.
  The sweep's time includes everything it does besides training: the snapshot and its
  exact restore, the suggestion and writing its files (JSON, TSV, plot, decision log).
  Budget: <= 1.2x.
* Memory: in a fresh process per measurement, a model of a few tens of MB of parameters
  trains the same 100 plain steps first (its optimizer state exists, and the peak resident
  set, ``ru_maxrss``, then holds plain training's own peak: activations, gradients), then
  sweeps. The growth of the peak is the sweep's overhead over plain training; it is compared
  with one copy of the model's training state (parameters, buffers, and its gradients when
  it holds any: Flair leaves the last batch's gradients in place, Trainer clears them) plus
  the optimizer's state, the copy the exact restore needs. Reported at the end of the sweep
  and restore, and after the report files (the PNG imports matplotlib). Measured with the
  copy in memory and with ``keep_copy_on_disk=True``. Budget: overhead <= that one copy.

  glibc's allocator raises its mmap threshold each time a large block is freed (up to 32 MB),
  and then keeps blocks below it in its heap after they are freed: the resident set keeps
  memory that is free for reuse (plain training's own transient gradient, for one). The
  budget is checked with the threshold fixed (``MALLOC_MMAP_THRESHOLD_``), which measures
  what the range test holds; the figures with glibc's defaults are printed beside it. The
  finder's modules are imported before the baseline is read: importing is paid once per
  process, not per copy.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

TIME_BUDGET = 1.2
STEPS = 100
REPEATS = 5
ROOT = Path(__file__).resolve().parents[1]
SWEEP = {"start_lr": 1e-6, "end_lr": 1e-2, "num_steps": STEPS, "progress": False, "verbose": False}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _tensor_mb(tensors: Any) -> float:
    return sum(t.numel() * t.element_size() for t in tensors) / 2**20


# --- Flair ------------------------------------------------------------------------------------


def _flair_setup(vocab_size: int, width: int) -> Any:
    import flair
    from flair.data import Corpus, Dictionary, Sentence
    from flair.datasets import SentenceDataset
    from flair.embeddings import DocumentRNNEmbeddings, OneHotEmbeddings
    from flair.models import TextClassifier
    from flair.trainers import ModelTrainer

    from benchmarks.range_tasks import _flair_quiet, topic_text, topic_words

    _flair_quiet()
    sentences = []
    for words, label in topic_text(256, 1, noise=0.1, signal=3):
        sentence = Sentence(" ".join(words))
        sentence.add_label("topic", f"topic{label}")
        sentences.append(sentence)
    corpus = Corpus(train=SentenceDataset(sentences), sample_missing_splits=False)
    flair.set_seed(0)
    vocab = Dictionary()
    topics, fillers = topic_words()
    for word in [w for ws in topics for w in ws] + fillers:
        vocab.add_item(word)
    for i in range(vocab_size - len(vocab)):
        vocab.add_item(f"extra{i}")
    embeddings = DocumentRNNEmbeddings(
        [OneHotEmbeddings(vocab, embedding_length=width)], hidden_size=width, rnn_type="GRU"
    )
    labels = corpus.make_label_dictionary("topic", add_unk=False)
    model = TextClassifier(embeddings=embeddings, label_dictionary=labels, label_type="topic")
    return ModelTrainer(model, corpus)


def flair_plain(trainer: Any, steps: int, batch: int) -> float:
    """Seconds for ``steps`` plain training steps, as ``ModelTrainer`` takes them."""
    import torch
    from flair.datasets import DataLoader
    from flair.training_utils import store_embeddings

    model = trainer.model
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    model.train()
    start = time.perf_counter()
    done = 0
    while done < steps:
        for sentences in DataLoader(trainer.corpus.train, batch_size=batch, shuffle=True):
            optimizer.zero_grad()
            loss, _ = model.forward_loss(sentences)
            loss.backward()
            store_embeddings(sentences, "none")
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            done += 1
            if done == steps:
                break
    return time.perf_counter() - start


def flair_sweep(trainer: Any, batch: int, **kwargs: Any) -> tuple[float, int]:
    from flair_lrguard.range_test import find_learning_rate

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = find_learning_rate(trainer, tmp, mini_batch_size=batch, **SWEEP, **kwargs)
        return time.perf_counter() - start, len(result.rates)


# --- Hugging Face -----------------------------------------------------------------------------


def _hf_setup(vocab_size: int, hidden: int, layers: int, output_dir: str) -> Any:
    import torch
    import transformers
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    from benchmarks.range_tasks import topic_ids

    transformers.logging.set_verbosity_error()
    torch.manual_seed(0)
    model = BertForSequenceClassification(
        BertConfig(
            vocab_size=vocab_size,
            hidden_size=hidden,
            num_hidden_layers=layers,
            num_attention_heads=4,
            intermediate_size=2 * hidden,
            max_position_embeddings=16,
            num_labels=4,
        )
    )
    args = TrainingArguments(
        output_dir=output_dir,
        per_device_train_batch_size=16,
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        save_strategy="no",
        logging_strategy="no",
    )
    return Trainer(model=model, args=args, train_dataset=topic_ids(512, 1, noise=0.1))


def hf_plain(trainer: Any, steps: int) -> float:
    """Seconds for ``steps`` optimizer steps as ``Trainer`` takes them."""
    import torch

    optimizer = trainer.optimizer or trainer.create_optimizer()
    model = trainer.model
    model.train()
    if not hasattr(trainer, "current_gradient_accumulation_steps"):  # set by Trainer.train()
        trainer.current_gradient_accumulation_steps = 1
    start = time.perf_counter()
    done = 0
    while done < steps:
        for inputs in trainer.get_train_dataloader():
            trainer.training_step(model, inputs)
            torch.nn.utils.clip_grad_norm_(model.parameters(), trainer.args.max_grad_norm)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            done += 1
            if done == steps:
                break
    return time.perf_counter() - start


def hf_sweep(trainer: Any, **kwargs: Any) -> tuple[float, int]:
    from hf_lrguard.range_test import find_learning_rate

    start = time.perf_counter()
    result = find_learning_rate(trainer, **SWEEP, **kwargs)
    return time.perf_counter() - start, len(result.rates)


# --- the two measurements ---------------------------------------------------------------------


def measure_time() -> bool:
    """Sweep vs plain steps, Flair and HF; True when both are within the budget."""
    import torch

    torch.set_num_threads(1)
    ok = True
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        setups = {
            "flair": (
                _flair_setup(5000, 128),
                lambda t: flair_plain(t, STEPS, 16),
                lambda t: flair_sweep(t, 16),
            ),
            "hf": (
                _hf_setup(5000, 128, 2, tmp),
                lambda t: hf_plain(t, STEPS),
                lambda t: hf_sweep(t),
            ),
        }
        for name, (trainer, plain, sweep) in setups.items():
            params = _tensor_mb(trainer.model.parameters())
            plain(trainer)  # warm-up
            sweep(trainer)
            plains, sweeps = [], []
            for i in range(REPEATS):
                order = [(plains, plain), (sweeps, sweep)]
                for times, run in order if i % 2 == 0 else reversed(order):
                    value = run(trainer)
                    if isinstance(value, tuple):
                        seconds, steps = value
                        if steps != STEPS:
                            print(f"  {name}: the sweep ran {steps} steps, not {STEPS}")
                            ok = False
                        value = seconds
                    times.append(value)
            ratio = statistics.median(sweeps) / statistics.median(plains)
            good = ratio <= TIME_BUDGET
            ok &= good
            sweep_s, plain_s = statistics.median(sweeps), statistics.median(plains)
            print(
                f"  {name} ({params:.1f} MB of parameters): sweep {sweep_s:.2f} s "
                f"vs {STEPS} plain steps {plain_s:.2f} s: {ratio:.3f}x "
                f"(budget <= {TIME_BUDGET}x, median of {REPEATS}): {'ok' if good else 'MISSED'}",
                flush=True,
            )
    return ok


def memory_child(framework: str, on_disk: bool) -> dict[str, float]:
    """In this (fresh) process: build a large model, train plain steps, sweep; report MB."""
    import torch

    from lrguard.range_test.result import RangeTestResult

    importlib.import_module(f"{framework}_lrguard.range_test")  # imports are paid once
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    peaks: dict[str, float] = {}
    save = RangeTestResult.save

    def timed_save(self: RangeTestResult, *args: Any, **kwargs: Any) -> Any:
        peaks["sweep"] = _peak_mb()  # the sweep has run and the state is restored
        return save(self, *args, **kwargs)

    RangeTestResult.save = timed_save  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp:
        if framework == "flair":
            trainer = _flair_setup(60_000, 128)  # 7.7 M embedding parameters
            flair_plain(trainer, STEPS, 16)
            optimizer_mb = 0.0  # find_learning_rate builds its SGD (no state) itself
            run = lambda: flair_sweep(trainer, 16, keep_copy_on_disk=on_disk)  # noqa: E731
        else:
            trainer = _hf_setup(60_000, 128, 2, tmp)
            hf_plain(trainer, STEPS)
            state = trainer.optimizer.state.values()
            optimizer_mb = _tensor_mb(t for s in state for t in s.values() if torch.is_tensor(t))
            run = lambda: hf_sweep(trainer, keep_copy_on_disk=on_disk)  # noqa: E731
        model = trainer.model
        model_mb = _tensor_mb([*model.parameters(), *model.buffers()])
        grads_mb = _tensor_mb(p.grad for p in model.parameters() if p.grad is not None)
        before = _peak_mb()
        run()
        after = _peak_mb()
    return {
        "model_mb": model_mb,
        "grads_mb": grads_mb,
        "optimizer_mb": optimizer_mb,
        "sweep_overhead_mb": peaks["sweep"] - before,
        "overhead_mb": after - before,
    }


FIXED_THRESHOLD = {"MALLOC_MMAP_THRESHOLD_": "131072"}
"""glibc: allocate every block above 128 KiB with mmap, so a freed tensor leaves the RSS."""


def _memory_row(framework: str, on_disk: bool, fixed: bool) -> dict[str, float]:
    command = [sys.executable, "-m", "benchmarks.bench_range_test_cost", "--memory", framework]
    env = {**os.environ, **(FIXED_THRESHOLD if fixed else {})}
    out = subprocess.run(
        command + (["--disk"] if on_disk else []),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure_memory() -> bool:
    """Peak RSS over plain training, copy in memory and on disk; True within the budget."""
    ok = True
    for framework in ("flair", "hf"):
        for on_disk in (False, True):
            row = _memory_row(framework, on_disk, fixed=True)
            default = _memory_row(framework, on_disk, fixed=False)
            budget = row["model_mb"] + row["grads_mb"] + row["optimizer_mb"]
            good = row["overhead_mb"] <= budget
            ok &= good
            where = "copy on disk" if on_disk else "copy in memory"
            print(
                f"  {framework}, {where}: peak RSS over plain training "
                f"+{row['sweep_overhead_mb']:.1f} MB after sweep and restore, "
                f"+{row['overhead_mb']:.1f} MB with the report files (glibc defaults: "
                f"+{default['sweep_overhead_mb']:.1f} / +{default['overhead_mb']:.1f} MB); "
                f"one copy = model {row['model_mb']:.1f} + gradients {row['grads_mb']:.1f} + "
                f"optimizer state {row['optimizer_mb']:.1f} = {budget:.1f} MB (budget): "
                f"{'ok' if good else 'MISSED'}",
                flush=True,
            )
    return ok


def main(argv: list[str]) -> int:
    if argv[:1] == ["--memory"]:
        print(json.dumps(memory_child(argv[1], "--disk" in argv)))
        return 0
    start = time.perf_counter()
    print("range test wall time vs plain training:")
    time_ok = measure_time()
    print("range test peak memory (fresh process each):")
    memory_ok = measure_memory()
    print(f"({time.perf_counter() - start:.0f} s)")
    return 0 if time_ok and memory_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
