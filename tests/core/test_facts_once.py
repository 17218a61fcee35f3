"""Each default is stated once and read by everything that needs it; rule logic and rule
codes live in the rules."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
from dataclasses import fields
from pathlib import Path

import pytest

from lrguard.adapters.flair_kwargs import FLAIR_TRAIN_DEFAULTS, flair_plan
from lrguard.checking import CheckOptions, check_source
from lrguard.decide import decide
from lrguard.defaults import DEFAULT_MIN_LR_RATIO, DEFAULT_PLATEAU_MIN_LR_RATIO, POLYNOMIAL_LR_END
from lrguard.findings import Severity
from lrguard.plan import AnnealingPlan, ParamGroupPlan, TrainingPlan
from lrguard.policy import GuardPolicy
from lrguard.range_test.request import prepare_sweep
from lrguard.range_test.sweep import SWEEP_DEFAULTS, SweepSettings
from lrguard.rules import check_plan
from lrguard.schedules import closed_form
from lrguard.schedules.plateau import PlateauSettings
from lrguard.schedules.table import GREEDY_DEFAULTS, PLATEAU_DEFAULTS, any_version_spec
from lrguard.trajectory import TrajectoryLimits


def _flair_plan(lr: float, min_lr: float) -> TrainingPlan:
    return TrainingPlan(
        framework="flair",
        stops_at_min_lr=True,
        param_groups=[ParamGroupPlan(index=0, lr=lr, min_lr=min_lr)],
    )


# ------------------------------------------------------------------ policy defaults


def test_policy_defaults_are_the_shared_defaults() -> None:
    policy = GuardPolicy()
    assert policy.min_lr_ratio == DEFAULT_MIN_LR_RATIO
    assert policy.plateau_min_lr_ratio == DEFAULT_PLATEAU_MIN_LR_RATIO
    assert policy.trajectory_limits() == TrajectoryLimits()


def test_policy_trajectory_fields_follow_the_limits_object() -> None:
    """Every ``TrajectoryLimits`` field has a ``trajectory_*`` policy field with its default."""
    limits = TrajectoryLimits()
    model_fields = GuardPolicy.model_fields
    for f in fields(TrajectoryLimits):
        assert model_fields[f"trajectory_{f.name}"].default == getattr(limits, f.name), f.name


# ------------------------------------------------------------------ schedule defaults


def test_plateau_settings_defaults_are_the_schedule_tables() -> None:
    settings = PlateauSettings()
    for key in ("factor", "patience", "threshold", "threshold_mode", "cooldown", "eps", "mode"):
        assert getattr(settings, key) == PLATEAU_DEFAULTS[key], key
    assert settings.min_lr == PLATEAU_DEFAULTS["min_lr"]
    for key in ("warmup", "max_lr", "reset_start"):
        assert getattr(settings, key) == GREEDY_DEFAULTS[key], key
    assert PlateauSettings.for_schedule("reduce_lr_on_plateau", {}) == settings


def test_polynomial_lr_end_default_is_stated_once() -> None:
    spec = any_version_spec("polynomial")
    assert spec is not None
    assert spec.kwargs["lr_end"] == POLYNOMIAL_LR_END
    default = inspect.signature(closed_form.polynomial).parameters["lr_end"].default
    assert default == POLYNOMIAL_LR_END


def test_flair_train_defaults_are_the_annealing_plans() -> None:
    annealing = AnnealingPlan()
    assert FLAIR_TRAIN_DEFAULTS["anneal_factor"] == annealing.factor
    assert FLAIR_TRAIN_DEFAULTS["patience"] == annealing.patience
    assert FLAIR_TRAIN_DEFAULTS["initial_extra_patience"] == annealing.initial_extra_patience
    assert FLAIR_TRAIN_DEFAULTS["anneal_with_restarts"] == annealing.with_restarts
    plan = flair_plan({"learning_rate": 1e-5, "min_learning_rate": 1e-6})
    assert plan.annealing is not None
    assert (plan.annealing.factor, plan.annealing.patience) == (
        annealing.factor,
        annealing.patience,
    )


# ------------------------------------------------------------------ the range-test sweep


def test_sweep_defaults_are_the_settings_fields() -> None:
    assert SweepSettings() == SweepSettings(**SWEEP_DEFAULTS)
    assert prepare_sweep() == SweepSettings()
    assert prepare_sweep(num_steps=50).num_steps == 50


def test_prepare_sweep_refuses_a_keyword_that_is_no_sweep_setting() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'num_step'"):
        prepare_sweep(num_step=50)


def test_problems_of_lists_problems_with_defaults_for_the_rest() -> None:
    assert SweepSettings.problems_of() == []
    problems = SweepSettings.problems_of(num_steps=0)
    assert len(problems) == 1 and problems[0].startswith("num_steps=0")


def test_the_plain_pytorch_finder_takes_the_sweep_defaults() -> None:
    pytest.importorskip("torch")
    from torch_lrguard.range_test import find_learning_rate

    parameters = inspect.signature(find_learning_rate).parameters
    for name, default in SWEEP_DEFAULTS.items():
        if name in parameters:
            assert parameters[name].default == default, name


# ------------------------------------------------------------------ the floor ratio in fixes


def test_group_fixes_state_the_default_ratio() -> None:
    """LRG001 / LRG002 suggest the floor at ``DEFAULT_MIN_LR_RATIO`` times the rate."""
    below = next(f for f in check_plan(_flair_plan(1e-5, 1e-4)) if f.code == "LRG001")
    assert below.fix.startswith("Set min_learning_rate<=1e-06 ")
    equal = next(f for f in check_plan(_flair_plan(1e-5, 1e-5)) if f.code == "LRG002")
    assert "=1e-06 (0.1x the initial rate)" in equal.fix


def test_check_states_the_default_ratio_in_hf_floor_fixes() -> None:
    """``lrguard check`` has no ratio setting (``[tool.lrguard]`` takes none): the default."""
    text = (
        "learning_rate: 1.0e-5\nlr_scheduler_type: cosine_with_min_lr\n"
        "lr_scheduler_kwargs: {min_lr: 1.0e-4}\nmax_steps: 100\n"
    )
    report = check_source(text, Path("a.yaml"), CheckOptions())
    found = next(f for f in report.findings if f.code == "LRG002")
    assert found.severity == Severity.ERROR
    assert "<=1e-06 (0.1x learning_rate)" in found.fix
    assert found.fix.endswith(f"min_lr_rate: {DEFAULT_MIN_LR_RATIO:g}.")


def test_adjusted_floor_follows_the_policy_ratio() -> None:
    result = decide(_flair_plan(1e-5, 1e-4), GuardPolicy(min_lr_ratio=0.01), "flair")
    assert result.plan.param_groups[0].min_lr == pytest.approx(1e-7)


def test_a_warning_names_the_ratio_the_policy_sets() -> None:
    """A user who sets ``min_lr_ratio=0.01`` is not told to set the floor at 0.1x."""
    result = decide(
        _flair_plan(1e-5, 1e-5), GuardPolicy(on_violation="warn", min_lr_ratio=0.01), "flair"
    )
    decision = next(d for d in result.decisions if d.rule == "LRG002")
    assert "0.1x" not in decision.fix
    assert "=1e-07 (0.01x the initial rate)" in decision.fix


def test_torch_check_and_hf_fixes_name_the_policy_ratio() -> None:
    """The ratio reaches fixes on every path that decides under a policy."""
    from lrguard.plan import SchedulePlan

    plan = TrainingPlan(
        framework="hf",
        learning_rate=1e-5,
        schedule=SchedulePlan(name="cosine_with_min_lr", kwargs={"min_lr": 1e-4}, total_steps=100),
    )
    result = decide(plan, GuardPolicy(on_violation="warn", min_lr_ratio=0.01), "hf")
    decision = next(d for d in result.decisions if d.rule == "LRG002")
    assert "<=1e-07 (0.01x" in decision.fix, decision.fix


# ------------------------------------------------------------------ names in the file's words


def test_axolotl_floor_fix_names_the_axolotl_setting() -> None:
    text = (
        "base_model: ./tiny-llama\nlearning_rate: 2.0e-5\nlr_scheduler: cosine\n"
        "cosine_min_lr_ratio: 10\n"
    )
    report = check_source(text, Path("axolotl.yaml"), CheckOptions(kind="axolotl"))
    found = next(f for f in report.findings if f.code == "LRG002")
    assert found.fix.startswith("Set cosine_min_lr_ratio: 0.1 ")


# ------------------------------------------------------------------ codes live in the rules

RULE_CODE = re.compile(r"LRG\d{3}")

CODE_FREE = (
    "lrguard/checking.py",
    "lrguard/floor_watch.py",
    "flair_lrguard/plugin.py",
)


def _code_literals(path: Path) -> list[tuple[int, str]]:
    """String constants that are exactly a rule code, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and RULE_CODE.fullmatch(node.value)
    ]


def _installed_source(relative: str) -> Path:
    """The file of ``package/module.py`` where Python finds the package (the checkout, or the
    installed wheel), without importing it."""
    package, _, rest = relative.partition("/")
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations, package
    return Path(next(iter(spec.submodule_search_locations))) / rest


@pytest.mark.parametrize("relative", CODE_FREE)
def test_no_rule_code_written_outside_the_rules(relative: str) -> None:
    """These modules name a rule by its module's ``CODE``, never by a string of their own."""
    assert _code_literals(_installed_source(relative)) == []


def test_the_code_scan_finds_a_written_code(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('"""LRG001 in a docstring."""\nX = ("LRG004",)\n', encoding="utf-8")
    assert _code_literals(sample) == [(2, "LRG004")]
