"""``lrguard check`` start-up against the import floor of reading YAML at all.

Budget (DESIGN.md section 7): ``lrguard check`` on one config costs at most 2x the CPU time
(user + sys) of ``python -c "import yaml"``. Both run as fresh interpreters, in pairs (A B,
then B A, ...) after a warm-up; the figure is the median of the per-pair ratios, over at least
15 pairs, so that load on a shared machine weighs on both commands of a pair alike.

They run as on an installed wheel: in a throwaway virtual environment whose only site file
puts this environment's packages on the path, with lrguard found on ``sys.path`` by Python's
own path finder. A development checkout's editable-install hook (a ``.pth`` file) imports
pathlib, ``re``, ``urllib.parse``, ``contextlib`` and ``importlib.util`` into every
interpreter, the floor's too, which makes the ratio look better than an installed package
gets; that ratio is printed as well, for comparison. Compiled bytecode is cached the same way
for both commands.

It also says what dominates: the cost of each step a check adds (the standard library it
imports, ``import lrguard``, the command line's modules, the rules and the check), the modules
with the largest import time among those ``import yaml`` does not load (self, the minimum over
a few ``-X importtime`` runs), and the time of loading every rule module, of which a check
imports only those that can fire on the config (``lrguard.rules.rules_silent_on``).

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
import sysconfig
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "examples" / "hf_min_lr_above_peak.yaml"
BUDGET = 2.0
MIN_PAIRS = 15

_STDLIB_OF_A_CHECK = (
    "import os, sys\n"  # both loaded at start-up already
    "import yaml\n"
    "floor = set(sys.modules)\n"
    "from lrguard.cli import main\n"
    "shown, sys.stdout = sys.stdout, open(os.devnull, 'w')\n"
    "main(['check', sys.argv[1], '--no-config'])\n"
    "sys.stdout = shown\n"
    "new = {m for m in set(sys.modules) - floor if not m.startswith(('lrguard', '_'))}\n"
    "print(' '.join(sorted(m for m in new if '.' not in m)))"
)

_LOAD_RULES = (
    "import time; import lrguard.cli; from lrguard.rules import all_rules; "
    "t = time.process_time(); all_rules(); print(time.process_time() - t)"
)

_RULES_OF_A_CHECK = (
    "import os, sys\n"
    "from lrguard.cli import main\n"
    "from lrguard.rules import RULE_MODULES\n"
    "shown, sys.stdout = sys.stdout, open(os.devnull, 'w')\n"
    "main(['check', sys.argv[1], '--no-config'])\n"
    "sys.stdout = shown\n"
    "loaded = [m for m in RULE_MODULES.values() if f'lrguard.rules.{m}' in sys.modules]\n"
    "print(len(loaded), len(RULE_MODULES))"
)


def _env(cache: str) -> dict[str, str]:
    """lrguard from this checkout on ``sys.path``, with its ``.pyc`` files cached for both
    commands alike (a checkout run with PYTHONDONTWRITEBYTECODE would recompile lrguard on
    every run)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def installed_python(folder: Path) -> str:
    """The interpreter of a throwaway virtual environment in ``folder`` that sees this
    environment's packages as an installed wheel's environment does: through a plain path
    entry, so the site files among them (an editable-install hook) are not run."""
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(folder)
    paths = sysconfig.get_paths()
    theirs = sysconfig.get_paths(vars={"base": str(folder), "platbase": str(folder)})
    Path(theirs["purelib"]).mkdir(parents=True, exist_ok=True)
    entries = dict.fromkeys([paths["purelib"], paths["platlib"]])
    (Path(theirs["purelib"]) / "packages.pth").write_text("\n".join(entries) + "\n")
    return str(folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))


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


def _words_printed(python: str, env: dict[str, str], code: str) -> list[str]:
    """What ``code`` prints, run on ``CONFIG`` in a fresh interpreter, split into words."""
    done = subprocess.run(
        [python, "-c", code, str(CONFIG)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def stdlib_of_a_check(python: str, env: dict[str, str]) -> list[str]:
    """The top-level modules a check imports that ``import yaml`` does not, lrguard's aside."""
    return _words_printed(python, env, _STDLIB_OF_A_CHECK)


def stages(python: str, env: dict[str, str], pairs: int) -> list[tuple[str, float]]:
    """Paired ratios to the floor of a check's steps, each including the ones before: the
    standard library it needs, ``import lrguard``, the command line's modules, the check."""
    floor, check = _commands(python)
    stdlib = ", ".join(["yaml", *stdlib_of_a_check(python, env)])
    steps = [
        (f"+ the standard library a check imports ({stdlib[6:]})", f"import {stdlib}"),
        ("+ import lrguard", f"import {stdlib}, lrguard"),
        ("+ import lrguard.cli", f"import {stdlib}, lrguard.cli"),
    ]
    out = []
    for label, code in steps:
        results = paired(floor, [python, "-c", code], env, pairs)
        out.append((label, statistics.median(b / a for a, b in results)))
    results = paired(floor, check, env, pairs)
    out.append(
        (
            "+ the rules and the check itself (lrguard check)",
            statistics.median(b / a for a, b in results),
        )
    )
    return out


def _import_times(cmd: list[str], env: dict[str, str]) -> dict[str, int]:
    """Module -> self import time (µs) of one ``-X importtime`` run of ``cmd``."""
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    times = {}
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if match:
            times[match.group(2)] = int(match.group(1))
    return times


def import_leaders(
    python: str, env: dict[str, str], runs: int = 5, top: int = 12
) -> list[tuple[str, int]]:
    """The modules with the largest self import time (µs, minimum over ``runs``) among those
    a check imports and ``import yaml`` does not."""
    floor = set(_import_times([python, "-X", "importtime", "-c", "import yaml"], env))
    cmd = [python, "-X", "importtime", "-m", "lrguard", "check", str(CONFIG), "--no-config"]
    best: dict[str, int] = {}
    for _ in range(runs):
        for name, self_us in _import_times(cmd, env).items():
            if name not in floor:
                best[name] = min(best.get(name, self_us), self_us)
    return sorted(best.items(), key=lambda item: -item[1])[:top]


def rules_of_a_check(python: str, env: dict[str, str]) -> tuple[int, int]:
    """How many rule modules a check of ``CONFIG`` imports, of how many."""
    loaded, total = _words_printed(python, env, _RULES_OF_A_CHECK)
    return int(loaded), int(total)


def rule_modules_ms(python: str, env: dict[str, str], runs: int = 5) -> float:
    """CPU milliseconds of importing every rule module, median."""
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [python, "-c", _LOAD_RULES], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if done.returncode == 0 and done.stdout.strip():
            times.append(float(done.stdout.strip()) * 1000)
    return statistics.median(times) if times else float("nan")


def _commands(python: str) -> tuple[list[str], list[str]]:
    """The floor and the check, run with ``python``."""
    check = [python, "-m", "lrguard", "check", str(CONFIG), "--no-config"]
    return [python, "-c", "import yaml"], check


def main(argv: list[str] | None = None) -> int:
    """Print the paired medians and what dominates; 0 when within the budget."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=MIN_PAIRS, help=f">= {MIN_PAIRS}")
    args = parser.parse_args(argv)
    pairs = max(MIN_PAIRS, args.pairs)
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(str(Path(tmp) / "pycache"))
        python = installed_python(Path(tmp) / "venv")
        results = paired(*_commands(python), env, pairs)
        checkout = paired(*_commands(sys.executable), env, pairs)
        steps = stages(python, env, pairs)
        leaders = import_leaders(python, env)
        rules_ms = rule_modules_ms(python, env)
        loaded, total = rules_of_a_check(python, env)
    floor_ms = statistics.median(a for a, _ in results) * 1000
    check_ms = statistics.median(b for _, b in results) * 1000
    ratio = statistics.median(b / a for a, b in results)
    print(f"python -c 'import yaml':       {floor_ms:7.1f} ms CPU (median of {pairs})")
    print(f"lrguard check, one config:    {check_ms:7.1f} ms CPU (median of {pairs})")
    print(f"paired ratio (median): {ratio:.2f}x (budget <= {BUDGET:.1f}x)")
    print(
        "in this development checkout (its editable-install hook loads the same modules into "
        f"both): {statistics.median(b / a for a, b in checkout):.2f}x"
    )
    print("what a check adds, step by step (paired CPU ratio to the floor):")
    for label, step_ratio in steps:
        print(f"  {step_ratio:5.2f}x  {label}")
    print("largest imports a check adds to the floor's (self, wall-clock, min of 5 runs):")
    for name, self_us in leaders:
        print(f"  {self_us / 1000:6.2f} ms  {name}")
    print(
        f"loading every rule module: {rules_ms:.1f} ms CPU "
        f"(a check of this config imports {loaded} of the {total})"
    )
    return 0 if ratio <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
