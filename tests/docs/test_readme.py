"""The README is executable: every code block runs, and its generated tables are current."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lrguard.catalogue import fill

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```", README, flags=re.S | re.M)


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCKS if lang == language]


def test_every_block_has_a_runner():
    assert BLOCKS
    assert {lang for lang, _ in BLOCKS} <= {"bash", "python", "yaml"}


def test_generated_tables_are_current():
    assert fill(README) == README, "run: python tools/update_readme.py"


@pytest.fixture(scope="module")
def installed_python(tmp_path_factory) -> Path:
    """An interpreter where lrguard is the built wheel, installed: a fresh virtual environment
    with the wheel, seeing this environment's frameworks (torch, flair, transformers) through
    a ``.pth`` line, but neither this checkout nor its editable install."""
    pytest.importorskip("flair")
    pytest.importorskip("transformers")
    work = tmp_path_factory.mktemp("installed")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(work / "dist"), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("lrguard-*.whl")
    venv = work / "venv"
    made = subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert made.returncode == 0
    (site,) = venv.glob("lib/python*/site-packages")
    frameworks = next(p for p in map(Path, sys.path) if p.name == "site-packages" and p.is_dir())
    (site / "frameworks.pth").write_text(f"{frameworks}\n")  # a plain path: no editable hook
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
    done = subprocess.run([*pip, "install", "-q", "--no-deps", str(wheel)], capture_output=True)
    assert done.returncode == 0, done.stderr
    return venv / "bin" / "python"


@pytest.mark.parametrize("code", blocks("python"))
def test_python_blocks_run(code, tmp_path, installed_python):
    """As a user who installed the package runs them: the installed wheel, a fresh isolated
    interpreter (``-I``) in an empty folder, the block saved as a script (hooks' source is
    read), so only installed modules import (no ``demo``, no ``tests``, no source tree)."""
    script = tmp_path / "example.py"
    script.write_text(
        "import lrguard\nassert 'site-packages' in lrguard.__file__, lrguard.__file__\n" + code,
        encoding="utf-8",
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(
        [str(installed_python), "-I", script.name],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr


def _commands(body: str) -> list[str]:
    """The commands of a shell block, without comments (a comment may continue on its own line)."""
    commands = (line.split("#")[0].strip() for line in body.splitlines())
    return [command for command in commands if command]


@pytest.mark.parametrize("body", blocks("bash"))
def test_shell_blocks_run(body, tmp_path):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for command in _commands(body):
        argv = shlex.split(command)
        if argv[0] == "make":
            # the quick start: check the targets exist and do what they say, without
            # recursing into the suite itself (test_demo runs the demo for real)
            done = subprocess.run(
                ["make", "-n", *argv[1:]], cwd=ROOT, env=env, text=True, capture_output=True
            )
            assert done.returncode == 0, done.stderr
            assert "pytest" in done.stdout if argv[1] == "test" else "demo" in done.stdout
            continue
        argv = [a.replace("lr.png", str(tmp_path / "lr.png")) for a in argv]
        done = subprocess.run(argv, cwd=ROOT, env=env, text=True, capture_output=True)
        assert done.returncode in (0, 1), f"{command}: {done.stderr}"  # 1: findings
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize("body", blocks("yaml"))
def test_yaml_blocks_parse_and_name_real_things(body):
    data = yaml.safe_load(body)
    if isinstance(data, dict) and "lrguard" in data:  # a GuardPolicy block in a config
        from lrguard.policy import GuardPolicy

        GuardPolicy(**data["lrguard"])
    elif isinstance(data, dict) and "repos" in data:
        hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
        ids = {hook["id"] for hook in hooks}
        for repo in data["repos"]:
            assert {hook["id"] for hook in repo["hooks"]} <= ids
    else:
        step = data[0]
        assert step["run"].startswith("lrguard check")
        argv = shlex.split(step["run"].replace("configs/", "examples/"))
        done = subprocess.run(
            [sys.executable, "-m", "lrguard", *argv[1:]],
            cwd=ROOT,
            text=True,
            capture_output=True,
        )
        assert done.returncode == 1 and "::error file=" in done.stdout


def test_the_simulated_rise_quoted_in_the_readme():
    """The README quotes two rows of ``lrguard simulate`` on the example config."""
    quoted = re.search(
        r"warming up to `([\d.e+-]+)` at step (\d+), then\s+"
        r"climbing to `([\d.e+-]+)` at step (\d+)",
        README,
    )
    assert quoted, "the sentence about examples/hf_min_lr_above_peak.yaml moved"
    done = subprocess.run(
        [sys.executable, "-m", "lrguard", "simulate", "examples/hf_min_lr_above_peak.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    rows = dict(line.split() for line in done.stdout.splitlines()[3:])
    lr_a, step_a, lr_b, step_b = quoted.groups()
    assert rows[step_a] == lr_a and rows[step_b] == lr_b
