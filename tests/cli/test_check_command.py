"""``lrguard check``: exit codes, bad input, formats, selection, settings, kinds, steps."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.cli.conftest import ROOT

HF_BAD = """\
learning_rate: 1.0e-5
lr_scheduler_type: cosine_with_min_lr
lr_scheduler_kwargs:
  min_lr: 1.0e-5
  eta_min: 0
max_steps: 100
"""
HF_OK = "learning_rate: 2.0e-5\nlr_scheduler_type: cosine\nwarmup_ratio: 0.1\nmax_steps: 500\n"


# ---------------------------------------------------------------- unusable input: exit 2


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("bad.yaml", "learning_rate: [1\nfoo: 2\n", "invalid YAML at line 2"),
        ("tabs.yaml", "learning_rate: 1.0e-5\na:\n\tb: 1\n", "invalid YAML at line 3"),
        ("latin.yaml", b"learning_rate: \xe9\xff\n", "not UTF-8"),
        ("list.yaml", "- learning_rate: 1.0e-5\n", "top level is a list"),
        ("multi.yaml", "max_steps: 1\n---\nb: 2\n", "invalid YAML"),
        ("bad.json", '{"learning_rate": 1e-5,}', "invalid JSON at line 1"),
        ("tag.yaml", "learning_rate: !!python/object:os.system x\n", "invalid YAML at line 1"),
    ],
)
def test_unusable_file_exit_2_one_line(run, write, name, content, reason):
    """A file that names a training setting and cannot be read is a broken config."""
    path = write(name, content)
    code, out, err = run("check", path)
    assert code == 2
    lines = [line for line in out.splitlines() if str(path) in line]
    assert len(lines) == 1 and reason in lines[0] and "unusable" in lines[0]
    assert "Traceback" not in out + err


NOT_CONFIGS = {
    # a dataset: a JSON list of records (one mentions learning_rate inside a text value)
    "data/train.json": '[{"instruction": "What is a learning_rate: 1e-5?", "output": "a rate"},'
    '\n {"instruction": "hi", "output": "hello"}]\n',
    # JSON lines saved as .json: invalid JSON
    "data/chat.json": '{"text": "a"}\n{"text": "b"}\n',
    # a docs table of contents (a YAML list)
    "docs/_toctree.yml": "- sections:\n  - local: index\n    title: TRL\n  title: Start\n",
    # mkdocs with a Python tag the safe loader refuses
    "mkdocs.yml": "site_name: x\nmarkdown_extensions:\n  - pymdownx.emoji:\n"
    "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n",
    # a Helm template, even one that sets a learning rate
    "chart/templates/job.yaml": "apiVersion: batch/v1\nkind: Job\nspec:\n"
    "{{- if .Values.train }}\n  args: [--learning_rate, {{ .Values.lr }}]\n{{- end }}\n",
    "chart/templates/cm.yaml": "data:\n  learning_rate: {{ .Values.lr | quote }}\n"
    '  {{- include "x" . | nindent 2 }}\n',
    "scalar.yaml": "just text\n",
    "multi.yaml": "a: 1\n---\nb: 2\n",
    "tabs.yaml": "a:\n\tb: 1\n",
    "bin.yaml": b"\x00\x01\x02binary",
}


def test_non_configs_are_skipped_with_a_reason_and_keep_exit_0(run, write, tmp_path):
    """Datasets, docs, mkdocs and Helm files next to a config never make a run unusable."""
    for name, content in NOT_CONFIGS.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        write(name, content)
    good = write("train.yaml", HF_OK)
    code, out, err = run("check", tmp_path, "-v")
    assert code == 0, out + err
    assert "unusable" not in out.replace("0 unusable", "")
    for name in NOT_CONFIGS:
        (line,) = [x for x in out.splitlines() if x.startswith(f"{tmp_path / name}: ")]
        assert ": skipped: " in line, line
    assert f"{len(NOT_CONFIGS)} skipped" in out and "1 config(s) checked" in out
    templates = [x for x in out.splitlines() if "/templates/" in x]
    assert all("a template" in x for x in templates), templates
    code, out, _ = run("check", *(tmp_path / n for n in NOT_CONFIGS), good)  # as pre-commit does
    assert code == 0, out
    broken = write("broken.yaml", "learning_rate: 1.0e-5\nlr_scheduler_type: [cosine\n")
    code, out, _ = run("check", tmp_path)
    assert code == 2 and f"{broken}: unusable: invalid YAML" in out


def test_missing_path_and_folder_reasons(run, tmp_path):
    code, out, _ = run("check", tmp_path / "nope.yaml")
    assert code == 2 and "nope.yaml: unusable: no such file" in out
    code, _, err = run("check", tmp_path)  # an empty folder: nothing to check, as in ruff
    assert code == 0 and "warning: no YAML/JSON config files" in err


def test_empty_file_is_skipped_not_unusable(run, write):
    code, out, _ = run("check", write("empty.yaml", ""), "-v")
    assert code == 0 and "skipped: empty" in out


# ---------------------------------------------------------------- bad values: findings


def test_nested_nonsense_everywhere_no_crash(run, write):
    path = write(
        "n.yaml",
        "learning_rate: {a: 1}\nlr_scheduler_type: [x]\nwarmup_steps: {}\n"
        "lr_scheduler_kwargs: 5\nnum_train_epochs: zz\nmax_steps: [1]\n",
    )
    code, out, err = run("check", path, "--dataset-size", "100")
    assert code == 1 and "LRG003" in out and "Traceback" not in out + err


def test_error_exits_1_and_points_at_the_line(run, write):
    path = write("hf.yaml", HF_BAD)
    code, out, _ = run("check", path)
    assert code == 1
    assert f"{path}:4: LRG002 [warning]" in out  # min_lr is on line 4
    assert f"{path}:5: LRG005 [error]" in out  # eta_min is not a cosine_with_min_lr kwarg


def test_clean_config_exits_0(run, write):
    code, out, _ = run("check", write("ok.yaml", HF_OK))
    assert code == 0 and "1 config(s) checked" in out and "0 error(s)" in out


def test_strict_turns_warnings_into_exit_1(run, write):
    path = write("w.yaml", "learning_rate: 2e-5\nlr_scheduler_type: linear\nmax_steps: 10\n")
    assert run("check", path)[0] == 0  # LRG004 is a warning
    assert run("check", path, "--strict")[0] == 1


def test_select_and_ignore(run, write):
    path = write("hf.yaml", HF_BAD)
    assert run("check", path, "--ignore", "LRG005")[0] == 0
    assert run("check", path, "--ignore", "LRG002")[0] == 1
    code, out, _ = run("check", path, "--select", "LRG03")
    assert code == 0 and "LRG002" not in out


# ---------------------------------------------------------------- formats


def test_json_format_stable_schema(run, write):
    path = write("hf.yaml", HF_BAD)
    code, out, _ = run("check", path, "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["version"] == 1
    entry = doc["files"][0]
    assert set(entry) == {"path", "status", "kind", "reason", "steps", "findings"}
    assert entry["kind"] == "hf" and entry["steps"] == {"total": 100, "source": "max_steps=100"}
    finding = next(f for f in entry["findings"] if f["code"] == "LRG002")
    assert set(finding) == {
        "code",
        "name",
        "severity",
        "message",
        "fix",
        "location",
        "field",
        "value",
        "line",
    }
    assert finding["line"] == 4 and finding["name"] == "min-not-below-peak"
    assert doc["summary"]["findings"]["warning"] >= 1


def test_github_format_annotations(run, write):
    path = write("hf.yaml", HF_BAD)
    _, out, _ = run("check", path, "--format", "github")
    line = next(x for x in out.splitlines() if "LRG002" in x)
    assert line.startswith(
        f"::warning file={path},line=4,title=lrguard LRG002 min-not-below-peak::"
    )
    bad = write("bad.yaml", "learning_rate: [\n")
    code, out, _ = run("check", bad, "--format", "github")
    assert code == 2 and out.startswith(f"::error file={bad},title=lrguard::invalid YAML")


# ---------------------------------------------------------------- settings and kinds


def test_pyproject_settings(run, write, tmp_path, monkeypatch):
    path = write("hf.yaml", HF_BAD)
    write("pyproject.toml", '[tool.lrguard]\nignore = ["LRG005"]\nformat = "json"\n')
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("check", path)
    assert code == 0 and json.loads(out)["summary"]["by_code"].get("LRG005") is None
    assert run("check", path, "--no-config")[0] == 1


def test_pyproject_unknown_key_exit_2(run, write, tmp_path, monkeypatch):
    write("pyproject.toml", "[tool.lrguard]\nignroe = ['LRG002']\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = run("check", write("hf.yaml", HF_OK))
    assert code == 2 and "unknown [tool.lrguard] key(s) ignroe" in err


def test_flair_convention_and_kind_override(run, write):
    flair = write("f.yaml", "flair_train:\n  learning_rate: 1.0e-5\n  patience: 10\n")
    code, out, _ = run("check", flair)
    assert (
        code == 1
        and f"{flair}:2: LRG001" not in out
        and "LRG001 [error] learning_rate=1e-05" in out
    )
    bare = write("kwargs.yaml", "learning_rate: 1.0e-5\nmin_learning_rate: 1.0e-6\n")
    code, out, _ = run("check", bare, "--kind", "flair")
    assert code == 0 and "LRG007" in out  # the anneal budget of a valid Flair setup
    code, out, _ = run("check", write("bad.yaml", "flair_train:\n  anneal_factor: 2\n"))
    assert code == 1 and ":2: LRG050 [error] anneal_factor=2 cannot be used" in out


def test_floor_above_peak_is_an_error_at_the_peak_a_warning(run, write):
    """The rate rises all run above the peak: CI must fail; at the peak it only never decays."""
    base = "learning_rate: 1.0e-5\nmax_steps: 100\nlr_scheduler_type: {}\nlr_scheduler_kwargs: {}\n"
    cases = [
        ("cosine_with_min_lr", "{min_lr: 1.0e-4}", "{min_lr: 1.0e-5}", "LRG002"),
        ("cosine_with_min_lr", "{min_lr_rate: 10}", "{min_lr_rate: 1}", "LRG002"),
        ("reduce_lr_on_plateau", "{min_lr: 1.0e-4}", "{min_lr: 1.0e-5}", "LRG012"),
        ("greedy", "{min_lr: 1.0e-4}", "{min_lr: 1.0e-5}", "LRG013"),
        ("polynomial", "{lr_end: 1.0e-4}", "{lr_end: 1.0e-5}", "LRG011"),
    ]
    for name, above, equal, code in cases:
        extra = "eval_strategy: epoch\n" if code in ("LRG012", "LRG013") else ""
        rc, out, _ = run("check", write("above.yaml", base.format(name, above) + extra))
        assert rc == 1 and f"{code} [error]" in out, (name, out)
        rc, out, _ = run("check", write("equal.yaml", base.format(name, equal) + extra))
        at_peak = "error" if code == "LRG011" else "warning"  # polynomial: transformers raises
        if "min_lr_rate" in equal:  # a ratio of 1: a deliberate constant rate
            at_peak = "info"
        assert f"{code} [{at_peak}]" in out, (name, out)


def test_accelerate_config_is_skipped(run, write):
    path = write("acc.yaml", "compute_environment: LOCAL_MACHINE\nnum_processes: 2\n")
    code, out, _ = run("check", path, "-v")
    assert code == 0 and "skipped: accelerate launch config" in out


# ---------------------------------------------------------------- process level


def test_module_entry_point_imports_no_framework(tmp_path):
    cfg = tmp_path / "hf.yaml"
    cfg.write_text(HF_BAD)
    code = (
        "import sys\n"
        "from lrguard.cli import main\n"
        f"rc = main(['check', {str(cfg)!r}, '--format', 'json'])\n"
        "main(['simulate', " + repr(str(cfg)) + ", '--format', 'csv'])\n"
        "bad = [m for m in ('torch', 'flair', 'transformers') if m in sys.modules]\n"
        "print('IMPORTED', bad)\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert "IMPORTED []" in proc.stdout, proc.stdout[-500:] + proc.stderr[-500:]
    assert proc.returncode == 1


def test_python_dash_m_runs_without_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "lrguard", "check", str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 2 and "no such file" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_usage_error_exit_2(run):
    assert run("check")[0] == 2
    assert run("check", "x.yaml", "--format", "xml")[0] == 2
    assert run("check", "x.yaml", "--steps", "-3")[0] == 2
