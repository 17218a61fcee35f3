"""LRG091 in a real Trainer: the rate is judged against the optimizer and the kind of run."""

from __future__ import annotations

from transformers import BertForSequenceClassification, Trainer

from demo.hf_tiny import TinyData, tiny_model
from hf_lrguard import LRGuardCallback
from tests.hf.conftest import guard_records, make_args


def _run(tmp_path, model, lr):
    guard = LRGuardCallback()
    trainer = Trainer(
        model=model,
        args=make_args(tmp_path, learning_rate=lr, max_steps=2),
        train_dataset=TinyData(8),
        callbacks=[guard],
    )
    trainer.train()
    return trainer, [r for r in guard_records(trainer) if r["rule"] == "LRG091"]


def test_adamw_at_0_1_on_a_pretrained_model_is_flagged_and_not_changed(tmp_path):
    tiny_model().save_pretrained(tmp_path / "pretrained")
    model = BertForSequenceClassification.from_pretrained(tmp_path / "pretrained")
    trainer, records = _run(tmp_path / "run", model, 0.1)
    (record,) = records
    assert record["action"] == "warned"
    assert "fine-tuning a pretrained model" in record["message"]
    assert "find_learning_rate" in record["fix"]
    assert trainer.args.learning_rate == 0.1  # a warning, never a change


def test_a_model_built_from_a_config_is_judged_as_from_scratch(tmp_path):
    _, records = _run(tmp_path / "a", tiny_model(), 1e-6)
    assert [r["action"] for r in records] == ["warned"]
    assert "training from scratch" in records[0]["message"]
    _, records = _run(tmp_path / "b", tiny_model(), 1e-3)
    assert records == []
