"""Run by ``torchrun --nproc_per_node 2`` from test_accelerate.py (gloo, CPU): a plain PyTorch
loop prepared with accelerate, its linear schedule built from the dataloader after prepare
(per-process steps: accelerate uses it up twice too fast) and before prepare (correct), each
trained with and without ``check_accelerated`` called before the first step. Each rank
writes its JSON, waits at a barrier and ends with ``os._exit`` (gloo's teardown can
deadlock, see tests/hf/ddp_script.py)."""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch  # noqa: E402
from accelerate import Accelerator  # noqa: E402
from torch.optim import lr_scheduler  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from torch_lrguard import check_accelerated, check_scheduler  # noqa: E402

EPOCHS = 2
LR = 1e-2


def run(accelerator: Accelerator, length_before_prepare: bool, checked: bool) -> dict:
    """One training run; the rate of every optimizer step and what the check said."""
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    data = TensorDataset(torch.randn(64, 4), torch.randn(64, 1))
    loader = DataLoader(data, batch_size=4)
    before = len(loader)
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    steps = (before if length_before_prepare else len(loader)) * EPOCHS
    scheduler = lr_scheduler.LambdaLR(optimizer.optimizer, lambda s: max(0.0, 1 - s / steps))
    scheduler = accelerator.prepare(scheduler)
    total = len(loader) * EPOCHS
    out: dict = {"before": before, "after": len(loader), "total": total, "length": steps}
    if checked:
        found = check_accelerated(scheduler, total, accelerator=accelerator)
        out["findings"] = [f.render() for f in found]
        out["codes"] = [f.code for f in found]
        out["routed"] = [f.code for f in check_scheduler(optimizer, scheduler, total)]
    rates = []
    for _ in range(EPOCHS):
        for x, y in loader:
            rates.append(optimizer.param_groups[0]["lr"])
            loss = torch.nn.functional.mse_loss(model(x), y)
            accelerator.backward(loss)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
    out["rates"] = rates
    out["weight"] = float(accelerator.unwrap_model(model).weight.sum())
    return out


def main() -> None:
    tmp = Path(sys.argv[1])
    accelerator = Accelerator(cpu=True)
    result: dict = {"processes": accelerator.num_processes}
    for name, before in (("per_process", False), ("before_prepare", True)):
        for checked in (False, True):
            result[f"{name}_{'checked' if checked else 'stock'}"] = run(
                accelerator, before, checked
            )
    rank = accelerator.process_index
    (tmp / f"rank{rank}.json").write_text(json.dumps(result), encoding="utf-8")


def exit_now(code: int) -> None:
    """Every rank is past its last collective, then exit without running destructors."""
    import torch.distributed as dist

    try:
        if dist.is_available() and dist.is_initialized():
            dist.barrier()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    status = 0
    try:
        main()
    except BaseException:
        traceback.print_exc()
        status = 1
    exit_now(status)
