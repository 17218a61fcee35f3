"""Hugging Face rules on plain plans (no transformers import)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lrguard import GuardPolicy, decide, get_rule
from lrguard.adapters.hf_args import hf_changes, plan_from_hf_args
from lrguard.floor_watch import FloorWatch, observe
from lrguard.rules import check_plan

HF_CODES = ["LRG005", "LRG006"] + [f"LRG0{n}" for n in range(11, 24)]


def codes(args, steps=None, version="4.57.6", **kw):
    plan = plan_from_hf_args(args, steps, transformers_version=version, **kw)
    return sorted(f.code for f in check_plan(plan))


def test_core_does_not_import_transformers():
    code = (
        "import sys, lrguard, lrguard.adapters.hf_args, lrguard.floor_watch; "
        "lrguard.all_rules(); "
        "assert not {'torch', 'transformers'} & set(sys.modules), sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("code", HF_CODES)
def test_rules_have_all_doc_sections(code):
    rule = get_rule(code)
    assert not rule.missing_sections() and rule.name == rule.name.lower()


def test_defaults_are_clean():
    assert codes({}) == [] and codes({}, 100) == []


def test_locations_and_lines_come_from_the_config():
    plan = plan_from_hf_args(
        {"lr_scheduler_type": "cosine", "lr_scheduler_kwargs": {"min_lr": 1e-6}},
        locations={"lr_scheduler_kwargs": "training.scheduler_kwargs"},
        lines={"lr_scheduler_kwargs": 7},
    )
    (finding,) = check_plan(plan)
    assert finding.location == "training.scheduler_kwargs.min_lr" and finding.line == 7
    assert finding.message.startswith("training.scheduler_kwargs.min_lr=1e-06")


def test_raw_values_stay_raw():
    plan = plan_from_hf_args({"learning_rate": "1e-5", "lr_scheduler_kwargs": '{"a": 1}'})
    assert plan.learning_rate == "1e-5"
    assert plan.schedule.kwargs == '{"a": 1}'


@pytest.mark.parametrize(
    ("args", "steps", "change"),
    [
        (
            {"lr_scheduler_type": "cosine_with_min_lr"},
            None,
            {"lr_scheduler_kwargs": {"min_lr_rate": 0.1}},
        ),
        (
            {
                "learning_rate": 1e-5,
                "lr_scheduler_type": "cosine_with_min_lr",
                "lr_scheduler_kwargs": {"min_lr": "1e-4"},
            },
            None,
            {"lr_scheduler_kwargs": {"min_lr": 1e-6}},
        ),
        ({"learning_rate": "2e-5"}, None, {"learning_rate": 2e-5}),
        ({"warmup_steps": 100}, 40, {"warmup_steps": 4}),
        ({"warmup_ratio": 1.0}, 40, {"warmup_ratio": 0.1}),
        (
            {"lr_scheduler_type": "polynomial", "learning_rate": 1e-7},
            None,
            {"lr_scheduler_kwargs": {"lr_end": 1e-8}},
        ),
        (
            {
                "lr_scheduler_type": "reduce_lr_on_plateau",
                "eval_strategy": "epoch",
                "metric_for_best_model": "f1",
            },
            None,
            {"lr_scheduler_kwargs": {"mode": "max"}},
        ),
        (
            {
                "lr_scheduler_type": "warmup_stable_decay",
                "warmup_steps": 10,
                "lr_scheduler_kwargs": {"num_decay_steps": 50},
            },
            40,
            {"lr_scheduler_kwargs": {"num_decay_steps": 30}},
        ),
        (
            {"lr_scheduler_type": "constant", "lr_scheduler_kwargs": {"x": 1}},
            None,
            {"lr_scheduler_kwargs": {}},
        ),
    ],
)
def test_adjust_mode_fixes(args, steps, change):
    plan = plan_from_hf_args(args, steps)
    result = decide(plan, GuardPolicy(), "hf")
    assert result.error is None
    assert hf_changes(plan, result.plan) == change


def test_raise_lr_strategy():
    plan = plan_from_hf_args(
        {
            "learning_rate": 1e-5,
            "lr_scheduler_type": "cosine_with_min_lr",
            "lr_scheduler_kwargs": {"min_lr": 1e-4},
        }
    )
    result = decide(plan, GuardPolicy(adjust_strategy="raise_lr"), "hf")
    assert hf_changes(plan, result.plan) == {"learning_rate": 1e-3}


@pytest.mark.parametrize("mode", ["warn", "adjust"])
def test_unfixable_kwargs_refused_even_when_the_rule_has_a_fix(mode):
    plan = plan_from_hf_args({"lr_scheduler_type": "cosine", "lr_scheduler_kwargs": {"min_lr": 1}})
    result = decide(plan, GuardPolicy(on_violation=mode), "hf")
    assert result.error is not None and "Remove min_lr" in str(result.error)


def test_error_mode_refuses_fixable_findings():
    plan = plan_from_hf_args({"lr_scheduler_type": "cosine_with_min_lr"})
    assert decide(plan, GuardPolicy(on_violation="error"), "hf").error is not None


def test_param_group_behaviour_unchanged():
    from lrguard.plan import ParamGroupPlan, TrainingPlan

    plan = TrainingPlan(
        framework="flair", param_groups=[ParamGroupPlan(index=0, lr="1e-4", min_lr=1e-4)]
    )
    found = sorted(f.code for f in check_plan(plan))
    assert found == ["LRG002", "LRG004"]
    result = decide(plan, GuardPolicy(), "flair")
    assert result.plan.param_groups[0].min_lr == pytest.approx(1e-5)
    assert result.plan.param_groups[0].lr == 1e-4


def test_floor_watch_resets_when_the_rate_rises_and_round_trips():
    watch, _ = observe(
        FloorWatch(),
        step=1,
        lrs=[1e-6],
        floors=[1e-6],
        improved=False,
        patience=3,
        stop_at_floor=True,
        schedule="s",
    )
    assert watch.reached_step == 1
    assert FloorWatch.from_dict(watch.to_dict()) == watch
    watch, out = observe(
        watch,
        step=2,
        lrs=[1e-5],
        floors=[1e-6],
        improved=True,
        patience=3,
        stop_at_floor=True,
        schedule="s",
    )
    assert watch == FloorWatch() and out == []
    assert FloorWatch.from_dict("garbage") == FloorWatch()
