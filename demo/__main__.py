"""``make demo``: Flair at lr 1e-5 stock (stops after epoch 1) vs guarded (all epochs),
then a pre-flight check of the example configs. Outputs go to ``demo-output/``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

OUT = Path("demo-output")
EXAMPLES = Path("examples")
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
    """Train the tiny classifier stock and guarded; return epochs of each and the decisions."""
    from flair.trainers import ModelTrainer

    from demo.flair_tiny import make_classifier, make_corpus, quiet_flair
    from flair_lrguard import LRGuardPlugin

    quiet_flair()
    runs = {}
    for name, plugins in (("stock", []), ("guarded", [LRGuardPlugin()])):
        corpus = make_corpus()
        trainer = ModelTrainer(make_classifier(corpus), corpus)
        print(f"-- training {name}: " + ", ".join(f"{k}={v}" for k, v in SETTINGS.items()))
        trainer.train(OUT / f"flair-{name}", plugins=plugins, **SETTINGS)
        runs[name] = _epochs_trained(OUT / f"flair-{name}")
    return runs["stock"], runs["guarded"], plugins[0].decisions


def run_check() -> int:
    """``lrguard check examples/``; its exit code."""
    if not EXAMPLES.exists():
        return 0
    print(f"\n-- lrguard check {EXAMPLES}/")
    return subprocess.call([sys.executable, "-m", "lrguard", "check", str(EXAMPLES)])


def main() -> int:
    """Run the demo and print its summary."""
    shutil.rmtree(OUT, ignore_errors=True)
    stock, guarded, decisions = run_flair()
    print("\n== Flair, learning_rate=1e-05, default min_learning_rate=1e-4, patience=10")
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
    print(f"\n(lrguard check exit code {code}: 1 means it found errors, as the examples intend)")
    return 0 if stock == 1 and guarded == SETTINGS["max_epochs"] else 1


if __name__ == "__main__":
    sys.exit(main())
