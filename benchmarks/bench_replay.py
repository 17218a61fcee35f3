"""Replaying 100,000 steps of every scheduler class, as ``torch_lrguard`` does.

Budget (DESIGN.md section 7): <= 50 ms for 100,000 steps of any transformers ``LambdaLR``
schedule (computed from the schedule table's closed form after a check against the real
step functions). The other classes are stepped on a shadow optimizer and have no budget;
they are printed for reference. Each time is also given as a multiple of one optimizer
step (forward, backward, AdamW step) of the tiny Hugging Face model, and the whole
``check_scheduler`` (replay and the trajectory rules) beside it. Times are the median of
three runs.

Long runs (the replay's fixed budget, ``torch_lrguard.replay.step_cap``): every class above
is checked for a run of 10**9 steps with 1 and with 1,000 param groups; budget <= 2 s for
each ``check_scheduler`` call (``StepLR(opt, 10**12)`` is the reference case) and <= 100 MB
of Python allocations (tracemalloc peak) for the 10**9-step ``StepLR`` check. The column
"how" says what the check covered: 'sampled' (the rest of the run from a closed form or by
jumping to sampled steps), 'first N' (only the first N steps were replayed), 'raises' (the
scheduler raises before the end, found by jumping ahead).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

STEPS = 100_000
BUDGET_MS = 50.0
LONG_STEPS = 10**9
LONG_BUDGET_MS = 2000.0
LONG_MEMORY_MB = 100.0
GROUP_COUNTS = (1, 1000)
HF_SCHEDULES: dict[str, dict[str, Any]] = {
    "linear": {},
    "cosine": {},
    "cosine_with_restarts": {"num_cycles": 3},
    "polynomial": {"lr_end": 1e-7},
    "constant": {},
    "constant_with_warmup": {},
    "inverse_sqrt": {},
    "cosine_with_min_lr": {"min_lr_rate": 0.1},
    "cosine_warmup_with_min_lr": {"min_lr_rate": 0.1},
    "warmup_stable_decay": {"num_decay_steps": 10_000},
}


def _median_ms(run: Callable[[], Any], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _model_step_ms() -> float:
    import torch

    from demo.hf_tiny import TinyData, tiny_model

    model = tiny_model()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    data = TinyData(8)
    ids = torch.stack([data[i]["input_ids"] for i in range(8)])
    labels = torch.stack([data[i]["labels"] for i in range(8)])

    def step() -> None:
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    for _ in range(5):
        step()
    return statistics.median(_median_ms(step, 1) for _ in range(30))


def _torch_classes() -> dict[str, Callable[[Any], Any]]:
    from torch.optim import lr_scheduler as L

    return {
        "LambdaLR (user lambda)": lambda o: L.LambdaLR(o, lambda s: 1 / (1 + s) ** 0.5),
        "MultiplicativeLR": lambda o: L.MultiplicativeLR(o, lambda s: 0.99999),
        "StepLR": lambda o: L.StepLR(o, 30_000, 0.1),
        "MultiStepLR": lambda o: L.MultiStepLR(o, [50_000, 80_000], 0.1),
        "ConstantLR": lambda o: L.ConstantLR(o, 0.5, total_iters=1000),
        "LinearLR": lambda o: L.LinearLR(o, 0.1, total_iters=1000),
        "ExponentialLR": lambda o: L.ExponentialLR(o, 0.99999),
        "PolynomialLR": lambda o: L.PolynomialLR(o, total_iters=STEPS),
        "CosineAnnealingLR": lambda o: L.CosineAnnealingLR(o, STEPS),
        "CosineAnnealingWarmRestarts": lambda o: L.CosineAnnealingWarmRestarts(o, 10_000),
        "CyclicLR": lambda o: L.CyclicLR(o, 1e-5, 1e-3, step_size_up=5000),
        "OneCycleLR": lambda o: L.OneCycleLR(o, max_lr=1e-3, total_steps=STEPS),
        "SequentialLR": lambda o: L.SequentialLR(
            o, [L.LinearLR(o, 0.1, total_iters=1000), L.CosineAnnealingLR(o, 99_000)], [1000]
        ),
        "ChainedScheduler": lambda o: L.ChainedScheduler(
            [L.ConstantLR(o, 0.5, total_iters=1000), L.ExponentialLR(o, 0.99999)]
        ),
        "ReduceLROnPlateau (worst case)": lambda o: L.ReduceLROnPlateau(o, patience=1000),
    }


def _optimizer(groups: int) -> Any:
    import torch

    params = [
        {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 1e-3 / (1 + i % 7)}
        for i in range(groups)
    ]
    return torch.optim.SGD(params, lr=1e-3, momentum=0.9)


def _how(trajectory: Any) -> str:
    if trajectory.error is not None:
        return f"raises @{trajectory.error_step}"
    if trajectory.sampled:
        return "sampled"
    if trajectory.partial:
        return f"first {trajectory.steps}"
    return "all steps"


def long_runs() -> bool:
    """Check every class for 10**9 steps with 1 and 1,000 groups; True when all are within
    the time budget and the reference case within the memory budget."""
    import tracemalloc

    from torch.optim import lr_scheduler as L

    from torch_lrguard import check_scheduler, replay

    print(f"\nruns of {LONG_STEPS:,} steps (budget <= {LONG_BUDGET_MS:.0f} ms per check):")
    print(f"{'scheduler':44} {'groups':>6} {'how':>16} {'check ms':>9}")
    builds: dict[str, Callable[[Any], Any]] = {
        "StepLR(step_size=10**12)": lambda o: L.StepLR(o, 10**12),
        **_torch_classes(),
    }
    worst = 0.0
    for groups in GROUP_COUNTS:
        for name, build in builds.items():
            opt = _optimizer(groups)
            sched = build(opt)
            how = _how(replay(opt, sched, LONG_STEPS))
            ms = _median_ms(lambda opt=opt, sched=sched: check_scheduler(opt, sched, LONG_STEPS))
            worst = max(worst, ms)
            print(f"{name:44} {groups:6} {how:>16} {ms:9.1f}")
    opt = _optimizer(1)
    sched = L.StepLR(opt, 10**12)
    tracemalloc.start()
    check_scheduler(opt, sched, LONG_STEPS)
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    ok = worst <= LONG_BUDGET_MS and peak_mb <= LONG_MEMORY_MB
    print(
        f"slowest check of a {LONG_STEPS:,}-step run: {worst:.1f} ms (budget <= "
        f"{LONG_BUDGET_MS:.0f} ms); StepLR(10**12) peak allocations {peak_mb:.1f} MB (budget "
        f"<= {LONG_MEMORY_MB:.0f} MB): {'ok' if ok else 'MISSED'}"
    )
    return ok


def main() -> int:
    """Print one row per scheduler; 1 when a transformers schedule or a long run misses its
    budget."""
    import torch
    from transformers import get_scheduler

    from torch_lrguard import check_scheduler, replay

    torch.set_num_threads(1)
    unit = _model_step_ms()
    print(f"one optimizer step of the tiny HF model: {unit:.2f} ms")
    print(f"{'scheduler':44} {'how':12} {'replay ms':>10} {'x step':>8} {'check ms':>9}")

    def row(name: str, build: Callable[[Any], Any]) -> tuple[str, float]:
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3, momentum=0.9)
        sched = build(opt)
        method = replay(opt, sched, 10).method
        replay_ms = _median_ms(lambda: replay(opt, sched, STEPS))
        check_ms = _median_ms(lambda: check_scheduler(opt, sched, STEPS))
        print(f"{name:44} {method:12} {replay_ms:10.1f} {replay_ms / unit:8.1f} {check_ms:9.1f}")
        return method, replay_ms

    worst = 0.0
    for name, kwargs in HF_SCHEDULES.items():

        def build(opt: Any, name: str = name, kwargs: dict[str, Any] = kwargs) -> Any:
            return get_scheduler(
                name,
                opt,
                num_warmup_steps=STEPS // 10,
                num_training_steps=STEPS,
                scheduler_specific_kwargs=dict(kwargs),
            )

        method, ms = row(f"transformers {name}", build)
        if method != "closed form":
            print(f"  {name} was not computed from its closed form")
            ms = float("inf")
        worst = max(worst, ms)
    for name, build in _torch_classes().items():
        row(name, build)
    ok = worst <= BUDGET_MS
    print(
        f"slowest transformers schedule: {worst:.1f} ms for {STEPS:,} steps "
        f"(budget <= {BUDGET_MS:.0f} ms): {'ok' if ok else 'MISSED'}"
    )
    long_ok = long_runs()
    return 0 if ok and long_ok else 1


if __name__ == "__main__":
    sys.exit(main())
