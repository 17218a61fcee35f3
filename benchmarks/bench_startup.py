"""``lrguard check`` start-up against the import floor of reading YAML at all.

Budget (DESIGN.md section 7): ``lrguard check`` on one config costs at most 2x the CPU time
(user + sys) of ``python -c "import yaml"``. Both run as fresh interpreters of this
environment, on the installed package, with compiled bytecode cached the same way, in pairs
(A B, then B A, ...) after a warm-up; the figure is the median of the per-pair ratios, over
at least 15 pairs, so that load on a shared machine weighs on both commands of a pair alike.

It also says what dominates: the modules with the largest import time (self, the minimum over
a few ``-X importtime`` runs), and the time of loading the rule modules, which
``importlib.import_module`` hides from ``-X importtime``.

``python -m benchmarks.bench_startup [--pairs N]``; exit 1 when the budget is missed.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "examples" / "hf_min_lr_above_peak.yaml"
BUDGET = 2.0
MIN_PAIRS = 15

_WALK = (
    "import time; import lrguard.cli; from lrguard.rules import all_rules; "
    "t = time.process_time(); all_rules(); print(time.process_time() - t)"
)


def _env(cache: str) -> dict[str, str]:
    """Run lrguard as an installed package: found on ``sys.path`` by Python's own path
    finder (not through the editable-install hook of a development checkout, which costs
    every submodule import), with its ``.pyc`` files cached for both commands alike (a
    checkout run with PYTHONDONTWRITEBYTECODE would recompile lrguard on every run)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def cpu_seconds(cmd: list[str], env: dict[str, str]) -> float:
    """User + system CPU seconds of one run of ``cmd`` (a child process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def paired(
    a: list[str], b: list[str], env: dict[str, str], pairs: int
) -> list[tuple[float, float]]:
    """``pairs`` (a, b) CPU times, alternating the order (A B, B A, ...) after a warm-up."""
    cpu_seconds(a, env)
    cpu_seconds(b, env)
    out = []
    for i in range(pairs):
        if i % 2 == 0:
            first, second = cpu_seconds(a, env), cpu_seconds(b, env)
        else:
            second, first = cpu_seconds(b, env), cpu_seconds(a, env)
        out.append((first, second))
    return out


def import_leaders(env: dict[str, str], runs: int = 5, top: int = 12) -> list[tuple[str, int]]:
    """The modules with the largest self import time (µs, minimum over ``runs``)."""
    best: dict[str, int] = {}
    cmd = [sys.executable, "-X", "importtime", "-m", "lrguard", "check", str(CONFIG)]
    for _ in range(runs):
        done = subprocess.run(
            cmd + ["--no-config"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        for line in done.stderr.splitlines():
            match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
            if match:
                name, self_us = match.group(2), int(match.group(1))
                best[name] = min(best.get(name, self_us), self_us)
    return sorted(best.items(), key=lambda item: -item[1])[:top]


def rule_walk_ms(env: dict[str, str], runs: int = 5) -> float:
    """CPU milliseconds of importing every rule module (the registry's walk), median."""
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", _WALK], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if done.returncode == 0 and done.stdout.strip():
            times.append(float(done.stdout.strip()) * 1000)
    return statistics.median(times) if times else float("nan")


def main(argv: list[str] | None = None) -> int:
    """Print the paired medians and what dominates; 0 when within the budget."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=MIN_PAIRS, help=f">= {MIN_PAIRS}")
    args = parser.parse_args(argv)
    pairs = max(MIN_PAIRS, args.pairs)
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(str(Path(tmp) / "pycache"))
        floor = [sys.executable, "-c", "import yaml"]
        check = [sys.executable, "-m", "lrguard", "check", str(CONFIG), "--no-config"]
        results = paired(floor, check, env, pairs)
        leaders = import_leaders(env)
        walk = rule_walk_ms(env)
    floor_ms = statistics.median(a for a, _ in results) * 1000
    check_ms = statistics.median(b for _, b in results) * 1000
    ratio = statistics.median(b / a for a, b in results)
    print(f"python -c 'import yaml':       {floor_ms:7.1f} ms CPU (median of {pairs})")
    print(f"lrguard check, one config:    {check_ms:7.1f} ms CPU (median of {pairs})")
    print(f"paired ratio (median): {ratio:.2f}x (budget <= {BUDGET:.1f}x)")
    print("largest imports (self, min of 5 runs):")
    for name, self_us in leaders:
        print(f"  {self_us / 1000:6.2f} ms  {name}")
    print(f"loading the rule modules (hidden from -X importtime): {walk:.1f} ms CPU")
    return 0 if ratio <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
