"""``make demo``'s job runs and reports the headline result honestly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_demo_summary():
    pytest.importorskip("flair")
    done = subprocess.run(
        [sys.executable, "-m", "demo"], cwd=ROOT, text=True, capture_output=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "stock Flair : 1 of 5 epochs trained" in done.stdout
    assert "with lrguard: 5 of 5 epochs trained" in done.stdout
    assert "LRG001 adjusted" in done.stdout
    assert "lrguard check examples" in done.stdout
    assert "Traceback" not in done.stderr
