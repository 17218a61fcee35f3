"""Every rule ``lrguard rules`` lists has its own test module here, named by its code."""

from __future__ import annotations

from pathlib import Path

from lrguard.rules import all_rules

HERE = Path(__file__).parent


def test_every_rule_has_a_test_module() -> None:
    missing = [r.code for r in all_rules() if not (HERE / f"test_{r.code.lower()}.py").is_file()]
    assert missing == [], f"add tests/rules/test_<code>.py for {missing}"


def test_every_module_names_a_rule() -> None:
    codes = {r.code.lower() for r in all_rules()}
    stray = [p.name for p in HERE.glob("test_lrg*.py") if p.stem.removeprefix("test_") not in codes]
    assert stray == []
