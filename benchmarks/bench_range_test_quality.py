"""How good are the range test's suggestions? Trained, not assumed.

On six small offline learning problems (``benchmarks/range_tasks.py``: a Flair
``TextClassifier``, a Flair ``SequenceTagger``, a BERT trained from scratch with ``Trainer``,
a BERT pre-trained here and then fine-tuned, and two crossings of optimizer and framework that
check that the lrguard rule follows the optimizer, not the framework: the Flair classifier
trained with AdamW, and a bag-of-words model trained by ``Trainer`` with SGD), each run with
its framework's own trainer:

1. a grid of log-spaced rates is trained to completion; the best dev score of each run is
   recorded, and the grid's best rate is the reference;
2. ``find_learning_rate`` (lrguard) sweeps a fresh model with the same seed; every method's
   suggestion is read from ``result.suggestions``: ``lrguard`` (ours), ``steepest``
   (PyTorch Lightning's rule), ``valley`` (fastai's) and ``minimum`` (fastai's min / 10);
3. torch-lr-finder 0.2.2 sweeps a fresh model with the same optimizer, batches, loss and
   gradient clipping (``LRFinder.range_test(end_lr=10, num_iter=100)``) and suggests with its
   own ``plot(suggest_lr=True)``;
4. each suggested rate is trained to completion with the grid's recipe.

Budgets: on every task, lrguard's rate within 3x of the grid's best rate, and lrguard's dev
score at least the best peer's (steepest, valley, torch-lr-finder; equal meets it). Every
sweep's raw curve and the grid are written to ``benchmarks/results/range_test_quality.json``
so the suggestion rule can be studied offline on the recorded curves.

``python -m benchmarks.bench_range_test_quality [task ...]`` runs the named tasks only.

Design half and report half, fixed before any new task was built or run: the six tasks
above (``DESIGN_TASKS``) chose the current suggestion rule, so they are the design half; every
task added after them forms the report half. A suggestion rule is chosen and tuned on the
design half only, and the acceptance numbers are read from the report half only.
"""

from __future__ import annotations

import json
import math
import platform
import sys
import time
from pathlib import Path
from typing import Any

RATIO_BUDGET = 3.0
OURS = "lrguard"
PEERS = ("steepest", "valley", "torch-lr-finder")
METHODS = ("lrguard", "steepest", "valley", "minimum", "torch-lr-finder")
DESIGN_TASKS = (
    "flair-textclassifier",
    "flair-sequencetagger",
    "hf-bert-from-scratch",
    "hf-bert-fine-tune",
    "flair-textclassifier-adamw",
    "hf-bag-of-words-sgd",
)
"""The design half: the tasks a suggestion rule may be chosen and tuned on. Every other task
in ``range_tasks.TASKS`` is in the report half."""
RESULTS = Path(__file__).resolve().parent / "results" / "range_test_quality.json"


def _best(scores: list[float]) -> float:
    finite = [s for s in scores if math.isfinite(s)]
    return max(finite) if finite else 0.0


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def run_task(task_class: Any) -> dict[str, Any]:
    """Grid, sweeps and the trained suggestions of one task, printed and returned."""
    from benchmarks.range_tasks import Sweep

    start = time.perf_counter()
    task = task_class()
    spec = task.spec
    print(f"\n== {spec.name}: {spec.recipe}", flush=True)
    extra = getattr(task, "pretrain_accuracy", None)
    if extra is not None:
        print(f"  pre-training (related task) dev accuracy: {extra:.3f}")
    grid: list[dict[str, Any]] = []
    for lr in spec.grid:
        scores = task.train(lr)
        grid.append({"lr": lr, "scores": scores, "best": _best(scores)})
    top = max(row["best"] for row in grid)
    best_lr = next(row["lr"] for row in grid if row["best"] == top)  # ties: the lowest rate
    cells = ", ".join(f"{r['lr']:g}: {r['best']:.3f}" for r in grid)
    print(f"  grid (rate -> best dev score): {cells}")
    print(f"  grid-best rate: {best_lr:g} (dev score {top:.3f})")

    sweep_start = time.perf_counter()
    result = task.range_test()
    ours = Sweep(
        "lrguard find_learning_rate",
        list(result.rates),
        list(result.losses),
        dict(result.suggestions),
        result.stop_reason,
        time.perf_counter() - sweep_start,
    )
    peer = task.lr_finder()
    rates: dict[str, float | None] = {name: result.suggestions.get(name) for name in METHODS[:4]}
    rates["torch-lr-finder"] = peer.suggestions["torch-lr-finder"]

    methods: dict[str, dict[str, Any]] = {}
    for name, lr in rates.items():
        scores = task.train(lr) if lr is not None else []
        methods[name] = {
            "lr": lr,
            "ratio": None if lr is None else lr / best_lr,
            "scores": scores,
            "best": _best(scores) if lr is not None else None,
        }
    print(f"  {'method':16} {'rate':>9} {'x grid-best':>12} {'dev score':>10}")
    for name, row in methods.items():
        ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}"
        score = "-" if row["best"] is None else f"{row['best']:.3f}"
        print(f"  {name:16} {_fmt(row['lr']):>9} {ratio:>12} {score:>10}")
    print(
        f"  sweeps: lrguard {len(ours.rates)} steps ({ours.stop_reason}, {ours.seconds:.1f} s), "
        f"torch-lr-finder {len(peer.rates)} steps ({peer.stop_reason}, {peer.seconds:.1f} s)"
    )

    mine = methods[OURS]
    best_peer = max((methods[p]["best"] or 0.0) for p in PEERS)
    within = mine["ratio"] is not None and 1 / RATIO_BUDGET <= mine["ratio"] <= RATIO_BUDGET
    at_least = mine["best"] is not None and mine["best"] >= best_peer - 1e-9
    seconds = time.perf_counter() - start
    print(
        f"  lrguard: {_fmt(mine['ratio'])}x the grid-best rate (budget within "
        f"{RATIO_BUDGET:g}x): {'ok' if within else 'MISSED'}; dev score "
        f"{_fmt(mine['best'])} vs best peer {best_peer:.3f}: {'ok' if at_least else 'MISSED'} "
        f"({seconds:.0f} s)",
        flush=True,
    )
    return {
        "task": spec.name,
        "recipe": spec.recipe,
        "details": {**spec.details, **({"pretrain_accuracy": extra} if extra is not None else {})},
        "grid": grid,
        "grid_best_lr": best_lr,
        "grid_best_score": top,
        "sweeps": {
            "lrguard": {
                "rates": ours.rates,
                "losses": [_json(v) for v in ours.losses],
                "stop_reason": ours.stop_reason,
                "suggestions": ours.suggestions,
                "settings": result.settings,
            },
            "torch-lr-finder": {
                "rates": peer.rates,
                "losses": [_json(v) for v in peer.losses],
                "stop_reason": peer.stop_reason,
                "suggestions": peer.suggestions,
            },
        },
        "methods": methods,
        "within_budget": within,
        "at_least_best_peer": at_least,
        "seconds": seconds,
    }


def _json(value: float) -> float | str:
    return value if math.isfinite(value) else repr(value)


def main(argv: list[str] | None = None) -> int:
    """Run the tasks (all, or those named), print the tables, write the JSON; 1 on a miss."""
    import torch

    from benchmarks.range_tasks import TASKS

    torch.set_num_threads(1)
    names = argv if argv is not None else sys.argv[1:]
    chosen = [t for t in TASKS if not names or t.spec.name in names]
    start = time.perf_counter()
    runs = [run_task(task) for task in chosen]
    seconds = time.perf_counter() - start
    ok = all(r["within_budget"] and r["at_least_best_peer"] for r in runs)
    print(
        f"\nlrguard within {RATIO_BUDGET:g}x of the grid-best rate on "
        f"{sum(r['within_budget'] for r in runs)}/{len(runs)} tasks; dev score >= best peer on "
        f"{sum(r['at_least_best_peer'] for r in runs)}/{len(runs)}: "
        f"{'ok' if ok else 'MISSED'} ({seconds:.0f} s)"
    )
    if not names:
        import flair
        import torch_lr_finder  # noqa: F401
        import transformers

        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "about": "range test quality benchmark: grids, raw sweeps, suggestions, trained scores",
            "versions": {
                "python": platform.python_version(),
                "torch": torch.__version__,
                "flair": flair.__version__,
                "transformers": transformers.__version__,
                "torch-lr-finder": "0.2.2",
            },
            "seconds": seconds,
            "tasks": runs,
        }
        RESULTS.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        print(f"raw sweeps and grids written to {RESULTS}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
