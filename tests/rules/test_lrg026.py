"""LRG026: schedule-free optimizers under a decaying schedule or a second warmup, and
Prodigy / D-Adaptation with a learning rate far from 1.0 — in every config kind
``lrguard check`` reads, and on plans as the integrations build them."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrguard.adapters.hf_args import plan_from_hf_args
from lrguard.checking import CheckOptions, check_paths
from lrguard.plan import ParamGroupPlan, TrainingPlan
from lrguard.rules import check_plan
from tests.rules.support import check_text, corrected, example

V4, V5 = "4.57.6", "5.25.0"


def lrg026(args: dict, version: str | None = V4, total: int | None = 1000) -> list[tuple]:
    plan = plan_from_hf_args(args, total, transformers_version=version)
    return [(f.severity.value, f.field, f.message) for f in check_plan(plan, select=["LRG026"])]


SF = {"optim": "schedule_free_adamw", "learning_rate": 1e-3, "max_steps": 1000}


@pytest.mark.parametrize("schedule", ["linear", "cosine", "polynomial", "inverse_sqrt"])
def test_decaying_schedule_under_schedule_free_warns(schedule):
    found = lrg026({**SF, "lr_scheduler_type": schedule})
    assert [(s, f) for s, f, _ in found] == [("warning", "lr_scheduler_type")]
    assert f"lr_scheduler_type='{schedule}' decays the rate under AdamWScheduleFree" in found[0][2]
    assert "warms up twice" not in found[0][2]


@pytest.mark.parametrize(
    "optim", ["schedule_free_adamw", "schedule_free_sgd", "schedule_free_radam"]
)
def test_constant_is_silent_with_or_without_warmup_steps(optim):
    assert lrg026({**SF, "optim": optim, "lr_scheduler_type": "constant"}) == []
    assert lrg026({**SF, "optim": optim, "lr_scheduler_type": "constant", "warmup_steps": 50}) == []


def test_second_warmup_gives_the_rate_both_warmups_make():
    found = lrg026({**SF, "lr_scheduler_type": "constant_with_warmup", "warmup_steps": 100})
    assert [(s, f) for s, f, _ in found] == [("warning", "lr_scheduler_type")]
    # step 51: the schedule's 50/100 times the optimizer's own 51/100
    assert "step 51 trains at 26% of learning_rate instead of 51%" in found[0][2]


def test_radam_takes_no_warmup_and_a_ratio_warms_up_once():
    # RAdamScheduleFree gets no warmup_steps from transformers: one warmup only
    radam = {**SF, "optim": "schedule_free_radam", "lr_scheduler_type": "constant_with_warmup"}
    assert lrg026({**radam, "warmup_steps": 100}) == []
    # warmup_ratio is not passed to the optimizer: the schedule's warmup is the only one
    ratio = {**SF, "lr_scheduler_type": "constant_with_warmup", "warmup_ratio": 0.1}
    assert lrg026(ratio) == []


def test_fractional_warmup_steps_on_5x_starts_at_ten_times_the_rate():
    args = {**SF, "lr_scheduler_type": "constant", "warmup_steps": 0.1}
    found = lrg026(args, version=V5)
    assert [(s, f) for s, f, _ in found] == [("error", "warmup_steps")]
    assert "is 10 on the first step, which trains at 10x learning_rate (0.01)" in found[0][2]
    assert lrg026(args, version=V4) == []  # 4.x refuses the fraction itself (LRG032)
    # a schedule that warms up starts at 0: no spike (only the decay, if any, is reported)
    assert lrg026({**args, "lr_scheduler_type": "constant_with_warmup"}, version=V5) == []


@pytest.mark.parametrize(
    ("optimizer", "lr", "expected"),
    [
        ("prodigy", 1.0, []),
        ("Prodigy", 0.5, []),
        ("prodigy", 0.05, ["warning"]),
        ("prodigy", 2e-5, ["error"]),
        ("Prodigy", 50, ["warning"]),
        ("DAdaptAdam", 1e-4, ["error"]),
        ("dadaptation", 1.0, []),
        ("adamw_torch", 2e-5, []),
    ],
)
def test_self_tuning_optimizers_want_a_rate_near_one(optimizer, lr, expected):
    found = lrg026({"optim": optimizer, "learning_rate": lr})
    assert [s for s, _, _ in found] == expected
    if expected:
        assert found[0][1] == "learning_rate"


def test_plan_without_learning_rate_field_reads_the_param_group():
    plan = TrainingPlan(
        framework="flair", optimizer="Prodigy", param_groups=[ParamGroupPlan(index=0, lr=1e-5)]
    )
    found = check_plan(plan, select=["LRG026"])
    assert [f.severity.value for f in found] == ["error"]
    assert "every step is 100,000 times smaller than its estimate" in found[0].message
    assert "with Prodigy (optimizer=Prodigy)" in found[0].message


def test_deepspeed_optimizer_section_replaces_optim(tmp_path: Path):
    (tmp_path / "ds.json").write_text(
        '{"optimizer": {"type": "AdamW", "params": {"lr": "auto"}}}', encoding="utf-8"
    )
    path = tmp_path / "hf.yaml"
    path.write_text(CONFIGS["hf.yaml"] + f"deepspeed: {tmp_path / 'ds.json'}\n", encoding="utf-8")
    (report,) = check_paths([path], CheckOptions())
    assert report.result.status == "checked", report.result.reason
    assert [f.code for f in report.findings if f.code == "LRG026"] == []


CONFIGS = {
    "hf.yaml": "optim: schedule_free_adamw\nlearning_rate: 1.0e-3\n"
    "lr_scheduler_type: cosine\nmax_steps: 100\n",
    "llamafactory.yaml": "stage: sft\ndo_train: true\nfinetuning_type: lora\ntemplate: llama3\n"
    "dataset: alpaca_en_demo\nmodel_name_or_path: ./tiny\noptim: schedule_free_adamw\n"
    "learning_rate: 1.0e-3\nlr_scheduler_type: cosine\nmax_steps: 100\n",
    "axolotl.yaml": "base_model: ./tiny\ndatasets:\n  - path: data.jsonl\n    type: alpaca\n"
    "micro_batch_size: 2\nnum_epochs: 1\noptimizer: schedule_free_adamw\n"
    "learning_rate: 1.0e-3\nlr_scheduler: cosine\nmax_steps: 100\n",
    "trl.yaml": "model_name_or_path: ./tiny\ndataset_name: trl-lib/Capybara\n"
    "max_length: 512\npacking: true\noptim: schedule_free_adamw\nlearning_rate: 1.0e-3\n"
    "lr_scheduler_type: cosine\nmax_steps: 100\n",
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_check_reports_it_in_every_config_kind(name, tmp_path: Path):
    path = tmp_path / name
    path.write_text(CONFIGS[name], encoding="utf-8")
    (report,) = check_paths([path], CheckOptions())
    assert report.result.status == "checked", report.result.reason
    found = [f for f in report.findings if f.code == "LRG026"]
    assert len(found) == 1, [f.render() for f in report.findings]
    key = "lr_scheduler" if name == "axolotl.yaml" else "lr_scheduler_type"
    optim = "optimizer" if name == "axolotl.yaml" else "optim"
    assert found[0].message.startswith(f"{key}='cosine' decays the rate under AdamWScheduleFree")
    assert f"({optim}=schedule_free_adamw)" in found[0].message
    assert found[0].line == CONFIGS[name].splitlines().index(f"{key}: cosine") + 1
    assert f"Set {key}: constant" in found[0].fix


# -- the documented example, through lrguard check -------------------------------------------
def test_fires_on_the_example_naming_field_value_and_fix(tmp_path):
    (finding,) = check_text(tmp_path, example("LRG026"), "LRG026")
    assert finding.field == "lr_scheduler_type" and finding.value == "cosine"
    assert "lr_scheduler_type: constant" in finding.fix


def test_silent_on_the_corrected_example(tmp_path):
    assert check_text(tmp_path, corrected("LRG026"), "LRG026") == []
