"""The worst inputs found so far each finish within 5 s and 500 MB (peak RSS).

Each case runs ``python -m lrguard`` in a fresh subprocess (so its peak RSS is its own,
read from ``resource.getrusage(RUSAGE_CHILDREN)`` deltas via ``os.wait4``) with a hard
timeout of 3x the time budget; exit 1 when any budget is missed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIME_BUDGET_S = 5.0
MEMORY_BUDGET_MB = 500.0


def _alias_bomb() -> str:
    lines = ["learning_rate: 1.0e-5", "max_steps: 100", 'a0: &a0 ["lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    lines += ["lr_scheduler_type: cosine_with_min_lr", "lr_scheduler_kwargs: {min_lr: *a8}"]
    return "\n".join(lines) + "\n"


LINEAR = "learning_rate: 1.0e-5\nlr_scheduler_type: linear\nmax_steps: {steps}\n"
COSINE_MIN = "learning_rate: 1.0e-5\nlr_scheduler_type: cosine_with_min_lr\nmax_steps: 100\n"
DEEP_KWARGS = (
    COSINE_MIN + 'lr_scheduler_kwargs: \'{"min_lr": ' + "[" * 50_000 + "]" * 50_000 + "}'\n"
)
BIG_KWARGS = COSINE_MIN + "lr_scheduler_kwargs: '[" + "1," * 2_400_000 + "1]'\n"
NON_STRING_KEYS = COSINE_MIN + "lr_scheduler_kwargs: {1: 2, null: 3, true: 4, min_lr: 1.0e-6}\n"
DEEP_DEEPSPEED = (
    '{"optimizer": {"params": {"lr": 1e-5}}, "scheduler": {"type": "WarmupLR"}, "x": '
    + "[" * 50_000
    + "]" * 50_000
    + "}"
)
WITH_DEEPSPEED = LINEAR.format(steps=100) + "deepspeed: ds_config.json\n"
SLOW_ANNEAL = (
    "flair_train:\n  learning_rate: 1000.0\n  anneal_factor: 0.99999\n"
    "  max_epochs: 100000000000000\n  min_learning_rate: 0.0\n  patience: 0\n"
)
INF_FLOOR = COSINE_MIN + "lr_scheduler_kwargs: {min_lr: .inf}\n"
CASES: list[tuple[str, str, list[str]]] = [
    ("deep [ nesting", "learning_rate: 1.0e-5\nx: " + "[" * 50_000 + "]" * 50_000, ["check"]),
    ("deep - nesting", "learning_rate: 1.0e-5\nx:\n" + "- " * 50_000 + "1\n", ["check"]),
    ("alias bomb", _alias_bomb(), ["check"]),
    ("max_steps 1e8, table", LINEAR.format(steps=100_000_000), ["simulate"]),
    ("max_steps 1e8, plot", LINEAR.format(steps=100_000_000), ["simulate", "--plot", "{png}"]),
    ("max_steps 1e7, json", LINEAR.format(steps=10_000_000), ["simulate", "--format", "json"]),
    (
        "max_steps 1e7, csv --every 50",
        LINEAR.format(steps=10_000_000),
        ["simulate", "--format", "csv", "--every", "50"],
    ),
    (
        "max_steps 1e7, csv --every 51 (196k rows)",
        LINEAR.format(steps=10_000_000),
        ["simulate", "--format", "csv", "--every", "51"],
    ),
    (
        "max_steps 1e7, json --every 51 (196k rows)",
        LINEAR.format(steps=10_000_000),
        ["simulate", "--format", "json", "--every", "51"],
    ),
    (
        "plateau, eval_steps 1, max_steps 1e8",
        "learning_rate: 1.0e-5\nlr_scheduler_type: reduce_lr_on_plateau\n"
        "eval_strategy: steps\neval_steps: 1\nmax_steps: 100000000\n",
        ["simulate"],
    ),
    (
        "anneal_factor 0.999999999, check",
        "flair_train:\n  learning_rate: 0.1\n  anneal_factor: 0.999999999\n",
        ["check"],
    ),
    (
        "anneal_factor 0.999999999, simulate",
        "flair_train:\n  learning_rate: 0.1\n  anneal_factor: 0.999999999\n"
        "  max_epochs: 1000000000\n",
        ["simulate"],
    ),
    ("400-digit learning_rate", "learning_rate: " + "9" * 400 + "\nmax_steps: 100\n", ["check"]),
    ("5 MB flow list", "learning_rate: [" + "1," * 2_499_980 + "1]\n", ["check"]),
    ("deep JSON string in kwargs, check", DEEP_KWARGS, ["check"]),
    ("deep JSON string in kwargs, simulate", DEEP_KWARGS, ["simulate"]),
    ("5 MB JSON string in kwargs, check", BIG_KWARGS, ["check"]),
    ("deep DeepSpeed file, check", WITH_DEEPSPEED, ["check"]),
    ("deep DeepSpeed file, simulate", WITH_DEEPSPEED, ["simulate"]),
    ("non-string kwargs keys, check", NON_STRING_KEYS, ["check"]),
    ("recursive alias, check", "learning_rate: 1.0e-5\nx: &a {y: [*a, *a]}\n", ["check"]),
    ("anneal_factor 0.99999 from 1000, 1e14 epochs, check", SLOW_ANNEAL, ["check"]),
    ("anneal_factor 0.99999 from 1000, 1e14 epochs, simulate", SLOW_ANNEAL, ["simulate"]),
    (
        "greedy, no eval steps, simulate",
        "learning_rate: 1.0e-5\nlr_scheduler_type: greedy\nmax_steps: 1000\n",
        ["simulate"],
    ),
    ("min_lr .inf, simulate", INF_FLOOR, ["simulate"]),
]
"""(name, config text, command); files the config names are in ``FILES``."""

FILES = {"ds_config.json": DEEP_DEEPSPEED}
"""Further files written next to every case's config (a DeepSpeed file it may name)."""


def _run(argv: list[str], timeout: float) -> tuple[int | None, float, float]:
    """(exit code or None on timeout, wall seconds, peak RSS in MB) of one subprocess."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lrguard", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            wall = time.perf_counter() - start
            return os.waitstatus_to_exitcode(status), wall, usage.ru_maxrss / 1024
        if time.perf_counter() > deadline:
            proc.kill()
            _, _, usage = os.wait4(proc.pid, 0)
            return None, time.perf_counter() - start, usage.ru_maxrss / 1024
        time.sleep(0.01)


def main() -> int:
    """Run every case; print time, memory and exit code; 0 when all are within budget."""
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for name, text, args in CASES:
            cfg = Path(tmp) / "config.yaml"
            cfg.write_text(text, encoding="utf-8")
            for file_name, content in FILES.items():
                (Path(tmp) / file_name).write_text(content, encoding="utf-8")
            argv = [a.replace("{png}", str(Path(tmp) / "lr.png")) for a in args]
            argv.insert(1, str(cfg))
            argv.append("--no-config")
            code, wall, rss = _run(argv, 3 * TIME_BUDGET_S)
            good = code in (0, 1, 2) and wall <= TIME_BUDGET_S and rss <= MEMORY_BUDGET_MB
            ok = ok and good
            print(
                f"  {name:<44} {wall:6.2f} s {rss:7.1f} MB  exit {code}"
                + ("" if good else "  OVER BUDGET")
            )
    print(f"budget per case: {TIME_BUDGET_S} s, {MEMORY_BUDGET_MB:.0f} MB, exit 0/1/2")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
