"""LRG091 in real Trainer runs: its warnings are right, and runs that train well get none.

The runs are the kinds transformers' own trainer tests build, written here as tiny offline
equivalents: two-weight regressions trained from scratch at 0.1 (an ``nn.Module``, a
``PreTrainedModel`` built from its config, one built by ``model_init``, one with SGD) and
one with its own SGD at 1.0 given as ``optimizers=``, a tiny GPT-2 at 1e9 (AdamW and SGD), a
tiny BERT trained from scratch at 1e-3, and a tiny BERT that was trained, saved and reloaded
with ``from_pretrained``, then fine-tuned at 5e-5, 1e-3 and 0.1. Whether each rate is wrong
is measured, not assumed: the run's evaluation loss (on its training data) after training is
non-finite or not below the loss before it. The precision recomputed here is the one
``lrguard explain LRG091`` states.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
import transformers
from torch import nn
from transformers import (
    BertForSequenceClassification,
    GPT2Config,
    GPT2LMHeadModel,
    PreTrainedModel,
    Trainer,
    TrainingArguments,
)

from hf_lrguard import LRGuardCallback
from hf_lrguard.examples import VOCAB, TinyData, tiny_model
from lrguard.rules import get_rule

ConfigBase = getattr(transformers, "PreTrainedConfig", None) or transformers.PretrainedConfig


class PointsOnALine(torch.utils.data.Dataset):
    """y = 2x + 3 plus a little noise: what a two-weight regression fits."""

    def __init__(self, n: int, seed: int = 0) -> None:
        gen = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, generator=gen)
        self.y = 2 * self.x + 3 + 0.1 * torch.randn(n, generator=gen)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"x": self.x[i], "labels": self.y[i]}


def _line(module: nn.Module, x: torch.Tensor, labels: torch.Tensor | None) -> tuple:
    pred = x * module.slope + module.offset
    return (pred,) if labels is None else (nn.functional.mse_loss(pred, labels), pred)


class Line(nn.Module):
    """A two-weight regression as a plain module (no config, nothing to load)."""

    def __init__(self) -> None:
        super().__init__()
        self.slope = nn.Parameter(torch.zeros(()))
        self.offset = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> tuple:
        return _line(self, x, labels)


class LineConfig(ConfigBase):
    """A config of the user's own architecture (no ``model_type``)."""


class LinePreTrained(PreTrainedModel):
    """The same regression as a ``PreTrainedModel``: built from a config, saved, reloaded."""

    config_class = LineConfig

    def __init__(self, config: LineConfig) -> None:
        super().__init__(config)
        self.slope = nn.Parameter(torch.zeros(()))
        self.offset = nn.Parameter(torch.zeros(()))
        self.post_init()  # what every PreTrainedModel does (transformers 5 needs it to load)

    def _init_weights(self, module: nn.Module) -> None:
        """Nothing to initialize: the weights start at zero."""

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> tuple:
        return _line(self, x, labels)


class RepeatedTokens(torch.utils.data.Dataset):
    """Random token sequences, each its own language-modelling target."""

    def __init__(self, n: int) -> None:
        self.ids = torch.randint(0, VOCAB, (n, 16), generator=torch.Generator().manual_seed(0))

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


def tiny_gpt2() -> GPT2LMHeadModel:
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=VOCAB, n_positions=16, n_embd=16, n_layer=2, n_head=2)
    return GPT2LMHeadModel(config)


@dataclass(frozen=True)
class Scenario:
    """One run: how the model is made, its data, rate, optimizer and length."""

    name: str
    model: Callable[[Path], Any]  # the pretrained folder -> a model (None: model_init)
    data: Callable[[], torch.utils.data.Dataset]
    lr: float
    optim: str = "adamw_torch"
    epochs: int = 2
    model_init: Callable[[], Any] | None = None
    optimizers: Callable[[Any], tuple] | None = None  # model -> Trainer(optimizers=...)


@dataclass(frozen=True)
class Outcome:
    """What a run did and what the guard said about its rate."""

    scenario: Scenario
    loss_before: float
    loss_after: float
    severities: tuple[str, ...]  # of the run's LRG091 decisions

    @property
    def rate_is_wrong(self) -> bool:
        """Measured: the loss became non-finite, or training did not lower it."""
        return not math.isfinite(self.loss_after) or self.loss_after >= self.loss_before

    @property
    def warned(self) -> bool:
        return any(s in ("warning", "error") for s in self.severities)


def _bert(folder: Path) -> BertForSequenceClassification:
    return BertForSequenceClassification.from_pretrained(folder / "bert")


def _line_reloaded(folder: Path) -> LinePreTrained:
    return LinePreTrained.from_pretrained(folder / "line")


def _sgd_at_1(model: nn.Module) -> tuple:
    """The user's own optimizer, SGD at 1.0; Trainer builds the schedule on it."""
    return torch.optim.SGD(model.parameters(), lr=1.0), None


SCENARIOS = (
    Scenario("regression module, AdamW 0.1", lambda _: Line(), lambda: PointsOnALine(64), 0.1),
    Scenario(
        "regression PreTrainedModel from its config, AdamW 0.1",
        lambda _: LinePreTrained(LineConfig()),
        lambda: PointsOnALine(64),
        0.1,
    ),
    Scenario(
        "regression PreTrainedModel from its config, SGD 0.1",
        lambda _: LinePreTrained(LineConfig()),
        lambda: PointsOnALine(64),
        0.1,
        optim="sgd",
    ),
    Scenario(
        "regression built by model_init, AdamW 0.1",
        lambda _: None,
        lambda: PointsOnALine(64),
        0.1,
        model_init=Line,
    ),
    Scenario(
        "regression module, optimizers=(SGD 1.0, None), arguments at their defaults",
        lambda _: Line(),
        lambda: PointsOnALine(64),
        5e-5,  # TrainingArguments' default; the optimizer's own 1.0 is the rate
        optimizers=_sgd_at_1,
    ),
    Scenario(
        "tiny GPT-2 from its config, AdamW 1e9",
        lambda _: tiny_gpt2(),
        lambda: RepeatedTokens(32),
        1e9,
    ),
    Scenario(
        "tiny GPT-2 from its config, SGD 1e9",
        lambda _: tiny_gpt2(),
        lambda: RepeatedTokens(32),
        1e9,
        optim="sgd",
    ),
    Scenario(
        "tiny BERT from its config, AdamW 1e-3", lambda _: tiny_model(), lambda: TinyData(64), 1e-3
    ),
    Scenario(
        "tiny BERT trained, saved, reloaded, AdamW 5e-5", _bert, lambda: TinyData(64, 1), 5e-5
    ),
    Scenario(
        "tiny BERT trained, saved, reloaded, AdamW 1e-3", _bert, lambda: TinyData(64, 1), 1e-3
    ),
    Scenario("tiny BERT trained, saved, reloaded, AdamW 0.1", _bert, lambda: TinyData(64, 1), 0.1),
)
LINE_RELOADED = Scenario(
    "regression PreTrainedModel trained, saved, reloaded, AdamW 0.1",
    _line_reloaded,
    lambda: PointsOnALine(64, 1),
    0.1,
)


def _args(out: Path, lr: float, optim: str, epochs: int) -> TrainingArguments:
    return TrainingArguments(
        output_dir=str(out),
        learning_rate=lr,
        optim=optim,
        num_train_epochs=epochs,
        per_device_train_batch_size=8,
        per_device_eval_batch_size=64,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        seed=0,
        dataloader_num_workers=0,
        disable_tqdm=True,
    )


def run(scenario: Scenario, folder: Path, out: Path) -> Outcome:
    """Train ``scenario`` with the guard; the eval loss on its data before and after."""
    guard = LRGuardCallback()
    data = scenario.data()
    model = scenario.model(folder)
    optimizers = scenario.optimizers(model) if scenario.optimizers else (None, None)
    trainer = Trainer(
        model=model,
        model_init=scenario.model_init,
        optimizers=optimizers,
        args=_args(out, scenario.lr, scenario.optim, scenario.epochs),
        train_dataset=data,
        eval_dataset=data,
        callbacks=[guard],
    )
    before = trainer.evaluate()["eval_loss"]
    trainer.train()
    after = trainer.evaluate()["eval_loss"]
    severities = tuple(r["severity"] for r in guard.decisions if r["rule"] == "LRG091")
    return Outcome(scenario, before, after, severities)


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory) -> Path:
    """A tiny BERT trained to solve its task and a regression trained to fit its line, each
    saved with ``save_pretrained`` (no guard: this is the pretraining)."""
    folder = tmp_path_factory.mktemp("pretrained")
    for name, model, data, lr in (
        ("bert", tiny_model(), TinyData(128), 3e-3),
        ("line", LinePreTrained(LineConfig()), PointsOnALine(64), 0.1),
    ):
        trainer = Trainer(
            model=model, args=_args(folder / "runs", lr, "adamw_torch", 6), train_dataset=data
        )
        trainer.train()
        model.save_pretrained(folder / name)
    return folder


@pytest.fixture(scope="module")
def outcomes(pretrained, tmp_path_factory) -> list[Outcome]:
    out = tmp_path_factory.mktemp("runs")
    return [run(s, pretrained, out / str(i)) for i, s in enumerate(SCENARIOS)]


def precision(outcomes: list[Outcome]) -> tuple[int, int]:
    """(warnings whose rate is measured wrong, warnings)."""
    warned = [o for o in outcomes if o.warned]
    return sum(o.rate_is_wrong for o in warned), len(warned)


def test_no_run_that_trains_well_is_warned_about(outcomes):
    wrong = [o.scenario.name for o in outcomes if o.warned and not o.rate_is_wrong]
    assert wrong == []
    assert sum(not o.rate_is_wrong for o in outcomes) >= 7  # the set keeps its correct runs


def test_every_measured_wrong_rate_is_warned_about(outcomes):
    missed = [o.scenario.name for o in outcomes if o.rate_is_wrong and not o.warned]
    assert missed == []
    assert [o.scenario.lr for o in outcomes if o.rate_is_wrong] == [1e9, 1e9, 0.1]


def test_from_scratch_runs_at_0_1_get_a_note_at_most(outcomes):
    notes = {o.scenario.name: o.severities for o in outcomes[:4]}
    assert notes == {
        "regression module, AdamW 0.1": ("info",),
        "regression PreTrainedModel from its config, AdamW 0.1": ("info",),
        "regression PreTrainedModel from its config, SGD 0.1": (),  # SGD's usual rate
        "regression built by model_init, AdamW 0.1": ("info",),
    }


def test_the_rules_doc_states_the_measured_precision(outcomes):
    right, warned = precision(outcomes)
    assert warned and right == warned
    what = get_rule("LRG091").what
    live = re.search(r"live Trainer runs[^:]*\((\d+) runs\): (\d+) warnings, (\d+) right", what)
    assert live, what
    assert tuple(int(g) for g in live.groups()) == (len(outcomes), warned, right)
    correct = sum(not o.rate_is_wrong for o in outcomes)
    assert f"none on the {correct} runs that train well" in what


def test_the_warning_says_what_and_never_changes_the_rate(pretrained, tmp_path):
    guard = LRGuardCallback()
    trainer = Trainer(
        model=_bert(pretrained),
        args=_args(tmp_path / "b", 0.1, "adamw_torch", 1),
        train_dataset=TinyData(16),
        callbacks=[guard],
    )
    trainer.train()
    (record,) = [r for r in guard.decisions if r["rule"] == "LRG091"]
    assert record["action"] == "warned"
    assert "fine-tuning a pretrained model" in record["message"]
    assert "find_learning_rate" in record["fix"]
    assert trainer.args.learning_rate == 0.1  # a warning, never a change
    assert trainer.optimizer.param_groups[0]["initial_lr"] == 0.1


def test_a_users_optimizer_is_judged_by_its_own_family(outcomes):
    (outcome,) = [o for o in outcomes if o.scenario.optimizers is not None]
    assert not outcome.rate_is_wrong
    assert outcome.severities == ()  # SGD at 1.0 is inside SGD's band for training from scratch


def test_a_reloaded_model_of_the_users_own_architecture_is_not_warned_about(pretrained, tmp_path):
    outcome = run(LINE_RELOADED, pretrained, tmp_path)
    assert not outcome.rate_is_wrong  # it trains well at 0.1
    assert not outcome.warned


if __name__ == "__main__":  # print the measurement: python -m tests.hf.test_rate_prior
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, model, data, lr in (
            ("bert", tiny_model(), TinyData(128), 3e-3),
            ("line", LinePreTrained(LineConfig()), PointsOnALine(64), 0.1),
        ):
            Trainer(
                model=model, args=_args(folder / "r", lr, "adamw_torch", 6), train_dataset=data
            ).train()
            model.save_pretrained(folder / name)
        for i, scenario in enumerate((*SCENARIOS, LINE_RELOADED)):
            o = run(scenario, folder, folder / str(i))
            print(f"{scenario.name}: {o.loss_before:.4g} -> {o.loss_after:.4g}, {o.severities}")
