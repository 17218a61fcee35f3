"""LRG024 on real Trainer runs: resuming from a checkpoint with a different schedule.

Each case trains a tiny BERT, saves checkpoints, then resumes twice from the same
checkpoint with changed arguments: stock, and with the guard (warn). A recorder reads the
rate every optimizer step uses (just before ``optimizer.step()``). Stock goes wrong in the
way the guard says, with the guard's numbers; the guard speaks at ``on_train_begin``,
before the first resumed step, and changes no rate. The unchanged control is a twin:
identical to stock in everything a user sees, and silent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from transformers import TrainerCallback

from hf_lrguard import LRGuardCallback, saved_decisions
from lrguard import LRGuardError, read_jsonl
from tests.hf.conftest import MAJOR, make_args, make_trainer
from tests.twins.hf_twin import Context, run_twin

ROOT = Path(__file__).resolve().parents[2]

BASE = {
    "max_steps": 10,
    "lr_scheduler_type": "linear",
    "warmup_steps": 2,
    "learning_rate": 1e-4,
    "save_strategy": "steps",
    "save_steps": 4,
}
"""The checkpoint's run: 10 steps, linear with 2 warmup steps, checkpoints at 4 and 8."""

EPOCHS = {**BASE, "max_steps": -1, "num_train_epochs": 2, "save_steps": 8}
"""A run counted in epochs: 64 examples of batch 4, 16 steps per epoch, 32 steps."""

TOLERANCE = 0.05


class Recorder(TrainerCallback):
    """The rate of every optimizer step (1-based), and the guard's rules known when the
    first step of the run is about to be taken."""

    def __init__(self, guard: LRGuardCallback | None = None) -> None:
        self.guard = guard
        self.rates: dict[int, float] = {}
        self.rules_at_first_step: list[str] | None = None

    def on_pre_optimizer_step(self, args, state, control, optimizer=None, **kwargs):
        if self.rules_at_first_step is None and self.guard is not None:
            self.rules_at_first_step = [r["rule"] for r in self.guard.records]
        inner = getattr(optimizer, "optimizer", optimizer)
        self.rates[state.global_step + 1] = float(inner.param_groups[0]["lr"])


def _train(out: Path, settings: dict[str, Any], guard: bool) -> dict[int, float]:
    recorder = Recorder()
    callbacks = [recorder] + ([LRGuardCallback()] if guard else [])
    make_trainer(make_args(out, **settings), callbacks=callbacks).train()
    return recorder.rates


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict[str, Any]:
    """The checkpoints' runs, trained once: guarded, unguarded, counted in epochs, and one
    saving only the model (no optimizer.pt / scheduler.pt)."""
    root = tmp_path_factory.mktemp("resume")
    made: dict[str, Any] = {}
    for name, settings, guard in (
        ("guarded", BASE, True),
        ("stock", BASE, False),
        ("epochs", EPOCHS, True),
        ("model_only", {**BASE, "save_only_model": True}, True),
    ):
        rates = _train(root / name, settings, guard)
        made[name] = {"out": root / name / "out", "rates": rates}
    return made


def _resume(
    tmp: Path, checkpoint: Path, settings: dict[str, Any], guard: LRGuardCallback | None
) -> Recorder:
    recorder = Recorder(guard)
    callbacks = [recorder] + ([guard] if guard is not None else [])
    trainer = make_trainer(make_args(tmp, **settings), callbacks=callbacks)
    trainer.train(resume_from_checkpoint=str(checkpoint))
    assert not [e for e in trainer.state.log_history if "lrguard" in json.dumps(e)]
    return recorder


def _both(tmp: Path, checkpoint: Path, settings: dict[str, Any]):
    stock = _resume(tmp / "stock", checkpoint, settings, None)
    guard = LRGuardCallback(on_violation="warn")
    guarded = _resume(tmp / "guarded", checkpoint, settings, guard)
    assert guarded.rates == stock.rates  # the guard changes no rate
    return stock, guard, guarded


def _loud(guard: LRGuardCallback) -> list[dict[str, Any]]:
    return [r for r in guard.records if r["rule"] == "LRG024" and r["severity"] != "info"]


CHANGES = {
    "max_steps": ({"max_steps": 20}, "max_steps 10 -> 20"),
    "schedule_type": ({"lr_scheduler_type": "cosine"}, "lr_scheduler_type 'linear' -> 'cosine'"),
    "warmup": ({"warmup_steps": 8, "max_steps": 20}, "warmup steps 2 -> 8"),
}


@pytest.mark.parametrize("case", sorted(CHANGES))
def test_a_changed_schedule_jumps_stock_and_the_guard_says_so_first(case, checkpoints, tmp_path):
    settings, changed = CHANGES[case]
    base = checkpoints["guarded"]
    continued = base["rates"]  # the checkpoint's schedule, as its run used it
    stock, guard, guarded = _both(tmp_path, base["out"] / "checkpoint-4", {**BASE, **settings})
    gaps = {s: abs(r - continued[s]) for s, r in stock.rates.items() if s in continued}
    assert stock.rates[5] == continued[5]  # the optimizer state's rate
    moved = [s for s, gap in sorted(gaps.items()) if gap > TOLERANCE * 1e-4]
    assert moved, "stock must leave the checkpoint's schedule"
    loud = _loud(guard)
    assert [r["action"] for r in loud] == ["warned"] and loud[0]["step"] == 4
    assert guarded.rules_at_first_step == ["LRG024"]  # before the first resumed step
    message = loud[0]["message"]
    assert changed in message
    first = moved[0]
    assert f"{stock.rates[first]:.3g}" in message and f"{continued[first]:.3g}" in message
    assert f"step {first}" in message
    assert [r["rule"] for r in read_jsonl(tmp_path / "guarded" / "out" / "lrguard.jsonl")] == [
        "LRG024"
    ]


def test_a_new_learning_rate_is_not_used_by_stock_and_the_guard_says_so(checkpoints, tmp_path):
    base = checkpoints["guarded"]
    stock, guard, guarded = _both(
        tmp_path, base["out"] / "checkpoint-4", {**BASE, "learning_rate": 5e-4}
    )
    # stock continues the checkpoint's rates exactly: 5e-4 is never used
    assert stock.rates == {s: r for s, r in base["rates"].items() if s > 4}
    assert max(stock.rates.values()) <= 1e-4
    loud = _loud(guard)
    assert [(r["severity"], r["action"]) for r in loud] == [("error", "warned")]
    assert "learning_rate=0.0005 is not used" in loud[0]["message"]
    assert "base rate 0.0001" in loud[0]["message"]
    assert guarded.rules_at_first_step == ["LRG024"]


def test_changed_accumulation_in_a_run_counted_in_epochs(checkpoints, tmp_path):
    base = checkpoints["epochs"]
    settings = {**EPOCHS, "gradient_accumulation_steps": 2}
    stock, guard, guarded = _both(tmp_path, base["out"] / "checkpoint-8", settings)
    assert max(stock.rates) == 16  # 8 steps per epoch now: 16 in all, not 32
    continued = base["rates"]
    assert abs(stock.rates[10] - continued[10]) > TOLERANCE * 1e-4
    loud = _loud(guard)
    assert len(loud) == 1 and guarded.rules_at_first_step == ["LRG024"]
    message = loud[0]["message"]
    assert "gradient_accumulation_steps 1 -> 2" in message and "max_steps 32 -> 16" in message
    assert f"{stock.rates[10]:.3g} at step 10" in message
    assert f"{continued[10]:.3g}" in message


def test_a_checkpoint_without_optimizer_and_scheduler_restarts_warmup(checkpoints, tmp_path):
    base = checkpoints["model_only"]
    assert not (base["out"] / "checkpoint-4" / "scheduler.pt").exists()
    stock, guard, _ = _both(tmp_path, base["out"] / "checkpoint-4", BASE)
    assert stock.rates[5] == 0.0 and base["rates"][5] > 0  # warmup from its first step
    loud = _loud(guard)
    assert [r["severity"] for r in loud] == ["error"]
    assert "warmup restarts at step 5" in loud[0]["message"]


def test_a_checkpoint_written_without_the_guard_is_compared_from_its_log(checkpoints, tmp_path):
    base = checkpoints["stock"]
    stock, guard, _ = _both(tmp_path, base["out"] / "checkpoint-4", {**BASE, "max_steps": 20})
    records = [r for r in guard.records if r["rule"] == "LRG024"]
    assert [r["severity"] for r in records] == ["info", "warning"]
    assert "written without lrguard" in records[0]["message"]
    assert f"{stock.rates[6]:.3g} at step 6" in records[1]["message"]


def test_error_mode_refuses_before_the_first_resumed_step(checkpoints, tmp_path):
    base = checkpoints["guarded"]
    guard = LRGuardCallback(on_violation="error")
    with pytest.raises(LRGuardError, match="LRG024 learning_rate=0.0005 is not used"):
        _resume(tmp_path, base["out"] / "checkpoint-4", {**BASE, "learning_rate": 5e-4}, guard)
    written = read_jsonl(tmp_path / "out" / "lrguard.jsonl")
    assert [(r["rule"], r["action"]) for r in written] == [("LRG024", "raised")]
    assert not list((tmp_path / "out").glob("checkpoint-*"))  # no step was taken


def test_the_schedule_is_recorded_in_every_checkpoint(checkpoints):
    state = json.loads(
        (checkpoints["guarded"]["out"] / "checkpoint-4" / "trainer_state.json").read_text()
    )
    entry = state["stateful_callbacks"]["LRGuardCallback"]["attributes"]["resume_state"]
    assert entry["schedule"]["total_steps"] == 10 and entry["schedule"]["warmup_steps"] == 2
    assert entry["schedule"]["transformers_major"] == MAJOR
    assert saved_decisions(state) == []
    assert all("lrguard" not in json.dumps(e) for e in state["log_history"])


def unchanged_resume(ctx: Context):
    """The control: train, then resume from checkpoint-4 with the same arguments."""
    settings = {**BASE, "max_steps": 10, "per_device_train_batch_size": 4}
    make_trainer(ctx.args(**settings), callbacks=ctx.callbacks()).train()
    resumed = make_trainer(ctx.args(**settings), callbacks=ctx.callbacks())
    resumed.train(resume_from_checkpoint=str(ctx.out / "checkpoint-4"))
    return resumed


def test_an_unchanged_resume_is_identical_to_stock_and_silent(tmp_path):
    twin = run_twin(unchanged_resume, tmp_path, name="unchanged_resume")
    twin.assert_invisible()
    assert not [r for r in twin.guarded.decisions if r["rule"] == "LRG024"]
    assert len(twin.stock.rates) == 16  # 10 steps, then 6 resumed


DDP_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from hf_lrguard import LRGuardCallback
    from tests.hf.conftest import make_args, make_trainer
    from tests.hf.ddp_script import exit_now

    def main():
        tmp = Path(sys.argv[1])
        settings = json.loads(sys.argv[2])
        args = make_args(tmp, ddp_backend="gloo", **settings)
        trainer = make_trainer(args, callbacks=[LRGuardCallback()])
        trainer.train()
        rank = int(os.environ["RANK"])
        (tmp / f"rank{{rank}}.json").write_text(json.dumps({{"world": args.world_size,
            "steps": trainer.state.global_step}}))
        import torch.distributed as dist
        if dist.is_initialized():
            dist.barrier()

    try:
        main()
    except BaseException:
        import traceback
        traceback.print_exc()
        exit_now(1)
    exit_now(0)
    """
)


@pytest.mark.slow
def test_a_checkpoint_of_two_processes_resumed_on_one(tmp_path):
    from tests.hf.test_distributed import free_port

    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists() and shutil.which("torchrun") is None:
        pytest.skip("torchrun not installed")
    script = tmp_path / "ddp_resume.py"
    script.write_text(DDP_SCRIPT.format(root=str(ROOT)))
    first = tmp_path / "first"
    first.mkdir()
    settings = {**EPOCHS, "save_steps": 4}
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    cmd = [str(torchrun), "--nproc_per_node", "2", "--master_port", str(free_port())]
    done = subprocess.run(
        [*cmd, str(script), str(first), json.dumps(settings)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((first / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["world"] for r in ranks] == [2, 2] and ranks[0]["steps"] == 16
    checkpoint = first / "out" / "checkpoint-4"
    saved = json.loads((checkpoint / "trainer_state.json").read_text())
    recorded = saved["stateful_callbacks"]["LRGuardCallback"]["attributes"]["resume_state"]
    assert recorded["schedule"]["world_size"] == 2
    stock, guard, guarded = _both(tmp_path / "second", checkpoint, settings)
    assert max(stock.rates) == 32  # one process: 16 steps per epoch
    loud = _loud(guard)
    assert len(loud) == 1 and guarded.rules_at_first_step == ["LRG024"]
    message = loud[0]["message"]
    assert "max_steps 16 -> 32" in message and "world size 2 -> 1" in message
    # the schedule over 16 steps at step 6 vs stock's over 32 (restored base 1e-4)
    assert f"{stock.rates[6]:.3g} at step 6" in message
