"""LRG069 group-floor-above-group-peak on real multi-group torch schedulers (replayed) and on
configs (where no schedule lifts a group: silent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrguard.checking import CheckOptions, check_paths
from lrguard.rules import check_plan
from tests.rules.support import check_objects, corrected, example

torch = pytest.importorskip("torch")

from torch.optim import lr_scheduler  # noqa: E402

from torch_lrguard import check_scheduler  # noqa: E402
from torch_lrguard.check import scheduler_plan  # noqa: E402

CODE = "LRG069"
TOTAL = 300


def _optimizer(*rates: float) -> torch.optim.Optimizer:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in rates]
    return torch.optim.AdamW(groups, lr=rates[0])


def _all_rules(optimizer, scheduler, total=TOTAL):
    """Every rule on the replayed scheduler (the trajectory rules and LRG069)."""
    return check_plan(scheduler_plan(optimizer, scheduler, total))


def _codes(findings) -> list[str]:
    return [f.code for f in findings]


def _stepped(optimizer, scheduler, total=TOTAL) -> list[list[float]]:
    rates = []
    for _ in range(total):
        rates.append([g["lr"] for g in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    return rates


def test_warm_restarts_lift_a_small_group_and_the_rule_says_so_with_numbers():
    optimizer = _optimizer(1e-3, 1e-6)
    scheduler = lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=100, eta_min=1e-5)
    found = [f for f in _all_rules(optimizer, scheduler) if f.code == CODE]
    # what the run does: the small group rises tenfold in every cycle
    rates = _stepped(optimizer, scheduler)
    small = [r[1] for r in rates]
    assert max(small) > 9e-6 and small[0] == pytest.approx(1e-6)
    assert sum(1 for r in small if r > 1.05e-6) > 0.9 * TOTAL
    assert len(found) == 1
    finding = found[0]
    assert finding.severity.value == "error" and finding.location == "param group 1"
    assert "eta_min=1e-05 is one absolute floor for every param group" in finding.message
    assert "own lr=1e-06" in finding.message
    assert "rises to 1e-05, 10x its own rate (above it from step 6 of 300)" in finding.message
    assert "param group 0 (lr=0.001) decays to it" in finding.message
    assert finding.fix.startswith("Set eta_min<=1e-07")


def test_lrg061_stays_silent_on_warm_restarts():
    optimizer = _optimizer(1e-3, 1e-6)
    scheduler = lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=100, eta_min=1e-5)
    assert "LRG061" not in _codes(_all_rules(optimizer, scheduler))


def test_cosine_annealing_lr_is_lrg061s():
    optimizer = _optimizer(1e-3, 1e-6)
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=TOTAL, eta_min=1e-5)
    codes = _codes(_all_rules(optimizer, scheduler))
    assert "LRG061" in codes and CODE not in codes


@pytest.mark.parametrize(
    "build",
    [
        lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=100, eta_min=1e-7),
        lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=100),
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=TOTAL, eta_min=1e-7),
        lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=1e-5),  # only ever lowers
        lambda o: lr_scheduler.LambdaLR(o, lambda s: max(0.1, 1 - s / TOTAL)),  # a ratio
    ],
)
def test_silent_where_no_group_rises(build):
    optimizer = _optimizer(1e-3, 1e-6)
    scheduler = build(optimizer)
    assert CODE not in _codes(_all_rules(optimizer, scheduler))


def test_plateau_min_lr_never_raises_a_group():
    optimizer = _optimizer(1e-3, 1e-6)
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, min_lr=1e-5, patience=0)
    for _ in range(20):
        scheduler.step(1.0)
    assert optimizer.param_groups[1]["lr"] == 1e-6 and optimizer.param_groups[0]["lr"] == 1e-5


def test_one_group_below_the_floor_is_a_single_group_question():
    optimizer = _optimizer(1e-6)
    scheduler = lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=100, eta_min=1e-5)
    (found,) = [f for f in _all_rules(optimizer, scheduler) if f.code == CODE]
    assert "decays to it" not in found.message


def test_check_scheduler_reports_it():
    optimizer = _optimizer(1e-3, 1e-6)
    scheduler = lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=100, eta_min=1e-5)
    before = scheduler.state_dict()
    assert CODE in _codes(check_scheduler(optimizer, scheduler, TOTAL))
    assert scheduler.state_dict() == before  # replayed on a copy


@pytest.mark.parametrize(
    "config",
    [
        # LLaMA-Factory LoRA+: min_lr becomes a ratio of learning_rate for every group
        "model_name_or_path: ./tiny\nstage: sft\ndo_train: true\nfinetuning_type: lora\n"
        "dataset: alpaca_en_demo\ntemplate: llama3\noutput_dir: out\nlearning_rate: 1.0e-4\n"
        "loraplus_lr_ratio: 16.0\nloraplus_lr_embedding: 1.0e-6\nmax_steps: 100\n"
        "lr_scheduler_type: cosine_with_min_lr\nlr_scheduler_kwargs: {min_lr: 1.0e-5}\n",
        # axolotl lr_groups under cosine_min_lr_ratio: a ratio too
        "base_model: ./tiny-llama\nlearning_rate: 1.0e-4\ncosine_min_lr_ratio: 0.1\n"
        "lr_groups:\n  - name: embeddings\n    modules: [embed_tokens]\n    lr: 1.0e-6\n",
        # Flair: a decoder rate below min_learning_rate is LRG001's (stock Flair stops)
        "flair_train:\n  learning_rate: 0.1\n  decoder_learning_rate: 1.0e-5\n"
        "  min_learning_rate: 1.0e-4\n",
    ],
)
def test_configs_are_silent(tmp_path: Path, config: str):
    path = tmp_path / "config.yaml"
    path.write_text(config, encoding="utf-8")
    (report,) = check_paths([path], CheckOptions())
    assert report.result.status == "checked"
    assert CODE not in _codes(report.findings)


def test_a_frozen_group_at_rate_zero_starts_training():
    optimizer = _optimizer(1e-3, 0.0)
    scheduler = lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=100, eta_min=1e-5)
    (found,) = [f for f in _all_rules(optimizer, scheduler) if f.code == CODE]
    assert "own lr=0:" in found.message and "a group meant not to train" in found.message
    assert found.fix.startswith("Set eta_min=0")
    rates = _stepped(optimizer, scheduler, 10)
    assert rates[0][1] == 0.0 and rates[-1][1] > 0.0  # what the run does


# -- the documented example ------------------------------------------------------------------
def test_fires_on_the_example_naming_field_value_and_fix():
    (finding,) = check_objects("LRG069", example("LRG069"))
    assert finding.field == "scheduler" and finding.value == pytest.approx(1e-5)
    assert "eta_min<=1e-07" in finding.fix


def test_silent_on_the_corrected_example():
    assert check_objects("LRG069", corrected("LRG069")) == []
