"""The replay: every scheduler class, the user's objects untouched, closed form == stepping."""

from __future__ import annotations

import copy

import pytest
import torch
from torch.optim import lr_scheduler as L

from tests.torch.conftest import make_optimizer
from torch_lrguard import check_scheduler, replay
from torch_lrguard.replay import _stepped

CLASSES = {
    "LambdaLR-closure": lambda o: L.LambdaLR(o, (lambda k: lambda s: 1 / (1 + k * s))(0.01)),
    "MultiplicativeLR": lambda o: L.MultiplicativeLR(o, lambda s: 0.999),
    "StepLR": lambda o: L.StepLR(o, 30, 0.5),
    "MultiStepLR": lambda o: L.MultiStepLR(o, [30, 60], 0.5),
    "ConstantLR": lambda o: L.ConstantLR(o, 0.5, total_iters=20),
    "LinearLR": lambda o: L.LinearLR(o, 0.1, total_iters=20),
    "ExponentialLR": lambda o: L.ExponentialLR(o, 0.99),
    "PolynomialLR": lambda o: L.PolynomialLR(o, total_iters=100, power=2.0),
    "CosineAnnealingLR": lambda o: L.CosineAnnealingLR(o, 100),
    "CosineAnnealingWarmRestarts": lambda o: L.CosineAnnealingWarmRestarts(o, 10, T_mult=2),
    "CyclicLR": lambda o: L.CyclicLR(o, 1e-5, 1e-3, step_size_up=7, mode="exp_range"),
    "OneCycleLR": lambda o: L.OneCycleLR(o, max_lr=1e-2, total_steps=120),
    "SequentialLR": lambda o: L.SequentialLR(
        o, [L.LinearLR(o, 0.1, total_iters=10), L.CosineAnnealingLR(o, 90)], milestones=[10]
    ),
    "ChainedScheduler": lambda o: L.ChainedScheduler(
        [L.ConstantLR(o, 0.5, total_iters=5), L.ExponentialLR(o, 0.99)]
    ),
    "ReduceLROnPlateau": lambda o: L.ReduceLROnPlateau(o, patience=1),
}


def _step(sched, metric=1.0):
    if isinstance(sched, L.ReduceLROnPlateau) or type(sched).__name__ == "GreedyLR":
        sched.step(metric)
    else:
        sched.step()


def _same(a, b):
    """Deep equality of state dicts (tensors, nested lists, callables by identity)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    return a == b


def _untouched(build, total=200, steps_before=3):
    """Check after a few real steps; the objects and the next rate are as for a twin."""
    opt, twin_opt = make_optimizer(momentum=0.9, groups=2), make_optimizer(momentum=0.9, groups=2)
    sched, twin = build(opt), build(twin_opt)
    for _ in range(steps_before):
        opt.step(), twin_opt.step()
        _step(sched), _step(twin)
    sched_state, opt_state = copy.deepcopy(sched.state_dict()), copy.deepcopy(opt.state_dict())
    trajectory = replay(opt, sched, total)
    assert trajectory.not_replayed is None, trajectory.not_replayed
    assert _same(sched.state_dict(), sched_state)
    assert _same(opt.state_dict(), opt_state)
    opt.step(), twin_opt.step()
    _step(sched), _step(twin)
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in twin_opt.param_groups]
    return trajectory, twin, twin_opt


@pytest.mark.parametrize("name", CLASSES)
def test_every_class_is_replayed_exactly_and_left_untouched(name):
    trajectory, twin, twin_opt = _untouched(CLASSES[name])
    # the replayed rates are what the real object gives from there (the twin is one ahead)
    got = []
    for i in range(1, 20):
        got.append([g["lr"] for g in twin_opt.param_groups])
        twin_opt.step()
        _step(twin, metric=1.0 + i - 1)  # never better than its best 1.0: the worst case
    expected = [[trajectory.rates[g][i] for g in range(2)] for i in range(1, 20)]
    assert got == expected
    assert trajectory.method == "stepped"
    assert trajectory.metric_driven == (name == "ReduceLROnPlateau")
    assert trajectory.cyclic == (name in ("CyclicLR", "OneCycleLR", "CosineAnnealingWarmRestarts"))


def test_a_scheduler_that_raised_stays_usable_as_it_was():
    opt = make_optimizer(momentum=0.9)
    sched = L.OneCycleLR(opt, max_lr=1e-3, total_steps=10)
    before = copy.deepcopy(sched.state_dict())
    assert replay(opt, sched, 30).error_step == 11
    assert _same(sched.state_dict(), before) and sched.last_epoch == 0


def test_check_does_not_change_the_optimizer_state_of_a_trained_model():
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.ones(2, 3)).sum().backward()
    opt.step()
    sched = L.CosineAnnealingLR(opt, 10)
    state = copy.deepcopy(opt.state_dict())
    weights = model.weight.detach().clone()
    check_scheduler(opt, sched, 1000)
    assert _same(opt.state_dict(), state) and torch.equal(model.weight, weights)


transformers = pytest.importorskip("transformers")
MAJOR = int(transformers.__version__.split(".")[0])
HF = {
    "linear": {},
    "cosine": {},
    "cosine_with_restarts": {"num_cycles": 3},
    "polynomial": {"lr_end": 1e-6, "power": 2.0},
    "constant": {},
    "constant_with_warmup": {},
    "inverse_sqrt": {},
    "cosine_with_min_lr": {"min_lr_rate": 0.1},
    "cosine_warmup_with_min_lr": {"min_lr": 1e-5},
    "warmup_stable_decay": {"num_decay_steps": 300},
}


def _hf(name, opt, kwargs, warmup=100, total=1000):
    from transformers import get_scheduler

    return get_scheduler(
        name,
        opt,
        num_warmup_steps=warmup,
        num_training_steps=total,
        scheduler_specific_kwargs=dict(kwargs),
    )


@pytest.mark.parametrize("name", HF)
def test_transformers_schedules_closed_form_equals_stepping(name):
    opt = make_optimizer(groups=2)
    sched = _hf(name, opt, HF[name])
    for _ in range(5):
        opt.step(), sched.step()
    state = copy.deepcopy(sched.state_dict())
    fast = replay(opt, sched, 1200)
    assert fast.method == "closed form" and fast.schedule == name
    slow, _, _ = _stepped(opt, sched, 1200, False, None)
    for g in range(2):
        assert fast.rates[g] == pytest.approx(slow[g], rel=1e-12, abs=1e-18)
    assert _same(sched.state_dict(), state)
    assert check_scheduler(opt, sched, 995) == []


def test_transformers_warmup_longer_than_the_run():
    opt = make_optimizer()
    [finding] = check_scheduler(opt, _hf("linear", opt, {}, warmup=2000, total=1000), 1000)
    assert finding.code == "LRG064" and "num_warmup_steps=100" in finding.fix
    assert "LambdaLR (transformers linear)" in finding.message


def test_transformers_cosine_built_for_fewer_steps_than_the_run():
    opt = make_optimizer()
    [finding] = check_scheduler(opt, _hf("cosine_with_restarts", opt, {}, 0, 100), 1000)
    assert finding.code == "LRG062" and "num_training_steps=1000" in finding.fix


@pytest.mark.skipif(MAJOR < 5, reason="GreedyLR is transformers 5.x")
def test_greedy_is_replayed_in_its_worst_case_and_left_untouched():
    from transformers.optimization import GreedyLR

    trajectory, _, _ = _untouched(lambda o: GreedyLR(o, patience=2, min_lr=1e-7))
    assert trajectory.metric_driven and trajectory.rates[0][-1] < trajectory.rates[0][0]
    opt = make_optimizer()
    [finding] = check_scheduler(opt, GreedyLR(opt, patience=2, min_lr=1e-7), 400)
    assert finding.code == "LRG067" and "GreedyLR (worst case" in finding.message
