"""Run every benchmark: ``python -m benchmarks`` (``make bench``). Exit 1 if a budget is missed."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    """Run each ``benchmarks/bench_*.py`` module in a fresh interpreter (so one benchmark's
    imports and memory never weigh on another's figures); return the worst exit code."""
    worst = 0
    for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if module.name.startswith("bench_"):
            print(f"== {module.name}", flush=True)
            code = subprocess.call([sys.executable, "-m", f"benchmarks.{module.name}"], cwd=ROOT)
            worst = max(worst, code)
    return worst


if __name__ == "__main__":
    sys.exit(main())
