"""How good are the range test's suggestions? Trained, not assumed, on tasks it was not tuned on.

**Tasks.** Twenty-one small offline learning problems, each trained by its framework's own
trainer (every model, tokenizer and corpus is built here; "pre-trained" models are
pre-trained here first). Each is a real learning problem whose dev score depends on the
rate: too low underfits in the budget, too high diverges or degrades.

Design half (``DESIGN_TASKS``: the seventeen tasks of ``benchmarks/range_tasks.py``,
``benchmarks/range_tasks_report.py`` and ``benchmarks/range_tasks_holdout.py``):

* ``flair-textclassifier``: Flair ``TextClassifier`` (GRU over trainable one-hot words),
  4-topic classification, ``ModelTrainer.train`` with SGD, 12 epochs;
* ``flair-sequencetagger``: Flair ``SequenceTagger`` on a small grammar with ambiguous
  words, SGD, 4 epochs;
* ``hf-bert-from-scratch``: ``Trainer``, a 2x32 BERT from its config, AdamW, 10 epochs;
* ``hf-bert-fine-tune``: a 2x32 BERT pre-trained here on 4 topics, fine-tuned with AdamW on
  topic pairs;
* ``flair-textclassifier-adamw``: the Flair classifier with AdamW;
* ``hf-bag-of-words-sgd``: ``Trainer`` with plain SGD on a bag-of-words model;
* ``flair-transformer-fine-tune-adamw``: Flair ``TransformerDocumentEmbeddings(fine_tune=True)``
  over a 2x32 BERT and word-level tokenizer pre-trained here, AdamW, 5 epochs;
* ``hf-llama-lora``: peft LoRA (r=4, q/v) on a 2x32 Llama pre-trained here, ``Trainer``;
* ``hf-bert-wide-fine-tune-cosine``: the second model size, a 4x64 BERT pre-trained here,
  fine-tuned with a cosine schedule and warmup;
* ``hf-bert-regression``: ``num_labels=1`` (MSE) from scratch, dev score R^2;
* ``st-bi-encoder-cosine``: sentence-transformers (``SentenceTransformerTrainer``,
  ``CosineSimilarityLoss``) over a BERT pre-trained here, dev score Spearman (needs
  ``.venv-hf5``);
* ``flair-sequencetagger-adamw``: the Flair tagger with AdamW from scratch;
* ``torch-mlp-sgd-momentum``: a plain PyTorch loop, SGD with momentum 0.9;
* ``torch-mlp-adamw-regression-long``: a plain PyTorch MLP regression, AdamW, 2,280 steps
  (the task long enough to measure the cost budget), dev score R^2;
* ``torch-cnn-sgd``: a plain PyTorch convolutional network, plain SGD;
* ``hf-bert-fine-tune-sgd-momentum``: sequence classification fine-tuned through
  ``Trainer`` with SGD and momentum 0.9;
* ``hf-llama-full-fine-tune-cosine``: a Llama pre-trained here, every weight fine-tuned with
  AdamW, cosine schedule with warmup.

Report half (every other task: ``benchmarks/range_tasks_fresh.py``):

* ``torch-logistic-sgd``: a linear multinomial logistic regression on unscaled features,
  plain SGD;
* ``torch-gru-rmsprop``: a plain PyTorch GRU sequence classifier, RMSprop;
* ``torch-transformer-adam-warmup``: a small ``nn.TransformerEncoder``, Adam with a linear
  warmup;
* ``hf-gpt2-scratch-adamw``: a GPT-2 built from its config and trained from scratch through
  ``Trainer`` with AdamW.

How the split was made. The first six tasks chose the first suggestion rule; seven more
were then added as a report half and read once, which showed that rule overshooting on
tasks it was not tuned on. Read, they joined the design half, and four held-out tasks were
written and read once for the next rule; read, they joined the design half too. The report
half's four tasks were then written, and this split fixed, before any of them was run
through this benchmark and after the rule they report on was chosen. A suggestion rule is
chosen and tuned on the design half only; the acceptance numbers come from the report half
only.

**Recipe.** Every task takes a seed (model initialisation, dropout, order of the batches).

1. The grid: every rate of the task's grid (9 log-spaced rates) trained to completion with
   each training seed (``TRAIN_SEEDS``).
2. At each finder seed (``FINDER_SEEDS``: the seed of the sweep's fresh model and batches),
   lrguard's ``find_learning_rate`` runs once per method of
   ``lrguard.range_test.suggest.METHODS`` (read at run time, so every method is scored) with
   ``method=``; torch-lr-finder 0.2.2 sweeps with the same optimizer, batches, loss and
   clipping (``range_test(end_lr=10, num_iter=100)``, its own ``suggest_lr``); the fixed
   default of the task's regime is the fourth peer (``TaskSpec.default_source``).
3. Every suggestion is trained to completion with the same training seeds. A rate (rounded
   to 4 significant digits) trained once with a seed is never trained again.
4. Same seed, same suggestion: the sweep of each of lrguard's own methods (every method but
   the peers' published rules) at the first finder seed runs twice.

Peers: Lightning's ``steepest``, fastai's ``valley``, torch-lr-finder and the fixed default;
fastai's ``minimum`` and any other method is scored alongside.

**Scores** (``benchmarks/range_scores.py``), per task and per half: |log10(suggested /
grid-best)| median and worst; share of (task, finder seed) inside the grid's good band
(grid rates whose mean dev score is within one seed-std of the best mean); dev-score
regret against the grid's best mean (median, worst); the suggestion's spread across finder
seeds (max / min); collapsed training runs (a run that recovers less than 10 % of the gap
between the constant predictor's score and the grid's best); cost (sweep steps against the
task's full run; the median seconds per sweep step against plain training's). The
acceptance budgets are checked per method on the report half and printed PASS / FAIL.

**Running it.** ``python -m benchmarks.bench_range_test_quality [--half design|report]
[task ...]`` runs the tasks that the current environment can run (a task whose framework is
not installed is skipped with a note) and are not complete yet, writing each task's record
to ``benchmarks/results/range_test_quality-<task>.json`` after every trained run (an
interrupted run resumes where it stopped). Then it reads every task record present, from
whichever environment wrote it, and prints the tables and the checks; the merged record
(raw curves, grids, every trained score and the scores) is
``benchmarks/results/range_test_quality.json``. ``--report`` only reads and prints;
``--resweep`` sweeps again with the suggestion code as it is now (a changed rule) and trains
only the rates not trained before. Every sweep records a digest of lrguard's range test code
(``source``); the report notes a task whose sweeps ran under different code. The
sentence-transformers task runs in ``.venv-hf5``; run the rest in ``.venv``, in any order.
Exit code 1 when the default method (``lrguard``) misses a budget on the report half.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import math
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import range_scores as rs

DEFAULT_METHOD = "lrguard"
LR_FINDER = "torch-lr-finder"
FIXED = "default"
PEERS = ("steepest", "valley", LR_FINDER, FIXED)
PUBLISHED = ("steepest", "valley", "minimum")
"""The peers' published rules among lrguard's methods (not checked for repeatability)."""
TRAIN_SEEDS = (0, 1, 2)
FINDER_SEEDS = (100, 101, 102)
DESIGN_TASKS = (
    "flair-textclassifier",
    "flair-sequencetagger",
    "hf-bert-from-scratch",
    "hf-bert-fine-tune",
    "flair-textclassifier-adamw",
    "hf-bag-of-words-sgd",
    "flair-transformer-fine-tune-adamw",
    "hf-llama-lora",
    "hf-bert-wide-fine-tune-cosine",
    "hf-bert-regression",
    "st-bi-encoder-cosine",
    "flair-sequencetagger-adamw",
    "torch-mlp-sgd-momentum",
    "torch-mlp-adamw-regression-long",
    "torch-cnn-sgd",
    "hf-bert-fine-tune-sgd-momentum",
    "hf-llama-full-fine-tune-cosine",
)
"""The design half: the tasks a suggestion rule may be chosen and tuned on. Every other task
in the task list is in the report half."""
RESULTS_DIR = Path(__file__).resolve().parent / "results"
MERGED = RESULTS_DIR / "range_test_quality.json"


def half_of(name: str) -> str:
    """'design' for the design half's tasks, 'report' for every other."""
    return "design" if name in DESIGN_TASKS else "report"


def task_path(name: str) -> Path:
    """Where one task's record is kept."""
    return RESULTS_DIR / f"range_test_quality-{name}.json"


def all_tasks() -> tuple[Any, ...]:
    """Every task class: the design half's, then the report half's."""
    from benchmarks.range_tasks import TASKS as FIRST
    from benchmarks.range_tasks_fresh import TASKS as FRESH
    from benchmarks.range_tasks_holdout import TASKS as HELD_OUT
    from benchmarks.range_tasks_report import TASKS as SECOND

    return FIRST + SECOND + HELD_OUT + FRESH


def methods() -> list[str]:
    """lrguard's suggestion methods, read now (new methods are scored as they appear): the
    one-sweep readers, then the methods that train more than one sweep (``multi``,
    ``race``)."""
    from lrguard.range_test.suggest import METHODS, TRAINING_METHODS

    return [*METHODS, *TRAINING_METHODS]


class StepClock:
    """Records the time of every optimizer step taken while it is open (any optimizer)."""

    def __enter__(self) -> StepClock:
        from torch.optim.optimizer import register_optimizer_step_post_hook

        self.stamps: list[float] = []
        self.start = time.perf_counter()
        self._handle = register_optimizer_step_post_hook(
            lambda *_: self.stamps.append(time.perf_counter())
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.remove()
        self.seconds = time.perf_counter() - self.start


def _json(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def _unjson(value: Any) -> Any:
    if isinstance(value, str) and value in ("nan", "inf", "-inf"):
        return float(value)
    if isinstance(value, dict):
        return {k: _unjson(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unjson(v) for v in value]
    return value


def load(path: Path) -> dict[str, Any] | None:
    """A task record written by ``save`` (non-finite numbers restored)."""
    if not path.exists():
        return None
    return _unjson(json.loads(path.read_text(encoding="utf-8")))


def save(path: Path, record: dict[str, Any]) -> None:
    """Write a task record atomically (a crash never leaves half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(_json(record), indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def versions() -> dict[str, str]:
    """The versions of what the current environment trains with."""
    import torch

    out = {"python": platform.python_version(), "torch": torch.__version__}
    for name in ("transformers", "flair", "sentence_transformers", "peft", "torch_lr_finder"):
        if importlib.util.find_spec(name) is None:
            continue
        module = __import__(name)
        out[name] = str(
            getattr(module, "__version__", "0.2.2" if name == "torch_lr_finder" else "?")
        )
    return out


@functools.cache
def method_source() -> str:
    """A digest of lrguard's range test code as this process first read it (after its first
    sweep imported it), stored with every sweep: a rule changed between two sweeps shows."""
    import hashlib

    import lrguard.range_test

    folder = Path(lrguard.range_test.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _sweep_record(result: Any, clock: StepClock) -> dict[str, Any]:
    return {
        "source": method_source(),
        "rates": [float(r) for r in result.rates],
        "losses": [float(v) for v in result.losses],
        "stop_reason": result.stop_reason,
        "suggested_lr": result.suggested_lr,
        "suggestions": dict(result.suggestions),
        "reasons": dict(getattr(result, "reasons", {}) or {}),
        "notes": list(getattr(result, "notes", []) or []),
        "settings": result.settings,
        "steps": len(clock.stamps),
        "seconds": clock.seconds,
        "seconds_per_step": rs.median_inter_step(clock.stamps),
    }


def shard_path(name: str, worker: int) -> Path:
    """Where a worker (``--worker K/N``) keeps the runs it trained for one task."""
    return RESULTS_DIR / f"range_test_quality-{name}.shard{worker}.json"


def merge_shards(record: dict[str, Any], name: str) -> list[Path]:
    """Add the workers' trained runs to ``record``; the shard files merged."""
    shards = sorted(RESULTS_DIR.glob(f"range_test_quality-{name}.shard*.json"))
    for path in shards:
        shard = load(path) or {}
        for key, run in shard.get("trained", {}).items():
            record["trained"].setdefault(key, run)
    return shards


def needed(record: dict[str, Any]) -> list[tuple[float, int]]:
    """Every (rate, training seed) the record's grid and suggestions need, not trained yet."""
    rates = [float(g) for g in record["grid"]]
    for chosen in record.get("suggestions", {}).values():
        rates += [lr for lr in chosen.values() if lr is not None and lr > 0]
    out = []
    for lr in rates:
        for seed in record["train_seeds"]:
            key = rs.cache_key(lr, seed)
            if key not in record["trained"] and (rs.rounded(lr), seed) not in out:
                out.append((rs.rounded(lr), seed))
    return out


def work(task_class: Any, worker: int, workers: int) -> None:
    """Train this worker's share of a task's missing runs into its shard file (the task's
    sweeps must be recorded; the next ordinary run merges the shards)."""
    name = task_class.spec.name
    record = load(task_path(name))
    if not record or not record.get("suggestions"):
        print(f"== {name}: no recorded sweeps yet; run it without --worker first")
        return
    merge_shards(record, name)
    mine = needed(record)[worker::workers]
    path = shard_path(name, worker)
    shard = load(path) or {"trained": {}}
    print(f"== {name}: worker {worker}/{workers} trains {len(mine)} runs", flush=True)
    task = task_class()
    for lr, seed in mine:
        key = rs.cache_key(lr, seed)
        if key in shard["trained"]:
            continue
        with StepClock() as clock:
            scores = task.train(lr, seed)
        shard["trained"][key] = {
            "lr": lr,
            "seed": seed,
            "scores": [float(v) for v in scores],
            "seconds": clock.seconds,
            "steps": len(clock.stamps),
            "seconds_per_step": rs.median_inter_step(clock.stamps),
        }
        save(path, shard)


def _lock(name: str) -> Any:
    """An exclusive lock on the task (another process running it is skipped), or None."""
    import fcntl
    import tempfile

    path = Path(tempfile.gettempdir()) / f"range_test_quality-{name}.lock"
    handle = path.open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def run_task(task_class: Any, record: dict[str, Any] | None) -> dict[str, Any]:
    """Grid, sweeps and trained suggestions of one task; the record is saved after every
    trained run and sweep, and whatever it already holds is not run again."""
    spec = task_class.spec
    path = task_path(spec.name)
    record = record or {}
    record.update(
        {
            "task": spec.name,
            "half": half_of(spec.name),
            "recipe": spec.recipe,
            "details": spec.details,
            "grid": [float(g) for g in spec.grid],
            "default_lr": spec.default_lr,
            "default_source": spec.default_source,
            "train_seeds": list(TRAIN_SEEDS),
            "finder_seeds": list(FINDER_SEEDS),
            "versions": versions(),
        }
    )
    for key in ("trained", "sweeps", "repeat", "suggestions"):
        record.setdefault(key, {})
    shards = merge_shards(record, spec.name)
    record["complete"] = False
    start = time.perf_counter()
    print(f"\n== {spec.name} [{half_of(spec.name)}]: {spec.recipe}", flush=True)
    task = task_class()
    record["constant_score"] = task.constant_score()
    extra = getattr(task, "pretrain_accuracy", None)
    if extra is not None:
        record["pretrain_accuracy"] = extra
        print(f"  pre-training (related task) dev accuracy: {extra:.3f}", flush=True)
    save(path, record)

    def trained(lr: float, seed: int) -> None:
        key = rs.cache_key(lr, seed)
        if key in record["trained"]:
            return
        with StepClock() as clock:
            scores = task.train(rs.rounded(lr), seed)
        record["trained"][key] = {
            "lr": rs.rounded(lr),
            "seed": seed,
            "scores": [float(s) for s in scores],
            "seconds": clock.seconds,
            "steps": len(clock.stamps),
            "seconds_per_step": rs.median_inter_step(clock.stamps),
        }
        save(path, record)

    for lr in spec.grid:
        for seed in TRAIN_SEEDS:
            trained(lr, seed)
    runs = [record["trained"][rs.cache_key(lr, s)] for lr in spec.grid for s in TRAIN_SEEDS]
    record["full_run_steps"] = max(r["steps"] for r in runs)
    record["full_run_seconds"] = statistics.median(r["seconds"] for r in runs)
    per_step = [r["seconds_per_step"] for r in runs if r["seconds_per_step"]]
    record["plain_seconds_per_step"] = statistics.median(per_step) if per_step else None
    print(f"  grid trained ({time.perf_counter() - start:.0f} s)", flush=True)

    names = methods()
    has_lr_finder = importlib.util.find_spec("torch_lr_finder") is not None
    for finder_seed in FINDER_SEEDS:
        sweeps = record["sweeps"].setdefault(str(finder_seed), {})
        for name in names:
            if name not in sweeps:
                with StepClock() as clock:
                    result = task.range_test(finder_seed, name)
                sweeps[name] = _sweep_record(result, clock)
                save(path, record)
        if has_lr_finder and LR_FINDER not in sweeps:
            with StepClock() as clock:
                peer = task.lr_finder(finder_seed)
            sweeps[LR_FINDER] = {
                "rates": peer.rates,
                "losses": peer.losses,
                "stop_reason": peer.stop_reason,
                "suggested_lr": peer.suggestions[LR_FINDER],
                "steps": len(clock.stamps),
                "seconds": clock.seconds,
                "seconds_per_step": rs.median_inter_step(clock.stamps),
            }
            save(path, record)
        chosen = {name: sweeps[name]["suggested_lr"] for name in names}
        if LR_FINDER in sweeps:
            chosen[LR_FINDER] = sweeps[LR_FINDER]["suggested_lr"]
        chosen[FIXED] = spec.default_lr
        record["suggestions"][str(finder_seed)] = chosen
    for name in names:  # same seed, same suggestion (lrguard's own methods)
        if name not in PUBLISHED and name not in record["repeat"]:
            record["repeat"][name] = task.range_test(FINDER_SEEDS[0], name).suggested_lr
            save(path, record)
    print(f"  sweeps done ({time.perf_counter() - start:.0f} s)", flush=True)

    for finder_seed in FINDER_SEEDS:
        for lr in record["suggestions"][str(finder_seed)].values():
            if lr is not None and lr > 0:
                for seed in TRAIN_SEEDS:
                    trained(lr, seed)
    record["complete"] = True
    record["seconds"] = record.get("seconds", 0.0) + time.perf_counter() - start
    save(path, record)
    for shard in shards:  # merged into the record, which is saved
        shard.unlink()
    print(f"  done ({time.perf_counter() - start:.0f} s)", flush=True)
    return record


# --- report -----------------------------------------------------------------------------------


def score_task(record: dict[str, Any]) -> dict[str, Any]:
    """Every score of one complete task record."""
    seeds = record["train_seeds"]
    summary = rs.grid_summary(record["grid"], record["trained"], seeds, record["constant_score"])
    names = sorted({m for s in record["suggestions"].values() for m in s})
    scored: dict[str, Any] = {
        name: rs.method_scores(record, name, summary, seeds) for name in names
    }
    scored["cost"] = {name: rs.cost(record, name) for name in names}
    first = record["suggestions"].get(str(record["finder_seeds"][0]), {})
    scored["repeat"] = {
        name: (lr == first.get(name)) for name, lr in record.get("repeat", {}).items()
    }
    return {"grid": summary, "scores": scored}


def _g(value: float | None, spec: str = ".3g") -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return format(value, spec)


def print_task(record: dict[str, Any], scored: dict[str, Any]) -> None:
    """One task's grid and every method's scores."""
    grid = scored["grid"]
    s = scored["scores"]
    print(f"\n== {record['task']} [{half_of(record['task'])}]: {record['recipe']}")
    cells = ", ".join(f"{r['lr']:g}: {r['mean']:.3f}±{r['std']:.3f}" for r in grid["rows"])
    print(f"  grid (rate: mean±std dev score over {len(record['train_seeds'])} seeds): {cells}")
    threshold = rs.collapse_threshold(record["constant_score"], grid["best_mean"])
    print(
        f"  grid-best {grid['best_lr']:g} ({grid['best_mean']:.3f}); good band "
        f"{', '.join(f'{g:g}' for g in grid['good'])}; constant predictor "
        f"{record['constant_score']:.3f} (collapse at <= {threshold:.3f}); full run "
        f"{record['full_run_steps']} steps, {record['full_run_seconds']:.1f} s"
    )
    sources = sorted(
        {
            sweep.get("source")
            for sweeps in record["sweeps"].values()
            for sweep in sweeps.values()
            if sweep.get("source")
        }
    )
    if len(sources) > 1:
        print(f"  note: lrguard's suggestion code changed during the sweeps ({', '.join(sources)})")
    print(
        f"  {'method':16} {'rates (finder seeds)':30} {'|log err| med/max':>17} {'band':>5} "
        f"{'regret med/max':>15} {'spread':>7} {'coll':>4} {'dev mean':>9} {'steps':>6} "
        f"{'s/step':>6}"
    )
    for name, row in s.items():
        if name in ("cost", "repeat") or row is None:
            continue
        rates = " ".join(_g(p["lr"]) for p in row["per_seed"])
        c = s["cost"][name]
        share = "-" if c["step_share"] is None else f"{c['step_share']:.0%}"
        ratio = _g(c["seconds_per_step_ratio"], ".2f")
        same = "" if s["repeat"].get(name, True) else "  (repeat differs)"
        print(
            f"  {name:16} {rates:30} {_g(row['median_log_error'], '.2f'):>8}/"
            f"{_g(row['worst_log_error'], '.2f'):<8} {row['band_share']:>5.0%} "
            f"{row['median_regret']:>7.3f}/{row['worst_regret']:<7.3f} "
            f"{_g(row['spread'], '.2f'):>7} {row['collapsed']:>4} {row['mean']:>9.3f} "
            f"{share:>6} {ratio:>6}{same}"
        )


def half_summary(scored: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The overall scores of one half's complete tasks, per method: share in the band,
    |log10 error| median and worst, regret median and worst, the worst spread, collapsed runs,
    and on how many tasks the method scores at least the best other peer."""
    names = sorted(
        {
            m
            for t in scored.values()
            for m, r in t["scores"].items()
            if m not in ("cost", "repeat") and r
        }
    )
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        rows = [t["scores"][name] for t in scored.values() if t["scores"].get(name)]
        seeds = [p for r in rows for p in r["per_seed"]]
        errors = [p["log_error"] for p in seeds]
        regrets = [p["regret"] for p in seeds]
        beats = 0
        for t in scored.values():
            mine = t["scores"].get(name)
            others = [t["scores"].get(p) for p in PEERS if p != name]
            others = [o for o in others if o]
            if mine and others and rs.at_least(mine, max(others, key=lambda o: o["mean"])):
                beats += 1
        out[name] = {
            "pairs": len(seeds),
            "band": sum(p["in_band"] for p in seeds) / len(seeds),
            "log_error_median": statistics.median(errors),
            "log_error_worst": max(errors),
            "regret_median": statistics.median(regrets),
            "regret_worst": max(regrets),
            "spread_worst": max(r["spread"] for r in rows),
            "collapsed": sum(r["collapsed"] for r in rows),
            "at_least_best_peer": beats,
            "tasks": len(rows),
        }
    return out


def print_half(half: str, scored: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Print the overall scores of one half, per method; return them (``half_summary``)."""
    if not scored:
        print(f"\n{half} half: no complete task")
        return {}
    summary = half_summary(scored)
    print(f"\n== {half} half ({len(scored)} tasks: {', '.join(scored)})")
    print(
        f"  {'method':16} {'band':>5} {'|log err| med/max':>17} {'regret med/max':>15} "
        f"{'worst spread':>12} {'collapsed':>9} {'>= best peer':>12}"
    )
    for name, row in summary.items():
        print(
            f"  {name:16} {row['band']:>5.0%} "
            f"{_g(row['log_error_median'], '.2f'):>8}/{_g(row['log_error_worst'], '.2f'):<8} "
            f"{row['regret_median']:>7.3f}/{row['regret_worst']:<7.3f} "
            f"{_g(row['spread_worst'], '.2f'):>12} "
            f"{row['collapsed']:>9} {row['at_least_best_peer']:>9}/{row['tasks']}"
        )
    return summary


def report() -> int:
    """Read every task record, print the tables and the checks, write the merged JSON."""
    known = [t.spec.name for t in all_tasks()]
    records = {name: load(task_path(name)) for name in known}
    done = {n: r for n, r in records.items() if r and r.get("complete")}
    pending = [n for n in known if n not in done]
    scored = {name: score_task(r) for name, r in done.items()}
    for name, record in done.items():
        print_task(record, scored[name])
    halves = {
        half: print_half(half, {n: s for n, s in scored.items() if half_of(n) == half})
        for half in ("design", "report")
    }
    report_half = {n: s["scores"] for n, s in scored.items() if half_of(n) == "report"}
    print("\n== acceptance (report half, every finder seed)")
    if pending:
        print(f"  not complete yet: {', '.join(pending)}")
    checks: dict[str, Any] = {}
    names = sorted(
        {m for t in report_half.values() for m, r in t.items() if m not in ("cost", "repeat") and r}
    )
    for name in names:
        result = rs.acceptance(report_half, name, PEERS)
        repeat = [t["repeat"].get(name) for t in report_half.values() if name in t["repeat"]]
        if repeat:
            result["same_seed"] = (
                all(repeat),
                f"same suggestion on repeat: {sum(map(bool, repeat))}/{len(repeat)} tasks",
            )
        checks[name] = result
        verdict = "PASS" if all(ok for ok, _ in result.values()) else "FAIL"
        print(f"  {name:16} {verdict}")
        for check, (ok, text) in result.items():
            print(f"    {'PASS' if ok else 'FAIL'} {check:10} {text}")
    MERGED.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "about": "range test quality benchmark: per task the grid, every trained score, the "
        "raw sweeps of every method and finder seed, and the scores; merged from the "
        "per-task records (range_test_quality-<task>.json)",
        "design_tasks": list(DESIGN_TASKS),
        "pending": pending,
        "acceptance": {m: {c: list(v) for c, v in r.items()} for m, r in checks.items()},
        "halves": halves,
        "tasks": [{**done[n], "scored": scored[n]} for n in done],
    }
    MERGED.write_text(json.dumps(_json(payload), indent=1) + "\n", encoding="utf-8")
    print(f"\nmerged records written to {MERGED}")
    mine = checks.get(DEFAULT_METHOD)
    return 0 if mine and all(ok for ok, _ in mine.values()) and not pending else 1


def main(argv: list[str] | None = None) -> int:
    """Run the tasks asked for (this environment's, not complete yet), then the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", help="task names (default: every task)")
    parser.add_argument("--half", choices=("design", "report"), help="only this half's tasks")
    parser.add_argument("--report", action="store_true", help="only read and print")
    parser.add_argument(
        "--resweep",
        action="store_true",
        help="sweep again (a changed suggestion rule); trained runs are kept and reused",
    )
    parser.add_argument(
        "--worker",
        metavar="K/N",
        help="train the K-th of N shares of the named tasks' missing runs (after their "
        "sweeps), for several processes at once; an ordinary run merges them",
    )
    args = parser.parse_args(argv)
    known = {t.spec.name: t for t in all_tasks()}
    unknown = [n for n in args.tasks if n not in known]
    if unknown:
        parser.error(f"unknown task(s) {', '.join(unknown)}; one of {', '.join(known)}")
    if args.worker:
        import torch

        torch.set_num_threads(1)
        worker, workers = (int(v) for v in args.worker.split("/"))
        for name in args.tasks:
            work(known[name], worker, workers)
        return 0
    if not args.report:
        import torch

        torch.set_num_threads(1)
        for name, task_class in known.items():
            if args.tasks and name not in args.tasks:
                continue
            if args.half and half_of(name) != args.half:
                continue
            if not task_class.spec.available():
                missing = [
                    m for m in task_class.spec.requires if importlib.util.find_spec(m) is None
                ]
                print(f"\n== {name}: skipped here (needs {', '.join(missing)})")
                continue
            lock = _lock(name)
            if lock is None:
                print(f"\n== {name}: being run by another process")
                continue
            record = load(task_path(name))
            if record and args.resweep:
                for key in ("sweeps", "repeat", "suggestions"):
                    record[key] = {}
                record["complete"] = False
            if (
                record
                and record.get("complete")
                and set(methods()) <= set(next(iter(record["suggestions"].values()), {}))
            ):
                print(f"\n== {name}: complete (recorded)")
                continue
            run_task(task_class, record)
            lock.close()
    return report()


if __name__ == "__main__":
    sys.exit(main())
