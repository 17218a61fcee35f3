"""Guard overhead in a real Trainer loop: <= 1 % (DESIGN.md §7).

A 200-step tiny BERT run (built from a config, offline, CPU) with ``LRGuardCallback``: the
time spent inside the callback's events is measured directly and compared with the run's
wall time. The same run without the callback is interleaved with it (A B B A ...) and the
with/without ratios are printed too; on a shared 2-core machine they carry a few percent of
noise, which is why the budget is judged on the directly measured share. The run uses
``cosine_with_min_lr`` with a floor above the peak, so the guard adjusts the schedule (its
costly path).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import count
from pathlib import Path

from benchmarks._timing import HookClock, RunTime, interleaved, report

os.environ.setdefault("HF_HUB_OFFLINE", "1")

BUDGET = 0.01
"""Share of the run's wall time spent inside the guard."""


def _run(steps: int, callback_factory: Callable[[], object] | None, workdir: Path) -> RunTime:
    from transformers import PrinterCallback

    from tests.hf.conftest import make_args, make_trainer

    args = make_args(
        workdir,
        max_steps=steps,
        logging_steps=50,
        lr_scheduler_type="cosine_with_min_lr",
        lr_scheduler_kwargs={"min_lr": 1e-4},
    )
    clock = HookClock()
    callbacks = None
    if callback_factory is not None:
        callback = callback_factory()
        events = [name for name in dir(callback) if name.startswith("on_")]
        callbacks = [clock.instrument(callback, events)]
    wall, cpu = time.perf_counter(), time.process_time()
    trainer = make_trainer(args, callbacks=callbacks)
    trainer.remove_callback(PrinterCallback)  # keep the benchmark's output to its numbers
    trainer.train()
    return RunTime(time.perf_counter() - wall, time.process_time() - cpu, clock.seconds)


def measure(
    steps: int = 200, repeats: int = 7, callback_factory: Callable[[], object] | None = None
) -> float:
    """The share of a guarded run's wall time spent inside the callback (median of runs).

    Args:
        steps: optimizer steps per run.
        repeats: runs with and without the callback, interleaved.
        callback_factory: builds the callback under test (``LRGuardCallback`` by default).
    """
    import torch
    import transformers

    from hf_lrguard import LRGuardCallback

    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    factory = callback_factory or LRGuardCallback
    ids = count()
    with tempfile.TemporaryDirectory() as tmp:
        plain, guarded = interleaved(
            lambda guard: _run(steps, factory if guard else None, Path(tmp) / str(next(ids))),
            repeats,
        )
    return report("hf callback", plain, guarded, BUDGET)


def main() -> int:
    """Print the measurements; 0 when within ``BUDGET``."""
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    share = measure(repeats=7)
    verdict = "ok" if share <= BUDGET else "OVER BUDGET"
    print(f"hf callback overhead {share:.3%} (budget {BUDGET:.0%}) {verdict}")
    return 0 if share <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
