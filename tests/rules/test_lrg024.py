"""LRG024: the comparison of a resumed schedule with the checkpoint's (framework-free).

The expected rates are written out from transformers' schedule formulas (linear warmup then
linear decay: ``step / warmup`` then ``(total - step) / (total - warmup)``), independently
of the schedule table the comparison uses.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import replace

import pytest

from lrguard.checking import CheckOptions, check_paths
from lrguard.findings import Severity
from lrguard.resume import (
    SAMPLE_POINTS,
    CheckpointState,
    ResumeInputError,
    ScheduleFacts,
    add_resume_findings,
    check_resume,
    compare,
    facts_from_trainer_state,
    read_checkpoint,
    state_from_dict,
)
from lrguard.rules import get_rule
from tests.rules.support import config

OLD = ScheduleFacts(name="linear", learning_rate=1e-4, warmup_steps=2, total_steps=10)


def linear(step: int, warmup: int, total: int) -> float:
    """transformers' linear schedule factor at the 0-based ``step``."""
    if step < warmup:
        return step / max(1, warmup)
    return max(0.0, (total - step) / max(1, total - warmup))


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("linear", {}),
        ("cosine", {}),
        ("cosine_with_restarts", {"num_cycles": 2}),
        ("polynomial", {"power": 2.0}),
        ("constant_with_warmup", {}),
        ("cosine_with_min_lr", {"min_lr_rate": 0.1}),
        ("inverse_sqrt", {}),
    ],
)
@pytest.mark.parametrize("step", [1, 3, 500, 999])
def test_an_unchanged_resume_gives_nothing(name, kwargs, step):
    facts = ScheduleFacts(
        name=name, learning_rate=3e-5, warmup_steps=50, total_steps=1000, kwargs=kwargs
    )
    assert compare(facts, facts, step) == []


def test_a_longer_run_jumps_with_the_numbers_of_the_formula():
    found = compare(OLD, replace(OLD, total_steps=20), step=4)
    assert [f.severity for f in found] == [Severity.WARNING]
    before = 1e-4 * linear(4, 2, 10)  # the optimizer state's rate at step 5
    after = 1e-4 * linear(5, 2, 20)  # the new schedule at step 6, on the restored base
    kept = 1e-4 * linear(5, 2, 10)
    text = found[0].message
    assert f"jumps from {before:.3g} at step 5 to {after:.3g} at step 6" in text
    assert f"the checkpoint's schedule: {kept:.3g}" in text
    assert "max_steps 10 -> 20" in text and "max_steps=10" in found[0].fix


def test_a_much_shorter_run_is_an_error_and_says_where_the_decay_ends():
    old = replace(OLD, warmup_steps=100, total_steps=10_000)
    found = compare(old, replace(old, total_steps=2_000), step=1_199)
    assert [f.severity for f in found] == [Severity.ERROR]
    after = 1e-4 * linear(1_200, 100, 2_000)
    kept = 1e-4 * linear(1_200, 100, 10_000)
    assert after / kept < 1 / 2
    assert f"to {after:.3g} at step 1,201" in found[0].message
    assert "the decay ends at step 2,000 of the checkpoint's 10,000" in found[0].message


def test_a_new_learning_rate_is_reported_as_not_used():
    found = compare(OLD, replace(OLD, learning_rate=5e-4), step=4)
    assert [f.field for f in found] == ["learning_rate"]
    assert found[0].severity == Severity.ERROR  # 5x off
    assert "keeps its base rate 0.0001" in found[0].message
    small = compare(OLD, replace(OLD, learning_rate=1.5e-4), step=4)
    assert [f.severity for f in small] == [Severity.WARNING]


def test_a_warmup_that_restarts_is_an_error():
    found = compare(OLD, replace(OLD, warmup_steps=8, total_steps=20), step=6)
    assert found and found[0].severity in (Severity.ERROR, Severity.WARNING)
    restart = compare(OLD, OLD, step=4, restored=False)  # scheduler.pt was not loaded
    assert [f.severity for f in restart] == [Severity.ERROR]
    assert "warmup restarts at step 5" in restart[0].message
    assert "save_only_model=False" in restart[0].fix


def test_a_total_change_within_the_tolerance_is_silent():
    old = replace(OLD, warmup_steps=100, total_steps=1000)
    assert compare(old, replace(old, total_steps=1010), step=250) == []
    assert compare(old, replace(old, total_steps=1200), step=250)


def test_a_constant_schedule_does_not_care_about_the_total():
    old = ScheduleFacts(name="constant", learning_rate=1e-4, warmup_steps=0, total_steps=10)
    assert compare(old, replace(old, total_steps=30), step=4) == []


def test_a_run_that_ends_before_the_checkpoint_trains_nothing():
    found = compare(OLD, replace(OLD, total_steps=4), step=4)
    assert "max_steps=4 is not past the checkpoint's global_step=4" in found[0].message


def test_work_is_bounded_whatever_the_run_length():
    old = ScheduleFacts(name="cosine", learning_rate=1e-4, warmup_steps=10, total_steps=10**12)
    start = time.perf_counter()
    found = compare(old, replace(old, total_steps=2 * 10**12), step=10**9)
    assert time.perf_counter() - start < 5  # generous: the sample is ~3 x SAMPLE_POINTS
    assert found and SAMPLE_POINTS == 512


def test_facts_round_trip_and_foreign_input_is_refused():
    assert ScheduleFacts.from_dict(json.loads(json.dumps(OLD.to_dict()))) == OLD
    for bad in (None, [], {"name": "linear"}, {**OLD.to_dict(), "learning_rate": "x"}):
        assert ScheduleFacts.from_dict(bad) is None


def _state(**overrides):
    logged = [{"step": s, "learning_rate": 1e-4 * linear(s - 1, 2, 10)} for s in range(1, 5)]
    data = {"global_step": 4, "max_steps": 10, "log_history": logged, **overrides}
    return state_from_dict(data)


def test_a_checkpoint_without_the_guard_is_compared_when_its_logged_rates_agree():
    new = replace(OLD, total_steps=20)
    old, how = facts_from_trainer_state(_state(), new)
    assert old == OLD and "written without lrguard" in how
    found = check_resume(_state(), new)
    assert [f.severity for f in found] == [Severity.INFO, Severity.WARNING]
    other = replace(new, name="cosine")
    found = check_resume(_state(), other)
    assert [f.severity for f in found] == [Severity.INFO]
    assert "do not follow lr_scheduler_type=cosine" in found[0].message


def test_a_recorded_schedule_wins_over_the_log():
    saved = {"LRGuardCallback": {"attributes": {"resume_state": {"schedule": OLD.to_dict()}}}}
    state = _state(stateful_callbacks=saved, log_history=[])
    assert state.recorded == OLD
    assert check_resume(state, OLD) == []


def test_a_fresh_run_and_a_plateau_schedule():
    assert check_resume(replace(_state(), global_step=0), OLD) == []
    plateau = replace(OLD, name="reduce_lr_on_plateau")
    assert [f.severity for f in check_resume(_state(), plateau)] == [Severity.INFO]


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no trainer_state.json"),
        ("{", "not valid JSON (line 1 column 2"),
        ("[1, 2]", "holds list, not a mapping"),
        ('{"global_step": -3}', "global_step=-3 is not a whole number"),
        ('{"global_step": "four"}', "global_step='four' is not a whole number"),
    ],
)
def test_unusable_checkpoints_name_the_value_and_the_fix(tmp_path, content, message):
    folder = tmp_path / "checkpoint-4"
    folder.mkdir()
    if content is not None:
        (folder / "trainer_state.json").write_text(content, encoding="utf-8")
    with pytest.raises(ResumeInputError, match="Fix:") as err:
        read_checkpoint(folder)
    assert message in str(err.value)


def test_missing_folders_and_files(tmp_path):
    with pytest.raises(ResumeInputError, match="no such folder"):
        read_checkpoint(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ResumeInputError, match="not a folder"):
        read_checkpoint(tmp_path / "file")
    (tmp_path / "checkpoint-8").mkdir()
    with pytest.raises(ResumeInputError, match="the newest one here is checkpoint-8"):
        read_checkpoint(tmp_path)


def test_the_rule_is_documented():
    rule = get_rule("LRG024")
    assert rule.name == "resume-schedule-changed" and rule.missing_sections() == []
    assert "5%" in rule.what and "2x" in rule.what
    assert isinstance(CheckpointState, type) and math.isfinite(OLD.learning_rate)


# -- the documented example, through lrguard check --resume-from ------------------------------
def _check_resumed(tmp_path, text: str) -> list:
    """``lrguard check --resume-from`` a checkpoint the guard wrote 400 steps into a 1,000-step
    linear run with 100 warmup steps at 2e-5 (the example's checkpoint)."""
    folder = tmp_path / "checkpoint-400"
    folder.mkdir()
    facts = ScheduleFacts(name="linear", learning_rate=2e-5, warmup_steps=100, total_steps=1000)
    state = {
        "global_step": 400,
        "max_steps": 1000,
        "stateful_callbacks": {
            "LRGuardCallback": {"attributes": {"resume_state": {"schedule": facts.to_dict()}}}
        },
    }
    (folder / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")
    options = CheckOptions()
    reports = check_paths([config(tmp_path, text)], options)
    assert add_resume_findings(reports, folder, options) is None
    return [f for r in reports for f in r.findings if f.code == "LRG024"]


def test_fires_on_the_example_naming_field_value_and_fix(tmp_path):
    (finding,) = _check_resumed(tmp_path, get_rule("LRG024").example)
    assert finding.field == "max_steps"
    assert "max_steps=1000" in finding.fix


def test_silent_on_the_corrected_example(tmp_path):
    assert _check_resumed(tmp_path, get_rule("LRG024").corrected) == []
