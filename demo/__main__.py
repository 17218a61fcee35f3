"""``make demo``: a transformer fine-tuned in Flair at lr 1e-5 with AdamW, stock (stops after
epoch 1) vs guarded (all epochs), then the pre-flight check of the same setting as a config.
Outputs go to ``demo-output/``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

OUT = Path("demo-output")
CONFIG = Path("examples/flair_lr_1e-5.yaml")
"""The same setting as train() keywords in a config file, for ``lrguard check``."""
SETTINGS: dict[str, Any] = {
    "learning_rate": 1e-5,
    "patience": 10,
    "max_epochs": 5,
    "mini_batch_size": 8,
}


def _epochs_trained(base_path: Path) -> int:
    log = (base_path / "training.log").read_text(encoding="utf-8")
    return sum(1 for line in log.splitlines() if " done: loss " in line)


def run_flair() -> tuple[int, int, list[dict[str, Any]]]:
    """Fine-tune the tiny transformer stock and guarded; return the epochs each trained and the
    guard's decisions."""
    import torch
    from flair.trainers import ModelTrainer

    from demo.flair_tiny import quiet_flair
    from flair_lrguard import LRGuardPlugin
    from flair_lrguard.examples import (
        make_corpus,
        make_transformer_classifier,
        save_tiny_transformer,
    )

    quiet_flair()
    torch.set_num_threads(1)  # a tiny model: more threads only contend on a busy CPU
    print(f"-- pre-training a tiny BERT (1 layer, hidden size 16) into {OUT}/tiny-bert")
    model_path = save_tiny_transformer(OUT / "tiny-bert")
    runs = {}
    for name, plugins in (("stock", []), ("guarded", [LRGuardPlugin()])):
        corpus = make_corpus()
        trainer = ModelTrainer(make_transformer_classifier(corpus, model_path), corpus)
        print(
            f"-- fine-tuning {name}: optimizer=AdamW, "
            + ", ".join(f"{k}={v}" for k, v in SETTINGS.items())
        )
        trainer.train(
            OUT / f"flair-{name}", optimizer=torch.optim.AdamW, plugins=plugins, **SETTINGS
        )
        runs[name] = _epochs_trained(OUT / f"flair-{name}")
    return runs["stock"], runs["guarded"], plugins[0].decisions


def run_check() -> int:
    """``lrguard check`` on the same setting written as a config; its exit code."""
    if not CONFIG.exists():
        return 0
    print(f"\n-- lrguard check {CONFIG}")
    return subprocess.call([sys.executable, "-m", "lrguard", "check", str(CONFIG)])


def main() -> int:
    """Run the demo and print its summary."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    shutil.rmtree(OUT, ignore_errors=True)
    stock, guarded, decisions = run_flair()
    print(
        "\n== Flair, TransformerDocumentEmbeddings(fine_tune=True), AdamW, learning_rate=1e-05,"
        "\n   default min_learning_rate=1e-4, patience=10"
    )
    print(f"   stock Flair : {stock} of {SETTINGS['max_epochs']} epochs trained")
    print(f"   with lrguard: {guarded} of {SETTINGS['max_epochs']} epochs trained")
    for record in decisions:
        change = (
            f" {record['before']} -> {record['after']}" if record["action"] == "adjusted" else ""
        )
        print(f"   decision    : {record['rule']} {record['action']}{change}")
        print(f"                 {record['message']}")
    print(f"   outputs     : {OUT}/flair-stock, {OUT}/flair-guarded (lrguard.jsonl, training.log)")
    code = run_check()
    print(f"\n(lrguard check exit code {code}: 1 means it found an error, as the config intends)")
    return 0 if stock == 1 and guarded == SETTINGS["max_epochs"] else 1


if __name__ == "__main__":
    sys.exit(main())
