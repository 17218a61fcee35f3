"""``lrguard simulate`` reads a config for the transformers version ``lrguard check`` does:
``[tool.lrguard] transformers-version``, else the installed one."""

from __future__ import annotations

import json

import pytest

from lrguard.settings import installed_transformers

FRACTION = "learning_rate: 1.0e-4\nlr_scheduler_type: linear\nwarmup_steps: 0.1\nmax_steps: 100\n"


def _pyproject(write, version: str):
    return write("pyproject.toml", f'[tool.lrguard]\ntransformers-version = "{version}"\n')


def test_fractional_warmup_steps_is_a_share_of_the_run_for_5x(run, write):
    config = write("train.yaml", FRACTION)
    pyproject = _pyproject(write, "5.2")
    code, out, err = run("check", config, "--config", pyproject)
    assert code == 0 and "LRG032" not in out, out + err
    code, out, err = run("simulate", config, "--config", pyproject, "--format", "json")
    assert code == 0, err
    sim = json.loads(out)
    assert sim["warmup"] == 10  # 10 % of 100 steps, as transformers 5 reads warmup_steps=0.1
    rates = {row["step"]: row["lr"] for row in sim["rows"]}
    assert rates[1] == 0 and rates[11] == pytest.approx(1e-4)
    assert rates[6] == pytest.approx(5e-5)


def test_fractional_warmup_steps_is_refused_for_4x_like_check(run, write):
    config = write("train.yaml", FRACTION)
    pyproject = _pyproject(write, "4.57")
    code, out, err = run("check", config, "--config", pyproject)
    assert code == 1 and "LRG032" in out and "warmup_steps=0.1" in out
    code, out, err = run("simulate", config, "--config", pyproject)
    assert code == 2 and out == ""
    assert "warmup_steps=0.1 is not a whole number: transformers 4.x refuses it" in err


def test_without_a_declared_version_the_installed_one_is_used(run, write):
    config = write("train.yaml", FRACTION)
    code, out, err = run("simulate", config, "--no-config", "--format", "json")
    installed = installed_transformers()
    if installed is not None and installed.startswith("5"):
        assert code == 0 and json.loads(out)["warmup"] == 10
    else:  # 4.x installed, or none (read as 4.x, the form both accept is whole steps)
        assert code == 2 and "transformers 4.x refuses it" in err


def test_a_broken_pyproject_is_one_line(run, write):
    config = write("train.yaml", FRACTION)
    pyproject = write("pyproject.toml", '[tool.lrguard]\ntransformers-version = "five"\n')
    code, out, err = run("simulate", config, "--config", pyproject)
    assert code == 2 and out == "" and "transformers-version" in err
    assert "Traceback" not in err and err.count("\n") == 1
