"""LRG003 lr-not-positive-finite: A learning rate or minimum that is not a finite positive
number."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example, flair_codes, hf_codes

CODE = "LRG003"

FIRES = {
    "zero": """
learning_rate: 0.0
""",
    "negative": """
learning_rate: -1.0e-5
""",
    "infinite": """
learning_rate: .inf
""",
}

SILENT = {
    "the smallest positive rate is a rate": """
learning_rate: 1.0e-12
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "learning_rate"]
    assert math.isnan(finding.value)
    assert "positive number" in finding.fix
    assert "learning_rate" in finding.message


def test_silent_on_the_corrected_example(tmp_path: Path) -> None:
    assert check_text(tmp_path, corrected(CODE), CODE) == []


@pytest.mark.parametrize("text", FIRES.values(), ids=FIRES.keys())
def test_fires_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE)


@pytest.mark.parametrize("text", SILENT.values(), ids=SILENT.keys())
def test_silent_at_the_boundary(tmp_path: Path, text: str) -> None:
    assert check_text(tmp_path, text, CODE) == []


# -- on Hugging Face TrainingArguments values (a plain plan, no transformers import) --------
@pytest.mark.parametrize(
    ("args", "steps", "version", "expected"),
    [
        ({"learning_rate": "nan"}, None, None, ["LRG003", "LRG004"]),
    ],
)
def test_on_hf_arguments(args, steps, version, expected):
    assert hf_codes(args, steps, version) == expected


# -- on Flair's train / fine_tune keywords (a plain plan, no flair import) -------------------
@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"learning_rate": "abc"}, ["LRG003"]),
        ({"learning_rate": math.nan}, ["LRG003"]),
        ({"learning_rate": 0.1, "min_learning_rate": -1}, ["LRG003"]),
    ],
)
def test_rule_codes_for_flair_kwargs(kwargs, expected):
    assert flair_codes(kwargs) == expected


# -- through the command line (lrguard check) ------------------------------------------------
@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("abc", "is not a number"),
        ("-1", "is negative"),
        (".nan", "is NaN"),
        (".inf", "is infinite"),
        ("0", "is zero"),
        ("{a: [1, {b: 2}]}", "is not a number"),
        ("[1.0e-5, 2.0e-5]", "is not a number"),
    ],
)
def test_bad_learning_rate_is_a_finding(run, write, value, words):
    path = write("cfg.yaml", f"lr_scheduler_type: linear\nlearning_rate: {value}\n")
    code, out, _ = run("check", path)
    assert code == 1
    assert f"{path}:2: LRG003 [error] learning_rate=" in out and words in out


def test_axolotl_negative_ratio_names_the_axolotl_key_in_message_and_fix(run, write):
    path = write(
        "neg.yaml",
        "base_model: x\nlearning_rate: 1.0e-5\nlr_scheduler: cosine\n"
        "cosine_min_lr_ratio: -0.5\nnum_epochs: 1\n",
    )
    code, out, _ = run("check", path, "--format", "json")
    (found,) = [f for f in json.loads(out)["files"][0]["findings"] if f["code"] == "LRG003"]
    assert code == 1 and found["line"] == 4 and found["location"] == "cosine_min_lr_ratio"
    assert found["message"].startswith("cosine_min_lr_ratio=-0.5 is not a number >= 0")
    assert found["fix"] == (
        "Set cosine_min_lr_ratio: 0.1 (a fraction < 1 of the peak), or 0 to decay fully."
    )
    assert "min_lr_rate" not in found["message"] + found["fix"]
