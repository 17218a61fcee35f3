"""LRG004 number-as-string: A number given as a string (YAML 1.1 reads 1e-5 as '1e-5'),
coerced."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.support import check_text, corrected, example, flair_codes, hf_codes

CODE = "LRG004"

FIRES = {
    "a quoted number": """
warmup_ratio: '0.1'
""",
}

SILENT = {
    "a dot and no exponent digits before it still reads as a float": """
learning_rate: 1.e-5
""",
}


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path: Path) -> None:
    found = check_text(tmp_path, example(CODE), CODE)
    (finding,) = [f for f in found if f.field == "learning_rate"]
    assert finding.value == "1e-5"
    assert "as a number" in finding.fix
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
        ({"learning_rate": "1e-5", "warmup_ratio": "0.1"}, None, None, ["LRG004", "LRG004"]),
    ],
)
def test_on_hf_arguments(args, steps, version, expected):
    assert hf_codes(args, steps, version) == expected


# -- on Flair's train / fine_tune keywords (a plain plan, no flair import) -------------------
@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"learning_rate": "1e-5"}, ["LRG001", "LRG004"]),
    ],
)
def test_rule_codes_for_flair_kwargs(kwargs, expected):
    assert flair_codes(kwargs) == expected
