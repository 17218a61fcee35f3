"""Bad input never hurts: every hostile file gets one line, the others are still checked."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from lrguard.configs.reading import MAX_DEPTH, MAX_VALUES, read_document
from lrguard.numbers import fmt, parse_number

ROOT = Path(__file__).resolve().parents[2]
GOOD = "learning_rate: 1.0e-5\nlr_scheduler_type: linear\nmax_steps: 100\n"


def lrguard(*argv: str | Path, cwd: Path | None = None, timeout: float = 30) -> tuple[int, str]:
    """Run ``python -m lrguard`` in a subprocess limited to 2 GB; (exit code, stdout+stderr)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "lrguard", *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit,
        cwd=cwd,
        env=env,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


# ------------------------------------------------------------------ nesting, aliases, size


@pytest.mark.parametrize(
    "nested",
    ["x: " + "[" * 50_000 + "]" * 50_000 + "\n", "x:\n" + "- " * 50_000 + "1\n"],
    ids=["flow", "block"],
)
def test_deep_nesting_is_unusable_and_other_files_are_checked(tmp_path, nested):
    deep = tmp_path / "deep.yaml"
    deep.write_text("learning_rate: 1.0e-5\n" + nested)
    (tmp_path / "ok.yaml").write_text(GOOD)
    code, out = lrguard("check", tmp_path, "--no-config")
    assert code == 2, out
    assert f"deep.yaml: unusable: nested more than {MAX_DEPTH} levels deep" in out
    assert "1 config(s) checked" in out and "1 unusable" in out


def test_deep_json_is_unusable(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text('{"learning_rate": 1e-5, "x": ' + "[" * 900 + "]" * 900 + "}")
    with pytest.raises(Exception, match="nested more than"):
        read_document(deep)


def test_alias_bomb_is_refused_quickly(tmp_path):
    lines = ["learning_rate: 1.0e-5", "max_steps: 100", "a0: &a0 [lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    lines += ["lr_scheduler_type: cosine_with_min_lr", "lr_scheduler_kwargs: {min_lr: *a8}"]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    code, out = lrguard("check", bomb, "--no-config", timeout=20)
    assert code == 2
    assert f"more than {MAX_VALUES} values (aliases repeat values)" in out


def test_a_few_aliases_are_fine(tmp_path):
    cfg = tmp_path / "a.yaml"
    cfg.write_text("lr: &lr 1.0e-5\nlearning_rate: *lr\nmax_steps: 100\n")
    assert read_document(cfg).data["learning_rate"] == 1e-5


def test_long_values_are_cut_in_messages(run, write):
    cfg = write("long.yaml", "learning_rate: [" + ", ".join(["1.0e-5"] * 20_000) + "]\n")
    code, out, _ = run("check", cfg, "--no-config")
    assert code in (1, 2)
    assert max(len(line) for line in out.splitlines()) < 1000
    assert "..." in out


# ------------------------------------------------------------------ numbers


def test_integer_beyond_float_range_is_not_finite(run, write):
    assert parse_number(10**400).value == float("inf")
    assert parse_number(-(10**400)).value == float("-inf")
    assert len(fmt(10**400)) < 100
    cfg = write("huge.yaml", "learning_rate: " + "9" * 400 + "\nmax_steps: 100\n")
    code, out, err = run("check", cfg, "--no-config")
    assert code == 1, out + err
    assert "LRG003" in out and "learning_rate=" in out and "internal error" not in out + err


def test_simulate_integer_beyond_float_range(run, write):
    cfg = write("huge.yaml", "learning_rate: " + "9" * 400 + "\nmax_steps: 100\n")
    code, out, err = run("simulate", cfg)
    assert code == 2 and "internal error" not in err and "learning_rate" in err


def test_json_integer_with_too_many_digits_is_unusable(run, write):
    cfg = write("digits.json", '{"learning_rate": ' + "9" * 5000 + "}")
    code, out, err = run("check", cfg, "--no-config")
    assert code == 2 and "unusable" in out and "internal error" not in out + err


# ------------------------------------------------------------------ small things


def test_empty_json_is_skipped_like_empty_yaml(run, write):
    for name in ("empty.json", "blank.json", "empty.yaml"):
        write(name, "" if name.startswith("empty") else "  \n")
    code, out, _ = run("check", write("ok.yaml", GOOD).parent, "--no-config")
    assert code == 0, out
    assert "3 skipped" in out


def test_json_output_of_check_escapes_controls(run, write):
    cfg = write("a\nb.yaml", GOOD.replace("linear", "cosine_with_min_lr") + "min_lr: 1\n")
    code, out, _ = run("check", cfg, "--no-config", "--format", "json")
    doc = json.loads(out)
    assert doc["files"][0]["path"].endswith("a\nb.yaml")
    assert all(ord(c) >= 0x20 for c in out.replace("\n", ""))


# ------------------------------------------------------------------ paths and folders


def test_unreadable_subfolder_is_reported_and_the_rest_checked(run, write, monkeypatch):
    ok = write("ok.yaml", GOOD)
    locked = ok.parent / "locked"
    locked.mkdir()
    (locked / "hidden.yaml").write_text(GOOD)
    real = os.scandir

    def scandir(path="."):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, out, _ = run("check", ok.parent, "--no-config")
    assert code == 2, out
    assert f"{locked}: unusable: cannot list folder: Permission denied" in out
    assert "1 config(s) checked" in out


def test_unopenable_file_is_reported_and_the_rest_checked(run, write, monkeypatch):
    ok = write("ok.yaml", GOOD)
    secret = write("secret.yaml", GOOD)
    real = Path.open

    def open_(self, *args, **kwargs):
        if self == secret:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)
    code, out, _ = run("check", ok.parent, "--no-config")
    assert code == 2, out
    assert f"{secret}: unusable: cannot read: Permission denied" in out
    assert "1 config(s) checked" in out


def test_name_too_long_and_dangling_link(run, write):
    ok = write("ok.yaml", GOOD)
    long_name = ok.parent / ("x" * 300 + ".yaml")
    link = ok.parent / "gone.yaml"
    link.symlink_to(ok.parent / "missing.yaml")
    code, out, _ = run("check", long_name, ok, "--no-config")
    assert code == 2, out
    assert "unusable: cannot read: File name too long" in out
    assert "1 config(s) checked" in out
    code, out, _ = run("check", ok.parent, "--no-config")
    assert code == 2 and f"{link}: unusable: dangling symbolic link" in out, out


def test_empty_path_is_a_usage_error(run):
    code, out, err = run("check", "")
    assert code == 2 and "empty path" in err and "checked" not in out
    code, _, err = run("simulate", "")
    assert code == 2 and "empty path" in err


# ------------------------------------------------------------------ --plot never overwrites input


def test_plot_refuses_the_input_file(run, write):
    pytest.importorskip("matplotlib")
    cfg = write("cfg.yaml", GOOD)
    code, _, err = run("simulate", cfg, "--plot", cfg)
    assert code == 2 and "is an input file" in err
    assert cfg.read_text() == GOOD
    code, _, err = run("simulate", cfg, "--plot", cfg, "--force")
    assert code == 2 and cfg.read_text() == GOOD


def test_plot_refuses_an_existing_non_png_unless_forced(run, write):
    pytest.importorskip("matplotlib")
    cfg = write("cfg.yaml", GOOD)
    notes = write("notes.txt", "keep me\n")
    code, _, err = run("simulate", cfg, "--plot", notes)
    assert code == 2 and "not a PNG image" in err and "--force" in err
    assert notes.read_text() == "keep me\n"
    assert run("simulate", cfg, "--plot", notes, "--force")[0] == 0
    png = notes.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert run("simulate", cfg, "--plot", notes)[0] == 0  # now a PNG: overwritten freely
    code, _, err = run("simulate", cfg, "--plot", cfg.parent)
    assert code == 2 and "is a folder" in err


# ------------------------------------------------------------------ --select / --ignore


@pytest.mark.parametrize(
    "option, value, named",
    [
        ("--select", "LRG999", "'LRG999' matches no rule"),
        ("--select", "", "an empty rule code"),
        ("--ignore", "LRG001,", "an empty rule code"),
        ("--ignore", "XYZ", "'XYZ' matches no rule"),
    ],
)
def test_unknown_or_empty_codes_are_usage_errors(run, write, option, value, named):
    cfg = write("cfg.yaml", GOOD)
    code, out, err = run("check", cfg, "--no-config", option, value)
    assert code == 2 and named in err and "LRG001" in err and not out


def test_unknown_codes_in_pyproject_are_refused(run, write):
    cfg = write("cfg.yaml", GOOD)
    toml = write("pyproject.toml", '[tool.lrguard]\nselect = ["LRG9"]\n')
    code, _, err = run("check", cfg, "--config", toml)
    assert code == 2 and "[tool.lrguard] select: 'LRG9' matches no rule" in err
    toml.write_text('[tool.lrguard]\nignore = [""]\n')
    code, _, err = run("check", cfg, "--config", toml)
    assert code == 2 and "an empty rule code" in err
    toml.write_text('[tool.lrguard]\nselect = ["lrg00"]\n')
    assert run("check", cfg, "--config", toml)[0] == 0


# ------------------------------------------------------------------ output escaping


BAD_KWARG = (
    "learning_rate: 1.0e-5\nlr_scheduler_type: cosine_with_min_lr\nmax_steps: 100\n"
    'lr_scheduler_kwargs: {min_lr: 1.0e-6, "x\\n::error file=a::pwned\\r\\e[31m": 1}\n'
)


@pytest.mark.parametrize("fmt_", ["text", "github", "json"])
def test_control_characters_never_start_a_line(run, write, fmt_):
    cfg = write("a\n::error file=x::y.yaml", BAD_KWARG)
    code, out, err = run("check", cfg, "--no-config", "--format", fmt_)
    assert code == 1, out + err
    lines = out.splitlines()
    assert lines and "\x1b" not in out and "\r" not in out
    if fmt_ == "github":
        assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)
        assert "%0A%3A%3Aerror file=x%3A%3Ay.yaml" in out  # the file property
        assert "%0A::error file=a::pwned%0D\\x1b[31m" in out  # the message
    elif fmt_ == "text":
        assert not any(line.startswith("::") for line in lines)
        assert "a\\n::error file=x::y.yaml" in out and "\\x1b[31m" in out
    else:
        doc = json.loads(out)
        assert doc["files"][0]["path"].endswith("a\n::error file=x::y.yaml")
        assert not any(line.lstrip().startswith("::") for line in lines)


# ------------------------------------------------------------------ the decision log


@pytest.mark.parametrize("trouble", ["jsonl_is_a_folder", "parent_is_a_file"])
def test_decision_log_trouble_is_one_warning(tmp_path, caplog, trouble):
    import logging

    from lrguard.decision_log import DecisionLog
    from lrguard.findings import Decision

    if trouble == "jsonl_is_a_folder":
        path = tmp_path / "lrguard.jsonl"
        path.mkdir()
    else:
        (tmp_path / "out").write_text("a file where a folder should be")
        path = tmp_path / "out" / "lrguard.jsonl"
    log = DecisionLog("hf", logging.getLogger("lrguard.test"), path)
    with caplog.at_level(logging.WARNING, logger="lrguard.test"):
        for epoch in range(3):
            log.emit(
                Decision(
                    rule="LRG009", severity="info", action="annealed", message="x", epoch=epoch
                )
            )
    assert [r["epoch"] for r in log.records] == [0, 1, 2]
    warnings = [r for r in caplog.records if "cannot write decisions" in r.getMessage()]
    assert len(warnings) == 1


def test_decision_log_appends(tmp_path):
    import logging

    from lrguard.decision_log import DecisionLog, read_jsonl
    from lrguard.findings import Decision

    path = tmp_path / "lrguard.jsonl"
    for run_ in range(2):
        log = DecisionLog("hf", logging.getLogger("lrguard.test"), path)
        log.emit(
            Decision(rule="LRG009", severity="info", action="annealed", message="x", epoch=run_)
        )
    assert [r["epoch"] for r in read_jsonl(path)] == [0, 1]


# ------------------------------------------------------------------ annealing close to 1


def test_full_anneals_closed_form_matches_counting():
    from lrguard.rules.lrg007_anneal_budget import full_anneals

    def counted(lr: float, floor: float, factor: float) -> int:
        count = 0
        while lr * factor ** (count + 1) >= floor * (1 - 1e-12):
            count += 1
        return count

    for lr, factor, k in [(0.1, 0.5, 9), (1.0, 0.5, 3), (0.3, 0.7, 5), (1e-5, 0.1, 2)]:
        for floor in (lr * factor**k, lr * factor**k * 1.0000001, lr * factor**k * 0.9999999):
            assert full_anneals(lr, floor, factor) == counted(lr, floor, factor)
    assert full_anneals(0.1, 1e-4, 0.999999999) == 6907755470
    assert full_anneals(0.1, 1e-4, 1.0) is None and full_anneals(0.1, 0.0, 0.5) is None


def test_worst_case_trajectory_skips_quiet_epochs():
    from lrguard.annealing import worst_case_trajectory
    from lrguard.plan import AnnealingPlan

    plan = AnnealingPlan(factor=0.999999999, patience=3)
    traj = worst_case_trajectory((0.1,), (1e-4,), plan, 10**9, "flair")
    assert traj.stop_epoch is None and len(traj.lrs) == 10**9 and traj.lrs[-1] == (0.1,)
    guard = worst_case_trajectory((0.1,), (1e-4,), plan, 10**9, "guard")
    assert guard.stop_epoch == 5


@pytest.mark.parametrize("command", ["check", "simulate"])
def test_anneal_factor_close_to_one_does_not_hang(tmp_path, command):
    cfg = tmp_path / "flair.yaml"
    cfg.write_text("flair_train:\n  learning_rate: 0.1\n  anneal_factor: 0.999999999\n")
    code, out = lrguard(command, cfg, *(["--no-config"] if command == "check" else []))
    assert code == 0, out
    assert command == "simulate" or "6907755470 anneal(s) by anneal_factor=0.999999999" in out


# ------------------------------------------------------------------ simulate is bounded

HUGE = (
    "learning_rate: 1.0e-5\nlr_scheduler_type: linear\nwarmup_steps: 1000\nmax_steps: 100000000\n"
)


def test_simulate_huge_run_table_computes_only_the_rows_shown(tmp_path):
    cfg = tmp_path / "huge.yaml"
    cfg.write_text(HUGE)
    code, out = lrguard("simulate", cfg)  # 2 GB address space: the whole run would not fit
    assert code == 0, out
    rows = [line.split() for line in out.splitlines()[3:]]
    steps = [int(r[0]) for r in rows]
    assert {1, 1000, 1001, 100_000_000} <= set(steps) and len(steps) < 60
    assert float(rows[-1][1]) == pytest.approx(1e-5 / 99_999_000)


def test_simulate_refuses_more_rows_than_the_limit(run, write):
    from lrguard.simulate import MAX_ROWS

    cfg = write("huge.yaml", HUGE)
    code, out, err = run("simulate", cfg, "--format", "json")
    assert code == 2 and not out
    assert f"more than the limit of {MAX_ROWS}" in err and "--every 501 or more" in err
    code, out, _ = run("simulate", cfg, "--format", "csv", "--every", "1000")
    assert code == 0 and len(out.splitlines()) == 1 + 100_000 + 2


def test_simulate_plateau_with_huge_evaluation_count(run, write):
    cfg = write(
        "p.yaml",
        "learning_rate: 1.0e-5\nlr_scheduler_type: reduce_lr_on_plateau\n"
        "eval_strategy: steps\neval_steps: 1\nmax_steps: 100000000\n",
    )
    code, out, err = run("simulate", cfg, "--format", "json")
    assert code == 2 and "--every" in err
    code, out, err = run("simulate", cfg, "--format", "json", "--every", "10000000")
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert rows[-1]["evaluation"] == 100_000_000
    assert rows[-1]["lr"] == pytest.approx(1e-8)  # settled at the floor


def test_simulate_json_is_strict_json(run, write):
    cfg = write(
        "inf.yaml",
        "learning_rate: 1.0e-5\nlr_scheduler_type: cosine_with_min_lr\nmax_steps: 10\n"
        "lr_scheduler_kwargs: {min_lr: .inf}\n",
    )
    code, out, err = run("simulate", cfg, "--format", "json")
    if code == 0:
        json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in JSON output"))
        assert json.loads(out)["floor"] == "inf"
    else:
        assert code == 2 and "internal error" not in err
    flair = write("f.yaml", "flair_train:\n  learning_rate: 1.0e-5\n  max_epochs: 5\n")
    code, out, _ = run("simulate", flair, "--format", "json")
    assert code == 0
    assert "NaN" not in out and json.loads(out)["rows"][-1]["lr_flair"] is None


# ------------------------------------------------------------------ duplicate keys
