"""The range test page quotes the benchmark's report half: each row matches the results file."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "range-test.md").read_text(encoding="utf-8")
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
    assert len(report) == 7 and "seven more" in PAGE.lower().replace("\n", " ")
