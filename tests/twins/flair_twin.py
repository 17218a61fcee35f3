"""Stock-vs-guarded twins for Flair: the same scenario trained twice, once as stock Flair
(its own ``AnnealingPlugin`` where ``train()`` attaches it) and once with ``LRGuardPlugin``
added, each from the same seed into a fresh ``base_path``; then everything a user can observe
is compared.

What is compared (``Observed``):

* the exception, if any (type and message), and what ``train()`` returned;
* the Python warnings raised during training (category and text, each once);
* the epochs started and trained to the end;
* every learning rate the optimizer used: per epoch (``before_training_epoch``) and per
  optimizer step (``before_training_optimizer_step``, the rate the step uses), recorded by
  ``RateRecorder``, a plugin both twins get (a rate set by the last evaluation is used by no
  step and leaves no trace once ``train()`` returns);
* a digest of the final parameters of the model the user holds after ``train()`` returns;
* the files in ``base_path`` (names; ``lrguard.jsonl`` is the guard's own file and is left
  out); ``loss.tsv``, ``training.log``, ``dev.tsv`` / ``test.tsv`` contents; every ``*.pt``
  file's parameters (digest) and model card;
* the model card of the model in memory.

Normalized before comparing, because they differ between any two runs or folders, guard or
not: ``base_path`` itself (each twin has its own folder), the time stamp at the start of each
``training.log`` line and the ``time (sec)`` / ``samples/sec`` figures in it, and the
``TIMESTAMP`` column of ``loss.tsv``.

Removed before comparing, because they are the guard's own output and exist only when the
user adds it:

* ``training.log`` lines that the guard's logger ``flair.lrguard`` wrote (its decisions:
  ``lrguard LRG... [action] ...``); they are captured by a handler on that logger during the
  run and removed by exact message. Lines the guard writes in place of stock Flair's (the
  ``epochs without improvement`` line of each evaluation, ``resetting to best model``) go
  through the ``flair`` logger, like Flair's own, and are compared.
* the guard's entry in the ``Plugins:`` list Flair logs (``str(plugin)``);
* the ``lrguard`` key of every model card and the guard's entry in its
  ``training_parameters["plugins"]`` (``LRGuardPlugin.get_state()``).

The decisions (``lrguard.jsonl``, the guard's records, and every record the ``flair.lrguard``
logger emitted with its level) are returned with the guarded twin for the test to judge.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

flair = pytest.importorskip("flair")

import torch  # noqa: E402
from flair.trainers import ModelTrainer  # noqa: E402
from flair.trainers.plugins import TrainerPlugin  # noqa: E402

from flair_lrguard import LRGuardPlugin  # noqa: E402

GUARD_LOGGER = "flair.lrguard"
GUARD_FILE = "lrguard.jsonl"
BASE = "<base_path>"
SEED = 7

Lrs = tuple[float, ...]


class RateRecorder(TrainerPlugin):
    """Records every learning rate the optimizer uses, per epoch and per optimizer step, and
    which epochs were started and trained to the end.

    (Not after each evaluation: Flair dispatches ``after_evaluation`` in the order plugins
    were attached, and its ``AnnealingPlugin`` is attached after the user's plugins, so a
    rate read there is before stock annealing and after the guard's.)"""

    def __init__(self) -> None:
        super().__init__()
        self.epoch_lrs: list[tuple[int, Lrs]] = []
        self.step_lrs: list[tuple[int, int, Lrs]] = []
        self.started: list[int] = []
        self.trained: list[int] = []

    def _lrs(self) -> Lrs:
        return tuple(float(group["lr"]) for group in self.trainer.optimizer.param_groups)

    @TrainerPlugin.hook
    def before_training_epoch(self, epoch: int, **kw: Any) -> None:
        self.started.append(epoch)
        self.epoch_lrs.append((epoch, self._lrs()))

    @TrainerPlugin.hook
    def before_training_optimizer_step(self, epoch: int, batch_no: int, **kw: Any) -> None:
        self.step_lrs.append((epoch, batch_no, self._lrs()))

    @TrainerPlugin.hook
    def after_training_epoch(self, epoch: int, **kw: Any) -> None:
        self.trained.append(epoch)


@dataclass(frozen=True)
class Stage:
    """One training call of a scenario.

    Attributes:
        entry: ``train``, ``fine_tune`` or ``train_custom``.
        kwargs: the call's keyword arguments (without ``base_path`` and ``plugins``).
        plugins: builds the user's own plugins for this call from the twin's ``base_path``
            (fresh for each twin).
        load: a model file in ``base_path`` to load the model from before the call (resume:
            a new ``ModelTrainer`` over the loaded model, as a user continues a run).
    """

    entry: str
    kwargs: dict[str, Any]
    plugins: Callable[[Path], list[TrainerPlugin]] = lambda base_path: []
    load: str | None = None


@dataclass(frozen=True)
class Scenario:
    """A Flair run: a task (``build`` gives a fresh trainer) and one or more training calls.

    ``guard`` builds the guard for each call of the guarded twin.
    """

    name: str
    build: Callable[[], ModelTrainer]
    stages: tuple[Stage, ...]
    guard: Callable[[], LRGuardPlugin] = LRGuardPlugin


@dataclass
class Observed:
    """What a user can observe of one twin."""

    error: str | None = None
    returned: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    started: list[int] = field(default_factory=list)
    trained: list[int] = field(default_factory=list)
    epoch_lrs: list[tuple[int, Lrs]] = field(default_factory=list)
    step_lrs: list[tuple[int, int, Lrs]] = field(default_factory=list)
    params: str = ""
    files: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    card: Any = None
    # the guarded twin only
    decisions: list[dict[str, Any]] = field(default_factory=list)
    guard_log: list[tuple[str, str]] = field(default_factory=list)
    guards: list[LRGuardPlugin] = field(default_factory=list)

    def compared(self) -> dict[str, Any]:
        """The fields both twins must agree on."""
        return {
            "error": self.error,
            "returned": self.returned,
            "warnings": self.warnings,
            "started": self.started,
            "trained": self.trained,
            "epoch_lrs": self.epoch_lrs,
            "step_lrs": self.step_lrs,
            "params": self.params,
            "files": self.files,
            **{f"text:{name}": text for name, text in sorted(self.texts.items())},
            **{f"model:{name}": state for name, state in sorted(self.models.items())},
            "card": self.card,
        }

    @property
    def epochs_trained(self) -> int:
        return len(self.trained)


@dataclass
class Twins:
    """Both runs of a scenario."""

    stock: Observed
    guarded: Observed

    def differences(self) -> list[str]:
        """Every compared field where the twins differ, with both values (empty: identical)."""
        stock, guarded = self.stock.compared(), self.guarded.compared()
        out = []
        for key in stock:
            if stock[key] == guarded[key]:
                continue
            if isinstance(stock[key], str) and isinstance(guarded[key], str):
                diff = difflib.unified_diff(
                    stock[key].splitlines(), guarded[key].splitlines(), "stock", "guarded", n=1
                )
                out.append(f"{key}:\n" + _short("\n".join(diff)))
            else:
                out.append(
                    f"{key}:\n  stock:   {_short(stock[key])}\n  guarded: {_short(guarded[key])}"
                )
        return out

    def loud_decisions(self) -> list[str]:
        """Decisions above ``info`` and guard log lines at WARNING or above."""
        loud = [
            f"{r['rule']} {r['severity']} {r['action']}: {r['message']}"
            for r in self.guarded.decisions
            if r["severity"] != "info"
        ]
        loud += [f"log {level}: {msg}" for level, msg in self.guarded.guard_log if level != "INFO"]
        return loud


def _short(value: Any, limit: int = 1500) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + " ..."


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelname, record.getMessage()))


def run_twins(scenario: Scenario, root: Path) -> Twins:
    """Run ``scenario`` stock into ``root/stock`` and guarded into ``root/guarded``."""
    return Twins(
        stock=run_one(scenario, root / "stock", guarded=False),
        guarded=run_one(scenario, root / "guarded", guarded=True),
    )


def run_one(scenario: Scenario, base_path: Path, *, guarded: bool) -> Observed:
    """One twin: every stage of ``scenario`` into ``base_path``, then what is observable."""
    observed = Observed()
    capture = _Capture()
    guard_logger = logging.getLogger(GUARD_LOGGER)
    flair_logger = logging.getLogger("flair")
    handlers_before = list(flair_logger.handlers)
    guard_logger.addHandler(capture)
    guard_lines: list[str] = []
    trainer = scenario.build()
    try:
        for stage in scenario.stages:
            if stage.load is not None:
                model = type(trainer.model).load(base_path / stage.load)
                trainer = ModelTrainer(model, trainer.corpus)
            recorder = RateRecorder()
            plugins: list[TrainerPlugin] = [*stage.plugins(base_path), recorder]
            if guarded:
                guard = scenario.guard()
                observed.guards.append(guard)
                plugins.insert(0, guard)
            flair.set_seed(SEED)
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    try:
                        returned = getattr(trainer, stage.entry)(
                            base_path, plugins=plugins, **stage.kwargs
                        )
                    finally:
                        seen = {f"{w.category.__name__}: {w.message}" for w in caught}
                        observed.warnings = sorted({*observed.warnings, *seen})
                observed.returned.append(_plain(returned))
            except Exception as exc:  # the twin compares exceptions, whatever they are
                observed.error = f"{type(exc).__name__}: {exc}"
            finally:
                observed.started += recorder.started
                observed.trained += recorder.trained
                observed.epoch_lrs += recorder.epoch_lrs
                observed.step_lrs += recorder.step_lrs
                if guarded:
                    guard_lines.append(" - " + str(observed.guards[-1]))
            if observed.error is not None:
                break
    finally:
        guard_logger.removeHandler(capture)
        for handler in list(flair_logger.handlers):  # a run that raised before Flair closed it
            if handler not in handlers_before:
                handler.close()
                flair_logger.removeHandler(handler)
    observed.params = digest(trainer.model.state_dict())
    observed.card = normalize_card(trainer.model.model_card, base_path)
    observed.guard_log = capture.records
    strip = {message for _, message in capture.records} | set(guard_lines)
    _read_folder(observed, base_path, strip)
    if guarded:
        observed.decisions = [r for g in observed.guards for r in g.decisions]
    return observed


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, torch.Tensor):
        return value.tolist()
    return value


def digest(state: dict[str, Any]) -> str:
    """A SHA-256 over every tensor of a state dict (name, dtype, shape, bytes)."""
    sha = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name]
        if not isinstance(tensor, torch.Tensor):
            continue
        tensor = tensor.detach().cpu().contiguous()
        sha.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}".encode())
        sha.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return sha.hexdigest()


def normalize_card(card: Any, base_path: Path) -> Any:
    """The model card as a user reads it, minus the guard's own parts (see the module doc)."""
    if not isinstance(card, dict):
        return card
    card = {k: v for k, v in card.items() if k != "lrguard"}
    params = card.get("training_parameters")
    if isinstance(params, dict) and isinstance(params.get("plugins"), list):
        plugins = [
            p
            for p in params["plugins"]
            if not (isinstance(p, dict) and str(p.get("__cls__", "")).endswith(".LRGuardPlugin"))
        ]
        card["training_parameters"] = {**params, "plugins": plugins}
    return json.loads(json.dumps(card, default=repr).replace(str(base_path), BASE))


_LOG_STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")
_LOG_TIMES = re.compile(r"(time \(sec\): |samples/sec: )[0-9.]+")


def normalize_log(text: str, base_path: Path, strip: set[str]) -> str:
    """``training.log`` without time stamps and timings, and without the guard's own lines."""
    out = []
    for line in text.replace(str(base_path), BASE).splitlines():
        message = _LOG_STAMP.sub("", line)
        if message in strip or message.replace(BASE, str(base_path)) in strip:
            continue
        out.append(_LOG_TIMES.sub(r"\1<t>", message))
    return "\n".join(out)


def normalize_loss(text: str) -> str:
    """``loss.tsv`` without its ``TIMESTAMP`` column."""
    rows = [line.split("\t") for line in text.splitlines()]
    if not rows or "TIMESTAMP" not in rows[0]:
        return text
    column = rows[0].index("TIMESTAMP")
    return "\n".join("\t".join(c for i, c in enumerate(r) if i != column) for r in rows)


def _read_folder(observed: Observed, base_path: Path, strip: set[str]) -> None:
    if not base_path.exists():
        return
    files = sorted(str(p.relative_to(base_path)) for p in base_path.rglob("*") if p.is_file())
    observed.files = [f for f in files if f != GUARD_FILE]
    for name in observed.files:
        path = base_path / name
        if name.endswith(".pt"):
            state = torch.load(path, map_location="cpu", weights_only=False)
            observed.models[name] = {
                "keys": sorted(state),
                "params": digest(state.get("state_dict", {})),
                "card": normalize_card(state.get("model_card"), base_path),
            }
        elif name == "training.log":
            observed.texts[name] = normalize_log(path.read_text(), base_path, strip)
        elif name == "loss.tsv":
            observed.texts[name] = normalize_loss(path.read_text())
        else:
            observed.texts[name] = path.read_text().replace(str(base_path), BASE)


def guard_records(base_path: Path) -> list[dict[str, Any]]:
    """The records of ``base_path/lrguard.jsonl``."""
    path = base_path / GUARD_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


__all__ = [
    "Observed",
    "RateRecorder",
    "Scenario",
    "Stage",
    "Twins",
    "digest",
    "guard_records",
    "run_one",
    "run_twins",
]
