"""Callback mechanics: policy, logging once, JSONL, trainer state, resume, check_training_args."""

from __future__ import annotations

import json

import pytest

from hf_lrguard import LRGuardCallback, check_training_args, saved_decisions
from lrguard import GuardPolicy, read_jsonl
from tests.hf.conftest import guard_records, logged_lrs, make_args, make_trainer

pytestmark = pytest.mark.hf
MIN_ABOVE = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr": 1e-4}}


def test_policy_as_object_or_keywords():
    assert LRGuardCallback(GuardPolicy(min_lr_ratio=0.01)).policy.min_lr_ratio == 0.01
    assert LRGuardCallback(min_lr_ratio=0.01).policy.min_lr_ratio == 0.01
    with pytest.raises(ValueError, match="not both"):
        LRGuardCallback(GuardPolicy(), on_violation="warn")
    with pytest.raises(ValueError):
        LRGuardCallback(on_violation="loud")


def test_decisions_logged_once_to_jsonl_and_trainer_state(tmp_path, caplog):
    trainer = make_trainer(make_args(tmp_path, **MIN_ABOVE), callbacks=[LRGuardCallback()])
    trainer.train()
    records = read_jsonl(tmp_path / "out" / "lrguard.jsonl")
    assert [r["rule"] for r in records] == ["LRG002"]
    assert records == guard_records(trainer)
    assert caplog.text.count("LRG002") == 1
    keys = {"rule", "severity", "action", "message", "before", "after", "framework"}
    assert keys <= set(records[0]) and records[0]["framework"] == "hf"
    json.dumps(trainer.state.log_history)  # stays serialisable for trainer_state.json


def test_log_file_none_writes_nothing(tmp_path):
    trainer = make_trainer(
        make_args(tmp_path, **MIN_ABOVE), callbacks=[LRGuardCallback(log_file=None)]
    )
    trainer.train()
    assert not (tmp_path / "out" / "lrguard.jsonl").exists()
    assert guard_records(trainer)


def test_ignore_codes(tmp_path):
    guard = LRGuardCallback(ignore=("LRG002",))
    trainer = make_trainer(make_args(tmp_path, **MIN_ABOVE), callbacks=[guard])
    trainer.train()
    assert not guard.records and logged_lrs(trainer)[-1] > 9e-5


def test_raise_lr_strategy_live(tmp_path):
    """raise_lr added late: the optimizer's peak becomes min_lr / ratio from step 1."""
    trainer = make_trainer(make_args(tmp_path, **MIN_ABOVE))
    trainer.add_callback(LRGuardCallback(adjust_strategy="raise_lr"))
    trainer.train()
    lrs = logged_lrs(trainer)
    assert lrs[0] == pytest.approx(1e-3) and lrs[-1] == pytest.approx(1e-4, rel=0.05)
    assert trainer.args.learning_rate == pytest.approx(1e-3)


def test_resume_keeps_state_and_fix(tmp_path):
    args = make_args(tmp_path, save_strategy="steps", save_steps=20, **MIN_ABOVE)
    first = LRGuardCallback()
    make_trainer(args, callbacks=[first]).train()
    state = json.loads((tmp_path / "out" / "checkpoint-20" / "trainer_state.json").read_text())
    saved = state["stateful_callbacks"]["LRGuardCallback"]
    assert saved["attributes"]["resume_state"]["schema"] == 2
    assert [r["rule"] for r in saved["attributes"]["resume_state"]["decisions"]] == ["LRG002"]

    args = make_args(tmp_path, save_strategy="steps", save_steps=20, **MIN_ABOVE)
    second = LRGuardCallback()
    trainer = make_trainer(args, callbacks=[second])
    trainer.train(resume_from_checkpoint=str(tmp_path / "out" / "checkpoint-20"))
    assert [r["rule"] for r in second.records] == ["LRG002"]  # restored, not duplicated
    assert max(logged_lrs(trainer)) <= 1e-5
    assert logged_lrs(trainer)[-1] < 2e-6


def test_check_training_args_object_and_dict(tmp_path):
    args = make_args(tmp_path, **MIN_ABOVE)
    assert [f.code for f in check_training_args(args)] == ["LRG002"]
    findings = check_training_args(
        {
            "lr_scheduler_type": "cosine_with_min_lr",
            "lr_scheduler_kwargs": '{"min_lr": "1e-4"}',
            "learning_rate": "1e-5",
            "warmup_steps": 50,
        },
        num_training_steps=40,
    )
    assert sorted(f.code for f in findings) == ["LRG002", "LRG004", "LRG004", "LRG006"]
    with pytest.raises(TypeError, match="TrainingArguments or a mapping"):
        check_training_args(42)


def test_user_scheduler_is_left_alone(tmp_path):
    import torch

    model_trainer = make_trainer(make_args(tmp_path, **MIN_ABOVE))
    opt = torch.optim.AdamW(model_trainer.model.parameters(), lr=1e-5)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    guard = LRGuardCallback()
    trainer = make_trainer(
        make_args(tmp_path, **MIN_ABOVE), callbacks=[guard], optimizers=(opt, sched)
    )
    trainer.train()
    assert not guard.records


def test_two_guards_on_one_trainer_resume_their_own_log(tmp_path):
    """Each guard's resume state is keyed by its position among the trainer's guards, and
    transformers' copies appended at each checkpoint do not shadow the newest one."""

    def run(resume: str | None = None):
        args = make_args(tmp_path, save_strategy="steps", save_steps=20, **MIN_ABOVE)
        warns = LRGuardCallback(on_violation="warn")
        quiet = LRGuardCallback(on_violation="warn", ignore=("LRG002",))
        trainer = make_trainer(args, callbacks=[warns, quiet])
        trainer.train(resume_from_checkpoint=resume)
        return trainer, warns, quiet

    first, warns, quiet = run()
    assert [r["rule"] for r in warns.records] == ["LRG002"] and quiet.records == []
    checkpoint = tmp_path / "out" / "checkpoint-20"
    saved = json.loads((checkpoint / "trainer_state.json").read_text())
    entries = saved["stateful_callbacks"]["LRGuardCallback"]
    keys = {e["attributes"]["resume_state"]["instance"] for e in entries}
    assert keys == {"LRGuardCallback#0", "LRGuardCallback#1"}

    trainer, warns_again, quiet_again = run(str(checkpoint))
    assert warns_again.records == warns.records  # restored: neither repeated nor lost
    assert quiet_again.records == []  # not the other guard's decisions
    assert saved_decisions(trainer.state) == warns.records
    lines = read_jsonl(tmp_path / "out" / "lrguard.jsonl")  # both runs append to one file
    assert [r["rule"] for r in lines] == ["LRG002"]
    assert first.state.global_step == trainer.state.global_step == 40
