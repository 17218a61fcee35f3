"""The replay's fixed budget: past the cap, the closed forms and jumps give the rates the real
scheduler gives when stepped; without them only the steps replayed are judged, and a note
says how far the check reached. Timings are in benchmarks/bench_replay.py."""

from __future__ import annotations

import importlib
import math

import pytest
import torch
from torch.optim import lr_scheduler as L

from lrguard.findings import Severity
from lrguard.trajectory import tail_layout
from tests.torch.conftest import make_optimizer
from torch_lrguard import check_scheduler, replay

R = importlib.import_module("torch_lrguard.replay")
TOTAL = 300
SMALL_CAP = 40

CLOSED_FORMS = {
    "StepLR": lambda o: L.StepLR(o, 7, 0.5),
    "MultiStepLR": lambda o: L.MultiStepLR(o, [30, 60, 60, 90], 0.5),
    "ExponentialLR": lambda o: L.ExponentialLR(o, 0.97),
    "ConstantLR": lambda o: L.ConstantLR(o, 0.3, total_iters=70),
    "LinearLR": lambda o: L.LinearLR(o, 0.1, 0.9, total_iters=80),
    "PolynomialLR": lambda o: L.PolynomialLR(o, total_iters=120, power=2.0),
    "CosineAnnealingLR": lambda o: L.CosineAnnealingLR(o, 33, eta_min=1e-5),
}
JUMPED = {
    "LambdaLR": lambda o: L.LambdaLR(o, lambda s: 1 / (1 + 0.05 * s)),
    "OneCycleLR": lambda o: L.OneCycleLR(o, max_lr=1e-2, total_steps=TOTAL + 10),
    "CyclicLR": lambda o: L.CyclicLR(o, 1e-5, 1e-3, step_size_up=13, mode="exp_range"),
}


@pytest.fixture
def small_budget(monkeypatch):
    """A cap of 40 steps and 64 samples, so stepping the real scheduler past it is cheap."""
    monkeypatch.setattr(R, "STEP_CAP", SMALL_CAP)
    monkeypatch.setattr(R, "TAIL_SAMPLES", 64)


def _resumed(build, steps_before=3):
    """A scheduler (2 param groups) a few real steps into its run."""
    opt = make_optimizer(momentum=0.9, groups=2)
    sched = build(opt)
    for _ in range(steps_before):
        opt.step()
        sched.step()
    return opt, sched


def _stepped_for_real(build, total=TOTAL, steps_before=3):
    """Every group's rate at each of ``total`` steps, by stepping a fresh twin for real."""
    opt, sched = _resumed(build, steps_before)
    rates = []
    for _ in range(total):
        rates.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    return rates


def _assert_matches_real(trajectory, real):
    for g in range(2):
        assert list(trajectory.rates[g]) == [step[g] for step in real[: trajectory.steps]]
        for step, rate in zip(trajectory.tail_steps, trajectory.tail_rates[g], strict=True):
            assert rate == pytest.approx(real[step][g], rel=1e-9, abs=1e-15), (g, step)


@pytest.mark.parametrize("name", [*CLOSED_FORMS, *JUMPED])
def test_past_the_cap_the_rates_are_those_of_stepping_the_real_scheduler(name, small_budget):
    build = {**CLOSED_FORMS, **JUMPED}[name]
    opt, sched = _resumed(build)
    trajectory = replay(opt, sched, TOTAL)
    assert trajectory.cap == SMALL_CAP and trajectory.steps == SMALL_CAP
    assert trajectory.sampled and not trajectory.partial and trajectory.error is None
    assert len(trajectory.tail_steps) == 64 and trajectory.tail_steps[-1] == TOTAL - 1
    assert sum(trajectory.tail_weights) == TOTAL - SMALL_CAP
    assert trajectory.checked_steps == TOTAL
    _assert_matches_real(trajectory, _stepped_for_real(build))


@pytest.mark.parametrize("name", CLOSED_FORMS)
def test_closed_form_factor_is_the_documented_formula(name):
    opt = make_optimizer(groups=2)
    sched = CLOSED_FORMS[name](opt)
    factor, floors = R.closed_form_factor(sched)
    real = _stepped_for_real(CLOSED_FORMS[name], total=150, steps_before=0)
    for step in range(150):
        for g, base in enumerate(sched.base_lrs):
            expected = floors[g] + (base - floors[g]) * factor(step)
            assert real[step][g] == pytest.approx(expected, rel=1e-9, abs=1e-15), (step, g)


def test_a_subclass_or_a_rate_set_by_hand_is_not_sampled_from_the_closed_form(small_budget):
    class MyStepLR(L.StepLR):
        pass

    opt = make_optimizer(groups=2)
    assert R.closed_form_factor(MyStepLR(opt, 7, 0.5)) is None
    opt, sched = _resumed(CLOSED_FORMS["StepLR"])
    opt.param_groups[0]["lr"] *= 0.5  # chained from here: no longer base_lr * gamma ** k
    trajectory = replay(opt, sched, TOTAL)
    assert trajectory.partial and not trajectory.sampled and trajectory.steps == SMALL_CAP


def test_onecycle_jumps_find_the_exact_step_it_raises_at(small_budget, monkeypatch):
    build = lambda o: L.OneCycleLR(o, max_lr=1e-3, total_steps=100)  # noqa: E731
    opt = make_optimizer(momentum=0.9)
    sched = build(opt)
    total = 5000  # samples ~78 steps apart: the failing step is found between two of them
    jumped = replay(opt, sched, total)
    finding = check_scheduler(opt, sched, total)[0]
    monkeypatch.setattr(R, "STEP_CAP", 10_000)
    stepped = replay(opt, sched, total)
    assert stepped.cap is None and jumped.cap == SMALL_CAP
    assert (jumped.error, jumped.error_step) == (stepped.error, stepped.error_step)
    assert jumped.error_step == 101 and "Tried to step 101 times" in jumped.error
    assert finding.code == "LRG060" and finding == check_scheduler(opt, sched, total)[0]


def test_a_warmup_longer_than_the_cap_is_not_called_unfinished(small_budget):
    """SequentialLR has neither closed form nor jumps: the first 40 steps of a 100-step warmup
    rise all the way, but the run's end is unknown, so LRG064 stays silent."""

    def build(o):
        warm = L.LinearLR(o, 0.01, total_iters=100)
        return L.SequentialLR(o, [warm, L.ConstantLR(o, 1.0, total_iters=1)], milestones=[100])

    opt = make_optimizer()
    sched = build(opt)
    trajectory = replay(opt, sched, TOTAL)
    assert trajectory.partial and trajectory.rates[0][-1] == max(trajectory.rates[0])
    findings = check_scheduler(opt, sched, TOTAL)
    assert [(f.code, f.severity) for f in findings] == [("LRG066", Severity.INFO)]
    assert f"checked the first {SMALL_CAP} of the run's {TOTAL} steps only" in findings[0].message
    assert findings[0].value == SMALL_CAP


def test_facts_within_the_replayed_steps_are_still_reported_when_partial(small_budget):
    opt = make_optimizer()
    sched = L.SequentialLR(
        opt, [L.CosineAnnealingLR(opt, 3), L.ConstantLR(opt, 1.0, total_iters=1)], [1000]
    )
    codes = {f.code: f for f in check_scheduler(opt, sched, TOTAL)}
    assert set(codes) == {"LRG063", "LRG066"}
    assert f"in the first {SMALL_CAP} of the run's {TOTAL} steps" in codes["LRG063"].message


def test_a_billion_steps_are_sampled_and_the_estimate_is_said():
    opt = make_optimizer()
    sched = L.ExponentialLR(opt, 0.95)
    trajectory = replay(opt, sched, 10**9)
    assert trajectory.steps == R.STEP_CAP and len(trajectory.tail_steps) == R.TAIL_SAMPLES
    findings = {f.code: f for f in check_scheduler(opt, sched, 10**9)}
    assert set(findings) == {"LRG062", "LRG066"}
    low = findings["LRG062"]
    assert "for about 999999910 of 1000000000 steps (from step 91) and ends at 0" in low.message
    note = findings["LRG066"]
    assert note.severity == Severity.INFO and note.value == 10**9
    assert (
        f"replayed the first {R.STEP_CAP} of the run's 1000000000 steps one by one and "
        f"computed the other {10**9 - R.STEP_CAP} from ExponentialLR's closed form at "
        f"{R.TAIL_SAMPLES} sampled steps" in note.message
    )


def test_a_thousand_param_groups_share_the_budget():
    opt = torch.optim.SGD(
        [
            {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 1e-3 * (1 + i)}
            for i in range(1000)
        ]
    )
    sched = L.StepLR(opt, 10**12)
    trajectory = replay(opt, sched, 10**9)
    assert trajectory.steps == R.VALUE_BUDGET // 1000
    assert len(trajectory.tail_steps) == R.TAIL_BUDGET // 1000
    assert len(trajectory.distinct_groups) == 1000
    assert [g[-1] for g in trajectory.tail_rates] == [1e-3 * (1 + i) for i in range(1000)]
    assert [f.code for f in check_scheduler(opt, sched, 10**9)] == ["LRG066"]


def test_the_run_within_the_cap_is_replayed_step_by_step(small_budget):
    opt = make_optimizer()
    sched = L.StepLR(opt, 7, 0.5)
    within, past = replay(opt, sched, SMALL_CAP), replay(opt, sched, SMALL_CAP + 1)
    assert within.cap is None and not within.sampled and within.steps == SMALL_CAP
    assert past.cap == SMALL_CAP and past.tail_steps == (SMALL_CAP,)
    assert past.tail_rates[0][0] == 1e-3 * 0.5 ** (SMALL_CAP // 7)
    assert check_scheduler(opt, sched, SMALL_CAP) == check_scheduler(opt, sched, SMALL_CAP)
    assert all(f.code != "LRG066" for f in check_scheduler(opt, sched, SMALL_CAP))


def test_tail_layout_covers_the_rest_once_with_one_sample_per_stratum():
    steps, weights = tail_layout(100, 10_100, 64, seed=0)
    assert (steps, weights) == tail_layout(100, 10_100, 64, seed=0)  # reproducible
    assert sum(weights) == 10_000 and len(steps) == 64 and steps[-1] == 10_099
    lower = 100
    for step, weight in zip(steps, weights, strict=True):
        assert lower <= step < lower + weight
        lower += weight
    assert tail_layout(5, 5, 64) == ([], [])


def test_a_growing_rate_past_the_cap_is_infinite_not_an_overflow(small_budget):
    opt = make_optimizer()
    sched = L.ExponentialLR(opt, 1.5)
    trajectory = replay(opt, sched, 10**9)
    assert trajectory.sampled and math.isinf(trajectory.last(0))
    codes = [f.code for f in check_scheduler(opt, sched, 10**9)]
    assert codes[:2] == ["LRG061", "LRG065"]


@pytest.mark.parametrize("name", ["linear", "cosine", "warmup_stable_decay"])
def test_transformers_schedules_past_the_cap_come_from_their_closed_form(name):
    transformers = pytest.importorskip("transformers")
    opt = make_optimizer(groups=2)
    kwargs = {"num_decay_steps": 10**8} if name == "warmup_stable_decay" else {}
    sched = transformers.get_scheduler(
        name,
        opt,
        num_warmup_steps=10**8,
        num_training_steps=10**9,
        scheduler_specific_kwargs=kwargs,
    )
    trajectory = replay(opt, sched, 10**9)
    assert trajectory.method == "closed form" and trajectory.sampled
    assert trajectory.steps == R.step_cap(2) and trajectory.tail_steps[-1] == 10**9 - 1
    for g, base in enumerate(sched.base_lrs):
        for step, rate in zip(trajectory.tail_steps, trajectory.tail_rates[g], strict=True):
            assert rate == pytest.approx(base * sched.lr_lambdas[g](step), rel=1e-9, abs=1e-18)
    findings = check_scheduler(opt, sched, 10**9)
    assert [(f.code, f.severity) for f in findings] == [("LRG066", Severity.INFO)]
    assert f"from the closed form of transformers' {name} schedule" in findings[0].message


def test_jumps_that_take_too_long_leave_the_rest_unchecked(small_budget, monkeypatch):
    monkeypatch.setattr(R, "JUMP_SECONDS", 0.0)
    opt = make_optimizer()
    sched = JUMPED["LambdaLR"](opt)
    trajectory = replay(opt, sched, TOTAL)
    assert trajectory.partial and trajectory.steps == SMALL_CAP
    assert [f.code for f in check_scheduler(opt, sched, TOTAL)] == ["LRG066"]
