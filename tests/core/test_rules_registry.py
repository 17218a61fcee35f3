"""Every rule has a stable code, a unique name and all doc sections."""

from __future__ import annotations

import re

import pytest

from lrguard import all_rules, get_rule
from lrguard.findings import Severity
from lrguard.rules import Rule, register

CONTRACT_CODES = {"LRG001", "LRG002", "LRG003", "LRG004", "LRG005", "LRG006"}


def test_codes_names_and_docs():
    rules = all_rules()
    codes = [r.code for r in rules]
    assert len(codes) == len(set(codes))
    assert len({r.name for r in rules}) == len(rules)
    for rule in rules:
        assert re.fullmatch(r"LRG\d{3}", rule.code), rule.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
        assert rule.missing_sections() == [], rule.code
        text = rule.explain()
        for title in ("What it does", "Why is this bad?", "Example", "Fix"):
            assert f"## {title}" in text


def test_contract_codes_are_registered_with_their_meaning():
    present = {r.code for r in all_rules()}
    assert {"LRG001", "LRG002", "LRG003", "LRG004"} <= present
    assert get_rule("lrg001").name == "initial-lr-below-min"
    assert get_rule("LRG002").name == "min-not-below-peak"
    assert get_rule("LRG003").name == "lr-not-positive-finite"
    assert get_rule("LRG004").name == "number-as-string"


def test_a_rule_without_a_doc_section_is_refused():
    with pytest.raises(ValueError, match="lacks doc sections"):
        register(
            Rule(
                code="LRG999",
                name="undocumented",
                severity=Severity.INFO,
                summary="x",
                what="x",
                why="",
                example="x",
                fix="x",
            )
        )


def test_unknown_code_lists_the_known_ones():
    with pytest.raises(KeyError, match="known rules: LRG001"):
        get_rule("LRG998")
