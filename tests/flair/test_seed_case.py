"""The headline case: lr 1e-5 with the default min_learning_rate 1e-4."""

from __future__ import annotations

import json

from flair_lrguard import LRGuardPlugin
from tests.flair.conftest import FAST, Recorder


def test_stock_flair_stops_after_one_epoch_guarded_runs_all(trainer_factory, tmp_path):
    stock = Recorder()
    trainer_factory().train(
        tmp_path / "stock", learning_rate=1e-5, patience=10, max_epochs=5, plugins=[stock], **FAST
    )
    assert stock.epochs_trained == 1
    assert not (tmp_path / "stock" / "best-model.pt").exists()

    guarded = Recorder()
    base = tmp_path / "guarded"
    trainer = trainer_factory()
    trainer.train(
        base,
        learning_rate=1e-5,
        patience=10,
        max_epochs=5,
        plugins=[LRGuardPlugin(), guarded],
        **FAST,
    )
    assert guarded.epochs_trained == 5
    assert (base / "best-model.pt").exists()
    assert all(lrs == [1e-5] for lrs in guarded.lr_per_epoch)

    records = [json.loads(line) for line in (base / "lrguard.jsonl").read_text().splitlines()]
    adjusted = [r for r in records if r["action"] == "adjusted"]
    assert [r["rule"] for r in adjusted] == ["LRG001"]
    assert adjusted[0]["before"] == {"min_learning_rate": 1e-4}
    assert adjusted[0]["after"] == {"min_learning_rate": 1e-6}
    for record in records:
        assert {"rule", "severity", "action", "message", "before", "after", "framework"} <= set(
            record
        )
        assert record["framework"] == "flair"
    assert trainer.model.model_card["lrguard"]["decisions"] == records
    assert "LRG001" in (base / "training.log").read_text()


def test_decisions_are_saved_in_the_model_card_of_the_best_model(trainer_factory, tmp_path):
    from flair.models import TextClassifier

    trainer_factory().train(
        tmp_path, learning_rate=1e-5, max_epochs=2, plugins=[LRGuardPlugin()], **FAST
    )
    card = TextClassifier.load(tmp_path / "best-model.pt").model_card
    assert card["lrguard"]["policy"]["on_violation"] == "adjust"
    # LRG001 fixed the floor; LRG091 notes that SGD at 1e-5 barely trains a model from scratch
    assert [d["rule"] for d in card["lrguard"]["decisions"]] == ["LRG001", "LRG091"]
    plugin_states = card["training_parameters"]["plugins"]
    assert any(state["__cls__"].endswith("LRGuardPlugin") for state in plugin_states)
