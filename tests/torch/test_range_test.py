"""torch_lrguard.range_test.find_learning_rate on a real (small) network and real training:
exact restore after one sweep, several sweeps and a race; same seed, same suggestion; the
race's budget; settings refused before anything trains; the files and their explanation."""

from __future__ import annotations

import random
from pathlib import Path

import numpy
import pytest

torch = pytest.importorskip("torch")

from lrguard.range_test import RangeTestResult  # noqa: E402
from torch_lrguard.range_test import find_learning_rate  # noqa: E402
from torch_lrguard.snapshot import TrainingSnapshot  # noqa: E402

QUIET = {"progress": False}


def make_task(seed: int = 0, n: int = 192):
    """A small classification problem (two noisy blobs in 8 dimensions) and an MLP with
    dropout, its batches shuffled by torch's generator."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=generator)
    y = (x[:, :2].sum(-1) + 0.3 * torch.randn(n, generator=generator) > 0).long()
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Dropout(0.1), torch.nn.Linear(16, 2)
    )
    data = torch.utils.data.DataLoader(list(zip(x, y, strict=True)), batch_size=16, shuffle=True)
    return model, data


def loss_fn(model: torch.nn.Module, batch) -> torch.Tensor:
    return torch.nn.functional.cross_entropy(model(batch[0]), batch[1])


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


def _train(model, optimizer, data, steps: int = 30) -> list[float]:
    losses = []
    for _, batch in zip(range(steps), iter(data), strict=False):
        optimizer.zero_grad()
        loss = loss_fn(model, batch)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("method", ["lrguard", "multi", "race"])
def test_everything_is_restored_and_the_next_run_is_unchanged(method: str) -> None:
    """After one sweep, three sweeps or a race, the model, the optimizer (momentum buffers,
    rates) and the generators are as before, and training on gives the same losses."""
    runs = []
    for probe in (False, True):
        model, data = make_task()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        _train(model, optimizer, data, 5)  # momentum buffers exist
        if probe:
            before = (_state(model), optimizer.state_dict(), _rng())
            import copy

            before = copy.deepcopy(before)
            params = [id(p) for p in model.parameters()]
            result = find_learning_rate(
                model, optimizer, data, loss_fn, method=method, race_budget=60, **QUIET
            )
            assert result.method == method and result.suggested_lr is not None
            after = (_state(model), optimizer.state_dict(), _rng())
            assert _same(before, after)
            assert [id(p) for p in model.parameters()] == params
            assert optimizer.param_groups[0]["lr"] == 0.05
        runs.append((_train(model, optimizer, data), _state(model)))
    assert runs[0][0] == runs[1][0] and _same(runs[0][1], runs[1][1])


@pytest.mark.parametrize("method", ["multi", "race"])
def test_same_seed_same_suggestion(method: str) -> None:
    results = []
    for _ in range(2):
        model, data = make_task()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        torch.manual_seed(123)  # the caller's generators differ: the seed decides
        results.append(
            find_learning_rate(
                model, optimizer, data, loss_fn, method=method, seed=7, race_budget=60, **QUIET
            )
        )
    assert results[0].suggestions == results[1].suggestions
    assert results[0].reason == results[1].reason


def test_multi_sweeps_different_batch_orders_and_takes_their_median() -> None:
    model, data = make_task()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    result = find_learning_rate(model, optimizer, data, loss_fn, method="multi", seed=0, **QUIET)
    per_sweep = result.marks["multi"]["sweeps"]
    assert len(per_sweep) == 3
    assert result.suggested_lr == pytest.approx(sorted(per_sweep)[1], rel=0.05)
    assert "median of 3 sweeps on different batch orders" in result.reason
    assert result.context["steps"]["sweep"] > 2 * len(result.rates)  # three sweeps ran


@pytest.mark.parametrize("method", ["lrguard", "multi"])
def test_sgd_momentum_is_read_from_the_optimizer_and_lowers_the_suggestion(method: str) -> None:
    """The same sweep read for SGD with momentum 0.9 and without: the edge is divided by 57
    instead of 3, because the optimizer's own groups say momentum 0.9."""
    results = {}
    for momentum in (0.0, 0.9):
        model, data = make_task()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=momentum)
        results[momentum] = find_learning_rate(
            model, optimizer, data, loss_fn, method=method, seed=0, **QUIET
        )
    heavy = results[0.9]
    assert heavy.context["momentum"] == 0.9 and results[0.0].context["momentum"] == 0.0
    edge = heavy.marks["lrguard"]["edge"]
    assert heavy.suggestions["lrguard"] == pytest.approx(edge / 57)
    assert "SGD with momentum 0.9" in heavy.reasons["lrguard"]
    assert heavy.suggested_lr < results[0.0].suggested_lr


def test_the_race_keeps_to_its_budget_and_says_who_won() -> None:
    model, data = make_task()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    result = find_learning_rate(
        model, optimizer, data, loss_fn, method="race", race_budget=80, seed=0, **QUIET
    )
    steps = result.context["steps"]
    assert 0 < steps["race"] <= 80 and steps["held_out_batches"] > 0
    marks = result.marks["race"]
    assert len(marks["candidates"]) == 6
    assert any(result.suggested_lr == pytest.approx(c, rel=0.05) for c in marks["candidates"])
    assert max(marks["candidates"]) < marks.get("edge", max(result.rates))
    assert result.reason.startswith(f"race winner {result.suggested_lr:.2g} among 6 candidates")
    assert f"cost: {steps['sweep'] + steps['race']} training steps" in result.summary()


def test_files_explain_the_choice(tmp_path: Path) -> None:
    model, data = make_task()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    result = find_learning_rate(
        model, optimizer, data, loss_fn, method="race", race_budget=60, output_dir=tmp_path, **QUIET
    )
    back = RangeTestResult.from_json((tmp_path / "lr_range_test.json").read_text())
    assert back.reason == result.reason and "race winner" in back.reason
    assert back.arguments == {"lr": result.suggested_lr, "eta_min": result.suggested_min_lr}
    if (tmp_path / "lr_range_test.png").exists() or not result.notes[-1].startswith("no plot"):
        assert (tmp_path / "lr_range_test.png").stat().st_size > 5000


@pytest.mark.parametrize(
    ("settings", "error", "match"),
    [
        ({"start_lr": 1.0, "end_lr": 0.1}, ValueError, "end_lr=0.1 is not above start_lr=1.0"),
        ({"num_steps": 0}, ValueError, "num_steps=0 is not a positive number of steps"),
        ({"end_lr": 10**400}, ValueError, "end_lr=1000.*is not a finite positive rate"),
        ({"policy": {"min_lr_ratio": 0.1}}, TypeError, "is a dict, not a GuardPolicy"),
        ({"method": "race", "race_budget": 3}, ValueError, "race_budget=3 is too small"),
        ({"method": "fastest"}, ValueError, "method='fastest' is unknown"),
    ],
)
def test_bad_settings_are_refused_before_anything_trains(tmp_path, settings, error, match):
    model, data = make_task()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    before, rng = _state(model), _rng()
    out = tmp_path / "new"
    with pytest.raises(error, match=match):
        find_learning_rate(
            model, optimizer, data, loss_fn, output_dir=out, keep_copy_on_disk=True, **settings
        )
    assert _same(before, _state(model)) and _same(rng, _rng())
    assert not optimizer.state and not out.exists()


def test_a_snapshot_kept_for_several_restores_gives_the_same_start_each_time() -> None:
    model, data = make_task()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    _train(model, optimizer, data, 3)
    snapshot = TrainingSnapshot(model, optimizer)
    before = (_state(model), optimizer.state_dict())
    import copy

    before = copy.deepcopy(before)
    for _ in range(2):
        optimizer.param_groups[0]["lr"] = 0.5
        _train(model, optimizer, data, 3)
        snapshot.restore(keep=True)
        assert _same(before, (_state(model), optimizer.state_dict()))
    snapshot.restore()
    assert _same(before, (_state(model), optimizer.state_dict()))
    with pytest.raises(RuntimeError, match="restored once"):
        snapshot.restore()


def test_every_sweep_starts_from_the_same_optimizer_state() -> None:
    """An optimizer made after the snapshot (as the Flair and Hugging Face finders make
    theirs) is reset too: three sweeps on the same batches give the same curve."""
    from lrguard.range_test import SweepSettings
    from torch_lrguard.range_test import run_range_test

    model, data = make_task()
    snapshot = TrainingSnapshot(model)  # model only
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-7)
    curves = []

    def train_step(batches) -> float:
        batch = next(batches)
        optimizer.zero_grad()
        loss = loss_fn(model, batch)
        loss.backward()
        optimizer.step()
        return loss.item()

    def reseed(seed: int) -> None:
        curves.append(None)
        torch.manual_seed(0)  # the same batches and dropout for every sweep

    result = run_range_test(
        snapshot=snapshot,
        optimizer=optimizer,
        train_step=train_step,
        batches=lambda: data,
        held_loss=lambda batch: loss_fn(model, batch).item(),
        settings=SweepSettings(num_steps=40),
        method="multi",
        context={"optimizer": "Adam"},
        seed=0,
        progress=False,
        reseed=reseed,
    )
    snapshot.restore()
    assert len(curves) == 3
    per_sweep = result.marks["multi"]["sweeps"]
    assert len(per_sweep) == 3 and len(set(per_sweep)) == 1, result.reason
