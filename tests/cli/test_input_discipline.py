"""One input discipline for every reader: YAML, JSON, JSON written inside a setting and
DeepSpeed files share the depth, size and alias limits; refusals are findings or "unusable"
lines naming the file, never "internal error"; every loop has a budget; numeric warnings
never reach the terminal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import lrguard.annealing as annealing
from lrguard.annealing import worst_case_trajectory
from lrguard.configs.reading import MAX_DEPTH, UnusableConfig
from lrguard.plan import AnnealingPlan

DEEP = "[" * 50_000 + "]" * 50_000
HF = "learning_rate: 1.0e-4\nmax_steps: 100\n"


def _clean(out: str, err: str) -> None:
    text = out + err
    assert "internal error" not in text and "Traceback" not in text, text
    assert "Warning" not in err, err


def test_deep_json_string_in_kwargs_is_a_finding(run, write):
    kwargs = '\'{"min_lr": 1e-6, "x": ' + DEEP + "}'"
    path = write(
        "train.yaml", HF + f"lr_scheduler_type: cosine_with_min_lr\nlr_scheduler_kwargs: {kwargs}\n"
    )
    code, out, err = run("check", path, "--no-config")
    _clean(out, err)
    assert code == 1
    assert "LRG017" in out and f"nested more than {MAX_DEPTH} levels deep" in out
    code, out, err = run("simulate", path, "--no-config")
    _clean(out, err)
    assert code == 2 and "lr_scheduler_kwargs cannot be read as JSON" in err


def test_deep_deepspeed_file_is_named_not_an_internal_error(run, write):
    write("ds.json", '{"optimizer": {"params": {"lr": 1e-4}}, "x": ' + DEEP + "}")
    path = write("train.yaml", HF + "deepspeed: ds.json\n")
    code, out, err = run("check", path, "--no-config")
    _clean(out, err)
    assert "LRG086" in out and f"nested more than {MAX_DEPTH} levels deep" in out
    assert code == 0


def test_loads_json_limits_match_the_yaml_reader():
    from lrguard.configs.reading import loads_json

    assert loads_json('{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
    assert loads_json('["[[[[", "]"]') == ["[[[[", "]"]  # brackets inside strings do not count
    for text in ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), '{"a": ' + DEEP + "}"):
        with pytest.raises(UnusableConfig, match="nested more than"):
            loads_json(text)
    with pytest.raises(UnusableConfig, match="more than 100000 values"):
        loads_json("[" + ",".join(["1"] * 100_001) + "]")
    with pytest.raises(UnusableConfig, match="invalid JSON at line 1"):
        loads_json("{")


@pytest.mark.parametrize("kwargs", ["{1: 2, min_lr: 1.0e-6}", "{null: 3}", "{true: 1}", "{1.5: 2}"])
def test_kwargs_with_non_string_keys_are_a_finding(run, write, kwargs):
    path = write(
        "train.yaml", HF + f"lr_scheduler_type: cosine_with_min_lr\nlr_scheduler_kwargs: {kwargs}\n"
    )
    code, out, err = run("check", path, "--no-config")
    _clean(out, err)
    assert code == 1 and "LRG017" in out and "not a parameter name" in out
    assert "Fix: Use parameter names of the schedule as the keys" in out
    code, out, err = run("simulate", path, "--no-config")
    _clean(out, err)
    assert code == 2 and "not a parameter name" in err


@pytest.mark.parametrize(
    "text",
    ["lr_scheduler_kwargs: &a {x: *a}\n", "lr_scheduler_kwargs: &a [1, [*a]]\n"],
    ids=["mapping", "list"],
)
def test_recursive_alias_is_unusable(run, write, text):
    path = write("train.yaml", HF + text)
    for argv in (("check", path, "--no-config"), ("simulate", path, "--no-config")):
        code, out, err = run(*argv)
        _clean(out, err)
        assert code == 2 and "alias *a inside the value &a" in out + err


def test_warmup_ratio_nan_is_a_finding(run, write):
    path = write("train.yaml", HF + "warmup_ratio: .nan\n")
    code, out, err = run("check", path, "--no-config")
    _clean(out, err)
    assert code == 1
    assert "LRG032" in out and "warmup_ratio=nan" in out and "trainer.train()" in out


@pytest.mark.parametrize("value", ["-0.1", ".inf"])
def test_warmup_ratio_negative_or_infinite_is_a_finding(run, write, value):
    path = write("train.yaml", HF + f"warmup_ratio: {value}\n")
    code, out, err = run("check", path, "--no-config")
    _clean(out, err)
    assert code == 1 and "LRG032" in out and "must lie in range [0,1]" in out


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_simulate_refuses_a_non_finite_floor(run, write, value):
    path = write(
        "train.yaml",
        HF + f"lr_scheduler_type: cosine_with_min_lr\nlr_scheduler_kwargs: {{min_lr: {value}}}\n",
    )
    code, out, err = run("simulate", path, "--no-config", "--format", "json")
    _clean(out, err)
    assert code == 2 and out == ""
    assert "lr_scheduler_kwargs.min_lr=" in err and "is not a finite number" in err


def test_simulate_plot_into_a_missing_folder(run, write, tmp_path):
    path = write("train.yaml", HF)
    code, out, err = run("simulate", path, "--no-config", "--plot", tmp_path / "no" / "lr.png")
    _clean(out, err)
    assert code == 2 and out == ""
    assert "does not exist: create it or name another file" in err
    assert err.count("\n") == 1
    code, out, err = run("simulate", path, "--no-config", "--plot", path / "lr.png")
    _clean(out, err)
    assert code == 2 and "is not a folder" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_simulate_plot_into_a_read_only_folder(run, write, tmp_path):
    path = write("train.yaml", HF)
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        code, out, err = run("simulate", path, "--no-config", "--plot", folder / "lr.png")
    finally:
        folder.chmod(0o755)
    _clean(out, err)
    assert code == 2 and "is not writable" in err


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_simulate_plot_write_refused_by_the_system(run, write):
    pytest.importorskip("matplotlib")
    path = write("train.yaml", HF)
    code, out, err = run("simulate", path, "--no-config", "--plot", "/proc/lrguard-lr.png")
    _clean(out, err)
    assert code == 2 and err.startswith("lrguard: --plot /proc/lrguard-lr.png: cannot")


# ----------------------------------------------------------------- budgets, not user numbers

SLOW_ANNEAL = (
    "flair_train:\n  learning_rate: 1000.0\n  anneal_factor: 0.99999\n"
    "  max_epochs: 100000000000000\n  min_learning_rate: 0.0\n  patience: 0\n"
)


@pytest.fixture
def counted_steps(monkeypatch):
    """Counts plateau evaluations; fails a run that steps more than a budget would allow."""
    calls = []
    real = annealing.plateau_step

    def step(*args, **kwargs):
        calls.append(1)
        if len(calls) > 20_000:
            raise AssertionError("plateau annealing stepped once per anneal: unbounded work")
        return real(*args, **kwargs)

    monkeypatch.setattr(annealing, "plateau_step", step)
    return calls


def test_anneal_budget_is_bounded_in_check_and_simulate(run, write, counted_steps):
    path = write("train.yaml", SLOW_ANNEAL)
    code, out, err = run("check", path, "--no-config")
    _clean(out, err)
    assert "LRG007" in out and "unbounded anneal(s)" in out
    code, out, err = run("simulate", path, "--no-config")
    _clean(out, err)
    assert code == 0
    last = out.strip().splitlines()[-1].split()
    assert int(last[0]) == 10**14
    assert 0 < float(last[-1]) < 0.01  # annealed down to where Flair's eps stops it
    assert 0 < len(counted_steps) <= 20_000


def test_jumped_stretches_match_stepping_every_anneal(monkeypatch):
    settings = AnnealingPlan(factor=0.9995, patience=2, cooldown=1)
    for rule in ("guard", "flair"):
        jumped = worst_case_trajectory((1.0, 0.3), (1e-5, 0.0), settings, 10**8, rule)
        monkeypatch.setattr(annealing, "EXACT_ANNEALS", 10**9)
        monkeypatch.setattr(annealing, "MAX_ITERATIONS", 10**8)
        stepped = worst_case_trajectory((1.0, 0.3), (1e-5, 0.0), settings, 10**8, rule)
        monkeypatch.undo()
        assert len(jumped.anneal_epochs) > 2 * annealing.EXACT_ANNEALS
        assert list(jumped.anneal_epochs) == list(stepped.anneal_epochs)
        assert (jumped.stop_epoch, jumped.floor_epoch) == (stepped.stop_epoch, stepped.floor_epoch)
        assert jumped.lrs[-1] == pytest.approx(stepped.lrs[-1], rel=1e-9)


def test_flair_check_args_anneal_budget_is_bounded(counted_steps):
    pytest.importorskip("flair")
    from flair_lrguard import check_args

    found = check_args(
        learning_rate=1000.0,
        anneal_factor=0.99999,
        max_epochs=10**14,
        min_learning_rate=0.0,
        patience=0,
    )
    assert any(f.code == "LRG007" for f in found)
    assert len(counted_steps) <= 20_000
