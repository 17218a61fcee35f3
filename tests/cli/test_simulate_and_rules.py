"""``lrguard simulate`` (table, csv, json, plot) and ``lrguard rules`` / ``explain``."""

from __future__ import annotations

import csv
import io
import json
import struct
import subprocess
import sys

import pytest

from lrguard.rules import DOC_SECTIONS, all_rules
from lrguard.simulate import PLOT_SIZE_PX

HF = (
    "learning_rate: 2.0e-5\nlr_scheduler_type: cosine_with_min_lr\n"
    "lr_scheduler_kwargs:\n  min_lr_rate: 0.1\nwarmup_ratio: 0.1\nmax_steps: 1000\n"
)
FLAIR = "flair_train:\n  learning_rate: 0.1\n  patience: 3\n  max_epochs: 60\n"


WITHOUT_NUMPY = (
    "import sys; sys.modules['numpy'] = None\n"  # import numpy now raises ImportError
    "from lrguard.cli import main; sys.exit(main(sys.argv[1:]))"
)


@pytest.mark.parametrize("schedule", ["cosine_with_min_lr", "warmup_stable_decay", "polynomial"])
def test_simulate_without_numpy_prints_the_same_rates(run, write, schedule):
    """A plain install has no numpy: the rates are computed one step at a time, the same."""
    text = HF.replace("cosine_with_min_lr", schedule)
    if schedule != "cosine_with_min_lr":
        text = text.replace(
            "  min_lr_rate: 0.1\n",
            "  {}\n" if schedule == "polynomial" else "  num_decay_steps: 200\n",
        )
    config = write("hf.yaml", text)
    code, with_numpy, _ = run("simulate", config, "--format", "csv")
    plain = subprocess.run(
        [sys.executable, "-c", WITHOUT_NUMPY, "simulate", str(config), "--format", "csv"],
        capture_output=True,
        text=True,
    )
    assert code == 0 and plain.returncode == 0, plain.stderr
    assert plain.stdout == with_numpy and len(with_numpy.splitlines()) == 1001


def _for_4x(write) -> list[str]:
    """``--config`` with transformers 4.57 declared (``HF`` uses ``warmup_ratio``, which 5.x
    no longer has)."""
    pyproject = write("pyproject.toml", '[tool.lrguard]\ntransformers-version = "4.57"\n')
    return ["--config", str(pyproject)]


def test_simulate_csv_every_step(run, write):
    code, out, _ = run("simulate", write("hf.yaml", HF), "--format", "csv", *_for_4x(write))
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and rows[0] == ["step", "lr"] and len(rows) == 1001
    lrs = [float(r[1]) for r in rows[1:]]
    assert lrs[0] == 0.0 and lrs[100] == pytest.approx(2e-5)  # 100 warmup steps
    assert min(lrs[100:]) == pytest.approx(2e-6, rel=1e-3)  # floor = 0.1 x peak


def test_simulate_table_marks_floor_and_warmup(run, write):
    code, out, _ = run("simulate", write("hf.yaml", HF), *_for_4x(write))
    assert code == 0 and "floor: 2e-06; warmup: 100 steps" in out
    assert 10 < len(out.splitlines()) < 60


def test_simulate_flair_worst_case_json(run, write):
    code, out, _ = run("simulate", write("f.yaml", FLAIR), "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["unit"] == "epoch"
    assert doc["stops"] == {"lr_flair": 41, "lr_lrguard": 45}  # Flair stops 4 epochs earlier


def test_simulate_flair_lr_below_min_stops_after_epoch_1(run, write):
    path = write("f.yaml", "flair_train:\n  learning_rate: 1.0e-5\n  max_epochs: 20\n")
    _, out, _ = run("simulate", path, "--format", "json")
    assert json.loads(out)["stops"]["lr_flair"] == 1


def test_simulate_flair_guard_uses_the_default_policys_floor(run, write):
    path = write("f.yaml", "flair_train:\n  learning_rate: 1.0e-5\n  patience: 10\n")
    _, out, _ = run("simulate", path, "--format", "json")
    doc = json.loads(out)
    # floor lowered to 1e-6: 3 anneals (1e-5 -> 5e-6 -> 2.5e-6 -> 1.25e-6), one clamp to 1e-6,
    # then 11 more bad epochs at the floor: 1 + 5 * 11 = 56
    assert doc["stops"] == {"lr_flair": 1, "lr_lrguard": 56}


def test_simulate_plateau_worst_case(run, write):
    path = write(
        "p.yaml",
        "learning_rate: 1.0e-3\nlr_scheduler_type: reduce_lr_on_plateau\n"
        "lr_scheduler_kwargs: {patience: 1, factor: 0.5, min_lr: 1.0e-4}\n",
    )
    code, out, _ = run("simulate", path, "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["unit"] == "evaluation" and doc["floor"] == 1e-4
    assert doc["rows"][-1]["lr"] == pytest.approx(1e-4)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("learning_rate: 2.0e-5\nlr_scheduler_type: cosine\n", "total step count is unknown"),
        ("learning_rate: abc\nmax_steps: 10\n", "learning_rate='abc' is not a positive number"),
        (
            "base_model: x\nlearning_rate: 1.0e-5\nlr_scheduler: rex\nmax_steps: 5\n",
            "axolotl's own",
        ),
        ("compute_environment: LOCAL_MACHINE\nnum_processes: 2\n", "skipped"),
    ],
)
def test_simulate_refuses_with_a_reason(run, write, text, reason):
    code, out, err = run("simulate", write("c.yaml", text))
    assert code == 2 and reason in err and "Traceback" not in err


def test_simulate_plot_png_of_expected_size(run, write, tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "lr.png"
    code, _, _ = run("simulate", write("hf.yaml", HF), "--plot", png)
    data = png.read_bytes()
    assert code == 0 and data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == PLOT_SIZE_PX
    flair_png = tmp_path / "flair.png"
    assert run("simulate", write("f.yaml", FLAIR), "--plot", flair_png)[0] == 0
    assert struct.unpack(">II", flair_png.read_bytes()[16:24]) == PLOT_SIZE_PX


def test_rules_lists_every_rule_with_all_doc_sections(run):
    code, out, _ = run("rules", "--format", "json")
    records = json.loads(out)
    assert code == 0 and [r["code"] for r in records] == [r.code for r in all_rules()]
    for record in records:
        assert all(record[s].strip() for s in DOC_SECTIONS), record["code"]
    code, out, _ = run("rules")
    assert code == 0 and "LRG031  scheduler-kwarg-at-top-level" in out


def test_explain(run):
    code, out, _ = run("explain", "lrg001")
    assert code == 0 and out.startswith("LRG001 initial-lr-below-min (error)")
    for title in ("## What it does", "## Why is this bad?", "## Example", "## Fix"):
        assert title in out
    code, _, err = run("explain", "LRG999")
    assert code == 2 and "unknown rule 'LRG999'" in err


def test_closed_form_without_numpy_arrays_scalar_path():
    from lrguard.schedules.closed_form import ScheduleError
    from lrguard.schedules.table import factor

    assert factor("linear", 5, warmup_steps=10, total_steps=20) == 0.5
    with pytest.raises(ScheduleError, match="no closed form"):
        factor("one_cycle", 1, total_steps=10)
    with pytest.raises(ScheduleError, match="needs the total"):
        factor("cosine", 1)
