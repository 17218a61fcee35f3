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


def test_two_processes_take_the_same_decision(tmp_path):
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
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert all(r["world"] == 2 and r["global_step"] == 10 for r in ranks)
    assert ranks[0]["records"] == ranks[1]["records"]
    assert [r["rule"] for r in ranks[0]["records"]] == ["LRG002"]
    assert ranks[0]["kwargs"] == ranks[1]["kwargs"] == {"min_lr": 1e-6}
    assert [r["rule"] for r in read_jsonl(tmp_path / "out" / "lrguard.jsonl")] == ["LRG002"]
    assert done.stderr.count("lrguard LRG002") + done.stdout.count("lrguard LRG002") == 1
    assert ranks[0]["max_lr"] <= 1e-5
