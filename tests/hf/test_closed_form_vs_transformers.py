"""The closed-form schedules against the real transformers / torch schedulers, step by step.

Each case builds the scheduler with ``transformers.get_scheduler`` (as ``Trainer`` does),
steps it past the end of the run, and compares every learning rate with
the schedule table's closed forms at relative error <= 1e-9. Runs on 4.57 and 5.x.
"""

from __future__ import annotations

import math

import pytest

from tests.hf.conftest import MAJOR, torch, transformers

np = pytest.importorskip("numpy")

from lrguard.schedules.closed_form import ScheduleError  # noqa: E402
from lrguard.schedules.plateau import PlateauSettings  # noqa: E402
from lrguard.schedules.plateau import worst_case as plateau_worst_case  # noqa: E402
from lrguard.schedules.table import factor, schedules, warmup_steps_for  # noqa: E402

SCHEDULES = {name for name, spec in schedules(str(MAJOR)).items() if spec.closed_form}

REL = 1e-9
LR = 3e-4


def _real_lrs(name, steps, warmup, kwargs, lr=LR, groups=1):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    opt = torch.optim.SGD([{"params": [p]} for p in params], lr=lr)
    sched = transformers.get_scheduler(
        name,
        opt,
        num_warmup_steps=warmup,
        num_training_steps=steps,
        scheduler_specific_kwargs=dict(kwargs),
    )
    out = []
    for _ in range(steps + 5):  # past the end: schedules must hold their final value
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(out)


def _assert_close(mine, real):
    mine = np.asarray(mine, dtype=float)
    assert mine.shape == real.shape
    scale = np.maximum(np.abs(real), 1e-300)
    rel = np.abs(mine - real) / scale
    worst = int(np.argmax(rel))
    assert rel[worst] <= REL or abs(mine[worst] - real[worst]) == 0.0, (
        f"step {worst}: closed form {mine[worst]!r} vs transformers {real[worst]!r}"
    )


CASES = [
    ("linear", 200, 20, {}),
    ("linear", 37, 0, {}),
    ("linear", 50, 60, {}),  # warmup longer than the run
    ("cosine", 200, 20, {}),
    ("cosine", 200, 0, {"num_cycles": 1.25}),
    ("cosine_with_restarts", 300, 30, {"num_cycles": 3}),
    ("polynomial", 200, 10, {"lr_end": 1e-6, "power": 2.0}),
    ("polynomial", 200, 10, {}),
    ("constant", 100, 0, {}),
    ("constant_with_warmup", 100, 25, {}),
    ("inverse_sqrt", 400, 40, {}),
    ("inverse_sqrt", 400, 0, {}),
    ("cosine_with_min_lr", 250, 25, {"min_lr": 1e-5}),
    ("cosine_with_min_lr", 250, 25, {"min_lr_rate": 0.1}),
    ("cosine_with_min_lr", 250, 0, {"min_lr": 1e-3}),  # floor above the peak: rises
    ("cosine_warmup_with_min_lr", 250, 25, {"min_lr_rate": 0.1}),
    ("cosine_warmup_with_min_lr", 250, 25, {"min_lr": 3e-5, "warmup_lr_rate": 0.05}),
    ("warmup_stable_decay", 300, 30, {"num_decay_steps": 90}),
    (
        "warmup_stable_decay",
        300,
        30,
        {
            "num_decay_steps": 90,
            "min_lr_ratio": 0.1,
            "warmup_type": "cosine",
            "decay_type": "1-sqrt",
        },
    ),
    (
        "warmup_stable_decay",
        300,
        30,
        {"num_decay_steps": 50, "num_stable_steps": 100, "decay_type": "linear"},
    ),
]


@pytest.mark.filterwarnings("ignore:Both num_training_steps and num_stable_steps")
@pytest.mark.parametrize(("name", "steps", "warmup", "kwargs"), CASES)
def test_closed_form_matches_transformers(name, steps, warmup, kwargs):
    real = _real_lrs(name, steps, warmup, kwargs)
    mine = LR * factor(
        name,
        np.arange(steps + 5),
        warmup_steps=warmup,
        total_steps=steps,
        learning_rate=LR,
        kwargs=kwargs,
        transformers_major=MAJOR,
    )
    _assert_close(mine, real)
    # the scalar (pure-Python) path gives the same numbers
    for s in sorted(
        {0, min(warmup, steps) - 1, min(warmup, steps), steps // 2, steps - 1, steps + 3}
    ):
        s = max(s, 0)
        one = LR * factor(
            name,
            s,
            warmup_steps=warmup,
            total_steps=steps,
            learning_rate=LR,
            kwargs=kwargs,
            transformers_major=MAJOR,
        )
        assert math.isclose(one, real[s], rel_tol=REL, abs_tol=0.0) or one == real[s]


def test_every_step_schedule_of_transformers_has_a_closed_form():
    names = {t.value for t in transformers.SchedulerType}
    metric_driven = {"reduce_lr_on_plateau", "greedy"}
    assert names - metric_driven <= set(SCHEDULES), sorted(names - metric_driven - set(SCHEDULES))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"patience": 2, "factor": 0.5, "min_lr": 1e-5},
        {"patience": 0, "cooldown": 2, "mode": "max"},
    ],
)
def test_plateau_worst_case_matches_torch(kwargs):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR)
    sched = transformers.get_scheduler(
        "reduce_lr_on_plateau", opt, scheduler_specific_kwargs=dict(kwargs)
    )
    real = [opt.param_groups[0]["lr"]]
    for _ in range(60):
        sched.step(1.0)  # the metric never improves after the first evaluation
        real.append(opt.param_groups[0]["lr"])
    mine = plateau_worst_case(LR, PlateauSettings.for_schedule("reduce_lr_on_plateau", kwargs), 60)
    _assert_close(mine, np.array(real))


@pytest.mark.skipif(MAJOR < 5, reason="GreedyLR is new in transformers 5")
@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_lr": 1e-6, "patience": 2, "factor": 0.5},
        {"min_lr": 1e-4, "patience": 1, "factor": 0.5, "reset_start": 3, "cooldown": 1},
        {"min_lr": 1e-6, "patience": 0, "factor": 0.9, "max_lr": 1e-3, "warmup": 2},
        {},
    ],
)
def test_greedy_worst_case_matches_transformers(kwargs):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR)
    sched = transformers.get_scheduler("greedy", opt, scheduler_specific_kwargs=dict(kwargs))
    real = [opt.param_groups[0]["lr"]]
    for _ in range(80):
        sched.step(1.0)
        real.append(opt.param_groups[0]["lr"])
    mine = plateau_worst_case(LR, PlateauSettings.for_schedule("greedy", kwargs), 80)
    _assert_close(mine, np.array(real))


@pytest.mark.parametrize(
    ("warmup_steps", "warmup_ratio"), [(0, 0.1), (15, 0.0), (0, 0.0), (0.05, 0.0)]
)
def test_warmup_steps_match_training_arguments(tmp_path, warmup_steps, warmup_ratio):
    kwargs = {"output_dir": str(tmp_path), "warmup_steps": warmup_steps, "report_to": []}
    if MAJOR >= 5 and warmup_ratio:  # 5.x has no warmup_ratio: a fraction < 1 in warmup_steps
        kwargs["warmup_steps"] = warmup_steps = warmup_ratio
    elif warmup_ratio:
        kwargs["warmup_ratio"] = warmup_ratio
    if MAJOR < 5 and warmup_steps != int(warmup_steps):  # 4.x refuses a fractional value
        with pytest.raises(ValueError):
            transformers.TrainingArguments(**kwargs)
        with pytest.raises(ScheduleError, match="not a whole number"):
            warmup_steps_for(1000, warmup_steps, warmup_ratio, MAJOR)
        return
    expected = transformers.TrainingArguments(**kwargs).get_warmup_steps(1000)
    assert warmup_steps_for(1000, warmup_steps, warmup_ratio, MAJOR) == expected
