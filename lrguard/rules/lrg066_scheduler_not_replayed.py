"""LRG066 scheduler-not-replayed: a scheduler object that could not be checked (a warning),
or a run longer than the replay's budget, of which part was checked or estimated (a note)."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._trajectory import TORCH_PREAMBLE, coverage, replayed, scheduler_finding

CODE = "LRG066"


def check_not_replayed(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG066: the replay could not start (warning; the reason is in
    ``trajectory.not_replayed``), or it stopped at its budget (info: how far it reached)."""
    trajectory = plan.trajectory
    if trajectory is None:
        return
    done = replayed(plan)
    note = coverage(done) if done is not None else ""
    if note:
        yield from scheduler_finding(
            CODE,
            Severity.INFO,
            done,
            None,
            note + ".",
            "Nothing to change: the other findings speak for the steps checked. A scheduler "
            "with a closed form (StepLR, MultiStepLR, ExponentialLR, ConstantLR, LinearLR, "
            "PolynomialLR, CosineAnnealingLR, transformers' schedules) is sampled over the "
            "whole run.",
            value=done.checked_steps,
        )
        return
    if trajectory.not_replayed is None:
        return
    yield from scheduler_finding(
        CODE,
        Severity.WARNING,
        trajectory,
        None,
        f"could not be replayed ({trajectory.not_replayed}): its rates over the run's "
        f"{trajectory.total_steps} steps are not checked.",
        "Make the scheduler copyable with copy.deepcopy (keep locks, files and generators "
        "out of it), or check its schedule another way.",
    )


register(
    Rule(
        code=CODE,
        name="scheduler-not-replayed",
        severity=Severity.WARNING,
        summary="A scheduler object that lrguard could not replay, so it is not checked.",
        what="Reported when the scheduler cannot be copied onto a shadow optimizer (it holds a "
        "lock, a file, a generator ...) or the replay would touch the real optimizer. A note "
        "(info) under the same code says how far a replay reached when the run is longer than "
        "its fixed budget (20,000 steps, and 50,000 rates over all param groups): 'replayed "
        "the first N of the run's M steps one by one and computed the other ... from "
        "StepLR's closed form at K sampled steps' (counts over the run are then estimates) "
        "or 'checked the first N of the run's M steps only' (a scheduler without a closed "
        "form: the rules judge only what those steps prove).",
        why="Silence would read as 'checked and fine'; this says that nothing was checked, "
        "and why, or which part of a very long run was.",
        example=TORCH_PREAMBLE + "import threading\n\n\n"
        "class LockedLR(lr_scheduler.LambdaLR):\n"
        "    def __init__(self, optimizer):\n"
        "        self.lock = threading.Lock()\n"
        "        super().__init__(optimizer, lambda step: 1.0)\n\n\n"
        "optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)\n"
        "scheduler = LockedLR(optimizer)\n"
        "total_steps = 100",
        corrected=TORCH_PREAMBLE
        + "optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)\n"
        "scheduler = lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)\n"
        "total_steps = 100",
        example_kind="torch",
        fix="Keep uncopyable objects (locks, files, generators) out of the scheduler.",
        check=check_not_replayed,
    )
)
