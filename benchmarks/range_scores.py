"""The range test benchmark's scores: pure functions over one task's recorded runs.

A task's record (``benchmarks/results/range_test_quality-<task>.json``) holds every trained
score (``trained``: ``"<rate>|<seed>"`` -> dev scores per epoch), the grid, and per finder
seed every method's suggested rate. Nothing here trains; ``tests/core`` checks these
functions on hand-made records.

Definitions:

* a run's dev score is the best epoch's (NaN or missing epochs count as the constant
  predictor's score);
* the grid's best rate has the highest mean dev score over the training seeds; the **good
  band** is every grid rate whose mean is within one (sample) standard deviation of the
  best rate's seed scores below the best mean; a suggested rate is *inside the band* when its
  nearest grid rate (in log) is in the band and it lies within half a grid step of the grid;
* **regret** is the best grid mean minus the mean dev score of the suggestion's training runs;
* a training run **collapsed** when its dev score recovers less than ``COLLAPSE_SHARE`` of the
  gap between the constant predictor's score and the grid's best mean;
* **spread** is the largest over the smallest suggestion across finder seeds;
* a method that suggests nothing counts as outside the band, with an infinite log error, and
  as training to the constant predictor's score (the user has no rate to train with).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

COLLAPSE_SHARE = 0.1
"""A run collapsed when it recovers less than this share of the constant-to-best gap."""

BUDGETS = {
    "band_share": 0.8,
    "median_log_error": 0.25,
    "worst_log_error": 0.5,
    "spread": 1.5,
    "step_share": 0.05,
    "seconds_per_step_ratio": 1.2,
}
"""The acceptance budgets (report half, every finder seed)."""


def rate_key(lr: float) -> str:
    """A rate rounded to 4 significant digits, as the cache and the trainings use it."""
    return f"{float(lr):.4g}"


def rounded(lr: float) -> float:
    """The rate that is trained for a suggestion: ``lr`` to 4 significant digits."""
    return float(rate_key(lr))


def cache_key(lr: float, seed: int) -> str:
    """The key of one trained run in a task's record."""
    return f"{rate_key(lr)}|{int(seed)}"


def run_score(epochs: Sequence[float] | None, constant: float) -> float:
    """A run's dev score: its best finite epoch, or ``constant`` when it has none."""
    finite = [float(s) for s in (epochs or []) if _is_finite(s)]
    return max(finite) if finite else constant


def _is_finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for fewer than two values)."""
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return mean, std


def scores_at(
    trained: dict[str, Any], lr: float, seeds: Iterable[int], constant: float
) -> list[float]:
    """The dev score of every training seed at ``lr`` (a missing run raises KeyError)."""
    return [run_score(trained[cache_key(lr, s)]["scores"], constant) for s in seeds]


def grid_summary(
    grid: Sequence[float], trained: dict[str, Any], seeds: Sequence[int], constant: float
) -> dict[str, Any]:
    """Mean and std per grid rate, the best rate (ties: the lowest), the good band."""
    rows = []
    for lr in grid:
        mean, std = mean_std(scores_at(trained, lr, seeds, constant))
        rows.append({"lr": float(lr), "mean": mean, "std": std})
    best = max(rows, key=lambda r: (r["mean"], -r["lr"]))
    good = [r["lr"] for r in rows if r["mean"] >= best["mean"] - best["std"]]
    return {
        "rows": rows,
        "best_lr": best["lr"],
        "best_mean": best["mean"],
        "best_std": best["std"],
        "good": good,
    }


def in_band(lr: float | None, grid: Sequence[float], good: Sequence[float]) -> bool:
    """True when the grid rate nearest to ``lr`` (in log) is good and ``lr`` lies within half
    a grid step of the grid's ends."""
    if lr is None or not lr > 0:
        return False
    logs = sorted(math.log10(g) for g in grid)
    half = (logs[-1] - logs[0]) / (len(logs) - 1) / 2 if len(logs) > 1 else 0.25
    x = math.log10(lr)
    if x < logs[0] - half or x > logs[-1] + half:
        return False
    nearest = min(grid, key=lambda g: abs(math.log10(g) - x))
    return any(math.isclose(nearest, g, rel_tol=1e-9) for g in good)


def log_error(lr: float | None, best_lr: float) -> float:
    """|log10(lr / best_lr)|; infinite without a rate."""
    if lr is None or not lr > 0:
        return math.inf
    return abs(math.log10(lr / best_lr))


def collapse_threshold(constant: float, best_mean: float) -> float:
    """Dev scores at or below this are collapsed runs."""
    return constant + COLLAPSE_SHARE * (best_mean - constant)


def spread(rates: Sequence[float | None]) -> float:
    """Largest over smallest rate; infinite when one is missing."""
    if not rates or any(r is None or not r > 0 for r in rates):
        return math.inf
    return max(rates) / min(rates)  # type: ignore[type-var, operator]


def median_inter_step(stamps: Sequence[float]) -> float | None:
    """The median interval between consecutive optimizer steps (excludes the evaluations
    between epochs and the set-up before the first step)."""
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    return statistics.median(gaps) if gaps else None


def method_scores(
    record: dict[str, Any],
    method: str,
    summary: dict[str, Any],
    seeds: Sequence[int],
) -> dict[str, Any] | None:
    """One method's scores on one task (None when the method did not run there)."""
    constant = record["constant_score"]
    grid = record["grid"]
    trained = record["trained"]
    threshold = collapse_threshold(constant, summary["best_mean"])
    per_seed = []
    all_scores: list[float] = []
    for finder_seed, sweeps in sorted(record["suggestions"].items(), key=lambda kv: int(kv[0])):
        if method not in sweeps:
            continue
        lr = sweeps[method]
        if lr is None:
            scores = [constant for _ in seeds]
        else:
            try:
                scores = scores_at(trained, lr, seeds, constant)
            except KeyError:
                continue
        mean = statistics.fmean(scores)
        all_scores += scores
        per_seed.append(
            {
                "finder_seed": int(finder_seed),
                "lr": lr,
                "log_error": log_error(lr, summary["best_lr"]),
                "in_band": in_band(lr, grid, summary["good"]),
                "scores": scores,
                "mean": mean,
                "regret": summary["best_mean"] - mean,
                "collapsed": sum(s <= threshold for s in scores),
            }
        )
    if not per_seed:
        return None
    errors = [p["log_error"] for p in per_seed]
    regrets = [p["regret"] for p in per_seed]
    mean, std = mean_std(all_scores)
    return {
        "per_seed": per_seed,
        "median_log_error": statistics.median(errors),
        "worst_log_error": max(errors),
        "band_share": sum(p["in_band"] for p in per_seed) / len(per_seed),
        "median_regret": statistics.median(regrets),
        "worst_regret": max(regrets),
        "spread": spread([p["lr"] for p in per_seed]),
        "collapsed": sum(p["collapsed"] for p in per_seed),
        "mean": mean,
        "std": std,
        "n": len(all_scores),
    }


def at_least(mine: dict[str, Any], peer: dict[str, Any]) -> bool:
    """``mine``'s mean dev score is at least ``peer``'s within one standard error of the
    difference of the two means."""
    error = math.sqrt(mine["std"] ** 2 / mine["n"] + peer["std"] ** 2 / peer["n"])
    return mine["mean"] >= peer["mean"] - error


def cost(record: dict[str, Any], method: str) -> dict[str, float | None]:
    """A method's sweep steps as a share of the task's full run, and its seconds per step
    over plain training's (median intervals between optimizer steps)."""
    sweeps = [s for s in record.get("sweeps", {}).values() if method in s]
    full = record.get("full_run_steps")
    plain = record.get("plain_seconds_per_step")
    if not sweeps or not full:
        return {"steps": None, "step_share": None, "seconds": None, "seconds_per_step_ratio": None}
    steps = statistics.fmean(s[method]["steps"] for s in sweeps)
    seconds = statistics.fmean(s[method]["seconds"] for s in sweeps)
    per_step = [s[method].get("seconds_per_step") for s in sweeps]
    per_step = [p for p in per_step if p]
    ratio = statistics.median(per_step) / plain if per_step and plain else None
    return {
        "steps": steps,
        "step_share": steps / full,
        "seconds": seconds,
        "seconds_per_step_ratio": ratio,
    }


def acceptance(
    per_task: dict[str, dict[str, Any]],
    method: str,
    peers: Sequence[str],
) -> dict[str, tuple[bool, str]]:
    """The budgets for ``method`` over the tasks given (the report half): each check ->
    (passed, the measured value). ``per_task[task]`` maps method -> scores and ``cost``."""
    rows = [(t, m[method]) for t, m in per_task.items() if m.get(method)]
    if not rows:
        return {"ran": (False, "no task")}
    seeds = [p for _, r in rows for p in r["per_seed"]]
    errors = [p["log_error"] for p in seeds]
    share = sum(p["in_band"] for p in seeds) / len(seeds)
    out: dict[str, tuple[bool, str]] = {}
    out["band"] = (
        share >= BUDGETS["band_share"],
        f"{share:.0%} of {len(seeds)} (task, finder seed) in the good band",
    )
    median = statistics.median(errors)
    worst = max(errors)
    out["log_error"] = (
        median <= BUDGETS["median_log_error"] and worst <= BUDGETS["worst_log_error"],
        f"|log10 error| median {median:.2f}, worst {worst:.2f}",
    )
    behind = []
    for task, row in rows:
        others = [per_task[task].get(p) for p in peers if p != method]
        others = [o for o in others if o]
        if others:
            best = max(others, key=lambda o: o["mean"])
            if not at_least(row, best):
                behind.append(task)
    out["vs_peers"] = (not behind, "behind the best peer on " + (", ".join(behind) or "none"))
    collapsed = sum(r["collapsed"] for _, r in rows)
    out["collapse"] = (collapsed == 0, f"{collapsed} collapsed training runs")
    spreads = [r["spread"] for _, r in rows]
    out["spread"] = (
        max(spreads) <= BUDGETS["spread"],
        f"spread across finder seeds worst {max(spreads):.2f}x",
    )
    costs = [per_task[t]["cost"].get(method) or {} for t, _ in rows]
    shares = [c.get("step_share") for c in costs]
    ratios = [c.get("seconds_per_step_ratio") for c in costs]
    if any(s is None for s in shares):
        out["cost"] = (True, "no sweep of its own (a fixed rate)")
    else:
        worst_share = max(s for s in shares if s is not None)
        known = [r for r in ratios if r is not None]
        worst_ratio = max(known) if known else math.nan
        out["cost"] = (
            worst_share <= BUDGETS["step_share"]
            and (not known or worst_ratio <= BUDGETS["seconds_per_step_ratio"]),
            f"sweep steps worst {worst_share:.1%} of a full run, "
            f"{worst_ratio:.2f}x plain seconds per step",
        )
    return out
