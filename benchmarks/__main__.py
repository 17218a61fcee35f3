"""Run every benchmark: ``python -m benchmarks`` (``make bench``). Exit 1 if a budget is missed."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    """Run each ``benchmarks/bench_*.py`` module's ``main()``; return the worst exit code."""
    worst = 0
    for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if module.name.startswith("bench_"):
            print(f"== {module.name}", flush=True)
            code = importlib.import_module(f"benchmarks.{module.name}").main()
            worst = max(worst, int(code or 0))
    return worst


if __name__ == "__main__":
    sys.exit(main())
