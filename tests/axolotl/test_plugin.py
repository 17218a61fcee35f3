"""``plugins: [hf_lrguard.axolotl.LRGuardPlugin]``: real ``axolotl train`` runs on a tiny local
Llama, with and without the plugin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("axolotl")

from hf_lrguard import saved_decisions  # noqa: E402
from lrguard import read_jsonl  # noqa: E402
from tests.axolotl.tiny import build_dataset, config  # noqa: E402
from tests.tiny_text import save_tiny_llama  # noqa: E402
from tests.trackers import assert_written, tensorboard_texts  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = {"plugins": ["hf_lrguard.axolotl.LRGuardPlugin"]}
TENSORBOARD = {"use_tensorboard": True}  # axolotl's report_to: ["tensorboard"]
MIN_ABOVE = {"lr_scheduler": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr": 1.0e-4}}
RATIO_ABOVE = {"lr_scheduler": "cosine", "cosine_min_lr_ratio": 10}
CLEAN = {"lr_scheduler": "cosine", "cosine_min_lr_ratio": 0.1}
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny")
    return {
        "model": save_tiny_llama(root / "model"),
        "data": build_dataset(root / "data" / "tiny.jsonl"),
        "prepared": root / "prepared",
    }


def write(tiny: dict[str, Path], out: Path, **settings: Any) -> Path:
    path = out.parent / f"{out.name}.yaml"
    path.write_text(
        yaml.safe_dump(config(tiny["model"], tiny["data"], tiny["prepared"], out, **settings))
    )
    return path


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "AXOLOTL_DO_NOT_TRACK": "1",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def train(config_path: Path) -> subprocess.CompletedProcess:
    """``axolotl train CONFIG --launcher python``: the real CLI, in one process."""
    command = [str(BIN / "axolotl"), "train", str(config_path), "--launcher", "python"]
    return run(command, config_path.parent)


def state(out: Path) -> dict[str, Any]:
    return json.loads((out / "checkpoint-10" / "trainer_state.json").read_text())


def rates(out: Path) -> list[float]:
    return [e["learning_rate"] for e in state(out)["log_history"] if "learning_rate" in e]


def saved_records(out: Path) -> list[dict[str, Any]]:
    return saved_decisions(state(out))


def test_stock_rises_to_ten_times_the_peak_guarded_stays_below_it(tiny, tmp_path):
    stock = train(write(tiny, tmp_path / "stock", **MIN_ABOVE))
    assert stock.returncode == 0, stock.stderr[-3000:]
    assert rates(tmp_path / "stock")[-1] > 9e-5

    out = tmp_path / "guarded"
    guarded = train(write(tiny, out, **MIN_ABOVE, **PLUGIN, **TENSORBOARD))
    assert guarded.returncode == 0, guarded.stderr[-3000:]
    assert len(rates(out)) == 10 and max(rates(out)) <= 1e-5
    records = read_jsonl(out / "lrguard.jsonl")
    assert [(r["rule"], r["action"]) for r in records] == [("LRG002", "adjusted")]
    assert records[0]["before"] == {"lr_scheduler_kwargs.min_lr": 1e-4}
    assert records[0]["after"] == {"lr_scheduler_kwargs.min_lr": 1e-6}
    assert saved_records(out) == records
    assert_written(records, tensorboard_texts(out))  # read back from the event files


def test_clean_config_trains_at_identical_rates(tiny, tmp_path):
    runs = {}
    for name, extra in (("stock", {}), ("guarded", PLUGIN)):
        done = train(write(tiny, tmp_path / name, **CLEAN, **extra))
        assert done.returncode == 0, done.stderr[-3000:]
        runs[name] = rates(tmp_path / name)
    assert runs["guarded"] == runs["stock"]
    assert len(runs["stock"]) == 10
    assert not (tmp_path / "guarded" / "lrguard.jsonl").exists()
    assert saved_records(tmp_path / "guarded") == []


def test_cosine_min_lr_ratio_above_one_adjusted_or_refused_before_the_model_loads(tiny, tmp_path):
    out = tmp_path / "adjusted"
    policy = {"lrguard": {"on_violation": "adjust", "min_lr_ratio": 0.2}}
    adjusted = train(write(tiny, out, **RATIO_ABOVE, **PLUGIN, **policy, **TENSORBOARD))
    assert adjusted.returncode == 0, adjusted.stderr[-3000:]
    used = rates(out)
    assert used[0] == pytest.approx(1e-5) and max(used) <= 1e-5
    assert 2e-6 < used[-1] < 1e-5  # decays towards the floor 0.2 x 1e-5, below the peak
    records = read_jsonl(out / "lrguard.jsonl")
    assert [(r["rule"], r["action"]) for r in records] == [("LRG002", "adjusted")]
    assert (records[0]["before"], records[0]["after"]) == (
        {"cosine_min_lr_ratio": 10},
        {"cosine_min_lr_ratio": 0.2},
    )
    assert saved_records(out) == records
    assert_written(records, tensorboard_texts(out))

    out = tmp_path / "stock"  # axolotl's own check: an assert once the model is loaded
    stock = train(write(tiny, out, **RATIO_ABOVE))
    assert stock.returncode != 0
    assert "cosine_min_lr_ratio must be between 0.0 and 1.0" in stock.stderr + stock.stdout
    assert "Loading weights" in stock.stderr + stock.stdout and out.exists()

    out = tmp_path / "refused"
    refused = train(write(tiny, out, **RATIO_ABOVE, **PLUGIN, lrguard={"on_violation": "error"}))
    assert refused.returncode != 0
    assert (
        "LRG002 cosine_min_lr_ratio=10 is above 1 (a fraction of learning_rate=1e-05): "
        "cosine_with_min_lr "
        "'decays' upwards and ends the run at 0.0001, 10x the peak. "
        "Fix: Set cosine_min_lr_ratio: 0.1 (a fraction < 1 of the peak)."
    ) in refused.stderr + refused.stdout
    assert not out.exists()  # refused before the model was loaded: nothing written
    assert "Loading weights" not in refused.stderr + refused.stdout


def test_lrguard_check_exits_1_on_the_same_config(tiny, tmp_path):
    path = write(tiny, tmp_path / "ratio", **RATIO_ABOVE, **PLUGIN)
    done = run([str(BIN / "lrguard"), "check", str(path)], tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "LRG002 [error] cosine_min_lr_ratio=10 is above 1 (a fraction of learning_rate=1e-05)"
        in done.stdout
    )
