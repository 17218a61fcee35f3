"""Plain PyTorch integration of lrguard: check any learning-rate scheduler object by
replaying it on a shadow optimizer (needs only torch).

Example:
    >>> import torch
    >>> from torch_lrguard import check_scheduler
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    >>> sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=1000)
    >>> check_scheduler(opt, sched, total_steps=1000)
    []
"""

from lrguard.extras import require

require("torch", "torch", "torch_lrguard")

from torch_lrguard.accelerate import AcceleratedStepping, check_accelerated  # noqa: E402
from torch_lrguard.check import check_scheduler, scheduler_plan  # noqa: E402
from torch_lrguard.range_test import find_learning_rate  # noqa: E402
from torch_lrguard.replay import replay  # noqa: E402

__all__ = [
    "AcceleratedStepping",
    "check_accelerated",
    "check_scheduler",
    "find_learning_rate",
    "replay",
    "scheduler_plan",
]
