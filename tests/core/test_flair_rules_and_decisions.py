"""Flair-side rules, policy decisions and the decision log, without any framework."""

from __future__ import annotations

import json
import logging

import pytest
from pydantic import ValidationError

from lrguard import (
    Action,
    DecisionLog,
    GuardPolicy,
    LRGuardError,
    check_plan,
    decide,
    read_jsonl,
)
from lrguard.adapters.flair_kwargs import flair_plan
from lrguard.numbers import parse_number


def codes(plan):
    return [f.code for f in check_plan(plan)]


@pytest.mark.parametrize(
    ("entry", "kwargs"),
    [("train_custom", {}), ("train", {"attach_default_scheduler": False})],
)
def test_nothing_stops_at_a_floor_without_flairs_annealing(entry, kwargs):
    """train_custom and attach_default_scheduler=False keep the rate constant in stock Flair:
    a rate below min_learning_rate is no finding there, and no annealing is planned."""
    plan = flair_plan({"learning_rate": 1e-5, "patience": -1, **kwargs}, entry)
    assert plan.annealing is None and not plan.stops_at_min_lr
    assert codes(plan) == []
    guarded = flair_plan({"learning_rate": 1e-5, **kwargs}, entry, guard_annealing={"patience": 2})
    assert guarded.annealing.patience == 2 and codes(guarded) == ["LRG001"]


@pytest.mark.parametrize(
    ("train_with_dev", "has_dev", "stock", "own"),
    [(False, True, "max", "max"), (False, False, "max", "min"), (True, True, "min", "min")],
)
def test_annealing_mode_stock_from_train_with_dev_the_guards_own_from_the_dev_split(
    train_with_dev, has_dev, stock, own
):
    kwargs = {"train_with_dev": train_with_dev}
    assert flair_plan(kwargs, "train", has_dev=has_dev).annealing.mode == stock
    own_plan = flair_plan(kwargs, "train_custom", has_dev=has_dev, guard_annealing={})
    assert own_plan.annealing.mode == own


def test_decide_adjust_lower_min_and_raise_lr():
    plan = flair_plan({"learning_rate": 1e-5})
    lowered = decide(plan, GuardPolicy(), "flair")
    assert lowered.error is None
    assert lowered.plan.param_groups[0].min_lr == 1e-6
    assert lowered.decisions[0].action == Action.ADJUSTED
    raised = decide(plan, GuardPolicy(adjust_strategy="raise_lr", min_lr_ratio=0.5), "flair")
    assert raised.plan.param_groups[0].lr == 2e-4
    assert plan.param_groups[0].lr == 1e-5  # the input plan is never mutated


def test_decide_warn_keeps_values_and_error_refuses():
    plan = flair_plan({"learning_rate": 1e-5})
    warned = decide(plan, GuardPolicy(on_violation="warn"), "flair")
    assert warned.plan == plan
    assert [d.action for d in warned.decisions] == [Action.WARNED]
    refused = decide(plan, GuardPolicy(on_violation="error"), "flair")
    assert isinstance(refused.error, LRGuardError)
    assert refused.decisions[0].action == Action.RAISED


def test_unfixable_errors_are_refused_in_every_mode():
    for mode in ("adjust", "warn", "error"):
        result = decide(flair_plan({"learning_rate": -1}), GuardPolicy(on_violation=mode), "x")
        assert result.error is not None and "is negative" in str(result.error)


def test_string_numbers_are_coerced_in_adjust_and_warn_unless_the_integration_cannot():
    plan = flair_plan({"learning_rate": "0.1"})
    for mode in ("adjust", "warn"):
        result = decide(plan, GuardPolicy(on_violation=mode), "x")
        assert result.plan.param_groups[0].lr == 0.1
    blocked = decide(plan, GuardPolicy(), "x", cannot_fix=["LRG004"])
    assert blocked.error is not None and "LRG004" in str(blocked.error)


def test_ignore_drops_rules():
    plan = flair_plan({"learning_rate": 1e-5})
    result = decide(plan, GuardPolicy(ignore=("LRG00",)), "flair")
    assert result.findings == [] and result.plan == plan


def test_policy_validation():
    with pytest.raises(ValidationError, match="on_violation"):
        GuardPolicy(on_violation="loud")
    with pytest.raises(ValidationError, match="min_lr_ratio"):
        GuardPolicy(min_lr_ratio=0)
    with pytest.raises(ValidationError, match="extra"):
        GuardPolicy(min_ratio=0.1)


def test_decision_log_writes_contract_records(tmp_path, caplog):
    plan = flair_plan({"learning_rate": 1e-5})
    result = decide(plan, GuardPolicy(on_violation="warn"), "flair")
    path = tmp_path / "lrguard.jsonl"
    log = DecisionLog("flair", logging.getLogger("lrguard.test"), path)
    with caplog.at_level(logging.DEBUG, logger="lrguard.test"):
        log.emit(result.decisions[0])
        log.emit(result.decisions[0])
    records = read_jsonl(path)
    assert len(records) == 2
    for key in ("rule", "severity", "action", "message", "before", "after", "framework"):
        assert key in records[0]
    assert json.loads(path.read_text().splitlines()[0])["rule"] == "LRG001"
    levels = [r.levelno for r in caplog.records]
    assert levels == [logging.WARNING, logging.DEBUG]  # warn once per rule and location


@pytest.mark.parametrize(
    ("raw", "value", "from_string"),
    [("1e-5", 1e-5, True), (" 2e-5 ", 2e-5, True), (3, 3.0, False), (True, None, False)],
)
def test_parse_number(raw, value, from_string):
    parsed = parse_number(raw)
    assert parsed.value == value and parsed.from_string == from_string
