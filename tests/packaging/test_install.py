"""What a CI user installs: the wheel alone (no torch, no frameworks), and the pre-commit hook.

Both build real environments (pip from the package index, as ``make test`` itself does), so
they are marked ``slow``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BAD = (
    "learning_rate: 1.0e-5\nlr_scheduler_type: cosine_with_min_lr\n"
    "lr_scheduler_kwargs:\n  min_lr: 1.0e-4\n"
)

pytestmark = pytest.mark.slow


def run(*cmd: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    built = run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        out,
        ROOT,
    )
    assert built.returncode == 0, built.stderr
    (path,) = out.glob("lrguard-*.whl")
    return path


def test_wheel_ships_the_license_and_type_markers(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for package in ("lrguard", "flair_lrguard", "hf_lrguard", "torch_lrguard"):
        assert f"{package}/py.typed" in names
    assert any(n.endswith("LICENSE") for n in names)
    (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: Apache-2.0" in text
    assert "Classifier: Typing :: Typed" in text
    for minor in (10, 11, 12, 13):
        assert f"Classifier: Programming Language :: Python :: 3.{minor}" in text
    from lrguard import __version__

    assert f"Version: {__version__}" in text  # one version, read from the package


def test_core_only_install_checks_configs_without_torch(wheel, tmp_path):
    venv = tmp_path / "venv"
    assert run(sys.executable, "-m", "venv", venv).returncode == 0
    pip = run(venv / "bin" / "python", "-m", "pip", "install", "-q", wheel)
    assert pip.returncode == 0, pip.stderr
    python = venv / "bin" / "python"
    missing = run(python, "-c", "import importlib.util as u; print(u.find_spec('torch'))")
    assert missing.stdout.strip() == "None"  # a clean environment: no torch at all
    config = tmp_path / "train.yaml"
    config.write_text(BAD)
    check = run(venv / "bin" / "lrguard", "check", config)
    assert check.returncode == 1 and "LRG002 [error]" in check.stdout, check.stdout
    assert run(venv / "bin" / "lrguard", "--version").stdout.startswith("lrguard ")
    simulate = run(venv / "bin" / "lrguard", "simulate", config, "--steps", "100")
    assert simulate.returncode == 0 and simulate.stderr == "", simulate.stderr
    for example in sorted((ROOT / "examples").glob("*.yaml")):  # every example, no numpy
        checked = run(venv / "bin" / "lrguard", "check", example)
        assert checked.returncode in (0, 1) and "Traceback" not in checked.stderr, example
        simulated = run(venv / "bin" / "lrguard", "simulate", example, "--steps", "200")
        if simulated.returncode == 2:  # a schedule transformers refuses: one line says why
            assert len(simulated.stderr.strip().splitlines()) == 1, simulated.stderr
        else:
            assert simulated.returncode == 0 and simulated.stderr == "", simulated.stderr
    for package, module, extra in (
        ("hf_lrguard", "transformers", "hf"),
        ("torch_lrguard", "torch", "torch"),
        ("flair_lrguard", "flair", "flair"),
    ):
        imported = run(python, "-c", f"import {package}")
        assert imported.returncode == 1
        assert imported.stderr.strip().splitlines()[-1] == (
            f"ModuleNotFoundError: {package} needs {module}: pip install 'lrguard[{extra}]'"
        )


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_pre_commit_hook_runs_from_this_repository(tmp_path):
    pre_commit = Path(sys.executable).with_name("pre-commit")
    if not pre_commit.exists():
        pytest.skip("pre-commit not installed")
    repo = tmp_path / "project"
    (repo / "chart" / "templates").mkdir(parents=True)
    (repo / "train.yaml").write_text(BAD)
    (repo / "data.json").write_text('[{"text": "a sentence", "label": 1}]\n')
    for name in ("dev.json", "test.json"):  # five files: pre-commit would split them in two
        (repo / name).write_text('[{"text": "another sentence", "label": 0}]\n')
    (repo / "chart" / "templates" / "job.yaml").write_text(
        "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n"
        "        - args: [--learning_rate, {{ .Values.learningRate | quote }}]\n"
    )
    assert run("git", "init", "-q", cwd=repo).returncode == 0

    def try_repo() -> subprocess.CompletedProcess[str]:
        assert run("git", "add", "-A", cwd=repo).returncode == 0
        return subprocess.run(
            [str(pre_commit), "try-repo", str(ROOT), "lrguard-check", "--all-files"],
            cwd=repo,
            capture_output=True,
            text=True,
            env={
                "PRE_COMMIT_HOME": str(tmp_path / "cache"),
                "PATH": "/usr/bin:/bin",
                "HOME": str(tmp_path),
            },
        )

    result = try_repo()
    assert result.returncode == 1, result.stdout + result.stderr  # the hook failed the commit
    assert "LRG002 [error]" in result.stdout
    assert "4 skipped (not training configs), 0 unusable" in result.stdout
    assert result.stdout.count("config(s) checked") == 1  # one run, one summary (serial)
    (repo / "train.yaml").write_text(BAD.replace("1.0e-4", "1.0e-6"))
    result = try_repo()  # the dataset and the Helm template beside it are skipped
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_readme_pre_commit_block_runs_the_installed_lrguard(tmp_path):
    """The README's pre-commit configuration, as written, on a project with a bad config."""
    pre_commit = Path(sys.executable).with_name("pre-commit")
    if not pre_commit.exists():
        pytest.skip("pre-commit not installed")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"^```yaml\n(.*?)^```", readme, re.S | re.M) if "repos:" in b]
    repo = tmp_path / "project"
    repo.mkdir()
    (repo / ".pre-commit-config.yaml").write_text(block)
    (repo / "train.yaml").write_text(BAD)
    (repo / "data.json").write_text("[1, 2, 3]\n")
    for cmd in (("git", "init", "-q"), ("git", "add", "-A")):
        assert run(*cmd, cwd=repo).returncode == 0
    path = f"{Path(sys.executable).parent}{os.pathsep}/usr/bin{os.pathsep}/bin"
    result = subprocess.run(
        [str(pre_commit), "run", "--all-files"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={"PRE_COMMIT_HOME": str(tmp_path / "cache"), "PATH": path, "HOME": str(tmp_path)},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "LRG002 [error]" in result.stdout
    # data.json and .pre-commit-config.yaml itself are skipped; one summary for the run
    assert result.stdout.count("lrguard: 1 config(s) checked, 2 skipped") == 1
