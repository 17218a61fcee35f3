"""``check_scheduler`` on the mistakes practitioners make with torch schedulers."""

from __future__ import annotations

import pytest
from torch.optim import lr_scheduler as L

from lrguard import GuardPolicy, LRGuardError
from tests.torch.conftest import make_optimizer
from torch_lrguard import check_scheduler, replay


def _codes(findings):
    return [f.code for f in findings]


def test_onecycle_too_short_raises_where_the_real_one_does():
    opt = make_optimizer(momentum=0.9)
    sched = L.OneCycleLR(opt, max_lr=1e-3, total_steps=100)
    [finding] = check_scheduler(opt, sched, 300)
    assert finding.code == "LRG060" and finding.severity.value == "error"
    assert "after step 101 of the run's 300" in finding.message
    assert "Tried to step 101 times" in finding.message
    assert "total_steps=300" in finding.fix
    # the real object fails at the same step
    failed_at = None
    for step in range(1, 301):
        opt.step()
        try:
            sched.step()
        except ValueError:
            failed_at = step
            break
    assert failed_at == 101


def test_exponential_per_batch():
    opt = make_optimizer()
    [finding] = check_scheduler(opt, L.ExponentialLR(opt, gamma=0.95), 1000)
    assert finding.code == "LRG062"
    assert "for 910 of 1000 steps" in finding.message and "5.57e-26" in finding.message
    assert "gamma=0.99541" in finding.fix
    fixed = make_optimizer()
    assert check_scheduler(fixed, L.ExponentialLR(fixed, gamma=0.99541), 1000) == []


def test_step_lr_per_batch():
    opt = make_optimizer()
    [finding] = check_scheduler(opt, L.StepLR(opt, step_size=10, gamma=0.1), 1000)
    assert finding.code == "LRG062" and "970 of 1000" in finding.message
    assert "step_size=334" in finding.fix
    fixed = make_optimizer()
    assert check_scheduler(fixed, L.StepLR(fixed, step_size=334, gamma=0.1), 1000) == []


def test_multistep_fix_stays_silent():
    opt = make_optimizer()
    [finding] = check_scheduler(opt, L.MultiStepLR(opt, [5, 10, 20], gamma=0.1), 1000)
    assert "milestones=[334, 667]" in finding.fix
    fixed = make_optimizer()
    assert check_scheduler(fixed, L.MultiStepLR(fixed, [334, 667], gamma=0.1), 1000) == []


def test_cosine_t_max_in_epochs():
    opt = make_optimizer()
    [finding] = check_scheduler(opt, L.CosineAnnealingLR(opt, T_max=10), 1000)
    assert finding.code == "LRG063" and "50 times" in finding.message
    assert "T_max=1000" in finding.fix


def test_eta_min_above_the_rate():
    opt = make_optimizer()
    [finding] = check_scheduler(opt, L.CosineAnnealingLR(opt, T_max=1000, eta_min=1e-2), 1000)
    assert finding.code == "LRG061" and "rises to 0.01, 10x" in finding.message
    assert "eta_min<=0.0001" in finding.fix


def test_warmup_longer_than_the_run():
    opt = make_optimizer()
    sched = L.LinearLR(opt, start_factor=0.01, total_iters=5000)
    [finding] = check_scheduler(opt, sched, 1000)
    assert finding.code == "LRG064" and "at most 0.000208" in finding.message
    assert "total_iters=100" in finding.fix


def test_correct_cosine_is_silent():
    opt = make_optimizer()
    assert check_scheduler(opt, L.CosineAnnealingLR(opt, T_max=1000), 1000) == []


@pytest.mark.parametrize(
    "build",
    [
        lambda o: L.CyclicLR(o, 1e-5, 1e-3, step_size_up=100),
        lambda o: L.OneCycleLR(o, max_lr=1e-2, total_steps=1000),
        lambda o: L.CosineAnnealingWarmRestarts(o, T_0=100),
        lambda o: L.SequentialLR(
            o, [L.LinearLR(o, 0.1, total_iters=100), L.CosineAnnealingLR(o, 900)], [100]
        ),
        lambda o: L.ChainedScheduler(
            [L.ConstantLR(o, 0.5, total_iters=50), L.ExponentialLR(o, 0.999)]
        ),
        lambda o: L.PolynomialLR(o, total_iters=1000, power=2.0),
        lambda o: L.LambdaLR(o, lambda step: 1 / (1 + step / 100) ** 0.5),
    ],
    ids=["cyclic", "onecycle", "warm-restarts", "sequential", "chained", "poly", "lambda"],
)
def test_sound_schedules_are_silent(build):
    opt = make_optimizer(momentum=0.9)
    assert check_scheduler(opt, build(opt), 1000) == []


def test_error_mode_raises_with_the_finding():
    opt = make_optimizer(momentum=0.9)
    sched = L.OneCycleLR(opt, max_lr=1e-3, total_steps=100)
    with pytest.raises(LRGuardError, match="total_steps=300") as info:
        check_scheduler(opt, sched, 300, policy=GuardPolicy(on_violation="error"))
    assert _codes(info.value.findings) == ["LRG060"]


def test_warning_does_not_raise_in_error_mode():
    opt = make_optimizer()
    found = check_scheduler(
        opt, L.CosineAnnealingLR(opt, T_max=10), 1000, policy=GuardPolicy(on_violation="error")
    )
    assert _codes(found) == ["LRG063"]


def test_thresholds_come_from_the_policy():
    opt = make_optimizer()
    sched = L.ExponentialLR(opt, gamma=0.995)  # below 1% from step ~920: silent by default
    assert check_scheduler(opt, sched, 1000) == []
    strict = GuardPolicy(trajectory_low_fraction=0.1, trajectory_low_share=0.3)
    assert _codes(check_scheduler(opt, sched, 1000, policy=strict)) == ["LRG062"]


def test_negative_rate():
    opt = make_optimizer()
    [finding] = check_scheduler(opt, L.LambdaLR(opt, lambda s: 1 - s / 500), 1000)
    assert finding.code == "LRG065" and "at step 502" in finding.message
    assert "-2e-06" in finding.message


def test_lambda_that_raises_reports_the_step():
    opt = make_optimizer()
    table = [1.0] * 50
    [finding] = check_scheduler(opt, L.LambdaLR(opt, lambda s: table[s]), 100)
    assert finding.code == "LRG060" and "IndexError" in finding.message
    assert "after step 50 of the run's 100" in finding.message


def test_param_groups_are_named():
    opt = make_optimizer(groups=2)
    sched = L.LambdaLR(opt, [lambda s: 1.0, lambda s: 0.9**s])
    [finding] = check_scheduler(opt, sched, 1000)
    assert finding.code == "LRG062" and "(param group 1)" in finding.message
    assert finding.location == "param group 1"


def test_plateau_worst_case_in_both_modes():
    for mode in ("min", "max"):
        opt = make_optimizer()
        sched = L.ReduceLROnPlateau(opt, mode=mode, patience=2)
        [finding] = check_scheduler(opt, sched, 100, metric_mode=mode)
        assert finding.code == "LRG067" and "worst case" in finding.message
        assert "min_lr=1e-05" in finding.fix
        trajectory = replay(opt, sched, 100, metric_mode=mode)
        assert trajectory.metric_driven and trajectory.rates[0][:4] == [1e-3] * 4
        assert trajectory.rates[0][4] == pytest.approx(1e-4)


def test_plateau_with_a_floor_is_silent():
    opt = make_optimizer()
    assert check_scheduler(opt, L.ReduceLROnPlateau(opt, patience=2, min_lr=1e-5), 100) == []


def test_unreplayable_scheduler_is_reported_not_silent():
    import threading

    class Locked(L.LambdaLR):
        def __init__(self, optimizer):
            self.lock = threading.Lock()
            super().__init__(optimizer, lambda s: 1.0)

    opt = make_optimizer()
    [finding] = check_scheduler(opt, Locked(opt), 100)
    assert finding.code == "LRG066" and finding.severity.value == "warning"
    assert "cannot pickle" in finding.message and "not checked" in finding.message


def test_scheduler_of_another_optimizer_is_not_replayed():
    opt, other = make_optimizer(), make_optimizer()
    sched = L.ExponentialLR(other, gamma=0.5)
    [finding] = check_scheduler(opt, sched, 100)
    assert finding.code == "LRG066" and "another optimizer" in finding.message
    assert other.param_groups[0]["lr"] == 1e-3


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"optimizer": "adam"}, "optimizer='str'"),
        ({"scheduler": 3}, "scheduler='int'"),
        ({"total_steps": 0}, "total_steps=0"),
        ({"total_steps": 10.5}, "total_steps=10.5"),
        ({"metric_mode": "up"}, "metric_mode='up'"),
    ],
)
def test_bad_arguments_name_the_field(kwargs, match):
    opt = make_optimizer()
    args = {"optimizer": opt, "scheduler": L.ExponentialLR(opt, 0.9), "total_steps": 10}
    args.update(kwargs)
    mode = args.pop("metric_mode", None)
    with pytest.raises((TypeError, ValueError), match=match):
        check_scheduler(args["optimizer"], args["scheduler"], args["total_steps"], metric_mode=mode)
