"""Run the core and command-line tests against the built wheel, as a pip user installs it.

For each Python given (default 3.10 – 3.13: ``python3.X`` on ``PATH`` when it runs, else
the newest ``$PYENV_ROOT/versions/3.X.*/bin/python3.X``, as pyenv installs them), this builds
a clean virtual environment, installs the wheel with nothing but its own dependencies
(no torch, no numpy, no frameworks, no linters) plus the test runner, and runs
``tests/core`` and ``tests/cli`` from a copy of the test tree that holds no source package:
every ``import lrguard`` resolves to the installed wheel, which the run checks first.

Usage: ``python tools/test_wheel.py [--python python3.12 ...]``; exit 0 when every
interpreter passes. ``make test-wheel`` runs it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHONS = ("python3.10", "python3.11", "python3.12", "python3.13")
TEST_RUNNER = ("pytest>=8", "hypothesis>=6.100")
COPIED = (
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/core",
    "tests/rules",
    "tests/cli",
    "examples",
)
# Tests of the repository rather than the package, which the wheel's environment does not
# have: the GitHub Action installs lrguard from its own checkout; the benchmarks' scores.
REPOSITORY_ONLY = (
    "tests/cli/test_action.py",
    "tests/core/test_range_benchmark_scores.py",
)
CHECK_INSTALLED = """
import importlib.util, sys, lrguard
where = lrguard.__file__
assert "site-packages" in where, f"lrguard imported from {where}, not the wheel"
for absent in ("numpy", "torch", "transformers", "flair"):
    assert importlib.util.find_spec(absent) is None, f"{absent} is installed"
print(f"lrguard {lrguard.__version__} from {where} on Python {sys.version.split()[0]}")
"""


# The property tests generate their full count in `make test-main`; here, per interpreter, a
# sample of it (the same generators and properties).
PROPERTY_EXAMPLES = "200"


def run(*cmd: object, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    """Run a command, echoing it; raise on failure."""
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], cwd=cwd, check=True, env=env)


def find_python(name: str) -> str | None:
    """A working interpreter called ``name`` (``python3.12``): on ``PATH`` if it runs there
    (a pyenv shim may exist and still refuse), else in pyenv's versions folder."""
    on_path = shutil.which(name)
    if on_path and subprocess.run([on_path, "-c", ""], capture_output=True).returncode == 0:
        return on_path
    root = Path(os.environ.get("PYENV_ROOT", "~/.pyenv")).expanduser() / "versions"
    minor = name.removeprefix("python")
    found = sorted(
        root.glob(f"{minor}.*/bin/{name}"),
        key=lambda p: [int(x) for x in p.parts[-3].split(".") if x.isdigit()],
    )
    return str(found[-1]) if found else None


SOURCE_LEFT_OUT = (
    ".git",
    ".venv*",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
)
"""Not copied into the wheel's source tree: a stale ``build/lib`` would ship modules that no
longer exist (setuptools reuses it), and the rest is large and never packaged."""


def build_wheel(out: Path) -> Path:
    """The wheel of this checkout's working tree, built in isolation as a package index would,
    from a copy without build leftovers."""
    source = out.parent / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*SOURCE_LEFT_OUT))
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, source)
    (wheel,) = out.glob("lrguard-*.whl")
    return wheel


def test_tree(work: Path) -> Path:
    """A copy of the tests (and the example configs they read) beside the shared corpora,
    without ``lrguard`` or any other source package."""
    repo = work / "repo"
    for name in COPIED:
        source, target = ROOT / name, repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    (repo / "pytest.ini").write_text(
        "[pytest]\ntestpaths = tests\nfilterwarnings = ignore::DeprecationWarning\n"
        "markers =\n    slow: trains a model\n    hf: needs transformers\n"
        "    flair: needs flair\n    torch: needs torch\n"
    )
    shared = ROOT.parent / "shared"
    if shared.is_dir():
        (work / "shared").symlink_to(shared)
    return repo


def check_python(name: str, python: str, wheel: Path, work: Path) -> None:
    """Install the wheel under ``python`` in a fresh venv and run the tests there."""
    venv = work / f"venv-{name}"
    run(python, "-m", "venv", venv)
    bin_dir = venv / "bin"
    pip = (bin_dir / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check")
    run(*pip, wheel, *TEST_RUNNER)
    run(bin_dir / "python", "-c", CHECK_INSTALLED, cwd=work)
    env = dict(os.environ, LRGUARD_PROPERTY_EXAMPLES=PROPERTY_EXAMPLES)
    ignored = [f"--ignore={path}" for path in REPOSITORY_ONLY]
    pytest = (bin_dir / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *ignored)
    run(*pytest, cwd=work / "repo", env=env)


def main(argv: list[str] | None = None) -> int:
    """Build the wheel once and test it on every interpreter; 1 when one is missing or fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", help="interpreter (repeatable)")
    pythons = parser.parse_args(argv).python or list(PYTHONS)
    found = {name: find_python(name) for name in pythons}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        print(f"interpreters not found on PATH: {', '.join(missing)}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="lrguard-wheel-") as tmp:
        work = Path(tmp)
        wheel = build_wheel(work / "dist")
        test_tree(work)
        failed = []
        for python in pythons:
            try:
                check_python(python, str(found[python]), wheel, work)
            except subprocess.CalledProcessError:
                failed.append(python)
    if failed:
        print(f"wheel tests failed on: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"wheel tests passed on: {', '.join(pythons)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
