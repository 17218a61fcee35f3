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


@pytest.mark.parametrize("code", blocks("python"))
def test_python_blocks_run(code, tmp_path):
    """As a user who installed the package runs them: a fresh interpreter in an empty folder,
    isolated from this checkout (``-I``: neither the working directory nor ``PYTHONPATH`` on
    the path), so only installed modules import (no ``demo``, no ``tests``)."""
    pytest.importorskip("flair")
    pytest.importorskip("transformers")
    script = tmp_path / "example.py"  # a file, as users keep code (hooks' source is read)
    script.write_text(code, encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-I", script.name], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr


def _commands(body: str) -> list[str]:
    return [line.split("  #")[0].strip() for line in body.splitlines() if line.strip()]


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
