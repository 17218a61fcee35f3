"""Run by ``torchrun --nproc_per_node 2`` from test_distributed.py (gloo, CPU); with a second
argument ``range``, a range test runs before training. Each rank writes its JSON, waits at a
barrier and ends with ``os._exit`` (see ``exit_now``: gloo's teardown can deadlock)."""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import traceback
import weakref
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
    import torch.distributed as dist

    out["ddp_model"] = type(trainer.model_wrapped).__name__
    wrapped = weakref.ref(trainer.model_wrapped)
    del trainer, args  # the guard stays: it must not keep the DDP model (its Reducer) alive
    gc.collect()
    out["ddp_model_released"] = wrapped() is None and guard is not None
    (tmp / f"rank{rank}.json").write_text(json.dumps(out))
    if dist.is_initialized():
        dist.barrier()  # every rank is past its last collective before any rank exits


def exit_now(code: int) -> None:
    """End the process without the interpreter's teardown, once the outputs are flushed.

    Freeing the last reference to gloo's process group runs ~ProcessGroupGloo, which joins
    gloo's worker threads while the main thread holds the GIL (it runs from a Python
    object's deallocation: the DDP Reducer after ``main()`` returns, the process-group
    registry in ``destroy_process_group``, or module teardown at exit). A worker that has
    completed its last collective may still be dropping it: the barrier's work holds the
    previous all-gather's work, whose tensors still own their Python objects, and freeing
    those needs the GIL. Under CPU load that worker has often not run yet when the join
    starts, and both threads wait forever. No order of ``del``, ``barrier`` and
    ``destroy_process_group`` prevents it (destroy_process_group does not stop gloo's
    threads: they live until the last reference goes); ``os._exit`` runs no destructor.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    try:
        main()
    except BaseException:
        traceback.print_exc()
        exit_now(1)
    exit_now(0)
