"""hf_lrguard.find_learning_rate with the real Trainer: exact restore, files, suggestion."""

from __future__ import annotations

import importlib.util
import random
import shutil
from pathlib import Path

import numpy
import pytest
import torch

from hf_lrguard import LRGuardCallback
from hf_lrguard.range_test import find_learning_rate
from lrguard import read_jsonl
from lrguard.range_test import RangeTestResult
from tests.hf.conftest import MAJOR, guard_records, logged_lrs, make_args, make_trainer

QUIET = {"progress": False, "verbose": False}


def _state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _rng() -> tuple:
    return random.getstate(), numpy.random.get_state()[1].tolist(), torch.get_rng_state()


def test_untrained_trainer_restored_and_next_run_unchanged(tmp_path):
    """The run after the test is the run without it: same losses, rates and weights."""
    runs = []
    for name, probe in (("plain", False), ("probed", True)):
        trainer = make_trainer(make_args(tmp_path / name, learning_rate=1e-3, max_steps=20))
        if probe:
            before, rng = _state(trainer.model), _rng()
            result = find_learning_rate(trainer, **QUIET)
            assert len(result.rates) > 20
            assert _same(before, _state(trainer.model)) and _same(rng, _rng())
            assert trainer.optimizer is None and trainer.lr_scheduler is None
        trainer.train()
        losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
        runs.append((_state(trainer.model), losses, logged_lrs(trainer)))
    assert _same(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1] and runs[0][2] == runs[1][2]


@pytest.mark.parametrize("on_disk", [False, True], ids=["in-memory", "on-disk"])
def test_trained_trainer_with_accumulation_is_restored_bit_for_bit(tmp_path, on_disk):
    """After 20 trained steps: parameters, Adam moments, scheduler, trainer state and the
    random generators are what they were; the sweep is not stopped after a step or two."""
    args = make_args(tmp_path, learning_rate=1e-3, max_steps=20, gradient_accumulation_steps=2)
    trainer = make_trainer(args)
    trainer.train()
    optimizer = trainer.optimizer
    before = {
        "model": _state(trainer.model),
        "optimizer": optimizer.state_dict(),
        "scheduler": trainer.lr_scheduler.state_dict(),
        "state": trainer.state.to_json_string()
        if hasattr(trainer.state, "to_json_string")
        else None,
        "rng": _rng(),
    }
    import copy

    before = copy.deepcopy(before)
    result = find_learning_rate(trainer, keep_copy_on_disk=on_disk, **QUIET)
    assert len(result.rates) > 50, result.notes
    assert result.context["gradient_accumulation_steps"] == 2
    assert not list((tmp_path / "out").glob("lrguard-snapshot-*"))
    maps = Path("/proc/self/maps")
    if maps.exists():  # the removed copy is not kept alive (and its disk space) by a mapping
        assert "lrguard-snapshot-" not in maps.read_text()
    after = {
        "model": _state(trainer.model),
        "optimizer": trainer.optimizer.state_dict(),
        "scheduler": trainer.lr_scheduler.state_dict(),
        "state": trainer.state.to_json_string()
        if hasattr(trainer.state, "to_json_string")
        else None,
        "rng": _rng(),
    }
    assert trainer.optimizer is optimizer
    for key in before:
        assert _same(before[key], after[key]), key


def test_files_and_decision_in_output_dir(tmp_path):
    trainer = make_trainer(make_args(tmp_path))
    result = find_learning_rate(trainer, **QUIET)
    out = tmp_path / "out"
    back = RangeTestResult.from_json((out / "lr_range_test.json").read_text())
    assert back.to_json() == result.to_json()
    if importlib.util.find_spec("matplotlib"):
        assert (out / "lr_range_test.png").read_bytes()[:4] == b"\x89PNG"
    else:  # the plot is an extra: without it the result says so, the rest is written
        assert not (out / "lr_range_test.png").exists()
        assert any("pip install 'lrguard[plot]'" in note for note in result.notes)
    header = (out / "learning_rate.tsv").read_text().splitlines()[0]
    assert header == "ITERATION\tTIMESTAMP\tLEARNING_RATE\tTRAIN_LOSS"
    (record,) = read_jsonl(out / "lrguard.jsonl")
    assert (record["rule"], record["action"], record["framework"]) == ("LRG090", "noted", "hf")


def test_short_dataloader_is_cycled(tmp_path):
    trainer = make_trainer(make_args(tmp_path), n_train=8)  # 2 batches per pass
    result = find_learning_rate(trainer, num_steps=30, **QUIET)
    assert result.batches_cycled >= 14
    assert any("cycled" in note for note in result.notes)


@pytest.mark.parametrize(
    ("schedule", "kwargs", "key"),
    [
        ("cosine_with_min_lr", {"min_lr": 1e-4}, "min_lr"),
        ("cosine_with_min_lr", {"min_lr_rate": 0.5}, "min_lr_rate"),
        ("polynomial", {}, "lr_end"),
        ("linear", {}, None),
    ],
)
def test_floor_in_the_form_the_schedule_takes_and_guarded_run_is_clean(
    tmp_path, schedule, kwargs, key
):
    args = make_args(tmp_path, lr_scheduler_type=schedule, lr_scheduler_kwargs=kwargs)
    trainer = make_trainer(args)
    result = find_learning_rate(trainer, **QUIET)
    update = result.arguments
    assert set(update) == ({"learning_rate"} | ({"lr_scheduler_kwargs"} if key else set()))
    if key:
        assert key in update["lr_scheduler_kwargs"]
    guarded = make_trainer(
        make_args(
            tmp_path / "run",
            lr_scheduler_type=schedule,
            **{"lr_scheduler_kwargs": kwargs, **update},
        ),
        callbacks=[LRGuardCallback(on_violation="error")],
    )
    guarded.train()
    assert not {"LRG001", "LRG002", "LRG011"} & {r["rule"] for r in guard_records(guarded)}
    lrs = logged_lrs(guarded)
    assert max(lrs) <= update["learning_rate"] * (1 + 1e-9)


def test_plateau_floor_uses_the_plateau_ratio(tmp_path):
    args = make_args(
        tmp_path,
        lr_scheduler_type="reduce_lr_on_plateau",
        eval_strategy="steps",
        eval_steps=10,
    )
    result = find_learning_rate(make_trainer(args), **QUIET)
    lr = result.arguments["learning_rate"]
    assert result.arguments["lr_scheduler_kwargs"]["min_lr"] == pytest.approx(lr * 1e-3, rel=0.05)


def test_same_seed_same_suggestion(tmp_path):
    results = [
        find_learning_rate(make_trainer(make_args(tmp_path / str(i))), **QUIET) for i in range(2)
    ]
    assert results[0].losses == results[1].losses
    assert results[0].suggestions == results[1].suggestions


@pytest.mark.skipif(MAJOR < 5 and not hasattr(torch, "autocast"), reason="needs autocast")
def test_bf16_mixed_precision_sweeps_and_restores(tmp_path):
    trainer = make_trainer(make_args(tmp_path, bf16=True))
    before = _state(trainer.model)
    result = find_learning_rate(trainer, num_steps=30, **QUIET)
    assert all(isinstance(v, float) for v in result.losses)
    assert _same(before, _state(trainer.model))


def test_an_unknown_method_fails_before_anything_trains(tmp_path):
    trainer = make_trainer(make_args(tmp_path))
    before = _state(trainer.model)
    with pytest.raises(ValueError, match="method='best' is unknown"):
        find_learning_rate(trainer, method="best", **QUIET)
    assert _same(before, _state(trainer.model)) and trainer.optimizer is None
    assert not (tmp_path / "out" / "lrguard.jsonl").exists()


# ------------------------------------------------------------------------- failure paths


class BrokenData(torch.utils.data.Dataset):
    """A training set whose examples cannot be loaded (a corrupt shard, a missing file)."""

    def __len__(self) -> int:
        return 64

    def __getitem__(self, index: int):
        raise OSError(f"example {index}: shard is corrupt")


def test_an_unwritable_output_dir_keeps_the_finished_sweep(tmp_path):
    trainer = make_trainer(make_args(tmp_path))
    out = Path(trainer.args.output_dir)
    shutil.rmtree(out, ignore_errors=True)
    out.write_text("a file where the folder should be")
    with pytest.warns(RuntimeWarning, match="could not be written") as caught:
        result = find_learning_rate(trainer, **QUIET)
    assert len([w for w in caught if issubclass(w.category, RuntimeWarning)]) == 1
    assert len(result.rates) > 20 and result.suggested_lr is not None
    assert any("returned, not saved" in note for note in result.notes)


@pytest.mark.parametrize("on_disk", [False, True], ids=["in-memory", "on-disk"])
@pytest.mark.parametrize(
    ("data", "error", "match"),
    [(BrokenData, OSError, "shard is corrupt"), (None, ValueError, "train_dataset")],
    ids=["broken-examples", "no-dataset"],
)
def test_a_failing_dataloader_leaves_the_trainer_as_it_was(tmp_path, on_disk, data, error, match):
    args = make_args(tmp_path, output_dir=str(tmp_path / "new" / "out"))
    trainer = make_trainer(args)
    trainer.train_dataset = data() if data else None
    shutil.rmtree(tmp_path / "new")  # made by Trainer(); the range test must not leave one
    before = _state(trainer.model)
    with pytest.raises(error, match=match):
        find_learning_rate(trainer, keep_copy_on_disk=on_disk, **QUIET)
    assert trainer.optimizer is None and trainer.lr_scheduler is None
    assert _same(before, _state(trainer.model))
    assert not list(tmp_path.rglob("lrguard-snapshot-*"))
    assert not (tmp_path / "new" / "out").exists()


@pytest.mark.parametrize(
    ("settings", "error", "match"),
    [
        ({"policy": "strict"}, TypeError, "policy='strict' is a str, not a GuardPolicy"),
        ({"start_lr": 1e-320, "end_lr": 1e10}, ValueError, "overflows"),
        ({"start_lr": 1e-3, "end_lr": 1e-3}, ValueError, "end_lr=0.001 is not above start_lr"),
        ({"num_steps": -1}, ValueError, "num_steps=-1 is not a positive number of steps"),
        ({"method": "multi", "sweeps": 0}, ValueError, "sweeps=0 is not a whole number"),
    ],
    ids=["policy", "overflowing-end", "start-not-below-end", "no-steps", "no-sweeps"],
)
def test_settings_used_after_the_sweep_are_refused_before_it(tmp_path, settings, error, match):
    trainer = make_trainer(make_args(tmp_path))
    shutil.rmtree(tmp_path / "out", ignore_errors=True)  # made by Trainer(), as in 4.57
    before = _state(trainer.model)
    with pytest.raises(error, match=match):
        find_learning_rate(trainer, keep_copy_on_disk=True, **settings, **QUIET)
    assert _same(before, _state(trainer.model)) and trainer.optimizer is None
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("method", ["multi", "race"])
def test_multi_and_race_restore_exactly_and_repeat_with_the_seed(tmp_path, method):
    results = []
    for run in range(2):
        trainer = make_trainer(make_args(tmp_path / str(run)))
        before, rng = _state(trainer.model), _rng()
        result = find_learning_rate(
            trainer, num_steps=30, method=method, race_budget=40, seed=5, **QUIET
        )
        assert _same(before, _state(trainer.model)) and _same(rng, _rng())
        assert trainer.optimizer is None and trainer.lr_scheduler is None
        results.append(result)
    assert results[0].suggestions == results[1].suggestions
    assert results[0].method == method and results[0].reason
    steps = results[0].context["steps"]
    assert (steps["sweep"] > 60) if method == "multi" else (0 < steps["race"] <= 40)
    assert "why: " in results[0].summary()
