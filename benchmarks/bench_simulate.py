"""Simulating 1,000,000 steps: closed form vs stepping the real torch scheduler.

Budget (DESIGN.md section 7): >= 50x faster than stepping the ``LambdaLR`` that
``transformers.get_scheduler`` builds, matching it to 1e-9 relative error at every step.
The closed form is timed as the median of five evaluations (the first one, which pays for
numpy's first touch of ~100 MB of temporaries, is printed beside it); stepping the scheduler
takes seconds and is timed once.
"""

from __future__ import annotations

import statistics
import sys
import time

STEPS = 1_000_000
LR = 3e-4
RATIO_BUDGET = 50.0
REL_BUDGET = 1e-9
SCHEDULE = ("cosine_with_min_lr", {"min_lr_rate": 0.1})


def main() -> int:
    """Print both timings, the ratio and the worst relative error; 0 when within budget."""
    import numpy as np
    import torch
    from transformers import get_scheduler

    from lrguard.schedules.table import factor

    name, kwargs = SCHEDULE
    warmup = STEPS // 10
    times = []
    for _ in range(5):
        start = time.perf_counter()
        mine = LR * factor(
            name,
            range(STEPS),
            warmup_steps=warmup,
            total_steps=STEPS,
            learning_rate=LR,
            kwargs=kwargs,
        )
        times.append(time.perf_counter() - start)
    closed = statistics.median(times)

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR)
    sched = get_scheduler(
        name,
        opt,
        num_warmup_steps=warmup,
        num_training_steps=STEPS,
        scheduler_specific_kwargs=dict(kwargs),
    )
    real = np.empty(STEPS)
    group = opt.param_groups[0]
    start = time.perf_counter()
    for i in range(STEPS):
        real[i] = group["lr"]
        sched.step()
    stepped = time.perf_counter() - start

    rel = float(np.max(np.abs(mine - real) / np.maximum(np.abs(real), 1e-300)))
    ratio = stepped / closed
    print(
        f"closed form, {STEPS:,} steps:    {closed * 1000:9.1f} ms "
        f"(median of 5; first {times[0] * 1000:.1f} ms)"
    )
    print(f"torch scheduler, {STEPS:,} steps: {stepped * 1000:9.1f} ms")
    print(
        f"ratio: {ratio:.0f}x (budget >= {RATIO_BUDGET:.0f}x); "
        f"max relative error {rel:.2e} (budget <= {REL_BUDGET:g})"
    )
    return 0 if ratio >= RATIO_BUDGET and rel <= REL_BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
