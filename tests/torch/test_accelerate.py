"""accelerate steps a prepared scheduler once per process (LRG068): a real 2-process run
(gloo, CPU) and single-process checks of how ``check_accelerated`` reads the stepping."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch.optim import lr_scheduler

from lrguard import GuardPolicy, LRGuardError
from torch_lrguard import AcceleratedStepping, check_accelerated, check_scheduler

pytest.importorskip("accelerate")
SCRIPT = Path(__file__).with_name("accelerate_script.py")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _optimizer(lr: float = 1e-3) -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=lr)


def _codes(found) -> list[str]:
    return [f.code for f in found]


@pytest.mark.slow
def test_two_processes_per_process_length_decays_twice_too_fast(tmp_path):
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists() and shutil.which("torchrun") is None:
        pytest.skip("torchrun not installed")
    env = dict(os.environ, OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    cmd = [str(torchrun), "--nproc_per_node", "2", "--master_port", str(_free_port())]
    done = subprocess.run(
        [*cmd, str(SCRIPT), str(tmp_path)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0] == ranks[1]  # every rank sees the same rates and the same findings
    result = ranks[0]
    assert result["processes"] == 2

    wrong = result["per_process_checked"]
    assert (wrong["before"], wrong["after"], wrong["total"], wrong["length"]) == (16, 8, 16, 16)
    # stock accelerate: two scheduler steps per optimizer step, 0 from step 9 of 16
    rates = wrong["rates"]
    assert len(rates) == 16
    assert rates[:8] == pytest.approx([1e-2 * (1 - 2 * i / 16) for i in range(8)])
    assert rates[8:] == [0.0] * 8
    # the check said so before the first step, with the numbers and the fix
    assert wrong["codes"] == wrong["routed"] == ["LRG068"]
    message = wrong["findings"][0]
    assert "the decay ends after step 8 of 16 per process (the rate is 0 from step 9" in message
    assert "2 times per optimizer step" in message
    assert "step_scheduler_with_optimizer=False" in message
    assert "len(train_dataloader) before accelerator.prepare" in message
    # the check changes nothing: same rates and weights as the unchecked run
    stock = result["per_process_stock"]
    assert stock["rates"] == wrong["rates"] and stock["weight"] == wrong["weight"]

    right = result["before_prepare_checked"]
    assert right["length"] == 32 and right["codes"] == right["routed"] == []
    assert right["rates"] == pytest.approx([1e-2 * (1 - 2 * i / 32) for i in range(16)])
    assert min(right["rates"]) > 0
    stock = result["before_prepare_stock"]
    assert stock["rates"] == right["rates"] and stock["weight"] == right["weight"]


def _linear(opt, steps: int, warmup: int = 0):
    transformers = pytest.importorskip("transformers")
    return transformers.get_linear_schedule_with_warmup(opt, warmup, steps)


def test_per_process_length_on_four_processes_names_the_length():
    opt = _optimizer()
    found = check_accelerated(_linear(opt, 10_000, 100), 10_000, num_processes=4)
    assert _codes(found) == ["LRG068", "LRG066"]  # LRG066: the 40,000 steps were sampled
    assert "the decay ends after step 2,500 of 10,000 per process" in found[0].message
    assert "num_training_steps=40000 and num_warmup_steps=400" in found[0].fix
    assert _codes(check_accelerated(_linear(opt, 40_000, 400), 10_000, num_processes=4)) == [
        "LRG066"
    ]


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda o, n: lr_scheduler.OneCycleLR(o, max_lr=1e-3, total_steps=n), "total_steps"),
        (lambda o, n: lr_scheduler.CosineAnnealingLR(o, T_max=n), "T_max"),
        (lambda o, n: lr_scheduler.LinearLR(o, 1.0, 0.01, total_iters=n), "total_iters"),
        (lambda o, n: lr_scheduler.PolynomialLR(o, total_iters=n), "total_iters"),
    ],
)
def test_torch_classes_fire_with_per_process_length_only(make, field):
    found = check_accelerated(make(_optimizer(), 1000), 1000, num_processes=4)
    assert _codes(found) == ["LRG068"]
    assert "after step 250 of 1,000 per process" in found[0].message
    assert f"{field}=4000" in found[0].fix
    assert check_accelerated(make(_optimizer(), 4000), 1000, num_processes=4) == []


def test_one_cycle_is_held_at_its_end_as_accelerate_does():
    # accelerate skips steps past OneCycleLR's total_steps: no LRG060 (raises), the rate holds
    found = check_accelerated(
        lr_scheduler.OneCycleLR(_optimizer(), max_lr=1e-3, total_steps=500), 500, num_processes=2
    )
    assert _codes(found) == ["LRG068"]
    assert "the rate is 4e-09 from step 251 to the end" in found[0].message


@pytest.mark.parametrize(
    "stepping",
    [
        {"num_processes": 1},
        {"num_processes": 4, "split_batches": True},
        {"num_processes": 4, "step_with_optimizer": False},
    ],
)
def test_silent_when_accelerate_steps_once_per_optimizer_step(stepping):
    opt = _optimizer()
    sched = AcceleratedStepping(lr_scheduler.LinearLR(opt, 1.0, 0.01, total_iters=1000), **stepping)
    assert check_scheduler(opt, sched, 1000) == []


def test_silent_for_schedules_that_do_not_decay_and_for_a_long_enough_decay():
    constant = lr_scheduler.ConstantLR(_optimizer(), 0.5, 10)
    assert check_accelerated(constant, 1000, num_processes=4) == []
    warmup_only = lr_scheduler.LinearLR(_optimizer(), 0.1, 1.0, 100)
    assert check_accelerated(warmup_only, 1000, num_processes=4) == []
    # 10 batches before prepare, 3 per process on 4 processes (ceil): ends at 83 % of the run
    uneven = lr_scheduler.LinearLR(_optimizer(), 1.0, 0.01, total_iters=10 * 100)
    assert check_accelerated(uneven, 3 * 100, num_processes=4) == []


def test_real_single_process_accelerator_and_prediction_before_prepare():
    from accelerate import Accelerator

    accelerator = Accelerator(cpu=True)
    opt = _optimizer()
    sched = lr_scheduler.LinearLR(opt, 1.0, 0.01, total_iters=100)
    prepared = accelerator.prepare(sched)
    assert type(prepared).__name__ == "AcceleratedScheduler"
    assert check_scheduler(opt, prepared, 100) == []  # one process: stepped once per step
    assert _codes(check_accelerated(prepared, 100, num_processes=2)) == ["LRG068"]
    assert check_accelerated(sched, 100, accelerator=accelerator) == []
    # the prepared scheduler, its optimizer and the rates are left as they were
    assert prepared.scheduler.last_epoch == 0 and opt.param_groups[0]["lr"] == 1e-3


def test_error_policy_raises_and_bad_arguments_name_the_fix():
    opt = _optimizer()
    sched = lr_scheduler.LinearLR(opt, 1.0, 0.01, total_iters=100)
    with pytest.raises(LRGuardError, match="LRG068"):
        check_accelerated(sched, 100, num_processes=2, policy=GuardPolicy(on_violation="error"))
    with pytest.raises(TypeError, match="accelerator=<the Accelerator>"):
        check_accelerated(sched, 100)
    with pytest.raises(ValueError, match="num_processes=0"):
        AcceleratedStepping(sched, num_processes=0)
    with pytest.raises(ValueError, match="total_steps=0"):
        check_accelerated(sched, 0, num_processes=2)
