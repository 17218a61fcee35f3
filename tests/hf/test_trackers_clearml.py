"""ClearML gets each decision as text (the task logger's ``report_text``) and as numbers
(scalars under ``train``), read back from its offline session folder.

ClearML runs offline without a server (``CLEARML_OFFLINE_MODE=1``): ``Task.init`` (called by
transformers' ``ClearMLCallback``) writes ``<CLEARML_CACHE_DIR>/offline/<task id>/`` with
``metrics.jsonl`` and ``log.jsonl``. The run happens in a child process (this file run as a
script), because a ClearML task hooks the process's console, ``atexit`` and
``argparse`` and stays the process's task; every connection the child tries outside the
machine is refused and recorded. ``report_use_subprocess: false`` keeps ClearML's reporter in
a thread, so closing the task takes milliseconds instead of seconds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.hf
ROOT = Path(__file__).resolve().parents[2]
MIN_ABOVE = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr": 1e-4}}
FIELD = "lrguard/LRG002/lr_scheduler_kwargs.min_lr"


def events(path: Path) -> list[dict[str, Any]]:
    """The events of one of ClearML's offline ``*.jsonl`` files (a JSON list per line)."""
    return [e for line in path.read_text().splitlines() if line for e in json.loads(line)]


def test_clearml_offline_gets_text_and_scalars(tmp_path):
    pytest.importorskip("clearml")
    config = tmp_path / "clearml.conf"
    config.write_text("sdk { development { report_use_subprocess: false } }\n")
    env = dict(
        os.environ,
        HOME=str(tmp_path / "home"),
        CLEARML_CONFIG_FILE=str(config),
        CLEARML_CACHE_DIR=str(tmp_path / "cache"),
        CLEARML_OFFLINE_MODE="1",
        CLEARML_API_HOST="http://127.0.0.1:9",  # nothing listens: no request can leave
        CLEARML_WEB_HOST="http://127.0.0.1:9",
        CLEARML_FILES_HOST="http://127.0.0.1:9",
        CLEARML_LOG_MODEL="false",
        HF_HUB_OFFLINE="1",
        OMP_NUM_THREADS="1",
    )
    done = subprocess.run(
        [sys.executable, "-m", "tests.hf.test_trackers_clearml", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    output = done.stdout + done.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["connections"] == []  # offline: nothing tried to reach a server
    records = result["records"]
    assert [(r["rule"], r["action"]) for r in records] == [("LRG002", "adjusted")]

    (session,) = (tmp_path / "cache" / "offline").glob("offline-*/")
    scalars = {
        (e["variant"], e["iter"]): e["value"]
        for e in events(session / "metrics.jsonl")
        if e["type"] == "training_stats_scalar" and e["metric"] == "train"
    }
    assert scalars[(f"{FIELD}/after", 0)] == 1e-6  # the rate the decision set, at step 0
    assert scalars[(f"{FIELD}/before", 0)] == 1e-4
    assert scalars[("lrguard/LRG002/severity", 0)] == 40
    assert ("loss", 40) in scalars  # the usual logs too
    texts = [e for e in events(session / "log.jsonl") if "lrguard LRG002" in e["msg"]]
    # the guard's console is silenced in the child: the only line is report_text's, whole
    assert len(texts) == 1 and texts[0]["msg"] == result["line"]
    assert texts[0]["level"] == "error"  # the finding's severity
    assert records[0]["message"] in result["line"]
    # nothing dropped with a warning ("… report_scalar() is incorrect …")
    assert "lrguard/" not in output
    assert result["log_history_steps"] == [10, 20, 30, 40, 40]


def main(tmp: Path) -> None:
    """Train with ``report_to="clearml"`` offline; write what the parent checks."""
    import logging
    import socket

    tried: list[str] = []
    connect = socket.socket.connect

    def local_only(self, address):  # any other address is recorded and refused
        host = address[0] if isinstance(address, tuple) else address
        if self.family != socket.AF_UNIX and host not in ("127.0.0.1", "localhost", "::1"):
            tried.append(str(address))
            raise OSError(f"network refused in this test: {address}")
        return connect(self, address)

    socket.socket.connect = local_only
    from hf_lrguard import LRGuardCallback
    from hf_lrguard._trackers import tracker_logs
    from tests.hf.conftest import make_args, make_trainer

    logging.getLogger("hf_lrguard").setLevel(logging.CRITICAL)  # the line only via ClearML
    args = make_args(tmp, report_to="clearml", logging_steps=10, **MIN_ABOVE)
    guard = LRGuardCallback()
    trainer = make_trainer(args, callbacks=[guard])
    trainer.train()
    result = {
        "connections": tried,
        "records": guard.records,
        "line": tracker_logs(guard.records[0])["lrguard/LRG002"],
        "log_history_steps": [e["step"] for e in trainer.state.log_history],
    }
    (tmp / "result.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
