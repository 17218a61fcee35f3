"""``make demo``'s job runs and reports the headline result honestly: a transformer fine-tuned
in Flair with AdamW at 1e-5 stops after epoch 1 stock and trains every epoch guarded, and the
guard's one decision is the one about that stop."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "demo-output"


@pytest.fixture(scope="module")
def demo() -> subprocess.CompletedProcess:
    """The demo, run once as ``make demo`` runs it."""
    pytest.importorskip("flair")
    return subprocess.run(
        [sys.executable, "-m", "demo"], cwd=ROOT, text=True, capture_output=True, timeout=300
    )


def test_demo_summary(demo):
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "stock Flair : 1 of 5 epochs trained" in demo.stdout
    assert "with lrguard: 5 of 5 epochs trained" in demo.stdout
    assert "LRG001 adjusted" in demo.stdout
    assert "lrguard check examples/flair_lr_1e-5.yaml" in demo.stdout
    assert "Traceback" not in demo.stderr


def test_the_run_is_the_transformer_fine_tune_with_adamw(demo):
    """Both runs fine-tune TransformerDocumentEmbeddings with AdamW at 1e-5; stock Flair ends
    with its own stop, the guarded run does not, and its dev loss falls every epoch."""
    from flair.models import TextClassifier

    for name in ("stock", "guarded"):
        model = TextClassifier.load(OUT / f"flair-{name}" / "final-model.pt")
        assert type(model.embeddings).__name__ == "TransformerDocumentEmbeddings"
        assert model.embeddings.fine_tune
        trained = model.model_card["training_parameters"]
        assert str(trained["optimizer"]).endswith("AdamW") and trained["learning_rate"] == 1e-5
        log = (OUT / f"flair-{name}" / "training.log").read_text(encoding="utf-8")
        stopped = re.search(r"^\S+ \S+ learning rate too small - quitting training!$", log, re.M)
        assert bool(stopped) == (name == "stock"), name
    dev_losses = [float(x) for x in re.findall(r"DEV : loss (\S+)", log)]
    assert len(dev_losses) == 5 and dev_losses == sorted(dev_losses, reverse=True), dev_losses
    assert len(set(dev_losses)) == 5, "the guarded fine-tune improves the dev loss every epoch"


def test_the_only_decision_is_the_one_about_the_stop(demo):
    """No LRG091 (the rate is the usual one for this setting) and no other decision, warning
    or finding: the console, the run log and the check name LRG001 alone."""
    records = [
        json.loads(line)
        for line in (OUT / "flair-guarded" / "lrguard.jsonl").read_text().splitlines()
    ]
    assert [(r["rule"], r["action"]) for r in records] == [("LRG001", "adjusted")]
    shown = re.findall(r"decision\s+: (LRG\d+ \w+)", demo.stdout)
    assert shown == ["LRG001 adjusted"]
    codes = set(re.findall(r"LRG\d{3}", demo.stdout + demo.stderr))
    assert codes == {"LRG001"}, codes
    assert "0 warning(s), 0 info" in demo.stdout
    assert not re.search(r"warn", demo.stderr, flags=re.I), demo.stderr[-2000:]


def _masked_word_loss(folder: Path) -> float:
    """Mean loss of predicting every word of held-out topic sentences with it masked, through
    the tied word embeddings (the pre-training objective)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from flair_lrguard.examples import sentences

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    texts = [s.to_plain_string() for s in sentences(64, seed=7)]
    ids = tokenizer(texts, return_tensors="pt")["input_ids"]
    losses = []
    with torch.no_grad():
        for position in range(1, ids.shape[1] - 1):  # every word between [CLS] and [SEP]
            inputs = ids.clone()
            inputs[:, position] = tokenizer.mask_token_id
            hidden = model(input_ids=inputs).last_hidden_state[:, position]
            logits = hidden @ model.embeddings.word_embeddings.weight.T
            losses.append(float(torch.nn.functional.cross_entropy(logits, ids[:, position])))
    return sum(losses) / len(losses)


def test_the_tiny_transformer_is_pretrained(tmp_path, monkeypatch):
    """The fine-tune is real: the saved model predicts masked words from their sentence's
    topic, below the loss of word frequencies alone, which the untrained model does not."""
    pytest.importorskip("flair")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from flair_lrguard.examples import FILLERS, WORDS, save_tiny_transformer

    topic_words = sum(len(words) for words in WORDS.values())
    # a word is a topic word 2/3 of the time (4 of 6), a filler 1/3: frequencies alone give
    frequency_only = (2 / 3) * math.log(topic_words * 3 / 2) + (1 / 3) * math.log(3 * len(FILLERS))
    pretrained = _masked_word_loss(save_tiny_transformer(tmp_path / "pretrained"))
    untrained = _masked_word_loss(save_tiny_transformer(tmp_path / "untrained", 0))
    assert pretrained < frequency_only - 0.2 < untrained, (pretrained, frequency_only, untrained)


def test_save_tiny_transformer_refuses_a_bad_step_count(tmp_path):
    pytest.importorskip("flair")
    from flair_lrguard.examples import save_tiny_transformer

    with pytest.raises(ValueError, match=r"pretrain_steps=-1 .* >= 0"):
        save_tiny_transformer(tmp_path / "model", -1)
    assert not (tmp_path / "model").exists()
