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
