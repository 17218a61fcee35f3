"""The Hugging Face ``Trainer`` matrix: every scenario run stock and guarded (see ``hf_twin``).

On a correct scenario the two runs are identical in everything a user can observe and the
guard logs nothing above ``info``. Where the guard acts, the test states exactly what
differs, and a stock run with the decision's fix shows the guarded run is that run.
Tiny offline models built from configs (a 1-layer BERT, T5 and Llama); a few steps each.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from transformers import (  # noqa: E402
    EarlyStoppingCallback,
    SchedulerType,
    Seq2SeqTrainer,
    Seq2SeqTrainingArguments,
    Trainer,
    get_linear_schedule_with_warmup,
)

from hf_lrguard import LRGuardCallback  # noqa: E402
from hf_lrguard.examples import VOCAB, TinyData, accuracy, tiny_model  # noqa: E402
from tests.twins.hf_twin import Context, run_fixed, run_twin  # noqa: E402

torch.set_num_threads(1)
pytestmark = pytest.mark.hf
MAJOR = int(transformers.__version__.split(".")[0])
GROUP_BY_LENGTH = (
    {"group_by_length": True} if MAJOR < 5 else {"train_sampling_strategy": "group_by_length"}
)
WARMUP_RATIO = {"warmup_ratio": 0.25} if MAJOR < 5 else {"warmup_steps": 0.25}
"""The same settings under their 4.x and 5.x names."""
MIN_ABOVE = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr": 1e-3}}
"""A floor ten times the peak (1e-4): the stock rate rises all run."""
EVAL = {"eval_strategy": "steps", "eval_steps": 2}
BEST = {
    **EVAL,
    "save_strategy": "steps",
    "save_steps": 2,
    "load_best_model_at_end": True,
    "metric_for_best_model": "eval_loss",
}


@pytest.fixture(autouse=True)
def _quiet():
    transformers.logging.set_verbosity_error()
    logging.getLogger("optuna").setLevel(logging.WARNING)
    yield


# -- building blocks ------------------------------------------------------------------------
def trainer(ctx: Context, cls: type = Trainer, *, callbacks=None, n_train=32, **settings):
    """A tiny BERT ``Trainer`` over ``TinyData`` (with an eval set when it evaluates)."""
    args = ctx.args(**settings)
    extra: dict[str, Any] = {}
    if args.eval_strategy != "no" or args.load_best_model_at_end:
        extra = {"eval_dataset": TinyData(16, seed=1), "compute_metrics": accuracy}
    built = cls(
        model=tiny_model(),
        args=args,
        train_dataset=TinyData(n_train),
        callbacks=ctx.callbacks() if callbacks is None else callbacks,
        **extra,
    )
    return ctx.keep(built)


def trains(**settings):
    """A scenario: build the tiny trainer with ``settings`` and train."""

    def scenario(ctx: Context):
        built = trainer(ctx, **settings)
        built.train()
        return built

    return scenario


class Stream(torch.utils.data.IterableDataset):
    """``TinyData`` as an endless stream: no length, like streaming data."""

    def __iter__(self):
        data = TinyData(32)
        while True:
            yield from (data[i] for i in range(len(data)))


class NoLength:
    """A loader that can only be iterated (no ``__len__``)."""

    def __init__(self, loader) -> None:
        self.loader = loader

    def __iter__(self):
        return iter(self.loader)


class NoLengthTrainer(Trainer):
    def get_train_dataloader(self):
        return NoLength(super().get_train_dataloader())


class HalfLossTrainer(Trainer):
    """A custom ``compute_loss``: half the model's loss."""

    def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
        outputs = model(**inputs)
        loss = outputs.loss * 0.5
        return (loss, outputs) if return_outputs else loss


# -- scenarios ------------------------------------------------------------------------------
def iterable_max_steps(ctx):
    built = Trainer(
        model=tiny_model(),
        args=ctx.args(max_steps=5),
        train_dataset=Stream(),
        callbacks=ctx.callbacks(),
    )
    ctx.keep(built).train()
    return built


def iterable_with_eval(ctx):
    built = Trainer(
        model=tiny_model(),
        args=ctx.args(max_steps=4, **EVAL),
        train_dataset=Stream(),
        eval_dataset=TinyData(8, seed=1),
        callbacks=ctx.callbacks(),
    )
    ctx.keep(built).train()
    return built


def datasets_streaming(ctx):
    datasets = pytest.importorskip("datasets")
    data = TinyData(32)

    def rows():
        for i in range(len(data)):
            yield {"input_ids": data.ids[i].tolist(), "labels": int(data.labels[i])}

    features = datasets.Features(
        {"input_ids": datasets.Sequence(datasets.Value("int64")), "labels": datasets.Value("int64")}
    )
    stream = datasets.IterableDataset.from_generator(rows, features=features)
    built = Trainer(
        model=tiny_model(),
        args=ctx.args(max_steps=5),
        train_dataset=stream,
        callbacks=ctx.callbacks(),
    )
    ctx.keep(built).train()
    return built


def loader_without_length(ctx):
    built = trainer(ctx, NoLengthTrainer, max_steps=5)
    built.train()
    return built


def resume(
    first: dict,
    second: dict,
    *,
    guard_first=True,
    guard_second=True,
    es_first=False,
    es_second=False,
    at=2,
):
    """Train with ``first`` settings (saving every 2 steps), then resume a new trainer with
    ``second`` from ``checkpoint-<at>``; the guard and an ``EarlyStoppingCallback`` on each
    side as asked."""

    def scenario(ctx: Context):
        def callbacks(guard, early):
            others = [EarlyStoppingCallback(early_stopping_patience=5)] if early else []
            return ctx.callbacks(*others, guard=guard)

        saving = {"save_strategy": "steps", "save_steps": 2}
        trainer(ctx, callbacks=callbacks(guard_first, es_first), **{**saving, **first}).train()
        resumed = trainer(ctx, callbacks=callbacks(guard_second, es_second), **{**saving, **second})
        resumed.train(resume_from_checkpoint=str(ctx.out / f"checkpoint-{at}"))
        return resumed

    return scenario


def train_twice(ctx):
    built = trainer(ctx, max_steps=3)
    built.train()
    built.train()
    return built


def evaluate_only(ctx):
    built = trainer(ctx, **EVAL)
    ctx.extra["metrics"] = built.evaluate()
    return built


def predict_only(ctx):
    built = trainer(ctx)
    output = built.predict(TinyData(8, seed=2))
    ctx.extra["predictions"] = output.predictions.round(6).tolist()
    ctx.extra["metrics"] = output.metrics
    return built


def hyperparameter_search(ctx):
    optuna = pytest.importorskip("optuna")
    built = Trainer(
        model_init=lambda: tiny_model(),
        args=ctx.args(max_steps=2, eval_strategy="no"),
        train_dataset=TinyData(16),
        eval_dataset=TinyData(8, seed=1),
        callbacks=ctx.callbacks(),
    )
    ctx.keep(built)
    best = built.hyperparameter_search(
        hp_space=lambda trial: {"learning_rate": trial.suggest_float("learning_rate", 1e-5, 1e-3)},
        backend="optuna",
        n_trials=2,
        direction="minimize",
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    ctx.extra["best"] = [best.run_id, best.objective, best.hyperparameters]
    return built


def model_init(ctx):
    built = Trainer(
        model_init=lambda: tiny_model(),
        args=ctx.args(),
        train_dataset=TinyData(32),
        callbacks=ctx.callbacks(),
    )
    ctx.keep(built).train()
    return built


class Pairs(torch.utils.data.Dataset):
    """Token ids to a shorter label sequence, for an encoder-decoder."""

    def __init__(self, n: int) -> None:
        self.data = TinyData(n)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i):
        ids = self.data.ids[i]
        return {"input_ids": ids, "labels": ids[:4].flip(0)}


def seq2seq(ctx):
    config = transformers.T5Config(
        vocab_size=VOCAB,
        d_model=16,
        d_kv=8,
        d_ff=32,
        num_layers=1,
        num_heads=2,
        decoder_start_token_id=0,
        pad_token_id=0,
    )
    torch.manual_seed(0)
    built = Seq2SeqTrainer(
        model=transformers.T5ForConditionalGeneration(config),
        args=ctx.args(Seq2SeqTrainingArguments, **EVAL),
        train_dataset=Pairs(32),
        eval_dataset=Pairs(8),
        callbacks=ctx.callbacks(),
    )
    ctx.keep(built).train()
    return built


def custom_compute_loss(ctx):
    built = trainer(ctx, HalfLossTrainer)
    built.train()
    return built


def user_optimizers(ctx):
    model = tiny_model()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    schedule = get_linear_schedule_with_warmup(optimizer, 1, 4)
    built = Trainer(
        model=model,
        args=ctx.args(),
        train_dataset=TinyData(32),
        optimizers=(optimizer, schedule),
        callbacks=ctx.callbacks(),
    )
    ctx.keep(built).train()
    return built


def peft_lora(ctx):
    peft = pytest.importorskip("peft")
    config = peft.LoraConfig(task_type="SEQ_CLS", r=4, target_modules=["query", "value"])
    model = peft.get_peft_model(tiny_model(), config)
    built = Trainer(
        model=model, args=ctx.args(), train_dataset=TinyData(32), callbacks=ctx.callbacks()
    )
    ctx.keep(built).train()
    return built


def added_late(ctx):
    built = trainer(ctx, callbacks=ctx.callbacks(guard=False))
    if ctx.guarded:
        built.add_callback(ctx.guard())
    built.train()
    return built


def two_guards(ctx):
    callbacks = ctx.callbacks()
    if ctx.guarded:
        callbacks.append(ctx.guard())
    built = trainer(ctx, callbacks=callbacks, save_strategy="steps", save_steps=2)
    built.train()
    return built


def early_stopping(ctx):
    callbacks = ctx.callbacks(EarlyStoppingCallback(early_stopping_patience=2))
    built = trainer(ctx, callbacks=callbacks, n_train=16, max_steps=8, **BEST)
    built.train()
    return built


def schedulers() -> list[str]:
    """Every ``lr_scheduler_type`` of the installed transformers."""
    return [s.value for s in SchedulerType]


def with_defaults(name: str):
    """``lr_scheduler_type=name`` with its defaults (and what a metric-driven one needs)."""
    settings: dict[str, Any] = {"lr_scheduler_type": name}
    if name in ("reduce_lr_on_plateau", "greedy"):
        settings.update(EVAL, metric_for_best_model="eval_loss")
    return trains(**settings)


SCENARIOS: dict[str, Any] = {
    "map_style_default": trains(),
    "epochs_no_max_steps": trains(max_steps=None, num_train_epochs=2, n_train=16),
    "iterable_max_steps": iterable_max_steps,
    "iterable_with_eval": iterable_with_eval,
    "datasets_streaming": datasets_streaming,
    "loader_without_length": loader_without_length,
    "gradient_accumulation": trains(gradient_accumulation_steps=2, max_steps=3),
    "group_by_length": trains(**GROUP_BY_LENGTH),
    "dataloader_drop_last": trains(dataloader_drop_last=True, n_train=30, max_steps=None),
    "eval_every_n_steps": trains(**EVAL),
    "eval_and_save_per_epoch": trains(
        max_steps=None, num_train_epochs=2, n_train=16, eval_strategy="epoch", save_strategy="epoch"
    ),
    "best_model_save_total_limit": trains(max_steps=6, save_total_limit=1, **BEST),
    "early_stopping": early_stopping,
    "warmup_ratio": trains(**WARMUP_RATIO),
    "resume_same_args": resume({}, {}),
    "resume_guard_first_run_only": resume({}, {}, guard_second=False),
    "resume_guard_second_run_only": resume({}, {}, guard_first=False),
    "resume_early_stopping_first_only": resume(BEST, {}, es_first=True),
    "resume_early_stopping_second_only": resume({}, BEST, es_second=True),
    "resume_changed_max_steps": resume({}, {"max_steps": 6}),
    "train_twice": train_twice,
    "evaluate_without_training": evaluate_only,
    "predict_without_training": predict_only,
    "hyperparameter_search_optuna": hyperparameter_search,
    "model_init": model_init,
    "seq2seq_trainer": seq2seq,
    "custom_compute_loss": custom_compute_loss,
    "optimizers_given": user_optimizers,
    "optim_adamw": trains(optim="adamw_torch"),
    "optim_sgd": trains(optim="sgd", learning_rate=1e-2),
    "optim_adafactor_lr_unset": trains(optim="adafactor", learning_rate=None),
    "optim_schedule_free_adamw": trains(optim="schedule_free_adamw", lr_scheduler_type="constant"),
    "optim_schedule_free_adamw_own_warmup": trains(
        optim="schedule_free_adamw", lr_scheduler_type="constant", warmup_steps=2
    ),
    "bf16_cpu": trains(bf16=True),
    "peft_lora": peft_lora,
    "report_to_tensorboard": trains(report_to=["tensorboard"]),
    "callback_added_late": added_late,
    "two_guards_one_trainer": two_guards,
    **{f"scheduler_{name}": with_defaults(name) for name in schedulers()},
}

NEEDS = {
    "datasets_streaming": "datasets",
    "hyperparameter_search_optuna": "optuna",
    "peft_lora": "peft",
    "optim_schedule_free_adamw": "schedulefree",
    "optim_schedule_free_adamw_own_warmup": "schedulefree",
    "report_to_tensorboard": "tensorboard",
}
ACTS = {
    "scheduler_cosine_with_min_lr": "no floor given: the guard sets min_lr_rate (LRG005)",
    "scheduler_cosine_warmup_with_min_lr": "no floor given: the guard sets min_lr_rate (LRG005)",
    "scheduler_warmup_stable_decay": "no num_decay_steps: refused at Trainer() (LRG005)",
    "scheduler_greedy": "default min_lr above the rate: the guard lowers it (LRG013)",
    "resume_changed_max_steps": "the resumed schedule differs from the checkpoint's (LRG024)",
}
"""Scenarios where the guard acts (a fix or a refusal), each with its own test below."""

STOCK_FAILS = {
    "resume_early_stopping_second_only": "KeyError: 'EarlyStoppingCallback'",
}
"""Scenarios that fail stock, identically with the guard: transformers saves a checkpoint
by indexing ``stateful_callbacks`` with every callback of the trainer, and a checkpoint
written without an ``EarlyStoppingCallback`` has no entry for it."""


def fix_of(decision: dict[str, Any]) -> dict[str, Any]:
    """The ``TrainingArguments`` overrides an ``adjusted`` decision claims
    (``{"lr_scheduler_kwargs.min_lr": 1e-5}`` -> ``{"lr_scheduler_kwargs": {"min_lr": 1e-5}}``)."""
    overrides: dict[str, Any] = {}
    for key, value in decision["after"].items():
        field, _, inner = key.partition(".")
        if inner:
            overrides.setdefault(field, {})[inner] = value
        else:
            overrides[field] = value
    return overrides


@pytest.mark.parametrize("name", [n for n in SCENARIOS if n not in ACTS])
def test_correct_scenario_is_invisible(name, tmp_path):
    if name in NEEDS:
        pytest.importorskip(NEEDS[name])
    twin = run_twin(SCENARIOS[name], tmp_path, name=name)
    twin.assert_invisible()
    assert twin.stock.error == STOCK_FAILS.get(name), twin.stock.error
    if name not in ("evaluate_without_training", "predict_without_training"):
        assert twin.stock.rates, "the scenario must take optimizer steps"


def test_matrix_size():
    assert len(SCENARIOS) >= 40


# -- where the guard acts -----------------------------------------------------------------
def test_min_lr_above_peak_is_lowered_and_the_run_is_the_fixed_run(tmp_path):
    scenario = trains(max_steps=6, **MIN_ABOVE)
    twin = run_twin(scenario, tmp_path, name="min_lr_above_peak")
    [decision] = twin.guarded.decisions
    assert (decision["rule"], decision["action"]) == ("LRG002", "adjusted")
    stock_rates = [r[0] for r in twin.stock.rates]
    guarded_rates = [r[0] for r in twin.guarded.rates]
    assert stock_rates[-1] > 1e-4 and max(guarded_rates) <= 1e-4  # rises vs never above peak
    assert fix_of(decision) == {"lr_scheduler_kwargs": {"min_lr": 1e-4 * 0.1}}
    fixed = run_fixed(twin, scenario, **fix_of(decision))
    assert not twin.differences(fixed).keys() - {"rates", "params", "log_history", "files"}
    assert fixed.rates == twin.guarded.rates
    assert fixed.params == twin.guarded.params
    assert fixed.log_history == twin.guarded.log_history
    assert fixed.global_step == twin.guarded.global_step == twin.stock.global_step


def test_warn_mode_changes_nothing_but_says_so(tmp_path):
    scenario = trains(**MIN_ABOVE)
    twin = run_twin(scenario, tmp_path, lambda: LRGuardCallback(on_violation="warn"))
    assert not twin.differences()
    assert [(d["rule"], d["action"]) for d in twin.guarded.decisions] == [("LRG002", "warned")]


def test_error_mode_refuses_before_the_first_step(tmp_path):
    scenario = trains(**MIN_ABOVE)
    twin = run_twin(scenario, tmp_path, lambda: LRGuardCallback(on_violation="error"))
    assert twin.stock.error is None and twin.stock.global_step == 4
    assert twin.guarded.error.startswith("LRGuardError: ") and "LRG002" in twin.guarded.error
    assert twin.guarded.rates == []  # not one optimizer step
    assert [d["action"] for d in twin.guarded.decisions] == ["raised"]


def test_resume_with_changed_max_steps_is_said_and_changes_nothing(tmp_path):
    """A 4-step linear run resumed at step 2 with ``max_steps=6``: stock keeps the checkpoint's
    step count on the 6-step schedule, so the rate no longer follows either schedule. The guard
    warns (LRG024) at the resume and the run is stock's, step for step."""
    twin = run_twin(SCENARIOS["resume_changed_max_steps"], tmp_path, name="resume_changed")
    assert not twin.differences()
    assert twin.stock.error is None and twin.stock.global_step == 6
    said = [(d["rule"], d["action"], d["severity"]) for d in twin.guarded.decisions]
    assert said == [("LRG024", "warned", "warning")], said
    assert "max_steps" in twin.guarded.decisions[0]["message"]


DEFAULTS_FIXED = {
    "cosine_with_min_lr": ("ValueError: ", "LRG005", {"min_lr_rate": 0.1}),
    "cosine_warmup_with_min_lr": ("ValueError: ", "LRG005", {"min_lr_rate": 0.1}),
    "greedy": (None, "LRG013", {"min_lr": 1e-07}),
}
"""Schedules whose defaults the guard fixes: (stock error, rule, the fixed kwargs)."""


@pytest.mark.parametrize("name", [n for n in DEFAULTS_FIXED if n in schedulers()])
def test_schedule_defaults_fixed_as_the_decision_says(name, tmp_path):
    """cosine_with_min_lr without a floor: stock ValueError in ``train()``; guarded
    ``min_lr_rate=0.1``. greedy: its default ``min_lr`` (1e-3) is above the rate, so the rate
    can only grow; guarded lowers it. Either way the guarded run is the stock run with
    exactly the decision's fix."""
    stock_error, rule, kwargs = DEFAULTS_FIXED[name]
    scenario = SCENARIOS[f"scheduler_{name}"]
    twin = run_twin(scenario, tmp_path, name=name)
    if stock_error is None:
        assert twin.stock.error is None
    else:
        assert twin.stock.error.startswith(stock_error) and twin.stock.rates == []
    assert twin.guarded.error is None
    [decision] = twin.guarded.decisions
    assert (decision["rule"], decision["action"]) == (rule, "adjusted")
    assert fix_of(decision) == {"lr_scheduler_kwargs": kwargs}
    fixed = run_fixed(twin, scenario, **fix_of(decision))
    for observed in ("error", "global_step", "rates", "params", "log_history", "trainer_states"):
        assert getattr(fixed, observed) == getattr(twin.guarded, observed), observed
    assert twin.guarded.rates[-1][0] >= 1e-4 * 0.1


@pytest.mark.skipif("warmup_stable_decay" not in schedulers(), reason="no WSD schedule")
def test_wsd_without_decay_steps_is_refused_when_the_trainer_is_built(tmp_path):
    """Stock: TypeError in ``train()`` (after loading everything). Guarded: LRGuardError at
    ``Trainer(...)`` naming the missing kwarg and a value; neither takes a step."""
    twin = run_twin(SCENARIOS["scheduler_warmup_stable_decay"], tmp_path)
    assert twin.stock.error.startswith("TypeError: ") and "num_decay_steps" in twin.stock.error
    assert twin.guarded.error.startswith("LRGuardError: ")
    assert "LRG005" in twin.guarded.error and "num_decay_steps" in twin.guarded.error
    assert twin.stock.rates == twin.guarded.rates == []
    assert [(d["rule"], d["action"]) for d in twin.guarded.decisions] == [("LRG005", "raised")]
