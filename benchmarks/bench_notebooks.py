"""Notebook run time: each notebook top to bottom, offline, on the CPU, in <= 60 s.

The test suite checks that they run; this benchmark holds how long they take.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 60.0


def run_notebook(path: Path) -> float:
    """Execute one notebook; return its wall time in seconds."""
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main() -> int:
    """Print each notebook's time against the budget; 1 when one is over it."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    worst = 0
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        seconds = run_notebook(path)
        ok = seconds <= BUDGET_S
        worst = max(worst, 0 if ok else 1)
        print(f"{path.name}: {seconds:.1f} s (budget {BUDGET_S:.0f} s) {'ok' if ok else 'MISSED'}")
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
