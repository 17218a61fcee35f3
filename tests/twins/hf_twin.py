"""Stock-vs-guarded twins for Hugging Face trainers (``Trainer``, TRL, sentence-transformers).

A scenario is a function ``scenario(ctx)`` that builds a trainer with ``ctx.callbacks()``
(and ``ctx.args(...)`` for its ``TrainingArguments``), runs what the user would run, and
returns the trainer (or None). :func:`run_twin` runs it twice in the same ``output_dir``
(so every path and file is comparable): once stock, once with an ``LRGuardCallback`` added
to each trainer the scenario builds, with the same seed, each in a fresh folder. Both
twins get the same rate recorder, the first callback of every trainer.

What is compared is what a user can observe: the exception (type and message), the global
step and epoch, every param group's learning rate at every optimizer step (read just before
``optimizer.step()``), a digest of the final parameters, the files in the output folder
(names and contents; ``trainer_state.json`` parsed, with the guard's entry and the run-time
measurements left out; ``training_args.bin`` parsed, the default ``logging_dir`` by folder;
TensorBoard event files by folder only), ``log_history`` as a
consumer reads it, whatever the scenario puts in ``ctx.extra``, and the guard's decisions.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback, TrainingArguments

from hf_lrguard import LRGuardCallback
from lrguard import read_jsonl

GUARD_SUFFIX = "GuardCallback"
"""``stateful_callbacks`` entries of the guard (``LRGuardCallback`` and subclasses)."""
TIMING_SUFFIXES = ("_runtime", "_per_second", "_preparation_time")
"""``log_history`` / metrics keys measured in wall time: they differ between any two runs."""
DECISION_LOG = "lrguard.jsonl"
QUIET = ("info",)
"""The only severity a correct scenario may log."""

BASE_ARGS: dict[str, Any] = {
    "max_steps": 4,
    "per_device_train_batch_size": 4,
    "per_device_eval_batch_size": 8,
    "learning_rate": 1e-4,
    "logging_steps": 1,
    "save_strategy": "no",
    "report_to": [],
    "use_cpu": True,
    "seed": 0,
    "dataloader_num_workers": 0,
    "disable_tqdm": True,
}
"""A fast CPU run: four optimizer steps of batch 4, a log entry per step, nothing saved."""


class RateRecorder(TrainerCallback):
    """Every param group's learning rate at every optimizer step, read just before
    ``optimizer.step()`` (the rate the step uses)."""

    def __init__(self) -> None:
        self.rates: list[list[float]] = []

    def on_pre_optimizer_step(self, args, state, control, optimizer=None, **kwargs):
        """Before each optimizer step: record the rates the step will use."""
        inner = getattr(optimizer, "optimizer", optimizer)
        if inner is not None:
            self.rates.append([float(group["lr"]) for group in inner.param_groups])


@dataclass
class Context:
    """What a scenario gets: where to write, which callbacks to add, and a place for extra
    observations. ``overrides`` are added to every ``args(...)`` (a stock run with a fix)."""

    out: Path
    guarded: bool
    make_guard: Callable[[], TrainerCallback]
    overrides: dict[str, Any] = field(default_factory=dict)
    recorder: RateRecorder = field(default_factory=RateRecorder)
    guards: list[TrainerCallback] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    trainer: Any = None

    def keep(self, trainer: Any) -> Any:
        """Observe ``trainer`` even if the scenario raises after building it."""
        self.trainer = trainer
        return trainer

    def guard(self) -> TrainerCallback:
        """A new guard of this twin (kept for reading its decisions)."""
        made = self.make_guard()
        self.guards.append(made)
        return made

    def callbacks(self, *others: TrainerCallback, guard: bool = True) -> list[TrainerCallback]:
        """The recorder, ``others``, and a guard on the guarded side (unless ``guard=False``)."""
        chosen = [self.recorder, *others]
        if self.guarded and guard:
            chosen.append(self.guard())
        return chosen

    def args(self, cls: type = TrainingArguments, **settings: Any) -> Any:
        """``cls`` (``TrainingArguments`` or a subclass) over ``BASE_ARGS``, ``settings`` and
        the context's ``overrides``; ``None`` in ``settings`` removes a base setting."""
        merged = {**BASE_ARGS, "output_dir": str(self.out), **settings, **self.overrides}
        return cls(**{k: v for k, v in merged.items() if v is not None})


@dataclass
class Observed:
    """What one twin let a user see."""

    error: str | None
    global_step: int | None
    epoch: float | None
    rates: list[list[float]]
    params: str | None
    files: dict[str, str]
    trainer_states: dict[str, Any]
    log_history: list[dict[str, Any]] | None
    extra: dict[str, Any]
    decisions: list[dict[str, Any]]
    decision_file: list[dict[str, Any]]
    seconds: float

    COMPARED = (
        "error",
        "global_step",
        "epoch",
        "rates",
        "params",
        "files",
        "trainer_states",
        "log_history",
        "extra",
    )
    """Fields that must be equal on a correct scenario (decisions are checked apart)."""


def _without_timings(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _without_timings(v) for k, v in value.items() if not str(k).endswith(TIMING_SUFFIXES)
        }
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def consumer_view(state: dict[str, Any]) -> dict[str, Any]:
    """``trainer_state.json`` as a consumer compares it: without the guard's
    ``stateful_callbacks`` entry and without wall-time measurements."""
    state = copy.deepcopy(state)
    saved = state.get("stateful_callbacks") or {}
    for name in [n for n in saved if n.endswith(GUARD_SUFFIX)]:
        del saved[name]
    return _without_timings(state)


def training_args_view(path: Path) -> dict[str, Any]:
    """A saved ``TrainingArguments`` as a dict; the default ``logging_dir`` (named after
    the time the arguments were made) by its folder only."""
    saved = torch.load(path, weights_only=False).to_dict()
    if isinstance(saved.get("logging_dir"), str):
        saved["logging_dir"] = re.sub(r"runs/[^/]+$", "runs/<run>", saved["logging_dir"])
    return saved


def _digest_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _files(root: Path) -> tuple[dict[str, str], dict[str, Any]]:
    """Every file under ``root`` (minus the decision log): relative name -> content digest;
    ``trainer_state.json`` files parsed; TensorBoard event files named by folder only."""
    files: dict[str, str] = {}
    states: dict[str, Any] = {}
    if not root.exists():
        return files, states
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = path.relative_to(root).as_posix()
        if path.name == DECISION_LOG:
            continue
        if path.name.startswith("events.out.tfevents."):
            parts = name.split("/")
            files[
                "/".join(["runs" if p.startswith("runs") else p for p in parts[:-2]])
                + "/<run>/events"
            ] = "tensorboard"
            continue
        if path.name == "trainer_state.json":
            states[name] = consumer_view(json.loads(path.read_text()))
            files[name] = "parsed"
            continue
        if path.name == "training_args.bin":
            states[name] = training_args_view(path)
            files[name] = "parsed"
            continue
        files[name] = _digest_file(path)
    return files, states


def params_digest(model: torch.nn.Module | None) -> str | None:
    """A digest of every parameter and buffer of ``model`` (names and values)."""
    if model is None:
        return None
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().float().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def _error_text(error: BaseException, root: Path) -> str:
    return f"{type(error).__name__}: {error}".replace(str(root), "<out>")


def observe(scenario: Callable[[Context], Any], ctx: Context) -> Observed:
    """Run ``scenario`` once and collect what a user can observe."""
    torch.manual_seed(0)
    started = time.perf_counter()
    error = None
    trainer = None
    try:
        trainer = scenario(ctx) or ctx.trainer
    except Exception as err:  # noqa: BLE001 - an exception is an observation like any other
        error = _error_text(err, ctx.out)
        trainer = ctx.trainer
    seconds = time.perf_counter() - started
    state = getattr(trainer, "state", None)
    files, states = _files(ctx.out)
    decisions = [r for g in ctx.guards for r in getattr(g, "records", [])]
    jsonl = ctx.out / DECISION_LOG
    return Observed(
        error=error,
        global_step=getattr(state, "global_step", None),
        epoch=getattr(state, "epoch", None),
        rates=list(ctx.recorder.rates),
        params=params_digest(getattr(trainer, "model", None)),
        files=files,
        trainer_states=states,
        log_history=_without_timings(copy.deepcopy(state.log_history)) if state else None,
        extra=_without_timings(ctx.extra),
        decisions=decisions,
        decision_file=read_jsonl(jsonl) if jsonl.exists() else [],
        seconds=seconds,
    )


@dataclass
class Twin:
    """A scenario run stock and guarded (and, when asked, stock with the guard's fix)."""

    name: str
    stock: Observed
    guarded: Observed
    root: Path

    def differences(self, other: Observed | None = None) -> dict[str, tuple[Any, Any]]:
        """Compared fields whose values differ: name -> (stock, guarded)."""
        other = self.guarded if other is None else other
        return {
            name: (getattr(self.stock, name), getattr(other, name))
            for name in Observed.COMPARED
            if getattr(self.stock, name) != getattr(other, name)
        }

    @property
    def loud(self) -> list[dict[str, Any]]:
        """Decisions above ``info``."""
        return [d for d in self.guarded.decisions if d.get("severity") not in QUIET]

    def assert_invisible(self) -> None:
        """A correct scenario: everything identical, nothing above ``info`` logged, the
        decision file (when written) holding exactly the decisions."""
        differ = self.differences()
        assert not differ, f"{self.name}: stock and guarded differ in {_summary(differ)}"
        assert not self.loud, f"{self.name}: the guard spoke on a correct run: {self.loud}"
        if self.guarded.decision_file:
            assert self.guarded.decision_file == self.guarded.decisions


def _summary(differ: dict[str, tuple[Any, Any]]) -> str:
    lines = []
    for name, (stock, guarded) in differ.items():
        if isinstance(stock, dict) and isinstance(guarded, dict):
            keys = sorted(k for k in set(stock) | set(guarded) if stock.get(k) != guarded.get(k))
            lines.append(f"{name} (keys {keys[:6]})")
        else:
            lines.append(f"{name}: stock={_short(stock)} guarded={_short(guarded)}")
    return "; ".join(lines)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 300 else text[:300] + "..."


def _run_in(
    scenario: Callable[[Context], Any],
    root: Path,
    side: str,
    guarded: bool,
    make_guard: Callable[[], TrainerCallback],
    overrides: dict[str, Any],
) -> Observed:
    """Run in ``root/out`` (the same path for every side), then move the folder to
    ``root/side``."""
    out = root / "out"
    if out.exists():
        shutil.rmtree(out)
    ctx = Context(out=out, guarded=guarded, make_guard=make_guard, overrides=dict(overrides))
    observed = observe(scenario, ctx)
    if out.exists():
        os.replace(out, root / side)
    return observed


def run_twin(
    scenario: Callable[[Context], Any],
    root: Path,
    make_guard: Callable[[], TrainerCallback] = LRGuardCallback,
    name: str | None = None,
) -> Twin:
    """Run ``scenario`` stock, then guarded, under ``root``.

    Args:
        scenario: builds and runs the trainer(s) with ``ctx.callbacks()``.
        root: an empty folder; each side's output ends in ``root/stock``, ``root/guarded``.
        make_guard: builds the guard of the guarded side.
        name: the scenario's name for messages.
    """
    stock = _run_in(scenario, root, "stock", False, make_guard, {})
    guarded = _run_in(scenario, root, "guarded", True, make_guard, {})
    return Twin(name or getattr(scenario, "__name__", "scenario"), stock, guarded, root)


def run_fixed(twin: Twin, scenario: Callable[[Context], Any], **overrides: Any) -> Observed:
    """The scenario stock again, with ``overrides`` (the fix a decision claims) in its
    arguments: where the guard adjusts, the guarded twin must be this run."""
    return _run_in(scenario, twin.root, "fixed", False, LRGuardCallback, overrides)


__all__ = [
    "BASE_ARGS",
    "Context",
    "Observed",
    "RateRecorder",
    "Twin",
    "consumer_view",
    "observe",
    "params_digest",
    "run_fixed",
    "run_twin",
]
