"""The range test benchmark's scores (``benchmarks/range_scores.py``) on hand-made records."""

from __future__ import annotations

import math

import pytest

from benchmarks import range_scores as rs

GRID = [1e-4, 1e-3, 1e-2, 1e-1]
SEEDS = [0, 1, 2]


def _record(
    grid_scores: dict[float, list[float]],
    extra: dict[float, list[float]],
    suggestions: dict[str, dict[str, float | None]],
    constant: float = 0.25,
) -> dict:
    trained = {}
    for lr, scores in {**grid_scores, **extra}.items():
        for seed, score in zip(SEEDS, scores, strict=True):
            trained[rs.cache_key(lr, seed)] = {"scores": [constant, score]}
    return {
        "grid": GRID,
        "trained": trained,
        "constant_score": constant,
        "suggestions": suggestions,
        "train_seeds": SEEDS,
    }


GRID_SCORES = {
    1e-4: [0.30, 0.31, 0.29],
    1e-3: [0.80, 0.82, 0.78],
    1e-2: [0.85, 0.87, 0.83],
    1e-1: [0.25, 0.25, 0.25],
}


def test_cache_key_rounds_to_four_significant_digits():
    assert rs.cache_key(0.000123456, 2) == "0.0001235|2"
    assert rs.rounded(0.000123456) == pytest.approx(0.0001235)
    assert rs.cache_key(rs.rounded(0.000123456), 2) == rs.cache_key(0.000123456, 2)


def test_run_score_is_the_best_finite_epoch_or_the_constant():
    assert rs.run_score([0.2, 0.7, 0.5], 0.25) == 0.7
    assert rs.run_score([math.nan, 0.4], 0.25) == 0.4
    assert rs.run_score([math.nan], 0.25) == 0.25
    assert rs.run_score([], 0.1) == 0.1


def test_grid_summary_best_rate_and_good_band():
    record = _record(GRID_SCORES, {}, {})
    summary = rs.grid_summary(GRID, record["trained"], SEEDS, 0.25)
    assert summary["best_lr"] == 1e-2
    assert summary["best_mean"] == pytest.approx(0.85)
    assert summary["best_std"] == pytest.approx(0.02)
    # 1e-3's mean 0.80 is more than one std (0.02) below 0.85: outside the band
    assert summary["good"] == [1e-2]
    wide = {**GRID_SCORES, 1e-3: [0.84, 0.84, 0.84]}
    assert rs.grid_summary(GRID, _record(wide, {}, {})["trained"], SEEDS, 0.25)["good"] == [
        1e-3,
        1e-2,
    ]


def test_in_band_by_nearest_grid_rate_within_half_a_step():
    good = [1e-2]
    assert rs.in_band(1e-2, GRID, good)
    assert rs.in_band(2e-2, GRID, good)  # nearer to 1e-2 than to 1e-1
    assert not rs.in_band(5e-2, GRID, good)  # nearer to 1e-1
    assert not rs.in_band(None, GRID, good)
    assert rs.in_band(3e-1, GRID, [1e-1])  # within half a step past the grid's end
    assert not rs.in_band(5e-1, GRID, [1e-1])


def test_log_error_spread_and_collapse_threshold():
    assert rs.log_error(1e-3, 1e-2) == pytest.approx(1.0)
    assert rs.log_error(None, 1e-2) == math.inf
    assert rs.spread([1e-3, 2e-3, 1.5e-3]) == pytest.approx(2.0)
    assert rs.spread([1e-3, None]) == math.inf
    assert rs.collapse_threshold(0.25, 0.85) == pytest.approx(0.31)


def test_method_scores_per_finder_seed_and_none_counts_as_a_miss():
    suggestions = {
        "100": {"ours": 1e-2, "peer": 1e-1},
        "101": {"ours": 1.2e-2, "peer": 1e-1},
        "102": {"ours": None, "peer": 1e-1},
    }
    record = _record(GRID_SCORES, {1.2e-2: [0.86, 0.30, 0.84]}, suggestions)
    summary = rs.grid_summary(GRID, record["trained"], SEEDS, 0.25)
    ours = rs.method_scores(record, "ours", summary, SEEDS)
    assert [p["lr"] for p in ours["per_seed"]] == [1e-2, 1.2e-2, None]
    assert ours["band_share"] == pytest.approx(2 / 3)
    assert ours["worst_log_error"] == math.inf
    assert ours["per_seed"][1]["collapsed"] == 1  # 0.30 <= 0.31
    assert ours["per_seed"][2]["regret"] == pytest.approx(0.85 - 0.25)
    assert ours["spread"] == math.inf
    peer = rs.method_scores(record, "peer", summary, SEEDS)
    assert peer["collapsed"] == 9
    assert peer["median_regret"] == pytest.approx(0.60)
    assert rs.method_scores(record, "absent", summary, SEEDS) is None


def test_at_least_within_one_standard_error():
    mine = {"mean": 0.80, "std": 0.03, "n": 9}
    assert rs.at_least(mine, {"mean": 0.81, "std": 0.03, "n": 9})  # 0.01 < SE 0.014
    assert not rs.at_least(mine, {"mean": 0.85, "std": 0.03, "n": 9})


def test_cost_against_the_full_run():
    record = {
        "full_run_steps": 1000,
        "plain_seconds_per_step": 0.01,
        "sweeps": {
            "100": {"ours": {"steps": 100, "seconds": 2.0, "seconds_per_step": 0.011}},
            "101": {"ours": {"steps": 80, "seconds": 1.0, "seconds_per_step": 0.013}},
        },
    }
    cost = rs.cost(record, "ours")
    assert cost["step_share"] == pytest.approx(0.09)
    assert cost["seconds_per_step_ratio"] == pytest.approx(1.2)
    assert rs.cost(record, "default")["step_share"] is None
    assert rs.median_inter_step([0.0, 1.0, 1.5, 9.0, 9.5]) == pytest.approx(0.75)


def _task(mean: float, collapsed: int = 0, spread: float = 1.2, in_band: bool = True) -> dict:
    return {
        "per_seed": [{"log_error": 0.1, "in_band": in_band}] * 3,
        "spread": spread,
        "collapsed": collapsed,
        "mean": mean,
        "std": 0.01,
        "n": 9,
    }


def test_acceptance_passes_and_fails_per_budget():
    good = {
        "t1": {
            "ours": _task(0.9),
            "valley": _task(0.85),
            "cost": {"ours": {"step_share": 0.04, "seconds_per_step_ratio": 1.1}},
        }
    }
    checks = rs.acceptance(good, "ours", ("valley",))
    assert all(ok for ok, _ in checks.values()), checks
    bad = {
        "t1": {
            "ours": _task(0.7, collapsed=1, spread=2.0, in_band=False),
            "valley": _task(0.85),
            "cost": {"ours": {"step_share": 0.14, "seconds_per_step_ratio": 1.1}},
        }
    }
    checks = rs.acceptance(bad, "ours", ("valley",))
    failed = {name for name, (ok, _) in checks.items() if not ok}
    assert failed == {"band", "vs_peers", "collapse", "spread", "cost"}
    assert "t1" in checks["vs_peers"][1]
