"""LRG068 on trajectories as ``torch_lrguard.check_accelerated`` builds them (scheduler
steps, ``AcceleratePlan``): the rule is a pure function of the plan, so no torch here."""

from __future__ import annotations

import math

import pytest

from lrguard.plan import AcceleratePlan, ParamGroupPlan, TrainingPlan
from lrguard.rules import check_plan
from lrguard.trajectory import Trajectory
from tests.rules.support import check_objects, corrected, example


def linear(length: int, steps: int, lr: float = 1e-3) -> tuple[float, ...]:
    return tuple(lr * max(0.0, 1 - s / length) for s in range(steps))


def cosine(length: int, steps: int, lr: float = 1e-3) -> tuple[float, ...]:
    # transformers' cosine past its end: 0.5 * (1 + cos(pi * progress)), floored at 0
    return tuple(lr * max(0.0, 0.5 * (1 + math.cos(math.pi * s / length))) for s in range(steps))


def plan(rates, processes: int, per_process: int, **stepping) -> TrainingPlan:
    accelerate = AcceleratePlan(processes=processes, optimizer_steps=per_process, **stepping)
    trajectory = Trajectory(
        scheduler="LambdaLR",
        total_steps=len(rates),
        rates=(rates,),
        base_rates=(1e-3,),
        settings={"num_training_steps": per_process, "num_warmup_steps": 0},
    )
    return TrainingPlan(
        framework="accelerate",
        param_groups=[ParamGroupPlan(index=0, lr=1e-3, lr_field="lr")],
        trajectory=trajectory,
        accelerate=accelerate,
    )


def lrg068(p: TrainingPlan):
    return check_plan(p, select=["LRG068"])


@pytest.mark.parametrize("shape", [linear, cosine])
@pytest.mark.parametrize("processes", [2, 4, 8])
def test_per_process_length_fires_with_the_step_where_decay_ends(shape, processes):
    per_process = 1000
    found = lrg068(plan(shape(per_process, processes * per_process), processes, per_process))
    assert [f.code for f in found] == ["LRG068"]
    end = math.ceil(per_process / processes)
    assert f"the decay ends after step {end:,} of 1,000 per process" in found[0].message
    assert f"num_training_steps={processes * per_process}" in found[0].fix
    assert "step_scheduler_with_optimizer=False" in found[0].fix
    rises = "then rises again" in found[0].message
    assert rises == (shape is cosine)  # a cosine past its end climbs back


@pytest.mark.parametrize("processes", [2, 4, 8])
def test_length_in_single_process_steps_is_silent(processes):
    per_process = 1000
    total = processes * per_process
    assert lrg068(plan(linear(total, total), processes, per_process)) == []
    assert lrg068(plan(cosine(total, total), processes, per_process)) == []


def test_silent_when_accelerate_steps_once_per_optimizer_step():
    rates = linear(1000, 1000)
    assert lrg068(plan(rates, 1, 1000)) == []
    assert lrg068(plan(rates, 4, 1000, split_batches=True)) == []
    assert lrg068(plan(rates, 4, 1000, step_with_optimizer=False)) == []
    assert steps_per(4, True, False) == 4 and steps_per(4, True, True) == 1


def steps_per(processes: int, with_optimizer: bool, split: bool) -> int:
    return AcceleratePlan(
        processes=processes, step_with_optimizer=with_optimizer, split_batches=split
    ).steps_per_optimizer_step


def test_geometric_midpoint_between_per_process_and_single_process_lengths():
    # 4 processes: the decay must end before 1000 / sqrt(4) = 500 optimizer steps to fire
    assert lrg068(plan(linear(1996, 4000), 4, 1000)) != []  # ends at step 499
    assert lrg068(plan(linear(2004, 4000), 4, 1000)) == []  # ends at step 501


def test_no_decay_and_a_partial_replay_still_decaying_are_silent():
    constant = tuple([1e-3] * 4000)
    assert lrg068(plan(constant, 4, 1000)) == []
    # only the first 800 scheduler steps known, still falling there: not an end
    partial = Trajectory(
        scheduler="LambdaLR",
        total_steps=40_000,
        rates=(linear(10_000, 800),),
        base_rates=(1e-3,),
        cap=800,
    )
    p = plan(linear(10_000, 800), 4, 10_000)
    p.trajectory = partial
    assert lrg068(p) == []


def test_no_accelerate_plan_means_no_finding():
    p = plan(linear(1000, 4000), 4, 1000)
    p.accelerate = None
    assert lrg068(p) == []


# -- the documented example ------------------------------------------------------------------
def test_fires_on_the_example_naming_field_value_and_fix():
    (finding,) = check_objects("LRG068", example("LRG068"))
    assert finding.field == "scheduler" and finding.value == 625
    assert "total_iters=10000" in finding.fix


def test_silent_on_the_corrected_example():
    assert check_objects("LRG068", corrected("LRG068")) == []
