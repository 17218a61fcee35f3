"""Real torch schedulers on tiny optimizers (no model)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

torch.set_num_threads(1)


def make_optimizer(lr: float = 1e-3, groups: int = 1, **kw):
    """An SGD optimizer with ``groups`` param groups at ``lr`` (group i at ``lr / (i + 1)``)."""
    params = [
        {"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr / (i + 1)} for i in range(groups)
    ]
    return torch.optim.SGD(params, lr=lr, **kw)
