"""The range test and performance pages quote the benchmark's halves: each figure matches the
results file."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "range-test.md").read_text(encoding="utf-8")
PERFORMANCE = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
RESULTS = json.loads(
    (ROOT / "benchmarks" / "results" / "range_test_quality.json").read_text(encoding="utf-8")
)
ROWS = {
    "lrguard": "lrguard",
    "multi (three sweeps)": "multi",
    "race (successive halving)": "race",
    "minimum (fastai)": "minimum",
    "valley (fastai)": "valley",
    "steepest (Lightning)": "steepest",
    "torch-lr-finder": "torch-lr-finder",
    "the framework's fixed default": "default",
}


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?%?|inf", text)


def test_every_report_row_is_the_benchmarks_own_figures():
    acceptance = RESULTS["acceptance"]
    for label, method in ROWS.items():
        (row,) = re.findall(rf"^  \| {re.escape(label)} \| (.*) \|$", PAGE, flags=re.M)
        band, error, collapsed = (cell.strip() for cell in row.split(" | "))
        scored = acceptance[method]
        assert _numbers(band) == _numbers(scored["band"][1])[:2], label
        assert _numbers(error) == _numbers(scored["log_error"][1])[1:], label
        assert _numbers(collapsed) == _numbers(scored["collapse"][1]), label


def test_the_quoted_rows_are_the_report_half():
    design = set(RESULTS["design_tasks"])
    report = [t["task"] for t in RESULTS["tasks"] if t["task"] not in design]
    assert len(report) == 4 and "four more tasks" in PAGE.lower().replace("\n", " ")


def _half_figures(half: str) -> str:
    """The default method's share of (task, finder seed) pairs in the band and its median
    |log10 error| on ``half``, as the pages write them."""
    row = RESULTS["halves"][half]["lrguard"]
    return (
        f"{row['band']:.0%} of {row['pairs']} (task, finder seed) within the good band; "
        f"median \\|log10 error\\| {row['log_error_median']:.2f}"
    )


def test_the_pages_quote_both_halves_for_the_default_method():
    assert RESULTS["halves"]["design"]["lrguard"]["pairs"] == 3 * len(RESULTS["design_tasks"])
    text = " ".join(PAGE.split())
    perf = " ".join(PERFORMANCE.split())
    for half in ("design", "report"):
        assert _half_figures(half) in perf, half
    assert _half_figures("design").replace("\\", "") in text


def _task(name: str) -> dict:
    (task,) = [t for t in RESULTS["tasks"] if t["task"] == name]
    return task


def test_the_worst_report_case_is_as_the_page_says():
    task = _task("torch-cnn-sgd")
    best = task["scored"]["grid"]["best_lr"]
    rates = [task["suggestions"][str(seed)]["lrguard"] for seed in task["finder_seeds"]]
    over = sorted(rate / best for rate in rates if rate is not None)
    assert rates.count(None) == 1 and over[0] >= 4 and over[-1] <= 10
    assert "4 to 10 times above the best rate" in " ".join(PAGE.split())


def test_the_cost_row_is_the_long_tasks_own():
    task = _task("torch-mlp-adamw-regression-long")
    cost = task["scored"]["scores"]["cost"]["lrguard"]
    row = (
        f"a sweep is {cost['step_share']:.1%} of the run's steps ({cost['steps']:.0f} of "
        f"{task['full_run_steps']:,}); {cost['seconds_per_step_ratio']:.2f}x plain seconds per step"
    )
    assert row in PERFORMANCE
