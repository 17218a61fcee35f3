"""Suppressions: ``# lrguard: ignore[CODE,...]`` on a line or at the top of a file,
``per-file-ignores`` in ``[tool.lrguard]``, and LRG034 for a suppression that hides nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from lrguard.suppressions import parse_suppressions
from tests.cli.conftest import ROOT

# LRG004 on lines 1 and 5, LRG002 (error) on line 4, LRG005 (error) on line 5
CONFIG = """\
learning_rate: "1e-5"{c1}
lr_scheduler_type: cosine_with_min_lr
lr_scheduler_kwargs:
  min_lr: 1.0e-4{c4}
  power: "2e-1"{c5}
warmup_steps: 10
max_steps: 100
"""


def _config(head: str = "", c1: str = "", c4: str = "", c5: str = "") -> str:
    return head + CONFIG.format(c1=c1, c4=c4, c5=c5)


def _findings(run, path, *extra: str) -> tuple[int, list[tuple[str, int]]]:
    code, out, err = run("check", path, "--format", "json", "--no-config", *extra)
    assert err == "", err
    files = json.loads(out)["files"]
    return code, sorted((f["code"], f["line"]) for f in files[0]["findings"])


def _messages(run, path) -> list[str]:
    _, out, _ = run("check", path, "--format", "json", "--no-config")
    return [f["message"] for f in json.loads(out)["files"][0]["findings"] if f["code"] == "LRG034"]


UNSUPPRESSED = [("LRG002", 4), ("LRG004", 1), ("LRG004", 5), ("LRG005", 5)]


def test_without_comments_every_finding_is_reported(run, write):
    assert _findings(run, write("a.yaml", _config())) == (1, UNSUPPRESSED)


def test_a_line_comment_hides_its_codes_on_its_line_only(run, write):
    path = write("a.yaml", _config(c5="  # lrguard: ignore[LRG004]"))
    assert _findings(run, path) == (1, [("LRG002", 4), ("LRG004", 1), ("LRG005", 5)])
    path = write(
        "b.yaml", _config(c5="  # lrguard: ignore[lrg004, LRG005]", c4=" #lrguard:ignore[LRG002]")
    )
    assert _findings(run, path) == (0, [("LRG004", 1)])  # no error left: exit 0


def test_a_comment_above_the_first_key_hides_its_codes_in_the_whole_file(run, write):
    head = "# training run 7\n---\n# lrguard: ignore[LRG004]\n\n"
    path = write("a.yaml", _config(head=head))
    expected = [("LRG002", 8), ("LRG005", 9)]
    assert _findings(run, path) == (1, expected)


def test_a_comment_below_the_first_key_on_its_own_line_is_reported(run, write):
    text = _config().replace("warmup_steps", "# lrguard: ignore[LRG004]\nwarmup_steps")
    path = write("a.yaml", text)
    code, found = _findings(run, path)
    assert found == sorted([*UNSUPPRESSED, ("LRG034", 6)])
    assert "line of its own below the first key" in _messages(run, path)[0]


@pytest.mark.parametrize(
    ("comment", "reason"),
    [
        ("  # lrguard: ignore", "without codes it is not accepted"),
        ("  # lrguard: ignore[]", "without codes it is not accepted"),
        ("  # lrguard: ignore[LRG999]", "LRG999 matches no rule"),
        ("  # lrguard: ignore[LRG4]", "LRG4 matches no rule"),
        ("  # lrguard: ignore[LRG002]", "LRG002 is not reported on line 1"),
        ("  # lrguard: ignore[LRG004,LRG002,LRG005]", "LRG002, LRG005 are not reported on line 1"),
    ],
)
def test_a_suppression_that_hides_nothing_is_lrg034(run, write, comment, reason):
    path = write("a.yaml", _config(c1=comment))
    code, found = _findings(run, path)
    assert ("LRG034", 1) in found
    assert [m for m in _messages(run, path) if reason in m], _messages(run, path)
    hides_lrg004 = "LRG004," in comment
    assert (("LRG004", 1) in found) is not hides_lrg004


def test_an_unused_whole_file_suppression_is_reported(run, write):
    path = write("a.yaml", _config(head="# lrguard: ignore[LRG004, LRG030]\n"))
    assert _findings(run, path) == (1, [("LRG002", 5), ("LRG005", 6), ("LRG034", 1)])
    assert "LRG030 is not reported in this file" in _messages(run, path)[0]


def test_deselected_codes_are_not_unused_and_lrg034_can_be_ignored(run, write):
    path = write("a.yaml", _config(c1="  # lrguard: ignore[LRG002]"))
    assert ("LRG034", 1) in _findings(run, path)[1]
    assert ("LRG034", 1) not in _findings(run, path, "--ignore", "LRG002")[1]
    assert ("LRG034", 1) not in _findings(run, path, "--ignore", "LRG034")[1]
    assert _findings(run, path, "--select", "LRG004")[1] == [("LRG004", 1), ("LRG004", 5)]


def test_json_has_no_comments(run, write):
    text = '{"learning_rate": "1e-5", "note": "x # lrguard: ignore[LRG004]", "max_steps": 9}'
    path = write("a.json", text)
    assert _findings(run, path)[1] == [("LRG004", 1)]


def test_suppressed_findings_leave_sarif_and_statistics_too(run, write):
    path = write(
        "a.yaml", _config(head="# lrguard: ignore[LRG004]\n", c4="  # lrguard: ignore[LRG002]")
    )
    _, out, _ = run("check", path, "--format", "sarif", "--no-config")
    assert [r["ruleId"] for r in json.loads(out)["runs"][0]["results"]] == ["LRG005"]
    _, out, _ = run("check", path, "--statistics", "-q", "--no-config")
    assert out == "1  LRG005  [error] scheduler-kwargs-mismatch\n"


def test_parse_reads_only_comments():
    text = 'a: "x#lrguard: ignore[LRG001]"\nb: 1 # LRGUARD: Ignore [LRG002 , lrg003]\n# x\n'
    parsed = parse_suppressions(text)
    assert [(s.line, s.codes, s.whole_file) for s in parsed] == [(2, ("LRG002", "LRG003"), False)]


# ------------------------------------------------------------------ per-file-ignores


def _project(tmp_path, table: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.lrguard.per-file-ignores]\n{table}\n")
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.yaml").write_text(_config())
    (tmp_path / "new.yaml").write_text(_config())


def test_per_file_ignores_apply_to_matching_files_only(run, tmp_path, monkeypatch):
    _project(tmp_path, '"legacy/*.yaml" = ["LRG004", "LRG00"]')
    monkeypatch.chdir(tmp_path)
    code, out, err = run("check", ".", "--format", "json")
    assert err == ""
    found = {f["path"]: sorted(x["code"] for x in f["findings"]) for f in json.loads(out)["files"]}
    assert found == {
        "legacy/old.yaml": [],
        "new.yaml": ["LRG002", "LRG004", "LRG004", "LRG005"],
    }
    # relative to the folder of pyproject.toml, from wherever lrguard runs
    monkeypatch.chdir(tmp_path / "legacy")
    code, out, _ = run("check", "old.yaml", "--format", "json")
    assert json.loads(out)["files"][0]["findings"] == [] and code == 0


def test_per_file_ignores_match_the_stdin_filename(tmp_path):
    _project(tmp_path, '"legacy/*" = ["LRG0"]')
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    results = {}
    for name in ("legacy/x.yaml", "other/x.yaml"):
        done = subprocess.run(
            [sys.executable, "-m", "lrguard", "check", "-", "--stdin-filename", name, "-q"],
            input=_config().encode(),
            capture_output=True,
            cwd=tmp_path,
            env=env,
            timeout=120,
            check=False,
        )
        results[name] = (done.returncode, done.stdout.decode().count(name))
    assert results == {"legacy/x.yaml": (0, 0), "other/x.yaml": (1, 4)}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('"legacy/*.yaml" = ["LRG999"]', "'LRG999' matches no rule"),
        ('"legacy/*.yaml" = [1]', "must be a list of strings"),
        ('"" = ["LRG004"]', "an empty glob"),
    ],
)
def test_bad_per_file_ignores_are_a_clear_error(run, tmp_path, monkeypatch, table, message):
    _project(tmp_path, table)
    monkeypatch.chdir(tmp_path)
    code, out, err = run("check", ".")
    assert code == 2 and out == "" and message in err and "per-file-ignores" in err


def test_per_file_ignores_must_be_a_table(run, tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.lrguard]\nper-file-ignores = ["LRG004"]\n')
    (tmp_path / "a.yaml").write_text(_config())
    monkeypatch.chdir(tmp_path)
    code, out, err = run("check", "a.yaml")
    assert code == 2 and "per-file-ignores" in err and "must be a table" in err
