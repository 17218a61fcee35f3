"""The range test's pure parts: sweep, smoothing, stopping, suggestions, floor, result."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from lrguard.checking import CheckOptions, check_paths
from lrguard.range_test import (
    RangeTestResult,
    SweepRecorder,
    SweepSettings,
    consistent_floor,
    debiased_ema,
)
from lrguard.range_test.suggest import centered_median
from lrguard.schedules.table import schedules


def run(settings: SweepSettings, loss_at, optimizer: str | None = None) -> RangeTestResult:
    recorder = SweepRecorder(settings)
    for step in range(settings.num_steps):
        lr = settings.rate(step)
        if not recorder.record(lr, loss_at(step, lr)):
            break
    return recorder.result(optimizer=optimizer) if optimizer else recorder.result()


def bowl(best: float = 1e-2):
    """A loss that falls towards ``best`` then blows up (log-lr bowl)."""

    def loss(step: int, lr: float) -> float:
        x = math.log10(lr / best)
        return 1.0 + x * x if x < 1.2 else 1e3 * (x - 1.2 + 1)

    return loss


def test_sweep_rates_exponential_and_linear() -> None:
    exp = SweepSettings(start_lr=1e-6, end_lr=1.0, num_steps=61)
    assert exp.rate(0) == pytest.approx(1e-6) and exp.rate(60) == pytest.approx(1.0)
    assert exp.rate(30) == pytest.approx(1e-3)
    lin = SweepSettings(start_lr=0.0001, end_lr=0.1, num_steps=21, mode="linear")
    assert lin.rate(10) == pytest.approx(0.05005)


@pytest.mark.parametrize(
    ("field", "value", "fix"),
    [
        ("start_lr", 0.0, "1e-7"),
        ("end_lr", float("nan"), "1e-7"),
        ("num_steps", 5, "num_steps=100"),
        ("num_steps", 10.5, "num_steps=100"),
        ("mode", "cosine", "'exponential' or 'linear'"),
        ("smoothing", 1.0, "smoothing=0.98"),
        ("diverge_factor", 1.0, "diverge_factor=4"),
    ],
)
def test_bad_sweep_settings_name_field_value_and_fix(field, value, fix) -> None:
    with pytest.raises(ValueError) as err:
        SweepSettings(**{field: value})
    assert f"{field}={value!r}" in str(err.value) and fix in str(err.value)


def test_end_below_start_is_refused() -> None:
    with pytest.raises(ValueError, match="end_lr=1e-08 is not above start_lr=1e-07"):
        SweepSettings(start_lr=1e-7, end_lr=1e-8)


def test_debiased_ema_skips_non_finite_losses() -> None:
    out = debiased_ema([2.0, math.nan, 2.0, math.inf, 2.0], beta=0.9)
    assert out[0] == out[2] == out[4] == pytest.approx(2.0)
    assert math.isnan(out[1]) and math.isnan(out[3])


def test_centered_median_has_no_lag() -> None:
    values = [5.0] * 10 + [1.0] * 10
    smoothed = centered_median(values, 5)
    assert smoothed.index(1.0) == 10  # an EMA would still be far above 1 at step 10


def test_divergence_stops_the_sweep_with_its_reason() -> None:
    result = run(SweepSettings(start_lr=1e-6, end_lr=10.0, num_steps=100), bowl())
    assert result.stop_reason == "diverged"
    assert len(result.rates) < 100
    assert any("diverged" in note for note in result.notes)


def test_a_non_finite_loss_stops_the_sweep_and_is_kept() -> None:
    result = run(
        SweepSettings(start_lr=1e-6, end_lr=10.0, num_steps=100),
        lambda step, lr: math.nan if step == 70 else bowl()(step, min(lr, 1e-2)),
    )
    assert result.stop_reason == "non_finite"
    assert len(result.rates) == 71 and math.isnan(result.losses[-1])
    assert result.suggested_lr is not None


def test_a_trained_model_with_tiny_noisy_losses_is_not_stopped_early() -> None:
    """A model that is already trained starts at a tiny loss: noise of several times that
    loss must not read as divergence (other finders stop after one step there)."""
    import random

    rng = random.Random(0)
    result = run(
        SweepSettings(start_lr=1e-7, end_lr=10.0, num_steps=100),
        lambda step, lr: 1e-3 * (1 + 3 * rng.random()) + (0.0 if lr < 0.1 else 10 * lr),
    )
    assert len(result.rates) > 70, result.notes


def typical(step: int, lr: float) -> float:
    """Flat below 1e-4, falls (linearly in log lr) to its minimum at 1e-2, then blows up."""
    x = math.log10(lr)
    if x < -4:
        return 2.0
    if x < -2:
        return 2.0 - (x + 4) / 2
    return 1.0 + 50 * (x + 2) ** 2


def test_every_method_suggests_on_a_typical_curve_and_ours_is_on_the_descent() -> None:
    result = run(SweepSettings(start_lr=1e-6, end_lr=10.0, num_steps=100), typical)
    assert set(result.suggestions) == {"lrguard", "steepest", "valley", "minimum"}
    assert all(lr is not None for lr in result.suggestions.values())
    assert 3e-4 <= result.suggested_lr <= 1.1e-3


@pytest.mark.parametrize("optimizer", ["SGD", "sgd"])  # a class name, or Trainer's optim
def test_for_plain_sgd_ours_reads_the_edge_of_stability(optimizer: str) -> None:
    settings = SweepSettings(start_lr=1e-6, end_lr=10.0, num_steps=100)
    sgd = run(settings, typical, optimizer)
    # the curve leaves its starting level for good at lr 10 ** -1.86 = 0.0138: a third of it
    assert 0.0138 / 3 / 1.2 <= sgd.suggestions["lrguard"] <= 0.0138 / 3 * 1.2
    assert sgd.context["optimizer"] == optimizer
    adaptive = run(settings, typical, "AdamW")
    assert adaptive.suggestions == run(settings, typical).suggestions  # unknown: adaptive
    assert adaptive.suggestions["lrguard"] < sgd.suggestions["lrguard"] / 4
    assert sgd.suggestions["steepest"] == adaptive.suggestions["steepest"]  # peers: curve only


def test_no_suggestion_when_the_loss_never_falls() -> None:
    result = run(SweepSettings(num_steps=50), lambda step, lr: 1.0)
    assert result.suggested_lr is None
    assert any("the edge of stability lies beyond end_lr" in note for note in result.notes)
    assert result.decision("flair").after is None


def test_same_losses_same_suggestion() -> None:
    a = run(SweepSettings(num_steps=80), bowl(3e-3))
    b = run(SweepSettings(num_steps=80), bowl(3e-3))
    assert a.to_json() == b.to_json()


def test_json_round_trip_keeps_nan_and_inf(tmp_path: Path) -> None:
    result = run(
        SweepSettings(num_steps=40),
        lambda step, lr: math.inf if step == 30 else 1.0 / (1 + step),
    )
    path = result.write_json(tmp_path / "r.json")
    json.loads(path.read_text())  # strict JSON: no bare NaN / Infinity
    back = RangeTestResult.from_json(path.read_text())
    assert back.rates == result.rates
    assert math.isinf(back.losses[-1])
    assert back.suggestions == result.suggestions
    assert back.to_json() == result.to_json()


def test_choose_another_method() -> None:
    result = run(SweepSettings(start_lr=1e-6, end_lr=10.0, num_steps=100), bowl())
    result.choose("valley")
    assert result.method == "valley"
    assert result.suggested_lr == pytest.approx(result.suggestions["valley"], rel=0.05)
    with pytest.raises(ValueError, match="method='best' is unknown. Fix: one of lrguard"):
        result.choose("best")


def test_flair_floor_is_the_guards_ratio() -> None:
    floor = consistent_floor(0.05)
    assert (floor.key, floor.setting, floor.ratio) == ("min_learning_rate", 0.005, 0.1)


def _hf_config(tmp_path: Path, name: str, lr: float, kwargs: dict) -> Path:
    lines = [f"learning_rate: {lr}", f"lr_scheduler_type: {name}", "max_steps: 1000"]
    if name in ("reduce_lr_on_plateau", "greedy"):
        lines += ["eval_strategy: steps", "eval_steps: 50", "metric_for_best_model: loss"]
    if kwargs:
        lines.append(f"lr_scheduler_kwargs: {json.dumps(kwargs)}")
    path = tmp_path / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(schedules()))
def test_the_suggested_floor_passes_the_guards_own_checks(tmp_path: Path, name: str) -> None:
    """Every schedule with a floor: the suggested values, written as the schedule takes them,
    raise neither LRG001 nor LRG002 (nor any floor rule)."""
    lr = 3e-5
    floor = consistent_floor(lr, schedule=name)
    kwargs = {floor.key: floor.setting} if floor.key else {}
    if name == "warmup_stable_decay":
        kwargs.update(num_decay_steps=100)
    reports = check_paths([_hf_config(tmp_path, name, lr, kwargs)], CheckOptions())
    codes = [f.code for r in reports for f in r.findings]
    assert not {"LRG001", "LRG002", "LRG011", "LRG012", "LRG013"} & set(codes), codes
    if floor.key:
        assert 0 < floor.value < lr


def test_plausible_rates_by_optimizer_and_kind() -> None:
    """LRG091's prior: flagged only far outside the band, silent inside it (severities:
    tests/core/test_lrg091.py)."""
    from lrguard.plan import ParamGroupPlan, TrainingPlan
    from lrguard.rules import check_plan

    def codes(lr, optimizer, pretrained, framework="hf"):
        plan = TrainingPlan(
            framework=framework,
            learning_rate=lr,
            param_groups=[ParamGroupPlan(index=0, lr=lr)],
            optimizer=optimizer,
            pretrained=pretrained,
        )
        return [f.code for f in check_plan(plan, select=["LRG091"])]

    assert codes(0.1, "adamw_torch", True) == ["LRG091"]  # AdamW at 0.1 (flair#1968)
    assert codes(0.1, "SGD", True, "flair") == ["LRG091"]  # SGD 0.1 on fine-tuned embeddings
    assert codes(1e-6, "SGD", False, "flair") == ["LRG091"]  # from scratch at 1e-6
    assert codes(1e-6, "AdamW", False) == ["LRG091"]
    assert codes(5e-5, "adamw_torch", True) == []
    assert codes(2e-4, "paged_adamw_8bit", True) == []  # LoRA-style rate
    assert codes(0.1, "SGD", False, "flair") == []  # Flair's default from scratch
    assert codes(0.1, "adamw_torch", None) == ["LRG091"]  # kind unknown: a note (info) only
    assert codes(0.1, "lion_32bit", True) == []  # family not judged


def test_plot_writes_a_png_and_leaves_the_matplotlib_backend_alone(tmp_path: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    backend = matplotlib.get_backend()
    result = run(SweepSettings(start_lr=1e-6, end_lr=10.0, num_steps=100), typical)
    result.plot(tmp_path / "r.png")
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert matplotlib.get_backend() == backend


def test_an_unknown_method_is_refused_before_any_step() -> None:
    with pytest.raises(ValueError, match="method='best' is unknown. Fix: one of lrguard"):
        SweepRecorder(SweepSettings(), "best")
