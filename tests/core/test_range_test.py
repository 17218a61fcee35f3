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
from lrguard.range_test.suggest import centered_median, momentum_of, rate_text
from lrguard.schedules.table import schedules


def run(
    settings: SweepSettings, loss_at, optimizer: str | None = None, **context: object
) -> RangeTestResult:
    recorder = SweepRecorder(settings)
    for step in range(settings.num_steps):
        lr = settings.rate(step)
        if not recorder.record(lr, loss_at(step, lr)):
            break
    if optimizer:
        context["optimizer"] = optimizer
    return recorder.result(**context)


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
        ("start_lr", 0.0, "start_lr=1e-7"),
        ("end_lr", float("nan"), "end_lr=10"),
        ("num_steps", 0, "not a positive number of steps"),
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


def test_every_method_suggests_on_a_typical_curve_and_ours_is_a_fifth_of_the_lowest() -> None:
    result = run(SweepSettings(start_lr=1e-6, end_lr=10.0, num_steps=100), typical)
    assert set(result.suggestions) == {"lrguard", "steepest", "valley", "minimum"}
    assert all(lr is not None for lr in result.suggestions.values())
    low, lowest = result.marks["lrguard"]["descent"]
    assert 1e-4 / 1.2 <= low <= 1e-4 * 1.2 and 1e-2 / 1.4 <= lowest <= 1e-2 * 1.2
    assert result.suggested_lr == pytest.approx(lowest / 5, rel=0.05)  # 2 significant digits
    assert f"/ 5 = {rate_text(lowest / 5)}" in result.reasons["lrguard"]


@pytest.mark.parametrize("optimizer", ["SGD", "sgd"])  # a class name, or Trainer's optim
def test_for_plain_sgd_ours_reads_the_edge_of_stability(optimizer: str) -> None:
    settings = SweepSettings(start_lr=1e-6, end_lr=10.0, num_steps=100)
    sgd = run(settings, typical, optimizer)
    # the curve leaves its starting level for good at lr 10 ** -1.86 = 0.0138: a third of it
    assert 0.0138 / 3 / 1.2 <= sgd.suggestions["lrguard"] <= 0.0138 / 3 * 1.2
    assert sgd.context["optimizer"] == optimizer
    adaptive = run(settings, typical, "AdamW")
    assert adaptive.suggestions == run(settings, typical).suggestions  # unknown: adaptive
    assert adaptive.suggestions["lrguard"] < sgd.suggestions["lrguard"] / 2
    assert sgd.suggestions["steepest"] == adaptive.suggestions["steepest"]  # peers: curve only


def test_sgd_with_momentum_reads_the_edge_further_down() -> None:
    """Heavy-ball momentum m moves the edge of stability up by 1 + m and lengthens every step
    by 1 / (1 - m): at 0.9 the edge is divided by 3 * 1.9 / 0.1 = 57, not 3."""
    settings = SweepSettings(start_lr=1e-6, end_lr=10.0, num_steps=100)
    plain = run(settings, typical, "SGD")
    heavy = run(settings, typical, "SGD", momentum=0.9)
    edge = heavy.marks["lrguard"]["edge"]
    assert edge == plain.marks["lrguard"]["edge"]
    assert heavy.suggestions["lrguard"] == pytest.approx(edge / 57)
    assert plain.suggestions["lrguard"] == pytest.approx(edge / 3)
    assert (
        "SGD with momentum 0.9" in heavy.reasons["lrguard"]
        and "/ 57 =" in (heavy.reasons["lrguard"])
    )
    adam = run(settings, typical, "AdamW", momentum=0.9)  # momentum means nothing to Adam
    assert adam.suggestions == run(settings, typical, "AdamW").suggestions


@pytest.mark.parametrize(
    ("groups", "momentum"),
    [
        ([{"lr": 0.1, "momentum": 0.9}], 0.9),
        ([{"lr": 0.1, "momentum": 0}], 0.0),
        ([{"lr": 1e-3, "betas": (0.9, 0.999)}], 0.0),
        ([{"lr": 0.1, "momentum": 1.5}], 0.0),  # not a heavy-ball momentum
        ([], 0.0),
    ],
)
def test_momentum_is_read_from_the_first_group(groups, momentum) -> None:
    assert momentum_of(groups) == momentum


def test_no_suggestion_when_the_loss_never_moves_and_the_optimizer_is_unknown() -> None:
    result = run(SweepSettings(num_steps=50), lambda step, lr: 1.0)
    assert result.suggested_lr is None
    assert any("sweep to a larger end_lr" in note for note in result.notes)
    assert result.decision("flair").after is None


@pytest.mark.parametrize(("optimizer", "prior"), [("SGD", 0.1), ("AdamW", 1e-3)])
def test_a_flat_sweep_suggests_the_optimizers_usual_rate_and_says_it_is_a_prior(
    optimizer, prior
) -> None:
    result = run(SweepSettings(num_steps=50), lambda step, lr: 1.0, optimizer)
    assert result.suggested_lr == prior
    assert result.marks["lrguard"]["prior"] == prior
    assert "a prior, not a measurement" in result.reason
    assert "sweep measured no rate" in result.reason


def test_a_rise_that_stays_near_the_starting_level_is_not_an_edge() -> None:
    """A loss that drifts 10 % up at the end has not broken down: no edge / 3 is read off it
    (the prior is suggested instead); a loss that doubles has, and is read."""

    def drifting(top: float):
        def loss(step: int, lr: float) -> float:
            wobble = 0.01 * ((step * 7919) % 13 - 6) / 6  # deterministic noise
            return 1.0 + wobble + (top - 1.0) * (lr > 1.0)

        return loss

    settings = SweepSettings(num_steps=100)
    drift = run(settings, drifting(1.1), "SGD")
    assert drift.suggested_lr == 0.1 and "edge" not in drift.marks["lrguard"]
    broken = run(settings, drifting(2.0), "SGD")
    assert "edge" in broken.marks["lrguard"]
    assert broken.suggestions["lrguard"] == pytest.approx(broken.marks["lrguard"]["edge"] / 3)


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


# ------------------------------------------------------------ requests refused before a sweep


@pytest.mark.parametrize(
    ("settings", "error", "match"),
    [
        ({"start_lr": 1e-3, "end_lr": 1e-3}, ValueError, "end_lr=0.001 is not above start_lr"),
        ({"start_lr": 1e-3, "end_lr": 1e-5}, ValueError, "Fix: end_lr=10 \\(or swap them\\)"),
        ({"num_steps": 0}, ValueError, "num_steps=0 is not a positive number of steps"),
        ({"num_steps": -4}, ValueError, "num_steps=-4 is not a positive.*Fix: num_steps=100"),
        ({"end_lr": 10**400}, ValueError, "end_lr=10000.*not a finite positive.*end_lr=10"),
        ({"start_lr": 1e-320, "end_lr": 1e10}, ValueError, "overflows.*Fix: start_lr=1e-7"),
        ({"policy": "warn"}, TypeError, "policy='warn' is a str, not a GuardPolicy"),
        ({"method": "best"}, ValueError, "method='best' is unknown. Fix: one of lrguard"),
        (
            {"method": "race", "methods": ("lrguard",)},
            ValueError,
            "method='race' is not available here. Fix: one of lrguard",
        ),
    ],
)
def test_prepare_sweep_refuses_what_cannot_run(settings, error, match) -> None:
    from lrguard.range_test.request import prepare_sweep

    with pytest.raises(error, match=match):
        prepare_sweep(**settings)


def test_every_problem_is_listed_at_once() -> None:
    from lrguard.range_test.request import prepare_sweep

    with pytest.raises(ValueError) as err:
        prepare_sweep(num_steps=0, mode="cosine", method="best")
    text = str(err.value)
    assert "num_steps=0" in text and "mode='cosine'" in text and "method='best'" in text


@pytest.mark.parametrize("accepted", [{"lr", "momentum"}, None], ids=["named", "kwargs"])
def test_train_keywords_are_refused_with_what_the_range_test_does(accepted) -> None:
    """Even an optimizer taking ``**kwargs`` never receives max_epochs / patience."""
    from lrguard.range_test.request import refuse_train_keywords

    refuse_train_keywords({"momentum": 0.9}, receiver="SGD", accepted={"momentum"})
    for name, why in (("max_epochs", "not epochs"), ("patience", "does not anneal")):
        with pytest.raises(TypeError) as err:
            refuse_train_keywords({name: 3}, receiver="SGD", accepted=accepted)
        assert f"{name}=3 is a train() keyword" in str(err.value)
        assert why in str(err.value) and f"Fix: drop {name}= here" in str(err.value)


def test_an_unknown_keyword_is_refused_only_by_an_optimizer_without_kwargs() -> None:
    from lrguard.range_test.request import refuse_train_keywords

    with pytest.raises(TypeError, match="nesterv=True is not a keyword.*Fix: drop nesterv="):
        refuse_train_keywords({"nesterv": True}, receiver="SGD", accepted={"lr", "nesterov"})
    refuse_train_keywords({"nesterv": True}, receiver="Custom", accepted=None)  # its own call


# ------------------------------------------------------------------------ explained choice


def test_a_sweep_that_reaches_end_lr_is_completed_even_if_its_last_step_rises() -> None:
    settings = SweepSettings(start_lr=1e-6, end_lr=1.0, num_steps=40)
    result = run(settings, lambda step, lr: 1.0 if step < 39 else 100.0)
    assert len(result.rates) == 40 and result.stop_reason == "completed"
    assert not any("diverged" in note for note in result.notes)


def test_sgd_reason_names_the_edge_and_the_division() -> None:
    result = run(SweepSettings(start_lr=1e-6, end_lr=10.0, num_steps=100), typical, "SGD")
    edge = result.marks["lrguard"]["edge"]
    assert result.reason == result.reasons["lrguard"]
    assert f"edge of stability found at {edge:.2g}" in result.reason
    assert f"suggestion = {edge:.2g} / 3 = {result.suggested_lr:.2g}" in result.reason


def test_adaptive_reason_names_the_descent_it_read() -> None:
    result = run(SweepSettings(start_lr=1e-6, end_lr=10.0, num_steps=100), typical, "AdamW")
    low, high = result.marks["lrguard"]["descent"]
    assert low < result.suggested_lr < high
    assert f"descent of the lag-free loss from {low:.2g} to its lowest at {high:.2g}" in (
        result.reason
    )
    assert "steepest descent of the EMA-smoothed loss from" in result.reasons["steepest"]
    assert "longest descent of the EMA-smoothed loss from" in result.reasons["valley"]


def test_no_method_suggests_outside_the_swept_range() -> None:
    """The loss rises from the first step: fastai's minimum / 10 lies below start_lr."""
    settings = SweepSettings(start_lr=1e-4, end_lr=1.0, num_steps=60)
    result = run(settings, lambda step, lr: 1.0 + 0.01 * step)
    rates = result.rates
    for name, lr in result.suggestions.items():
        assert lr is None or rates[0] <= lr <= rates[-1], (name, lr)
    assert result.suggestions["minimum"] == rates[0]
    assert "clamped to 0.0001" in result.reasons["minimum"]
    assert result.marks["minimum"]["clamped"] < rates[0]
    assert "minimum 0.0001 (clamped)" in result.summary()


def test_summary_says_why_with_every_rate_at_two_significant_digits() -> None:
    import re

    result = run(SweepSettings(start_lr=1e-6, end_lr=10.0, num_steps=100), typical, "SGD")
    result.with_floor(0.00046, "min_learning_rate", 0.00046, {"learning_rate": 0.0046})
    text = result.summary()
    assert "\n  why: SGD: edge of stability found at" in text
    numbers = re.findall(r"(?<![\w.])\d[\d.]*(?:e[-+]\d+)?(?![\w.])", text.split("why:")[0])
    rates = [n for n in numbers if "." in n or "e" in n]
    assert rates and all(len(n.split("e")[0].replace(".", "").lstrip("0")) <= 2 for n in rates)


def test_reasons_marks_and_curve_survive_json(tmp_path: Path) -> None:
    result = run(SweepSettings(start_lr=1e-6, end_lr=10.0, num_steps=100), typical, "SGD")
    back = RangeTestResult.from_json(result.to_json())
    assert back.reasons == result.reasons and back.reason == result.reason
    assert back.marks == result.marks
    assert back.lagfree == pytest.approx(result.lagfree, nan_ok=True)
    assert RangeTestResult.from_dict({**result.to_dict(), "lagfree": []}).reason  # older files


def test_the_png_shows_the_curve_that_was_read_and_its_marks(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    result = run(SweepSettings(start_lr=1e-6, end_lr=10.0, num_steps=100), typical, "SGD")
    path = result.plot(tmp_path / "r.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000
    race = result.adopt(
        __import__("lrguard.range_test.race", fromlist=["race_result"]).race_result(
            [{1e-3: 0.5, 3e-3: 0.4}, {3e-3: 0.3}],
            [(2, 5), (1, 10)],
            top=0.01,
            top_kind="edge of stability",
            held_out=2,
        )
    )
    race.plot(tmp_path / "race.png")
    assert (tmp_path / "race.png").stat().st_size > 5000
    assert race.method == "race" and race.suggested_lr == 0.003


# --------------------------------------------------------------------- multi and race logic


def test_halving_plan_stays_within_its_budget_and_halves() -> None:
    from lrguard.range_test.race import halving_plan

    for count in range(2, 9):
        for budget in (10, 50, 200, 1000):
            plan = halving_plan(count, budget)
            assert sum(n * steps for n, steps in plan) <= budget
            if plan:
                assert plan[0][0] == count and plan[-1][0] == 2
                assert all(b[1] == 2 * a[1] for a, b in zip(plan, plan[1:], strict=False))
    assert halving_plan(6, 19) == []


def test_survivors_drop_non_finite_losses_and_break_ties_low() -> None:
    from lrguard.range_test.race import survivors

    assert survivors({0.1: math.nan, 0.01: 2.0, 0.03: 1.0}, keep=2) == [0.01, 0.03]
    assert survivors({0.1: 1.0, 0.01: 1.0}, keep=1) == [0.01]


def test_race_candidates_lie_below_the_band_top_and_inside_the_sweep() -> None:
    from lrguard.range_test.race import race_candidates

    rates = [1e-4, 1.0]
    field = race_candidates(rates, 0.3, 6)
    assert len(field) == 6 and max(field) == pytest.approx(0.2)
    assert all(1e-4 <= r <= 0.2 for r in field)
    assert race_candidates(rates, 1e-4, 6) == [1e-4]  # squeezed at the bottom: one left


def test_multi_is_the_log_median_and_reports_the_spread() -> None:
    from lrguard.range_test.race import combine_sweeps
    from lrguard.range_test.suggest import Suggestion

    sweeps = [Suggestion("lrguard", lr, 0, "x") for lr in (1e-3, 4e-3, 2e-2)]
    multi = combine_sweeps(sweeps)
    assert multi.lr == pytest.approx(4e-3) and "spread 20.00x" in multi.note
    none = combine_sweeps([Suggestion("lrguard", None, None, "flat")] * 2 + sweeps[:1])
    assert none.lr is None and "1 of 3 readings measured a rate" in none.note


def test_multi_does_not_count_a_prior_as_a_measurement() -> None:
    from lrguard.range_test.race import combine_sweeps
    from lrguard.range_test.suggest import Suggestion

    prior = Suggestion("lrguard", 0.1, None, "measured no rate", {"prior": 0.1})
    measured = [Suggestion("lrguard", lr, 0, "x") for lr in (0.9, 2.0)]
    mostly_prior = combine_sweeps([prior, prior, measured[0]], pooled=prior)
    assert mostly_prior.lr == 0.1 and mostly_prior.marks["prior"] == 0.1
    assert "1 of 4 readings measured a rate" in mostly_prior.note
    mostly_measured = combine_sweeps([prior, *measured])  # the median of 0.9 and 2.0
    assert mostly_measured.lr == pytest.approx((0.9 * 2.0) ** 0.5)
    assert "prior" not in mostly_measured.marks
    assert "((prior 0.1), 0.9, 2; spread 2.22x)" in mostly_measured.note


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"sweeps": 0}, "sweeps=0 is not a whole number >= 1"),
        ({"candidates": 1}, "race_candidates=1 .* Fix: race_candidates=6"),
        ({"budget": 5}, "race_budget=5 is too small for 6 candidates.*race_budget>=20"),
        ({"held_out": 0}, "race_held_out=0"),
    ],
)
def test_race_settings_that_cannot_run_are_refused(settings, match) -> None:
    from lrguard.range_test.race import check_race_settings

    values = {"sweeps": 3, "candidates": 6, "budget": 200, "held_out": 4, **settings}
    with pytest.raises(ValueError, match=match):
        check_race_settings(**values)


def test_a_noise_dip_before_the_descent_is_not_read_as_the_lowest() -> None:
    """A few very low losses early in the sweep (easy batches) lie below the real minimum:
    the lag-free curve's running median does not follow them."""

    def loss(step: int, lr: float) -> float:
        if 20 <= step < 23:
            return 0.5  # below the real minimum (1.0) for three steps
        return typical(step, lr)

    result = run(SweepSettings(start_lr=1e-6, end_lr=10.0, num_steps=100), loss, "AdamW")
    _, lowest = result.marks["lrguard"]["descent"]
    assert 1e-2 / 1.4 <= lowest <= 1e-2 * 1.2
    assert result.suggested_lr == pytest.approx(lowest / 5, rel=0.05)  # 2 significant digits
