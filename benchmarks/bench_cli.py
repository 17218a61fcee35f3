"""``lrguard check`` speed: one config vs ``python -c "import transformers"``, whole corpus.

Budgets (DESIGN.md section 7): one config >= 15x faster than importing transformers, both
measured the same way side by side (fresh interpreter, best of 5); the real corpora
(``../shared/corpus`` and ``../shared/corpus-wide``, checked in one run, interpreter start
included) <= 5 ms per file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / ".." / "shared" / "corpus"
CORPUS_WIDE = ROOT / ".." / "shared" / "corpus-wide"
CONFIG = (
    "learning_rate: 1.0e-5\nlr_scheduler_type: cosine_with_min_lr\n"
    "lr_scheduler_kwargs:\n  min_lr: 1.0e-4\nwarmup_ratio: 0.1\nmax_steps: 1000\n"
)
RATIO_BUDGET = 15.0
PER_FILE_BUDGET_MS = 5.0


def _env(cache: str) -> dict[str, str]:
    """Both commands run with compiled bytecode cached the same way (an installed package
    has its .pyc files; an editable checkout under PYTHONDONTWRITEBYTECODE would not)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def _best_of(cmd: list[str], env: dict[str, str], runs: int = 5) -> float:
    subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False, env=env)  # warm-up
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False, env=env)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    """Print the measured times and ratios; 0 when both budgets are met."""
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(str(Path(tmp) / "pycache"))
        cfg = Path(tmp) / "train.yaml"
        cfg.write_text(CONFIG)
        check = _best_of([sys.executable, "-m", "lrguard", "check", str(cfg), "--no-config"], env)
        imp = _best_of([sys.executable, "-c", "import transformers"], env)
        corpora = [c for c in (CORPUS, CORPUS_WIDE) if c.is_dir()]
        corpus = None
        if corpora:
            corpus = _best_of(
                [sys.executable, "-m", "lrguard", "check", *map(str, corpora), "--no-config"],
                env,
                runs=3,
            )
    ratio = imp / check
    print(f"lrguard check, one config:      {check * 1000:8.1f} ms")
    print(f"python -c 'import transformers': {imp * 1000:8.1f} ms")
    print(f"ratio: {ratio:.1f}x (budget >= {RATIO_BUDGET:.0f}x)")
    ok = ratio >= RATIO_BUDGET
    if corpus is not None:
        n = sum(1 for c in corpora for p in c.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
        per_file = corpus * 1000 / n
        print(f"whole corpus ({n} files): {corpus:8.2f} s")
        print(f"per file: {per_file:8.2f} ms (budget <= {PER_FILE_BUDGET_MS} ms)")
        ok = ok and per_file <= PER_FILE_BUDGET_MS
    else:
        print(f"corpus not found at {CORPUS}: corpus budget not measured")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
