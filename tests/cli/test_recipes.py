"""TRL / alignment-handbook / HfArgumentParser recipes: recognized by their keys, checked as
Hugging Face configs whether or not they set ``do_train``; string numbers graded by the
program that reads the file; a fraction in ``warmup_steps`` read by transformers version."""

from __future__ import annotations

import json

import pytest

from lrguard.configs.kinds import detect_kind

# alignment-handbook v0.2.0 style (H4ArgumentParser: HfArgumentParser.parse_yaml_file)
H4_RECIPE = """\
model_name_or_path: mistralai/Mistral-7B-v0.1
torch_dtype: bfloat16
dataset_mixer:
  HuggingFaceH4/ultrafeedback_binarized: 1.0
dataset_splits:
- train_prefs
beta: 0.01
learning_rate: 6e-06
lr_scheduler_type: cosine
num_train_epochs: 1
warmup_ratio: 0.1
"""
# TRL CLI / TrlParser recipe (trl sft --config recipe.yaml)
TRL_RECIPE = """\
model_name_or_path: Qwen/Qwen2.5-0.5B
dataset_name: trl-lib/Capybara
learning_rate: 6e-06
lr_scheduler_type: cosine_with_min_lr
lr_scheduler_kwargs:
  min_lr_rate: 0.1
max_steps: 1000
"""
PLAIN = "model_name_or_path: x\nlearning_rate: 6e-06\nmax_steps: 100\n"


def _findings(run, path, *extra):
    code, out, _ = run("check", path, "--no-config", "--format", "json", *extra)
    return code, json.loads(out)["files"][0]


def test_recipes_without_do_train_are_checked_as_hf(run, write):
    for name, text, reader in (
        ("h4.yaml", H4_RECIPE, "alignment-handbook recipe"),
        ("trl.yaml", TRL_RECIPE, "TRL recipe"),
        ("plain.yaml", PLAIN, "TrainingArguments keys"),
    ):
        _, entry = _findings(run, write(name, text))
        assert entry["status"] == "checked" and entry["kind"] == "hf", entry
        assert entry["reason"].startswith(reader), entry["reason"]


def test_llamafactory_is_recognized_by_its_own_keys():
    lf = {"model_name_or_path": "m", "stage": "sft", "template": "llama3", "learning_rate": 1e-4}
    assert detect_kind({**lf, "do_train": True}).kind == "llamafactory"
    skipped = detect_kind(lf)
    assert skipped.kind is None
    assert skipped.reason == (
        "LLaMA-Factory config (stage, template) without do_train: true: evaluation / export only"
    )
    # model_name_or_path alone is no LLaMA-Factory evidence: TrainingArguments for a script
    assert detect_kind({"model_name_or_path": "m", "learning_rate": 1e-4}).kind == "hf"


def test_kind_option_still_overrides(run, write):
    path = write("h4.yaml", H4_RECIPE)
    _, entry = _findings(run, path, "--kind", "llamafactory")
    assert entry["kind"] == "llamafactory" and entry["reason"] == "--kind llamafactory"
    lrg004 = [f for f in entry["findings"] if f["code"] == "LRG004"]
    assert lrg004 and lrg004[0]["severity"] == "info"  # LLaMA-Factory converts it


@pytest.mark.parametrize(
    ("text", "severity", "words"),
    [
        # H4ArgumentParser hands "6e-06" to TrainingArguments and then to AdamW: a crash
        (H4_RECIPE, "error", "alignment-handbook's H4ArgumentParser"),
        # TrlParser sets it as an argparse default; argparse converts it with the field type
        (TRL_RECIPE, "info", "TRL's TrlParser converts it itself"),
        # a plain TrainingArguments file: who reads it is unknown
        (PLAIN, "warning", "HfArgumentParser.parse_yaml_file and TrainingArguments(**cfg)"),
    ],
    ids=["alignment-handbook-v0.2", "trl", "plain"],
)
def test_string_learning_rate_severity_follows_the_reader(run, write, text, severity, words):
    code, entry = _findings(run, write("r.yaml", text))
    (found,) = [f for f in entry["findings"] if f["code"] == "LRG004"]
    assert found["severity"] == severity and found["field"] == "learning_rate"
    assert words in found["message"], found["message"]
    assert "learning_rate='6e-06' is a string" in found["message"]
    assert code == (1 if severity == "error" else 0)


def test_trl_does_not_convert_numbers_inside_scheduler_kwargs(run, write):
    text = TRL_RECIPE.replace("learning_rate: 6e-06", "learning_rate: 6.0e-06").replace(
        "min_lr_rate: 0.1", "min_lr: 6e-07"
    )
    code, entry = _findings(run, write("kw.yaml", text))
    (found,) = [f for f in entry["findings"] if f["code"] == "LRG004"]
    assert found["field"] == "lr_scheduler_kwargs.min_lr" and found["severity"] == "error"
    assert code == 1


FRACTION = "learning_rate: 1.0e-4\nlr_scheduler_type: cosine\nwarmup_steps: 0.1\nmax_steps: 200\n"


@pytest.mark.parametrize(
    ("declared", "severity", "words"),
    [
        (
            None,
            "warning",
            "transformers 5 reads it as 10 % of the run (20 steps); transformers 4.57 refuses it",
        ),
        (
            "4.57",
            "error",
            "transformers 4.57 refuses it (ValueError in TrainingArguments); "
            "5.x would read it as 10 % of the run (20 steps)",
        ),
        ("5.2", None, "transformers 5's own form of a warmup fraction: no finding"),
    ],
)
def test_fractional_warmup_steps_by_transformers_version(
    run, write, monkeypatch, declared, severity, words
):
    import lrguard.cli

    monkeypatch.setattr(lrguard.cli, "installed_transformers", lambda: None)
    folder = write("train.yaml", FRACTION).parent
    if declared:
        write("pyproject.toml", f'[tool.lrguard]\ntransformers-version = "{declared}"\n')
    monkeypatch.chdir(folder)
    code, out, _ = run("check", "train.yaml", "--format", "json")
    found = [f for f in json.loads(out)["files"][0]["findings"] if f["code"] == "LRG032"]
    if severity is None:
        assert found == [] and code == 0
        return
    (found,) = found
    assert found["severity"] == severity and found["line"] == 3
    assert words in found["message"], found["message"]
    assert found["fix"].startswith("Set warmup_ratio: 0.1 for transformers 4.x")
    assert code == (1 if severity == "error" else 0)


def test_fractional_warmup_in_axolotl_is_refused_by_its_schema(run, write):
    path = write("ax.yaml", "base_model: x\nlearning_rate: 1.0e-5\nwarmup_steps: 0.1\n")
    code, entry = _findings(run, path)
    (found,) = [f for f in entry["findings"] if f["code"] == "LRG032"]
    assert found["severity"] == "error" and "axolotl's config schema" in found["message"]
    assert found["fix"] == "Set warmup_ratio: 0.1 instead." and code == 1


def test_whole_warmup_steps_written_as_float_is_fine(run, write):
    path = write("ok.yaml", FRACTION.replace("0.1", "20.0"))
    _, entry = _findings(run, path)
    assert not [f for f in entry["findings"] if f["code"] == "LRG032"]


def test_transformers_version_setting_is_validated(run, write, monkeypatch):
    folder = write("train.yaml", FRACTION).parent
    write("pyproject.toml", '[tool.lrguard]\ntransformers-version = "latest"\n')
    monkeypatch.chdir(folder)
    code, _, err = run("check", "train.yaml")
    assert code == 2 and "transformers-version='latest'" in err and '"4.57"' in err


@pytest.mark.parametrize(
    ("name", "text", "declared", "expected"),
    [
        ("trl.yaml", TRL_RECIPE + "warmup_ratio: 0.05\n", "5.2", ["warmup_ratio"]),
        ("trl.yaml", TRL_RECIPE + "warmup_ratio: 0.05\n", "4.57", []),
        ("h4.yaml", H4_RECIPE.replace("6e-06", "6.0e-06"), "5.2", ["warmup_ratio"]),
        # axolotl turns warmup_ratio into steps itself: nothing for transformers to refuse
        ("ax.yaml", "base_model: x\nlearning_rate: 1.0e-5\nwarmup_ratio: 0.05\n", "5.2", []),
    ],
    ids=["trl-5.x", "trl-4.x", "alignment-handbook-5.x", "axolotl-5.x"],
)
def test_warmup_ratio_is_gone_in_transformers_5(
    run, write, monkeypatch, name, text, declared, expected
):
    path = write(name, text)
    write("pyproject.toml", f'[tool.lrguard]\ntransformers-version = "{declared}"\n')
    monkeypatch.chdir(path.parent)
    code, out, _ = run("check", name, "--format", "json")
    found = [f for f in json.loads(out)["files"][0]["findings"] if f["code"] == "LRG032"]
    assert [f["field"] for f in found] == expected
    for f in found:
        assert f["severity"] == "warning"
        assert f"transformers {declared} has no warmup_ratio" in f["message"]
        assert f["fix"].startswith("Write warmup_steps: ")
    code, out, _ = run("check", name, "--format", "json", "--ignore", "LRG032")
    assert not [f for f in json.loads(out)["files"][0]["findings"] if f["code"] == "LRG032"]
