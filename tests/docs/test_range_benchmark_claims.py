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
    assert len(report) == 4 and "four more tasks" in " ".join(PAGE.lower().split())


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


def _report_tasks() -> list[dict]:
    design = set(RESULTS["design_tasks"])
    return [t for t in RESULTS["tasks"] if t["task"] not in design]


def _ratios_to_best(task: dict, method: str = "lrguard") -> list[float]:
    best = task["scored"]["grid"]["best_lr"]
    return [task["suggestions"][str(seed)][method] / best for seed in task["finder_seeds"]]


def test_the_worst_report_case_is_as_the_page_says():
    page = " ".join(PAGE.split())
    above_everywhere = [t["task"] for t in _report_tasks() if min(_ratios_to_best(t)) > 1]
    assert len(above_everywhere) == 3 and "lies above the best rate on three of them" in page
    task = _task("hf-gpt2-scratch-adamw")
    worst = max(_report_tasks(), key=lambda t: t["scored"]["scores"]["lrguard"]["worst_regret"])
    assert worst is task
    over = sorted(_ratios_to_best(task))
    regrets = sorted(s["regret"] for s in task["scored"]["scores"]["lrguard"]["per_seed"])
    said = f"{over[0]:.1f} to {over[-1]:.0f} times above the best rate and trains "
    said += f"{100 * regrets[0]:.1f} to {100 * regrets[-1]:.1f} points of dev accuracy below it"
    assert said in page
    assert task["default_lr"] == task["scored"]["grid"]["best_lr"] == 1e-3
    assert "the fixed default (AdamW's 1e-3) is the best rate" in page
    assert RESULTS["acceptance"]["multi"]["vs_peers"][0] is True
    assert "`multi` is at least as good as every peer on all four tasks" in page


def test_the_cost_row_is_the_long_tasks_own():
    task = _task("torch-mlp-adamw-regression-long")
    cost = task["scored"]["scores"]["cost"]["lrguard"]
    row = (
        f"a sweep is {cost['step_share']:.1%} of the run's steps ({cost['steps']:.0f} of "
        f"{task['full_run_steps']:,}); {cost['seconds_per_step_ratio']:.2f}x plain seconds per step"
    )
    assert row in PERFORMANCE
