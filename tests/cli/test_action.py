"""The composite GitHub Action (``action.yml``): its ``run:`` steps run here as GitHub runs
them (``bash --noprofile --norc -eo pipefail``), with the ``${{ ... }}`` expressions of their
``env:`` filled in as the runner would.

``actions/setup-python`` is replaced by a fresh virtualenv first on ``PATH`` that already
has lrguard's dependencies (linked from the test interpreter's site-packages), and the
action installs lrguard into it from a copy of this checkout, offline (``pip-args:
--no-deps --no-build-isolation --no-index``). The code-scanning upload is a ``uses:`` step:
its condition is evaluated, not the upload.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from tests.cli.conftest import ROOT

ACTION = ROOT / "action.yml"
ERRORS = (
    "learning_rate: 1.0e-5\nlr_scheduler_type: cosine_with_min_lr\n"
    "lr_scheduler_kwargs:\n  min_lr: 1.0e-4\nmax_steps: 100\n"
)
CLEAN = "learning_rate: 2.0e-5\nlr_scheduler_type: cosine\nwarmup_steps: 10\nmax_steps: 500\n"
DEPENDENCIES = (
    "pip",
    "setuptools",
    "_distutils_hack",
    "pydantic",
    "pydantic_core",
    "yaml",
    "_yaml",
    "annotated_types",
    "typing_extensions",
    "typing_inspection",
)
OFFLINE = "--no-deps --no-build-isolation --no-index"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _action() -> dict:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def _dependencies(target: Path) -> None:
    """Link the packages lrguard needs (and pip, setuptools to build it) into ``target``."""
    site = Path(sysconfig.get_paths()["purelib"])
    target.mkdir()
    for entry in site.iterdir():
        stem = entry.name.removesuffix(".py").split("-")[0]
        if stem in DEPENDENCIES or stem.lower() in DEPENDENCIES:
            (target / entry.name).symlink_to(entry)


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    """A fresh venv (the setup-python step) and a copy of the checkout (the action path)."""
    base = tmp_path_factory.mktemp("action")
    venv = base / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    deps = base / "deps"
    _dependencies(deps)
    purelib = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    Path(purelib, "lrguard_test_deps.pth").write_text(f"{deps}\n")
    checkout = base / "checkout"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("lrguard", "flair_lrguard", "hf_lrguard", "torch_lrguard"):
        shutil.copytree(ROOT / name, checkout / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "LICENSE", "action.yml"):
        shutil.copy2(ROOT / name, checkout / name)
    return venv, checkout


def _clean_env() -> dict[str, str]:
    """The environment without pip settings, an active venv or a ``PYTHONPATH``."""
    drop = ("PIP_", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def _run_action(runner, workspace: Path, inputs: dict[str, str]) -> tuple[list[int], dict, str]:
    """Run every step of the action; returns the exit codes of the ``run:`` steps, the
    step outputs and what they printed. Stops at the first failing step, as GitHub does."""
    venv, checkout = runner
    action = _action()
    values = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    values.update(inputs)
    outputs: dict[str, dict[str, str]] = {}

    def evaluate(expression: str) -> str:
        if expression == "github.action_path":
            return str(checkout)
        if expression.startswith("inputs."):
            return values[expression.removeprefix("inputs.")]
        step, name = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression).groups()
        return outputs.get(step, {}).get(name, "")

    codes: list[int] = []
    printed = ""
    for step in action["runs"]["steps"]:
        if "uses" in step:
            continue
        assert "${{" not in step["run"], "expressions go through env:, never into the script"
        env = _clean_env()
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
        output_file = workspace.parent / f"github_output_{len(codes)}"
        output_file.write_text("")
        env["GITHUB_OUTPUT"] = str(output_file)
        for key, value in step.get("env", {}).items():
            env[key] = EXPRESSION.sub(lambda m: evaluate(m.group(1)), str(value))
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        printed += done.stdout + done.stderr
        codes.append(done.returncode)
        if "id" in step:
            outputs[step["id"]] = dict(
                line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line
            )
        if done.returncode != 0:
            break
    return codes, outputs, printed


def _upload_runs(inputs: dict[str, str]) -> bool:
    """The upload step's ``if:`` as GitHub evaluates it (``a == 'x' && b == 'y'``)."""
    action = _action()
    values = {k: str(v.get("default", "")) for k, v in action["inputs"].items()} | inputs
    upload = next(s for s in action["runs"]["steps"] if "upload-sarif" in s.get("uses", ""))
    condition = EXPRESSION.fullmatch(upload["if"]).group(1)
    terms = re.findall(r"inputs\.([\w-]+) == '([^']*)'", condition)
    assert condition.count("&&") == len(terms) - 1
    return all(values[name] == want for name, want in terms)


def test_action_metadata():
    action = _action()
    assert action["runs"]["using"] == "composite"
    uses = [s["uses"] for s in action["runs"]["steps"] if "uses" in s]
    assert uses == ["actions/setup-python@v5", "github/codeql-action/upload-sarif@v3"]
    assert all(s.get("shell") == "bash" for s in action["runs"]["steps"] if "run" in s)
    assert action["outputs"]["exit-code"]["value"] == "${{ steps.check.outputs.exit-code }}"
    assert _upload_runs({"output-format": "sarif"})
    assert not _upload_runs({"output-format": "github"})
    assert not _upload_runs({"output-format": "sarif", "upload-sarif": "false"})


def test_action_annotates_and_fails_on_errors(runner, tmp_path):
    workspace = tmp_path / "repo"
    (workspace / "configs").mkdir(parents=True)
    (workspace / "configs" / "bad.yaml").write_text(ERRORS)
    (workspace / "configs" / "good.yaml").write_text(CLEAN)
    codes, outputs, printed = _run_action(
        runner, workspace, {"paths": "configs", "pip-args": OFFLINE}
    )
    assert codes == [0, 0, 1], printed
    assert outputs["check"]["exit-code"] == "1"
    assert "::error file=configs/bad.yaml,line=4,title=lrguard LRG002" in printed
    assert "good.yaml" not in printed
    venv, _ = runner
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import lrguard; print(lrguard.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=tmp_path,
        env=_clean_env(),
    ).stdout
    assert installed.startswith(str(venv)), installed  # installed, not this checkout


def test_action_writes_sarif_and_passes_on_a_clean_repo(runner, tmp_path):
    from tests.cli.test_ci_output import _validate

    workspace = tmp_path / "repo"
    workspace.mkdir()
    (workspace / "bad.yaml").write_text(ERRORS)
    inputs = {"output-format": "sarif", "pip-args": OFFLINE, "args": "--ignore LRG002"}
    codes, outputs, printed = _run_action(runner, workspace, inputs)
    assert codes == [0, 0, 0] and outputs["check"]["exit-code"] == "0", printed
    doc = json.loads((workspace / "lrguard.sarif").read_text())
    _validate(doc)
    assert doc["runs"][0]["results"] == []
    inputs["args"] = "--strict"
    codes, outputs, printed = _run_action(runner, workspace, inputs)
    assert codes == [0, 0, 1] and outputs["check"]["exit-code"] == "1", printed
    doc = json.loads((workspace / "lrguard.sarif").read_text())
    _validate(doc)
    results = doc["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["LRG002"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bad.yaml"
    assert "1  LRG002  [error] min-not-below-peak" in printed  # --statistics in the log


def test_action_refuses_an_unknown_format(runner, tmp_path):
    codes, _, printed = _run_action(runner, tmp_path, {"output-format": "xml", "pip-args": OFFLINE})
    assert codes == [0, 2] and "use github or sarif" in printed
