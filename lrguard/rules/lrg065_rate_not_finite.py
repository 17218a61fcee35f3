"""LRG065 scheduled-rate-not-finite: a replayed rate that is NaN, infinite or negative."""

from __future__ import annotations

import math
from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._trajectory import TORCH_PREAMBLE, replayed, scheduler_finding

CODE = "LRG065"


def _bad(rate: float) -> bool:
    return not math.isfinite(rate) or rate < 0


def check_not_finite(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG065: the first step whose rate is not a finite number >= 0."""
    trajectory = replayed(plan)
    if trajectory is None:
        return
    for group in trajectory.distinct_groups:
        found = next(((s, r) for s, r, _ in trajectory.series(group) if _bad(r)), None)
        if found is None:
            continue
        step, rate = found
        what = "negative: the optimizer climbs the loss" if rate < 0 else "not a finite number"
        count = trajectory.count(group, _bad)
        about = "about " if trajectory.sampled else ""
        from lrguard.schedules.torch_classes import length_fix

        fix = length_fix(trajectory.scheduler, trajectory.settings, trajectory.total_steps)
        yield from scheduler_finding(
            CODE,
            Severity.ERROR,
            trajectory,
            group,
            f"the rate is {fmt(rate)} at {about if step >= trajectory.steps else ''}"
            f"{trajectory.unit} {step + 1} ({what}), and unusable for {about}{count} of the "
            f"run's {trajectory.total_steps} {trajectory.unit}s.",
            "Keep the schedule's factors finite and >= 0 over the whole run (clamp "
            "lr_lambda with max(0.0, ...))" + (f", or set {fix}." if fix else "."),
            value=rate,
        )
        return


register(
    Rule(
        code=CODE,
        name="scheduled-rate-not-finite",
        severity=Severity.ERROR,
        summary="The scheduler gives a rate that is NaN, infinite or negative during the run.",
        what="Scans every replayed rate of every param group for NaN, infinity and negative "
        "values and reports the first (past the replay's budget: the sampled steps too, from the "
        "scheduler's closed form or by jumping there).",
        why="A lambda that decays linearly past its end (1 - step / 500 in a 1000-step run) "
        "goes negative: the optimizer then climbs the loss. NaN or infinite rates turn the "
        "weights into NaN at once.",
        example=TORCH_PREAMBLE
        + "optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)\n"
        "scheduler = lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / 500)\n"
        "total_steps = 1000",
        corrected=TORCH_PREAMBLE
        + "optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)\n"
        "scheduler = lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1 - step / 1000))\n"
        "total_steps = 1000",
        example_kind="torch",
        fix="Clamp the factor at 0 and make the schedule span the run.",
        check=check_not_finite,
    )
)
