"""What ``lrguard check`` imports: only what checking needs (its start-up is a budget, see
``benchmarks/bench_startup.py``). ``--fix`` / ``--diff`` load ruamel.yaml and the policy
(pydantic); a plain check loads neither, nor the simulator, SARIF, the decision log, the
scheduler replay, or the frameworks. ``import lrguard`` imports what needs pydantic or
``logging`` only when first used.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

LAZY = (
    "pydantic",
    "ruamel.yaml",
    "lrguard.fixing",
    "lrguard.policy",
    "lrguard.simulate",
    "lrguard.sarif",
    # the decision log, the scheduler replay, plateau annealing, DeepSpeed's table and
    # suggestions for typos are imported by the rules that use them, when they do
    "logging",
    "lrguard.decision_log",
    "lrguard.trajectory",
    "lrguard.annealing",
    "lrguard.schedules.deepspeed",
    "lrguard.schedules.torch_classes",
    "difflib",
    "random",
    "tomllib",
    "tomli",
    "torch",
    "transformers",
    "flair",
)

CONFIG = (
    "learning_rate: 1e-5\nlr_scheduler_type: cosine_with_min_lr\n"
    "lr_scheduler_kwargs: {min_lr: 1.0e-4}\nmax_steps: 100\n"
)


def _imported(tmp_path, *args: str) -> tuple[int, list[str]]:
    """Run ``lrguard check`` in a fresh interpreter; its exit code and which of ``LAZY`` it
    imported."""
    code = (
        "import json, sys\n"
        "from lrguard.cli import main\n"
        f"status = main({list(args)!r})\n"
        f"print(json.dumps([status, sorted(m for m in {LAZY!r} if m in sys.modules)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    status, modules = json.loads(done.stdout.strip().splitlines()[-1])
    return status, modules


def test_a_check_imports_none_of_the_lazy_modules(tmp_path):
    (tmp_path / "train.yaml").write_text(CONFIG)
    # a pyproject.toml without [tool.lrguard] is not parsed at all
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    status, modules = _imported(tmp_path, "check", "train.yaml")
    assert status == 1  # LRG002: the floor is above the peak
    assert modules == []


def test_pyproject_with_settings_is_read(tmp_path):
    (tmp_path / "train.yaml").write_text(CONFIG)
    (tmp_path / "pyproject.toml").write_text('[tool.lrguard]\nignore = ["LRG002"]\n')
    status, modules = _imported(tmp_path, "check", "train.yaml")
    assert status == 0  # the setting took effect
    assert set(modules) <= {"tomllib", "tomli"} and modules


def test_diff_loads_ruamel_and_the_policy(tmp_path):
    (tmp_path / "train.yaml").write_text(CONFIG)
    status, modules = _imported(tmp_path, "check", "--diff", "--no-config", "train.yaml")
    assert status == 1
    assert {"ruamel.yaml", "pydantic", "lrguard.fixing", "lrguard.policy"} <= set(modules)
    assert not {"torch", "transformers", "flair", "lrguard.simulate"} & set(modules)


def test_the_package_imports_its_costly_names_on_first_use():
    code = (
        "import json, sys\n"
        "import lrguard\n"
        "before = sorted(m for m in ('pydantic', 'logging', 'lrguard.decision_log',"
        " 'lrguard.policy') if m in sys.modules)\n"
        "import lrguard.decide\n"  # the module's name is also a function's
        "names = {n: type(getattr(lrguard, n)).__name__ for n in lrguard.__all__}\n"
        "print(json.dumps([before, names, sorted(set(lrguard.__all__) - set(dir(lrguard)))]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    before, names, missing_from_dir = json.loads(done.stdout.strip().splitlines()[-1])
    assert before == []
    assert missing_from_dir == []
    assert names["decide"] == "function" and names["read_jsonl"] == "function"
    assert "module" not in names.values()  # every name is the object, not a submodule


def test_an_unknown_name_of_the_package_is_an_attribute_error():
    import lrguard

    with pytest.raises(AttributeError, match="no attribute 'Guardpolicy'"):
        lrguard.Guardpolicy  # noqa: B018
