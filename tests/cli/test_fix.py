"""``lrguard check --fix`` / ``--diff`` / ``--unsafe-fixes`` on hand-written configs.

Each fixable rule, YAML with comments / anchors / quotes / flow mappings / CRLF / a BOM, JSON
with 2- and 4-space indents, nested ``lr_scheduler_kwargs``, LLaMA-Factory, axolotl and Flair
keys; exit codes; what is never fixed (suppressed, ignored, ambiguous) and a file that cannot
be written.
"""

from __future__ import annotations

import difflib
import json
import os
import stat
import subprocess
import sys

import pytest
import yaml

from lrguard.checking import CheckOptions, check_paths
from lrguard.fixing import machine_fixable

HF_ABOVE = """\
# fine-tuning run
learning_rate: 1e-5   # a string in YAML 1.1
lr_scheduler_type: cosine_with_min_lr
lr_scheduler_kwargs:
  min_lr: 1.0e-4  # ten times the peak
max_steps: 1000
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _findings(path):
    return check_paths([path], CheckOptions())[0].findings


def _fixable(path):
    return [f.code for f in _findings(path) if machine_fixable(f)]


def test_fix_rewrites_only_the_values_and_keeps_comments(run, write):
    cfg = write("train.yaml", HF_ABOVE)
    code, out, err = run("check", "--fix", "--no-config", cfg)
    assert cfg.read_text() == HF_ABOVE.replace("1e-5   #", "1.0e-5   #").replace(
        "min_lr: 1.0e-4", "min_lr: 1.0e-6"
    )
    assert code == 0, out + err
    assert "Found 2 findings (2 fixed, 0 remaining)." in out
    assert _findings(cfg) == []


def test_diff_prints_a_unified_diff_writes_nothing_and_exits_1(run, write):
    cfg = write("train.yaml", HF_ABOVE)
    code, out, err = run("check", "--diff", "--no-config", "train.yaml")
    assert code == 1
    assert cfg.read_text() == HF_ABOVE
    assert out.startswith("--- a/train.yaml\n+++ b/train.yaml\n@@ ")
    assert "-  min_lr: 1.0e-4  # ten times the peak\n+  min_lr: 1.0e-6  # ten times the peak" in out
    assert "Would fix 2 findings in 1 file." in err
    run("check", "--fix", "--no-config", "train.yaml")  # the diff is what --fix writes
    lines = difflib.unified_diff(
        HF_ABOVE.splitlines(keepends=True),
        cfg.read_text().splitlines(keepends=True),
        "a/train.yaml",
        "b/train.yaml",
    )
    assert out == "".join(lines)


def test_diff_exits_0_without_fixes_and_2_on_unusable_input(run, write):
    clean = write("clean.yaml", "learning_rate: 1.0e-5\nmax_steps: 10\n")
    code, out, _ = run("check", "--diff", "--no-config", clean)
    assert (code, out) == (0, "")
    write("broken.yaml", "learning_rate: [1.0e-5\n")
    code, _, err = run("check", "--diff", "--no-config", clean, "broken.yaml")
    assert code == 2 and "unusable" in err


def test_fix_exit_code_reflects_what_remains(run, write):
    # LRG004 is fixed; LRG005's missing floor is an unsafe fix: the error remains (exit 1)
    cfg = write("t.yaml", "learning_rate: 1e-5\nlr_scheduler_type: cosine_with_min_lr\n")
    code, out, _ = run("check", "--fix", "--no-config", cfg)
    assert code == 1
    assert "LRG005 [error]" in out
    assert "Found 2 findings (1 fixed, 1 remaining)." in out
    assert "1 more fix available with --unsafe-fixes" in out
    assert cfg.read_text() == "learning_rate: 1.0e-5\nlr_scheduler_type: cosine_with_min_lr\n"
    code, out, _ = run("check", "--fix", "--unsafe-fixes", "--no-config", cfg)
    assert code == 0, out
    assert cfg.read_text() == (
        "learning_rate: 1.0e-5\nlr_scheduler_type: cosine_with_min_lr\n"
        "lr_scheduler_kwargs: {min_lr_rate: 0.1}\n"
    )


@pytest.mark.parametrize(
    ("text", "fixed", "code"),
    [
        pytest.param(  # LRG004: quotes dropped, the file's digits kept
            'learning_rate: "5e-5"\nmax_steps: 10\n',
            "learning_rate: 5.0e-5\nmax_steps: 10\n",
            "LRG004",
            id="quoted-string-number",
        ),
        pytest.param(  # LRG002 in a flow mapping, the anchor-free neighbours untouched
            "learning_rate: 2.0e-5\nlr_scheduler_type: cosine_with_min_lr\n"
            "lr_scheduler_kwargs: {min_lr: 3.0e-4, num_cycles: 0.5}\nmax_steps: 9\n",
            "learning_rate: 2.0e-5\nlr_scheduler_type: cosine_with_min_lr\n"
            "lr_scheduler_kwargs: {min_lr: 2.0e-6, num_cycles: 0.5}\nmax_steps: 9\n",
            "LRG002",
            id="flow-mapping",
        ),
        pytest.param(  # LRG011: polynomial lr_end above the peak
            "learning_rate: 1.0e-5\nlr_scheduler_type: polynomial\n"
            "lr_scheduler_kwargs: {lr_end: 1.0e-4, power: 2.0}\nmax_steps: 40\n",
            "learning_rate: 1.0e-5\nlr_scheduler_type: polynomial\n"
            "lr_scheduler_kwargs: {lr_end: 1.0e-6, power: 2.0}\nmax_steps: 40\n",
            "LRG011",
            id="polynomial-lr-end",
        ),
        pytest.param(  # LRG012: plateau floor above the rate -> 0.001x (three reductions)
            "learning_rate: 1.0e-5\nlr_scheduler_type: reduce_lr_on_plateau\n"
            "eval_strategy: epoch\nlr_scheduler_kwargs:\n  min_lr: 0.0001  # floor\n",
            "learning_rate: 1.0e-5\nlr_scheduler_type: reduce_lr_on_plateau\n"
            "eval_strategy: epoch\nlr_scheduler_kwargs:\n  min_lr: 0.00000001  # floor\n",
            "LRG012",
            id="plateau-floor-decimal",
        ),
        pytest.param(  # LRG001 (Flair): the missing min_learning_rate added after the rate
            "flair_train:\n  learning_rate: 1.0e-5  # the rate\n  patience: 10\n",
            "flair_train:\n  learning_rate: 1.0e-5  # the rate\n"
            "  min_learning_rate: 1.0e-06\n  patience: 10\n",
            "LRG001",
            id="flair-default-min",
        ),
        pytest.param(  # LRG001, one value per param group: only the group's own item
            "flair_train:\n  learning_rate: 1.0e-5\n  decoder_learning_rate: 1.0e-3\n"
            "  min_learning_rate: [1.0e-4, 1.0e-4]\n",
            "flair_train:\n  learning_rate: 1.0e-5\n  decoder_learning_rate: 1.0e-3\n"
            "  min_learning_rate: [1.0e-4, 1.0e-6]\n",
            "LRG001",
            id="flair-list-min",
        ),
    ],
)
def test_each_safe_fix(run, write, text, fixed, code):
    cfg = write("c.yaml", text)
    assert code in _fixable(cfg)
    run("check", "--fix", "--no-config", cfg)
    assert cfg.read_text() == fixed
    assert code not in [f.code for f in _findings(cfg)]


@pytest.mark.parametrize(
    ("text", "fixed", "code"),
    [
        pytest.param(  # LRG006: warmup shortened to 10 % of the run
            "learning_rate: 1.0e-5\nmax_steps: 40\nwarmup_steps: 100  # long\n",
            "learning_rate: 1.0e-5\nmax_steps: 40\nwarmup_steps: 4  # long\n",
            "LRG006",
            id="warmup",
        ),
        pytest.param(  # LRG014: the plateau mode flipped, its quotes kept
            "lr_scheduler_type: reduce_lr_on_plateau\neval_strategy: epoch\n"
            "metric_for_best_model: accuracy\ngreater_is_better: true\n"
            "lr_scheduler_kwargs:\n  mode: 'min'  # wrong way round\n",
            "lr_scheduler_type: reduce_lr_on_plateau\neval_strategy: epoch\n"
            "metric_for_best_model: accuracy\ngreater_is_better: true\n"
            "lr_scheduler_kwargs:\n  mode: 'max'  # wrong way round\n",
            "LRG014",
            id="plateau-mode",
        ),
        pytest.param(  # LRG018: the decay fitted to the steps after warmup
            "lr_scheduler_type: warmup_stable_decay\nmax_steps: 40\nwarmup_steps: 4\n"
            "lr_scheduler_kwargs: {num_decay_steps: 100}\n",
            "lr_scheduler_type: warmup_stable_decay\nmax_steps: 40\nwarmup_steps: 4\n"
            "lr_scheduler_kwargs: {num_decay_steps: 36}\n",
            "LRG018",
            id="wsd",
        ),
        pytest.param(  # LRG021: kwargs the schedule drops, removed
            "lr_scheduler_type: constant_with_warmup\nlr_scheduler_kwargs: {min_lr: 1.0e-6}\n",
            "lr_scheduler_type: constant_with_warmup\nlr_scheduler_kwargs: {}\n",
            "LRG021",
            id="kwargs-ignored",
        ),
        pytest.param(  # LRG002 at the peak (a constant rate, maybe meant): unsafe
            "learning_rate: 1.0e-5\nlr_scheduler_type: cosine_with_min_lr\n"
            "lr_scheduler_kwargs: {min_lr: 1.0e-5}\nmax_steps: 10\n",
            "learning_rate: 1.0e-5\nlr_scheduler_type: cosine_with_min_lr\n"
            "lr_scheduler_kwargs: {min_lr: 1.0e-6}\nmax_steps: 10\n",
            "LRG002",
            id="floor-at-peak",
        ),
    ],
)
def test_each_unsafe_fix_needs_unsafe_fixes(run, write, text, fixed, code):
    cfg = write("c.yaml", text)
    assert code in _fixable(cfg)
    status, out, _ = run("check", "--fix", "--no-config", cfg)
    assert cfg.read_text() == text
    assert "more fix available with --unsafe-fixes" in out
    status, out, err = run("check", "--diff", "--unsafe-fixes", "--no-config", cfg)
    assert status == 1 and cfg.read_text() == text
    run("check", "--fix", "--unsafe-fixes", "--no-config", cfg)
    assert cfg.read_text() == fixed
    assert code not in [f.code for f in _findings(cfg)]


def test_greedy_default_floor_is_added_for_transformers_5(run, write):
    write("pyproject.toml", '[tool.lrguard]\ntransformers-version = "5.2"\n')
    cfg = write(
        "g.yaml", "learning_rate: 2.0e-5\nlr_scheduler_type: greedy\neval_strategy: epoch\n"
    )
    code, out, _ = run("check", "--fix", cfg)
    assert code == 0, out
    assert cfg.read_text() == (
        "learning_rate: 2.0e-5\nlr_scheduler_type: greedy\n"
        "lr_scheduler_kwargs: {min_lr: 2.0e-08}\neval_strategy: epoch\n"
    )


@pytest.mark.parametrize("indent", [2, 4])
def test_json_keeps_its_indentation_and_key_order(run, write, indent):
    data = {
        "output_dir": "out",
        "learning_rate": "2e-5",
        "lr_scheduler_type": "cosine_with_min_lr",
        "lr_scheduler_kwargs": {"min_lr": 1e-4, "num_cycles": 0.5},
        "max_steps": 100,
    }
    text = json.dumps(data, indent=indent) + "\n"
    cfg = write("args.json", text)
    run("check", "--fix", "--no-config", cfg)
    new = cfg.read_text()
    expected = dict(
        data, learning_rate=2e-5, lr_scheduler_kwargs={"min_lr": 2e-6, "num_cycles": 0.5}
    )
    assert json.loads(new) == expected
    assert list(json.loads(new)) == list(data)
    old_lines, new_lines = text.splitlines(), new.splitlines()
    assert len(old_lines) == len(new_lines)
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    pad = " " * indent
    assert changed == [
        (f'{pad}"learning_rate": "2e-5",', f'{pad}"learning_rate": 2e-5,'),
        (f'{pad * 2}"min_lr": 0.0001,', f'{pad * 2}"min_lr": 0.000002,'),
    ]


def test_json_nested_kwargs_gets_a_missing_key_with_unsafe_fixes(run, write):
    text = (
        '{\n    "learning_rate": 1e-05,\n    "lr_scheduler_type": "cosine_with_min_lr",\n'
        '    "lr_scheduler_kwargs": {\n        "num_cycles": 0.5\n    },\n'
        '    "max_steps": 100\n}\n'
    )
    cfg = write("args.json", text)
    run("check", "--fix", "--unsafe-fixes", "--no-config", cfg)
    assert cfg.read_text() == text.replace(
        '"num_cycles": 0.5\n', '"num_cycles": 0.5,\n        "min_lr_rate": 0.1\n'
    )


def test_llamafactory_keys(run, write):
    text = (
        "### model\nmodel_name_or_path: Qwen/Qwen2.5-0.5B\nstage: sft\ndo_train: true\n"
        "finetuning_type: lora\ntemplate: qwen\ndataset: alpaca_en_demo\n\n### train\n"
        "learning_rate: 1e-4\nlr_scheduler_type: cosine_with_min_lr\n"
        "lr_scheduler_kwargs:\n  min_lr: 1.0e-3   # above the peak\nmax_steps: 100\n"
    )
    cfg = write("llama3_lora_sft.yaml", text)
    run("check", "--fix", "--no-config", cfg)
    assert cfg.read_text() == text.replace("learning_rate: 1e-4", "learning_rate: 1.0e-4").replace(
        "min_lr: 1.0e-3", "min_lr: 1.0e-5"
    )


def test_axolotl_keys_use_axolotls_names(run, write):
    text = (
        "base_model: NousResearch/Llama-3.2-1B\nmicro_batch_size: 2\nnum_epochs: 1\n"
        "learning_rate: 2e-5\nlr_scheduler: cosine\ncosine_min_lr_ratio: 10   # oops\n"
    )
    cfg = write("axolotl.yaml", text)
    code, out, _ = run("check", "--fix", "--no-config", cfg)
    assert cfg.read_text() == text.replace("2e-5", "2.0e-5").replace(": 10 ", ": 0.1 ")
    assert "Found 2 findings (2 fixed" in out


def test_crlf_line_endings_and_bom_are_kept(run, write):
    text = "learning_rate: 1e-5\r\nlr_scheduler_type: linear\r\nmax_steps: 10\r\n"
    cfg = write("w.yaml", b"\xef\xbb\xbf" + text.encode())
    run("check", "--fix", "--no-config", cfg)
    assert cfg.read_bytes() == b"\xef\xbb\xbf" + text.replace("1e-5", "1.0e-5").encode()


def test_shared_anchor_is_not_fixed_and_said_once(run, write):
    text = "defaults: &lr 1e-5\nlearning_rate: *lr\nmax_steps: 10\n"
    cfg = write("a.yaml", text)
    code, out, _ = run("check", "--fix", "--no-config", cfg)
    assert cfg.read_text() == text
    notes = [line for line in out.splitlines() if "fix not applied" in line]
    assert notes == [
        f"{cfg}:2: LRG004 fix not applied: learning_rate is shared through a YAML "
        "anchor/alias with other settings: changing it would change them too; edit it by hand"
    ]


def test_unused_anchor_is_kept(run, write):
    cfg = write("a.yaml", "learning_rate: &lr 1e-5\nmax_steps: 10\n")
    run("check", "--fix", "--no-config", cfg)
    assert cfg.read_text() == "learning_rate: &lr 1.0e-5\nmax_steps: 10\n"


def test_kwargs_written_as_json_text_are_left_alone(run, write):
    text = (
        "learning_rate: 1.0e-5\nlr_scheduler_type: cosine_with_min_lr\n"
        "lr_scheduler_kwargs: '{\"min_lr\": 1e-4}'\n"
    )
    cfg = write("j.yaml", text)
    code, out, _ = run("check", "--fix", "--no-config", cfg)
    assert code == 1 and cfg.read_text() == text
    assert "LRG002 fix not applied: lr_scheduler_kwargs is written as text" in out


def test_block_kwargs_removal_is_left_to_the_user(run, write):
    text = "lr_scheduler_type: constant_with_warmup\nlr_scheduler_kwargs:\n  min_lr: 1.0e-6\n"
    cfg = write("k.yaml", text)
    run("check", "--fix", "--unsafe-fixes", "--no-config", cfg)
    assert cfg.read_text() == text


def test_suppressed_finding_is_never_fixed(run, write):
    text = (
        "learning_rate: 1.0e-5\nlr_scheduler_type: cosine_with_min_lr\n"
        "lr_scheduler_kwargs:\n  min_lr: 1.0e-4  # lrguard: ignore[LRG002]\nmax_steps: 10\n"
    )
    cfg = write("s.yaml", text)
    code, out, _ = run("check", "--fix", "--no-config", cfg)
    assert (code, cfg.read_text()) == (0, text)
    assert "Found 0 findings (0 fixed, 0 remaining)." in out


def test_select_ignore_and_per_file_ignores_limit_the_fixes(run, write):
    cfg = write("train.yaml", HF_ABOVE)
    run("check", "--fix", "--no-config", "--ignore", "LRG004", cfg)
    assert "learning_rate: 1e-5 " in cfg.read_text() and "min_lr: 1.0e-6" in cfg.read_text()
    cfg = write("train.yaml", HF_ABOVE)
    run("check", "--fix", "--no-config", "--select", "LRG004", cfg)
    assert "learning_rate: 1.0e-5 " in cfg.read_text() and "min_lr: 1.0e-4" in cfg.read_text()
    cfg = write("train.yaml", HF_ABOVE)
    write("pyproject.toml", '[tool.lrguard.per-file-ignores]\n"train.yaml" = ["LRG00"]\n')
    code, _, _ = run("check", "--fix", cfg)
    assert (code, cfg.read_text()) == (0, HF_ABOVE)


def test_unsafe_fixes_setting_and_its_override(run, write):
    text = "learning_rate: 1.0e-5\nmax_steps: 40\nwarmup_steps: 100\n"
    write("pyproject.toml", "[tool.lrguard]\nunsafe-fixes = true\n")
    cfg = write("w.yaml", text)
    run("check", "--fix", "--no-unsafe-fixes", cfg)
    assert cfg.read_text() == text
    run("check", "--fix", cfg)
    assert cfg.read_text() == text.replace("100", "4")


def test_fix_setting_is_refused(run, write):
    write("pyproject.toml", "[tool.lrguard]\nfix = true\n")
    cfg = write("w.yaml", HF_ABOVE)
    code, _, err = run("check", cfg)
    assert code == 2 and "pass --fix (or --diff) on the command line" in err


@pytest.mark.parametrize(
    "argv",
    [["--fix", "--diff"], ["--unsafe-fixes"]],
    ids=["fix-and-diff", "unsafe-without-fix"],
)
def test_usage_errors(run, write, argv):
    cfg = write("train.yaml", HF_ABOVE)
    code, _, err = run("check", *argv, "--no-config", cfg)
    assert code == 2 and err.startswith("lrguard: ")
    assert cfg.read_text() == HF_ABOVE


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_read_only_file_is_not_written(run, write, tmp_path):
    cfg = write("ro.yaml", HF_ABOVE)
    cfg.chmod(0o444)
    try:
        code, out, err = run("check", "--fix", "--no-config", cfg)
    finally:
        cfg.chmod(0o644)
    assert code == 2
    assert "ro.yaml: fix not written: the file is read-only" in err
    assert "Traceback" not in err
    assert cfg.read_text() == HF_ABOVE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ro.yaml"]  # no temporary file


def test_write_error_leaves_no_half_written_file(run, write, tmp_path, monkeypatch):
    cfg = write("t.yaml", HF_ABOVE)

    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("lrguard.fixing.os.replace", refuse)
    code, _, err = run("check", "--fix", "--no-config", cfg)
    assert code == 2 and "No space left on device" in err
    assert cfg.read_text() == HF_ABOVE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.yaml"]


def test_symlink_target_is_rewritten_and_the_link_kept(run, write, tmp_path):
    real = write("real.yaml", HF_ABOVE)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    run("check", "--fix", "--no-config", link)
    assert link.is_symlink()
    assert "min_lr: 1.0e-6" in real.read_text()


def test_permissions_are_kept(run, write):
    cfg = write("p.yaml", HF_ABOVE)
    cfg.chmod(0o640)
    run("check", "--fix", "--no-config", cfg)
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o640


def test_stdin_fix_prints_the_fixed_config(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lrguard",
            "check",
            "--fix",
            "--no-config",
            "-",
            "--stdin-filename",
            "train.yaml",
        ],
        input=HF_ABOVE,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == HF_ABOVE.replace("1e-5   #", "1.0e-5   #").replace(
        "min_lr: 1.0e-4", "min_lr: 1.0e-6"
    )
    assert "Found 2 findings (2 fixed, 0 remaining)." in done.stderr


def test_json_output_stays_valid_with_fix(run, write):
    cfg = write("train.yaml", HF_ABOVE)
    code, out, err = run("check", "--fix", "--format", "json", "--no-config", cfg)
    doc = json.loads(out)
    assert doc["summary"]["findings"] == {"error": 0, "warning": 0, "info": 0}
    assert "Found 2 findings (2 fixed, 0 remaining)." in err


def test_fixed_file_reads_as_yaml_with_the_new_values(write, run):
    cfg = write("train.yaml", HF_ABOVE)
    run("check", "--fix", "--no-config", cfg)
    data = yaml.safe_load(cfg.read_text())
    assert data == {
        "learning_rate": 1e-5,
        "lr_scheduler_type": "cosine_with_min_lr",
        "lr_scheduler_kwargs": {"min_lr": 1e-6},
        "max_steps": 1000,
    }


def test_string_floor_above_the_peak_is_one_edit_fixing_both_findings(run, write):
    # LRG004 (a string) and LRG002 (above the peak) name the same setting: the number it
    # reads as is superseded by the floor LRG002 computes from it, as the runtime guard does
    text = (
        "learning_rate: 1.0e-5\nlr_scheduler_type: cosine_with_min_lr\n"
        "lr_scheduler_kwargs:\n  min_lr: 1e-4   # string, above\nmax_steps: 10\n"
    )
    cfg = write("combo.yaml", text)
    assert sorted(_fixable(cfg)) == ["LRG002", "LRG004"]
    code, out, _ = run("check", "--fix", "--no-config", cfg)
    assert cfg.read_text() == text.replace("min_lr: 1e-4 ", "min_lr: 1.0e-6 ")
    assert (code, "Found 2 findings (2 fixed, 0 remaining)." in out) == (0, True)
