"""LRG030 steps-unknown: Warmup given in steps cannot be checked: the run's total steps are
unknown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example

CODE = "LRG030"

FIRES = {
    "one warmup step, epochs only": """
num_train_epochs: 1
warmup_steps: 1
""",
}

SILENT = {
    "a warmup ratio needs no step count": """
num_train_epochs: 1
warmup_ratio: 0.1
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "warmup_steps"]
    assert finding.value == 500
    assert "--steps" in finding.fix
    assert "warmup_steps" in finding.message


def test_silent_on_the_corrected_example(tmp_path: Path) -> None:
    assert check_text(tmp_path, corrected(CODE), CODE) == []


@pytest.mark.parametrize("text", FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE)


@pytest.mark.parametrize("text", SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE) == []


# -- through the command line (lrguard check) ------------------------------------------------
def test_steps_unknown_then_known(run, write):
    path = write(
        "w.yaml",
        "learning_rate: 2.0e-5\nlr_scheduler_type: linear\nwarmup_steps: 500\n"
        "num_train_epochs: 1\nper_device_train_batch_size: 8\n",
    )
    code, out, _ = run("check", path)
    assert code == 0 and "LRG030" in out and "unknown" in out
    code, out, _ = run("check", path, "--dataset-size", "800", "--format", "json")
    entry = json.loads(out)["files"][0]
    assert entry["steps"]["total"] == 100
    lrg006 = [f for f in entry["findings"] if f["code"] == "LRG006"]  # warmup 500 >= 100 steps
    assert lrg006 and lrg006[0]["line"] == 3
    assert not any(f["code"] == "LRG030" for f in entry["findings"])
    assert code == 0 and run("check", path, "--dataset-size", "800", "--strict")[0] == 1
