"""A real 2-process torchrun (gloo, CPU): same decisions on every rank, files written once."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lrguard import read_jsonl

pytestmark = [pytest.mark.hf, pytest.mark.slow]
SCRIPT = Path(__file__).with_name("ddp_script.py")


def free_port() -> int:
    """A local TCP port nothing listens on (so parallel runs do not collide)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_two_processes(tmp_path: Path, *extra: str) -> tuple[list[dict], str]:
    """Run ddp_script.py on 2 CPU processes; each rank's JSON and the combined output."""
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists() and shutil.which("torchrun") is None:
        pytest.skip("torchrun not installed")
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    cmd = [
        str(torchrun),
        "--nproc_per_node",
        "2",
        "--master_port",
        str(free_port()),
        str(SCRIPT),
        str(tmp_path),
        *extra,
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    return ranks, done.stdout + done.stderr


def test_two_processes_take_the_same_decision(tmp_path):
    ranks, output = run_two_processes(tmp_path)
    assert all(r["world"] == 2 and r["global_step"] == 10 for r in ranks)
    assert ranks[0]["records"] == ranks[1]["records"]
    assert [r["rule"] for r in ranks[0]["records"]] == ["LRG002"]
    assert ranks[0]["kwargs"] == ranks[1]["kwargs"] == {"min_lr": 1e-6}
    assert [r["rule"] for r in read_jsonl(tmp_path / "out" / "lrguard.jsonl")] == ["LRG002"]
    assert output.count("lrguard LRG002") == 1
    assert ranks[0]["max_lr"] <= 1e-5
    # the guard holds no reference that keeps the DDP model (and its Reducer) alive
    assert all(r["ddp_model"] == "DistributedDataParallel" for r in ranks)
    assert all(r["ddp_model_released"] for r in ranks)


def test_range_test_gives_every_rank_the_same_suggestion_and_writes_once(tmp_path):
    ranks, output = run_two_processes(tmp_path, "range")
    assert ranks[0]["sweep"] == ranks[1]["sweep"]
    assert ranks[0]["sweep"]["suggestions"]["lrguard"] is not None
    records = read_jsonl(tmp_path / "out" / "lrguard.jsonl")
    assert [r["rule"] for r in records] == ["LRG090", "LRG002"]
    assert len((tmp_path / "out" / "learning_rate.tsv").read_text().splitlines()) == 41
    assert all(r["global_step"] == 10 for r in ranks)
