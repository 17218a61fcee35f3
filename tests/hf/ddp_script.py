"""Run by ``torchrun --nproc_per_node 2`` from test_distributed.py (gloo, CPU); with a second
argument ``range``, a range test runs before training."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hf_lrguard import LRGuardCallback  # noqa: E402
from hf_lrguard.range_test import find_learning_rate  # noqa: E402
from tests.hf.conftest import logged_lrs, make_args, make_trainer  # noqa: E402


def main() -> None:
    tmp = Path(sys.argv[1])
    args = make_args(
        tmp,
        max_steps=10,
        ddp_backend="gloo",
        lr_scheduler_type="cosine_with_min_lr",
        lr_scheduler_kwargs={"min_lr": 1e-4},
    )
    guard = LRGuardCallback()
    trainer = make_trainer(args, callbacks=[guard])
    rank = int(os.environ["RANK"])
    sweep = None
    if len(sys.argv) > 2 and sys.argv[2] == "range":
        result = find_learning_rate(trainer, num_steps=40, progress=False, verbose=False)
        sweep = {"losses": result.losses, "suggestions": result.suggestions}
    trainer.train()
    out = {
        "sweep": sweep,
        "records": guard.records,
        "global_step": trainer.state.global_step,
        "max_lr": max(logged_lrs(trainer)) if logged_lrs(trainer) else None,
        "kwargs": trainer.args.lr_scheduler_kwargs,
        "world": trainer.args.world_size,
    }
    (tmp / f"rank{rank}.json").write_text(json.dumps(out))
    import torch.distributed as dist

    if dist.is_initialized():  # join gloo's threads before exit (else an abort at teardown)
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
