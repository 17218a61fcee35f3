"""Guard overhead in a real Trainer loop: <= 1 % of wall time (DESIGN.md §7).

The same 200-step tiny BERT run (built from a config, offline, CPU) is timed with and
without ``LRGuardCallback``, interleaved (A B B A ...) so drifts in machine load hit both,
and the ratio of the medians is reported. The guard does work at construction, at
``on_train_begin`` and at evaluations; the run uses ``cosine_with_min_lr`` with a floor above
the peak so the guard adjusts the schedule (the costly path).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

BUDGET = 1.01
"""Guarded wall time / unguarded wall time must not exceed this."""


def _run(
    steps: int, callback_factory: Callable[[], object] | None, workdir: Path
) -> tuple[float, float]:
    from transformers import PrinterCallback

    from tests.hf.conftest import make_args, make_trainer

    args = make_args(
        workdir,
        max_steps=steps,
        logging_steps=50,
        lr_scheduler_type="cosine_with_min_lr",
        lr_scheduler_kwargs={"min_lr": 1e-4},
    )
    callbacks = [callback_factory()] if callback_factory is not None else None
    wall, cpu = time.perf_counter(), time.process_time()
    trainer = make_trainer(args, callbacks=callbacks)
    trainer.remove_callback(PrinterCallback)  # keep the benchmark's output to its numbers
    trainer.train()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(
    steps: int = 200,
    repeats: int = 7,
    callback_factory: Callable[[], object] | None = None,
    clock: str = "cpu",
) -> float:
    """Median time with the callback / median without it (interleaved runs).

    ``clock="cpu"`` (default) uses this process's CPU time (one torch thread), which the load
    of other processes on a shared machine does not inflate; ``"wall"`` uses wall time.

    Args:
        steps: optimizer steps per run.
        repeats: runs of each variant (after one warm-up run of each).
        callback_factory: builds the callback under test (``LRGuardCallback`` by default).

    Returns:
        The ratio; 1.0 means no measurable overhead.
    """
    import torch
    import transformers

    from hf_lrguard import LRGuardCallback

    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    factory = callback_factory or LRGuardCallback
    guarded: list[tuple[float, float]] = []
    plain: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _run(steps, None, work / "warm-a")
        _run(steps, factory, work / "warm-b")
        for i in range(repeats):
            order = [(plain, None), (guarded, factory)]
            for times, cb in order if i % 2 == 0 else reversed(order):
                times.append(_run(steps, cb, work / f"run{i}-{len(times)}-{cb is None}"))
    pick = 1 if clock == "cpu" else 0
    ratio = statistics.median(t[pick] for t in guarded) / statistics.median(t[pick] for t in plain)
    wall = statistics.median(t[0] for t in guarded) / statistics.median(t[0] for t in plain)
    print(f"  median wall ratio {wall:.4f}, median {clock} ratio {ratio:.4f} ({repeats} pairs)")
    return ratio


def main() -> int:
    """Print the ratio; 0 when within ``BUDGET``."""
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    ratio = measure(repeats=9)
    verdict = "ok" if ratio <= BUDGET else "OVER BUDGET"
    print(f"hf callback overhead: guarded/plain CPU time = {ratio:.4f} (budget {BUDGET}) {verdict}")
    return 0 if ratio <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
