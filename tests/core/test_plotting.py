"""Plots never touch the process's matplotlib state: the backend it chose, pyplot's figures,
or pyplot itself when it was never imported (``lrguard.plotting``)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

PLOTS = """
import json, math, sys
from pathlib import Path

import matplotlib

from lrguard.range_test.recorder import SweepRecorder
from lrguard.range_test.sweep import SweepSettings
from lrguard.simulate import Simulation, save_plot

out = Path(sys.argv[1])
def snapshot():
    pyplot = sys.modules.get("matplotlib.pyplot")
    backend = dict.__getitem__(matplotlib.rcParams, "backend")  # without resolving it
    return {
        "backend": backend if isinstance(backend, str) else None,  # None: not chosen yet
        "pyplot": pyplot is not None,
        "figures": pyplot.get_fignums() if pyplot is not None else None,
    }
# SETUP
before = snapshot()
sim = Simulation("step", [1, 2, 3, 4], {"lr": [0.5, 1.0, 0.5, 0.1]}, floor=0.1, warmup=2)
save_plot(sim, out / "simulate.png")
settings = SweepSettings(start_lr=1e-6, end_lr=10.0, num_steps=60)
recorder = SweepRecorder(settings)
for step in range(settings.num_steps):
    lr = settings.rate(step)
    if not recorder.record(lr, 1.0 + math.log10(lr / 1e-2) ** 2):
        break
recorder.result().plot(out / "range.png")
print(json.dumps([before, snapshot()]))
"""

USER_PYPLOT = """
matplotlib.use("svg")
import matplotlib.pyplot as plt
plt.figure(3)
"""


def _plot_in_a_fresh_process(tmp_path: Path, setup: str) -> tuple[dict, dict]:
    done = subprocess.run(
        [sys.executable, "-c", PLOTS.replace("# SETUP", setup), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "MPLBACKEND"},
    )
    assert done.returncode == 0, done.stderr
    before, after = json.loads(done.stdout.strip().splitlines()[-1])
    return before, after


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_plots_keep_the_backend_and_the_figures_of_a_pyplot_user(tmp_path: Path) -> None:
    before, after = _plot_in_a_fresh_process(tmp_path, USER_PYPLOT)
    assert before == {"backend": "svg", "pyplot": True, "figures": [3]}
    assert after == before
    assert _png_size(tmp_path / "simulate.png") == (960, 540)
    assert _png_size(tmp_path / "range.png") == (700, 400)


def test_plots_neither_import_pyplot_nor_choose_a_backend(tmp_path: Path) -> None:
    before, after = _plot_in_a_fresh_process(tmp_path, "")
    assert before == {"backend": None, "pyplot": False, "figures": None}
    assert after == before
    assert (tmp_path / "simulate.png").stat().st_size > 5000
