"""LRG066 scheduler-not-replayed: a scheduler object that could not be checked."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._trajectory import TORCH_PREAMBLE, scheduler_finding

CODE = "LRG066"


def check_not_replayed(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG066: the replay could not start; the reason is in ``trajectory.not_replayed``."""
    trajectory = plan.trajectory
    if trajectory is None or trajectory.not_replayed is None:
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
        "lock, a file, a generator ...) or the replay would touch the real optimizer.",
        why="Silence would read as 'checked and fine'; this says that nothing was checked, "
        "and why.",
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
