"""flair_lrguard.find_learning_rate on real Flair models: exact restore, files, suggestion."""

from __future__ import annotations

import random
from pathlib import Path

import numpy
import pytest
import torch

from flair_lrguard import LRGuardPlugin
from flair_lrguard.range_test import find_learning_rate
from lrguard import read_jsonl
from lrguard.range_test import RangeTestResult
from tests.flair.conftest import FAST, Recorder

QUIET = {"progress": False, "verbose": False}


def _state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _rng() -> tuple:
    return random.getstate(), numpy.random.get_state()[1].tolist(), torch.get_rng_state()


def _same_rng(a: tuple, b: tuple) -> bool:
    return a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])


class RecordingSGD(torch.optim.SGD):
    """SGD that remembers every group's rate at each step (to see what the sweep used)."""

    seen: list[list[float]] = []

    def step(self, closure=None):  # noqa: D102
        RecordingSGD.seen.append([g["lr"] for g in self.param_groups])
        return super().step(closure)


def test_model_and_generators_are_restored_bit_for_bit(trainer_factory, tmp_path):
    trainer = trainer_factory()
    model = trainer.model
    before, rng = _state(model), _rng()
    params = [id(p) for p in model.parameters()]
    result = find_learning_rate(trainer, tmp_path, mini_batch_size=4, **QUIET)
    assert len(result.rates) > 20
    assert _same(before, _state(model)) and _same_rng(rng, _rng())
    assert [id(p) for p in model.parameters()] == params  # same objects, restored in place
    assert all(p.grad is None for p in model.parameters())


def test_training_after_the_test_equals_training_without_it(trainer_factory, tmp_path):
    """The strongest read-back: the run that follows is the run the user would have had."""
    runs = []
    for name, probe in (("plain", False), ("probed", True)):
        trainer = trainer_factory()
        if probe:
            find_learning_rate(trainer, tmp_path / "lr", mini_batch_size=4, **QUIET)
        recorder = Recorder()
        trainer.train(tmp_path / name, learning_rate=0.1, max_epochs=3, plugins=[recorder], **FAST)
        runs.append((_state(trainer.model), [e.scores for e in recorder.epochs]))
    assert _same(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]


def test_an_already_trained_model_is_swept_and_restored(trainer_factory, tmp_path):
    trainer = trainer_factory()
    trainer.train(tmp_path / "first", learning_rate=0.5, max_epochs=15, **FAST)
    before = _state(trainer.model)
    result = find_learning_rate(trainer, tmp_path / "lr", mini_batch_size=4, **QUIET)
    assert len(result.rates) > 50, result.notes  # not stopped after a step or two
    assert _same(before, _state(trainer.model))


def test_chunked_batches_accumulate_and_restore(trainer_factory, tmp_path):
    trainer = trainer_factory()
    before = _state(trainer.model)
    result = find_learning_rate(
        trainer, tmp_path, mini_batch_size=8, mini_batch_chunk_size=3, **QUIET
    )
    assert result.suggested_lr is not None
    assert _same(before, _state(trainer.model))


def test_files_flair_plotter_and_decision(trainer_factory, tmp_path):
    from flair.visual.training_curves import Plotter

    result = find_learning_rate(trainer_factory(), tmp_path, mini_batch_size=4, **QUIET)
    lrs, losses = Plotter._extract_learning_rate(tmp_path / "learning_rate.tsv")
    assert lrs == pytest.approx(result.rates) and len(losses) == len(result.rates)
    Plotter().plot_learning_rate(tmp_path / "learning_rate.tsv")
    assert (tmp_path / "learning_rate.png").stat().st_size > 0
    assert (tmp_path / "lr_range_test.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    back = RangeTestResult.from_json((tmp_path / "lr_range_test.json").read_text())
    assert back.suggested_lr == result.suggested_lr and back.arguments == result.arguments
    (record,) = read_jsonl(tmp_path / "lrguard.jsonl")
    assert record["rule"] == "LRG090" and record["action"] == "noted"
    assert record["after"] == result.arguments


def test_short_data_is_cycled_and_said(trainer_factory, tmp_path):
    result = find_learning_rate(trainer_factory(), tmp_path, mini_batch_size=8, **QUIET)
    # 24 sentences in batches of 8: 3 batches per pass
    assert result.batches_cycled >= 10
    assert any("cycled" in note for note in result.notes)
    assert result.stop_reason in ("completed", "diverged")


def test_divergence_ends_the_sweep_early(trainer_factory, tmp_path):
    """With noisy labels (not separable) a huge rate makes the loss explode."""
    trainer = trainer_factory()
    for i, sentence in enumerate(trainer.corpus.train):
        if i % 3 == 0:
            other = "politics" if sentence.get_label("topic").value == "sports" else "sports"
            sentence.set_label("topic", other)
    result = find_learning_rate(
        trainer, tmp_path, mini_batch_size=4, end_lr=1e4, max_grad_norm=None, **QUIET
    )
    assert result.stop_reason in ("diverged", "non_finite")
    assert len(result.rates) < 100


def test_decoder_groups_are_swept_in_proportion(trainer_factory, tmp_path):
    RecordingSGD.seen = []
    result = find_learning_rate(
        trainer_factory(),
        tmp_path,
        optimizer=RecordingSGD,
        learning_rate=0.01,
        decoder_learning_rate=0.1,
        mini_batch_size=4,
        **QUIET,
    )
    assert RecordingSGD.seen and all(len(rates) == 2 for rates in RecordingSGD.seen)
    # group 0 is the decoder (as Flair builds it): 10x the embeddings' group at every step
    assert all(d == pytest.approx(10 * e) for d, e in RecordingSGD.seen)
    assert RecordingSGD.seen[0][1] == pytest.approx(1e-7)
    args = result.arguments
    assert args["decoder_learning_rate"] == pytest.approx(10 * args["learning_rate"], rel=0.05)
    assert args["min_learning_rate"] < args["learning_rate"]


def test_decoder_rate_without_a_rate_is_refused(trainer_factory, tmp_path):
    with pytest.raises(ValueError, match="decoder_learning_rate=0.1 needs learning_rate"):
        find_learning_rate(trainer_factory(), tmp_path, decoder_learning_rate=0.1, **QUIET)


def test_same_seed_same_data_same_suggestion(trainer_factory, tmp_path):
    results = [
        find_learning_rate(trainer_factory(), tmp_path / str(i), mini_batch_size=4, **QUIET)
        for i in range(2)
    ]
    assert results[0].losses == results[1].losses
    assert results[0].suggestions == results[1].suggestions


def test_the_suggestion_trains_under_the_guard_without_floor_findings(trainer_factory, tmp_path):
    trainer = trainer_factory()
    result = find_learning_rate(trainer, tmp_path / "lr", mini_batch_size=4, **QUIET)
    plugin = LRGuardPlugin(on_violation="error")
    trainer.train(tmp_path / "run", max_epochs=2, plugins=[plugin], **result.arguments, **FAST)
    codes = {d["rule"] for d in plugin.decisions}
    assert not {"LRG001", "LRG002"} & codes, plugin.decisions


def test_bad_settings_fail_before_anything_trains(trainer_factory, tmp_path):
    trainer = trainer_factory()
    before = _state(trainer.model)
    with pytest.raises(ValueError, match="num_steps=3 is too few"):
        find_learning_rate(trainer, tmp_path, num_steps=3, **QUIET)
    assert _same(before, _state(trainer.model))
    assert not (tmp_path / "learning_rate.tsv").exists()


def test_copy_kept_on_disk_restores_too(trainer_factory, tmp_path):
    trainer = trainer_factory()
    before = _state(trainer.model)
    find_learning_rate(trainer, tmp_path, mini_batch_size=4, keep_copy_on_disk=True, **QUIET)
    assert _same(before, _state(trainer.model))
    assert not list(tmp_path.glob("lrguard-snapshot-*"))
    maps = Path("/proc/self/maps")
    if maps.exists():  # the removed copy is not kept alive (and its disk space) by a mapping
        assert "lrguard-snapshot-" not in maps.read_text()


def test_prior_flags_sgd_at_0_1_on_fine_tuned_transformer_embeddings(tmp_path, monkeypatch):
    """flair#1968: transformer embeddings fine-tuned with train()'s SGD default 0.1."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import flair
    from flair.data import Corpus
    from flair.datasets import SentenceDataset
    from flair.embeddings import TransformerDocumentEmbeddings
    from flair.models import TextClassifier
    from flair.trainers import ModelTrainer

    from flair_lrguard.examples import sentences as _sentences
    from tests.tiny_text import save_tiny_bert

    path = save_tiny_bert(tmp_path / "tiny-bert")
    flair.set_seed(0)
    embeddings = TransformerDocumentEmbeddings(str(path), fine_tune=True)
    corpus = Corpus(
        train=SentenceDataset(_sentences(8, 1)),
        dev=SentenceDataset(_sentences(4, 2)),
        test=SentenceDataset(_sentences(4, 3)),
        sample_missing_splits=False,
    )
    label_dict = corpus.make_label_dictionary("topic", add_unk=False)
    model = TextClassifier(embeddings, label_dictionary=label_dict, label_type="topic")
    plugin = LRGuardPlugin()
    ModelTrainer(model, corpus).train(
        tmp_path / "run", learning_rate=0.1, max_epochs=1, plugins=[plugin], **FAST
    )
    (record,) = [d for d in plugin.decisions if d["rule"] == "LRG091"]
    assert "fine-tuning a pretrained model" in record["message"] and "SGD" in record["message"]


# ------------------------------------------------------------------------- failure paths


class BrokenSplit(torch.utils.data.Dataset):
    """A training split whose sentences cannot be loaded (a corrupt file read lazily)."""

    def __len__(self) -> int:
        return 32

    def __getitem__(self, index: int):
        raise OSError(f"sentence {index}: file is corrupt")


def test_an_unwritable_base_path_keeps_the_finished_sweep(trainer_factory, tmp_path):
    trainer = trainer_factory()
    base = tmp_path / "taken"
    base.write_text("a file where the folder should be")
    with pytest.warns(RuntimeWarning, match="could not be written") as caught:
        result = find_learning_rate(trainer, base, mini_batch_size=4, **QUIET)
    assert len([w for w in caught if issubclass(w.category, RuntimeWarning)]) == 1
    assert len(result.rates) > 20 and result.suggested_lr is not None
    assert base.read_text() == "a file where the folder should be"


@pytest.mark.parametrize("on_disk", [False, True], ids=["in-memory", "on-disk"])
def test_a_failing_dataloader_leaves_no_file_and_no_folder(trainer_factory, tmp_path, on_disk):
    trainer = trainer_factory()
    trainer.corpus._train = BrokenSplit()
    before = _state(trainer.model)
    base = tmp_path / "new"
    with pytest.raises(OSError, match="file is corrupt"):
        find_learning_rate(trainer, base, mini_batch_size=4, keep_copy_on_disk=on_disk, **QUIET)
    assert _same(before, _state(trainer.model))
    assert not base.exists()


@pytest.mark.parametrize(
    ("settings", "error", "match"),
    [
        ({"max_epochs": 10}, TypeError, "max_epochs=10 is a train\\(\\) keyword.*drop max_epochs"),
        ({"patience": 3}, TypeError, "patience=3 is a train\\(\\) keyword.*Fix: drop patience="),
        ({"nesterov_typo": True}, TypeError, "not a keyword of find_learning_rate nor of SGD"),
        ({"policy": 0.1}, TypeError, "policy=0.1 is a float, not a GuardPolicy"),
        ({"start_lr": 1e-320, "end_lr": 1e10}, ValueError, "overflows"),
        ({"start_lr": 0.1, "end_lr": 0.01}, ValueError, "end_lr=0.01 is not above start_lr"),
        ({"num_steps": 0}, ValueError, "num_steps=0 is not a positive number of steps"),
        ({"method": "race", "race_budget": 2}, ValueError, "race_budget=2 is too small"),
    ],
    ids=[
        "max_epochs",
        "patience",
        "unknown",
        "policy",
        "overflowing-end",
        "start-above-end",
        "no-steps",
        "race-budget",
    ],
)
def test_settings_used_late_are_refused_before_anything_trains(
    trainer_factory, tmp_path, settings, error, match
):
    trainer = trainer_factory()
    before, rng = _state(trainer.model), _rng()
    base = tmp_path / "new"
    with pytest.raises(error, match=match):
        find_learning_rate(trainer, base, keep_copy_on_disk=True, **settings, **QUIET)
    assert _same(before, _state(trainer.model)) and _same_rng(rng, _rng())
    assert not base.exists()


class KeywordSGD(torch.optim.SGD):
    """An optimizer that takes any keyword (as some third-party optimizers do)."""

    def __init__(self, params, lr: float = 0.1, **kwargs) -> None:
        super().__init__(params, lr=lr, momentum=kwargs.get("momentum", 0.0))


@pytest.mark.parametrize("on_disk", [False, True], ids=["in-memory", "on-disk"])
@pytest.mark.parametrize(
    ("keyword", "why"),
    [
        ("max_epochs", "trains num_steps mini-batches, not epochs"),
        ("anneal_factor", "the sweep does not anneal"),
        ("train_with_dev", "trains on the training split only"),
    ],
)
def test_train_keywords_are_answered_even_when_the_optimizer_takes_any(
    trainer_factory, tmp_path, keyword, why, on_disk
):
    """Answered before anything trains, with what the range test does instead; no folder."""
    trainer = trainer_factory()
    before = _state(trainer.model)
    base = tmp_path / "new"
    with pytest.raises(TypeError) as err:
        find_learning_rate(
            trainer,
            base,
            optimizer=KeywordSGD,
            keep_copy_on_disk=on_disk,
            **{keyword: 2},
            **QUIET,
        )
    assert f"{keyword}=2 is a train() keyword" in str(err.value)
    assert why in str(err.value) and f"Fix: drop {keyword}= here" in str(err.value)
    assert _same(before, _state(trainer.model)) and not base.exists()


@pytest.mark.parametrize("method", ["multi", "race"])
def test_multi_and_race_restore_exactly_and_explain(trainer_factory, tmp_path, method, capsys):
    results = []
    for run in range(2):
        trainer = trainer_factory()
        before, rng = _state(trainer.model), _rng()
        result = find_learning_rate(
            trainer,
            tmp_path / f"{method}{run}",
            mini_batch_size=4,
            num_steps=40,
            method=method,
            race_budget=40,
            seed=3,
            progress=False,
            verbose=run == 0,
        )
        assert _same(before, _state(trainer.model)) and _same_rng(rng, _rng())
        results.append(result)
    printed = capsys.readouterr().out
    assert f"({method})\n  why: " in printed
    assert results[0].suggestions == results[1].suggestions  # same seed, same suggestion
    steps = results[0].context["steps"]
    if method == "multi":
        assert results[0].reason.startswith("median of 3 sweeps")
        assert steps["sweep"] > 80
    else:
        assert results[0].reason.startswith("race winner") and 0 < steps["race"] <= 40
    saved = RangeTestResult.from_json((tmp_path / f"{method}0" / "lr_range_test.json").read_text())
    assert saved.reason == results[0].reason
    assert (tmp_path / f"{method}0" / "lr_range_test.png").stat().st_size > 5000
