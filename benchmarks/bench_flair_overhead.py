"""Guard overhead in a real Flair training loop: <= 1 % (DESIGN.md §7).

The same 60-epoch run of the tiny offline TextClassifier (``demo.flair_tiny``) is timed
stock (Flair's AnnealingPlugin) and with ``LRGuardPlugin`` in its place, interleaved
(A B B A ...) so drifts in machine load hit both; the ratio of the medians is reported.
``learning_rate=0.1`` with ``patience=3`` makes both anneal, identically, several times; the
floor (1e-8) is out of reach, so neither stops early: both train all 60 epochs (checked, as
a shorter run would make the comparison meaningless).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BUDGET = 1.01
"""Guarded CPU time / stock CPU time must not exceed this."""

SETTINGS = {
    "learning_rate": 0.1,
    "min_learning_rate": 1e-8,
    "patience": 3,
    "max_epochs": 60,
    "mini_batch_size": 8,
    "save_final_model": False,
}


def _run(plugin_factory: Callable[[], object] | None, base_path: Path) -> tuple[float, float]:
    from flair.trainers import ModelTrainer

    from demo.flair_tiny import make_classifier, make_corpus

    corpus = make_corpus()
    trainer = ModelTrainer(make_classifier(corpus), corpus)
    plugins = [plugin_factory()] if plugin_factory is not None else []
    wall, cpu = time.perf_counter(), time.process_time()
    trainer.train(base_path, plugins=plugins, **SETTINGS)
    elapsed = time.perf_counter() - wall, time.process_time() - cpu
    epochs = len((base_path / "loss.tsv").read_text().splitlines()) - 1
    if epochs != SETTINGS["max_epochs"]:
        raise RuntimeError(f"run stopped after {epochs} epochs: the timings are not comparable")
    return elapsed


def measure(repeats: int = 7, plugin_factory: Callable[[], object] | None = None) -> float:
    """Median CPU time guarded / median CPU time stock (interleaved runs after a warm-up).

    Args:
        repeats: runs of each variant.
        plugin_factory: builds the plugin under test (``LRGuardPlugin`` by default).

    Returns:
        The ratio; 1.0 means no measurable overhead.
    """
    import torch

    from demo.flair_tiny import quiet_flair
    from flair_lrguard import LRGuardPlugin

    torch.set_num_threads(1)
    quiet_flair()
    factory = plugin_factory or LRGuardPlugin
    guarded: list[tuple[float, float]] = []
    stock: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _run(None, work / "warm-a")
        _run(factory, work / "warm-b")
        for i in range(repeats):
            order = [(stock, None), (guarded, factory)]
            for times, make in order if i % 2 == 0 else reversed(order):
                times.append(_run(make, work / f"run{i}-{len(times)}-{make is None}"))
    cpu = statistics.median(t[1] for t in guarded) / statistics.median(t[1] for t in stock)
    wall = statistics.median(t[0] for t in guarded) / statistics.median(t[0] for t in stock)
    print(f"  median wall ratio {wall:.4f}, median cpu ratio {cpu:.4f} ({repeats} pairs)")
    return cpu


def main() -> int:
    """Print the ratio; 0 when within ``BUDGET``."""
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    ratio = measure(repeats=9)
    verdict = "ok" if ratio <= BUDGET else "OVER BUDGET"
    print(
        f"flair plugin overhead: guarded/stock CPU time = {ratio:.4f} (budget {BUDGET}) {verdict}"
    )
    return 0 if ratio <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
