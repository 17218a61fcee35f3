"""``RangeTestResult``: a finished sweep, its suggestions, and the files it is written to."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrguard.decision_log import DecisionLog
from lrguard.findings import Action, Decision, Severity
from lrguard.range_test.floor import round_rate
from lrguard.range_test.smoothing import debiased_ema
from lrguard.range_test.suggest import Suggestion, check_method, lag_free_curve, rate_text
from lrguard.range_test.sweep import SweepSettings

if TYPE_CHECKING:  # pydantic: imported only when a file is written
    from lrguard.policy import GuardPolicy

RULE = "LRG090"
"""The rule code of the range test's decision."""

TSV_NAME = "learning_rate.tsv"
JSON_NAME = "lr_range_test.json"
PNG_NAME = "lr_range_test.png"

TSV_HEADER = ("ITERATION", "TIMESTAMP", "LEARNING_RATE", "TRAIN_LOSS")
"""Flair's ``learning_rate.tsv`` columns (read by ``flair.visual.training_curves.Plotter``)."""


def _json_number(value: float | None) -> float | str | None:
    if value is None:
        return None
    return value if math.isfinite(value) else repr(float(value))


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _setting(value: Any) -> str:
    """A training argument for ``summary()``: rates with two significant digits."""
    if isinstance(value, float):
        return rate_text(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_setting(v)}" for k, v in value.items()) + "}"
    return repr(value)


@dataclass
class RangeTestResult:
    """A finished learning-rate range test.

    Attributes:
        rates: the rate of every step run.
        losses: the raw training loss of every step (NaN/inf kept as recorded).
        smoothed: the debiased-EMA loss (NaN where the raw loss was not finite).
        stop_reason: 'completed', 'diverged' or 'non_finite'.
        batches_cycled: how often the dataloader ran out and was restarted.
        suggestions: every method's rate (None: that method found no descent).
        method: the method chosen (``lrguard`` unless asked otherwise).
        suggested_lr: the chosen method's rate (None: no usable descent: see ``notes``).
        suggested_min_lr: the floor the guard's policy sets for ``suggested_lr``.
        floor_key / floor_setting: where that floor goes ('min_learning_rate', 'min_lr',
            'min_lr_rate', 'lr_end' …) and the value to write there.
        arguments: what to train with: Flair ``train(...)`` keywords, or the Hugging Face
            ``TrainingArguments`` fields to update.
        settings: the sweep settings.
        context: framework, optimizer, starting rates, …
        notes: what the reader should know (cycled data, no descent, divergence).
        reasons: every method's explanation: which reading chose its rate and why (or why
            it found none).
        marks: every method's readings for the plot (``Suggestion.marks``: the curve it
            read, the edge, the descent, the band, the candidates).
        lagfree: the lag-free curve ``lrguard`` reads (a centered running median; NaN where
            the loss was not finite).
        timestamps: the wall-clock time of every step (Flair's ``learning_rate.tsv``).
        reason: the chosen method's explanation.
    """

    rates: list[float]
    losses: list[float]
    smoothed: list[float]
    stop_reason: str
    batches_cycled: int
    suggestions: dict[str, float | None]
    method: str
    suggested_lr: float | None
    settings: dict[str, Any]
    suggested_min_lr: float | None = None
    floor_key: str | None = None
    floor_setting: float | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    marks: dict[str, dict[str, Any]] = field(default_factory=dict)
    lagfree: list[float] = field(default_factory=list)
    timestamps: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """Why the chosen method suggests ``suggested_lr`` (or why it found no rate)."""
        return self.reasons.get(self.method, "")

    @classmethod
    def build(
        cls,
        *,
        settings: SweepSettings,
        rates: list[float],
        losses: list[float],
        stop_reason: str,
        batches_cycled: int,
        suggestions: dict[str, Suggestion],
        context: dict[str, Any],
        method: str = "lrguard",
    ) -> RangeTestResult:
        """Assemble a result from a recorder's data (no floor yet: ``with_floor``)."""
        chosen = suggestions[method]
        notes: list[str] = []
        if stop_reason == "diverged":
            notes.append(
                f"the loss diverged at step {len(rates)} (lr {rate_text(rates[-1])}); the "
                "sweep stopped there"
            )
        elif stop_reason == "non_finite":
            notes.append(
                f"the loss was {losses[-1]} at step {len(rates)} (lr {rate_text(rates[-1])})"
            )
        if batches_cycled:
            notes.append(
                f"the data ran out and was cycled {batches_cycled} time(s): the sweep saw "
                "some batches more than once"
            )
        if chosen.lr is None:
            notes.append(f"no suggestion: {chosen.note}")
        return cls(
            rates=list(rates),
            losses=list(losses),
            smoothed=debiased_ema(losses, settings.smoothing),
            stop_reason=stop_reason,
            batches_cycled=batches_cycled,
            suggestions={name: s.lr for name, s in suggestions.items()},
            method=method,
            suggested_lr=None if chosen.lr is None else round_rate(chosen.lr),
            settings=asdict(settings),
            context=context,
            notes=notes,
            reasons={name: s.note for name, s in suggestions.items()},
            marks={name: dict(s.marks) for name, s in suggestions.items()},
            lagfree=lag_free_curve(losses),
        )

    def choose(self, method: str) -> RangeTestResult:
        """The same result with another method's rate chosen (floor not yet set)."""
        check_method(method, tuple(self.suggestions))
        self.method = method
        chosen = self.suggestions[method]
        self.suggested_lr = None if chosen is None else round_rate(chosen)
        return self

    def adopt(self, suggestion: Suggestion) -> RangeTestResult:
        """Add a method that read more than this sweep (``multi``, ``race``) and choose it
        (floor not yet set)."""
        self.suggestions[suggestion.method] = suggestion.lr
        self.reasons[suggestion.method] = suggestion.note
        self.marks[suggestion.method] = dict(suggestion.marks)
        if suggestion.lr is None:
            self.notes.append(f"no suggestion: {suggestion.note}")
        return self.choose(suggestion.method)

    def with_floor(
        self, value: float | None, key: str | None, setting: float | None, arguments: dict[str, Any]
    ) -> None:
        """Record the floor that goes with ``suggested_lr`` and the arguments to train with."""
        self.suggested_min_lr = value
        self.floor_key = key
        self.floor_setting = setting
        self.arguments = arguments

    # --- reading ---------------------------------------------------------------------------

    def summary(self) -> str:
        """Lines for people: the suggestion and why, the floor, the other methods, the notes
        (every rate with two significant digits)."""
        swept = ""
        if self.rates:
            swept = f" from {rate_text(self.rates[0])} to {rate_text(self.rates[-1])}"
        lines = [f"lrguard range test: {len(self.rates)} steps{swept}, {self.stop_reason}"]
        if self.suggested_lr is not None:
            lines.append(
                f"  suggested learning rate: {rate_text(self.suggested_lr)} ({self.method})"
            )
            if self.reason:
                lines.append(f"  why: {self.reason}")
            if self.floor_key is not None and self.floor_setting is not None:
                lines.append(
                    f"  consistent floor: {self.floor_key}={rate_text(self.floor_setting)}"
                )
            if self.arguments:
                given = ", ".join(f"{k}={_setting(v)}" for k, v in self.arguments.items())
                lines.append(f"  train with: {given}")
        others = ", ".join(
            f"{name} {rate_text(lr) if lr is not None else '-'}"
            + (" (clamped)" if "clamped" in self.marks.get(name, {}) else "")
            for name, lr in self.suggestions.items()
            if name != self.method
        )
        lines.append(f"  other methods: {others}")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    def decision(self, framework: str, before: dict[str, Any] | None = None) -> Decision:
        """The LRG090 decision recording this result (action ``noted``: nothing changes)."""
        after: dict[str, Any] = {}
        if self.suggested_lr is not None:
            after = dict(self.arguments) or {"learning_rate": self.suggested_lr}
        message = self.summary().replace("\n  ", "; ").replace("\n", "; ")
        return Decision(
            rule=RULE,
            severity=Severity.INFO,
            action=Action.NOTED,
            message=message,
            before=before,
            after=after or None,
            framework=framework,
        )

    # --- files -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (non-finite numbers as the strings 'nan' / 'inf')."""
        data = asdict(self)
        data["losses"] = [_json_number(v) for v in self.losses]
        data["smoothed"] = [_json_number(v) for v in self.smoothed]
        data["lagfree"] = [_json_number(v) for v in self.lagfree]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RangeTestResult:
        """Read ``to_dict()`` back."""
        data = dict(data)
        data["losses"] = [float(v) for v in data["losses"]]
        data["smoothed"] = [float(v) for v in data["smoothed"]]
        data["lagfree"] = [float(v) for v in data.get("lagfree", [])]
        data["suggestions"] = {k: _number(v) for k, v in data["suggestions"].items()}
        return cls(**data)

    def to_json(self) -> str:
        """The result as JSON text."""
        return json.dumps(self.to_dict(), indent=1, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> RangeTestResult:
        """Read ``to_json()`` back."""
        return cls.from_dict(json.loads(text))

    def write_json(self, path: Path) -> Path:
        """Write ``lr_range_test.json``-style JSON to ``path``."""
        path = Path(path)
        path.write_text(self.to_json() + "\n", encoding="utf-8")
        return path

    def write_flair_tsv(self, path: Path, timestamps: list[str] | None = None) -> Path:
        """Write Flair's ``learning_rate.tsv`` (smoothed loss as TRAIN_LOSS, as Flair did),
        so ``flair.visual.training_curves.Plotter().plot_learning_rate`` can plot it."""
        path = Path(path)
        stamps = timestamps or self.timestamps or [""] * len(self.rates)
        rows = ["\t".join(TSV_HEADER)]
        for i, (rate, loss) in enumerate(zip(self.rates, self.smoothed, strict=True)):
            rows.append(f"{i}\t{stamps[i]}\t{rate!r}\t{loss!r}")
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        return path

    def save(
        self,
        folder: Path,
        *,
        logger: logging.Logger,
        framework: str,
        timestamps: list[str] | None = None,
        policy: GuardPolicy | None = None,
    ) -> dict[str, Path]:
        """Write every file of a range test into ``folder``: ``learning_rate.tsv`` (Flair's
        format), ``lr_range_test.json``, ``lr_range_test.png`` (when matplotlib is installed;
        otherwise a note says so) and the LRG090 record in the policy's ``log_file``
        (``GuardPolicy()``'s when None). Returns the paths.
        """
        if policy is None:
            from lrguard.policy import GuardPolicy

            policy = GuardPolicy()
        log_file = policy.log_file
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        try:
            paths["png"] = self.plot(folder / PNG_NAME)
        except ModuleNotFoundError as err:
            self.notes.append(f"no plot: {err}")
        paths["tsv"] = self.write_flair_tsv(folder / TSV_NAME, timestamps)
        paths["json"] = self.write_json(folder / JSON_NAME)
        log_path = folder / log_file if log_file else None
        DecisionLog(framework, logger, log_path).emit(self.decision(framework))
        if log_path is not None:
            paths["log"] = log_path
        return paths

    def plot(self, path: Path) -> Path:
        """A PNG of the loss against the rate: the raw loss, the curve the chosen method read
        (the lag-free curve for ``lrguard``, the EMA for the peers; the other one thin), and
        that method's readings: the edge of stability, the descent, the starting level's
        noise band, race candidates, the suggestion and the floor (needs matplotlib:
        ``pip install 'lrguard[plot]'``)."""
        from lrguard.plotting import agg_figure  # no pyplot: the user's backend is untouched

        fig = agg_figure((7, 4), needed_by="RangeTestResult.plot")
        from matplotlib.ticker import FuncFormatter

        marks = self.marks.get(self.method, {})
        lagfree = self.lagfree or [math.nan] * len(self.rates)
        read_lagfree = marks.get("curve") in ("lag-free", "pooled")
        read = lagfree if read_lagfree else self.smoothed
        ax = fig.subplots()
        try:
            ax.plot(self.rates, self.losses, color="0.8", linewidth=0.8, label="loss")
            ax.plot(
                self.rates,
                self.smoothed if read_lagfree else lagfree,
                color="0.55",
                linewidth=0.8,
                label="EMA (steepest, valley, minimum)" if read_lagfree else "lag-free curve",
            )
            ax.plot(
                self.rates,
                read,
                color="C0",
                linewidth=1.6,
                label=(
                    "lag-free curve of the first sweep"
                    if marks.get("curve") == "pooled"
                    else f"{'lag-free curve' if read_lagfree else 'EMA'}, read by {self.method}"
                ),
            )
            if marks.get("curve") == "pooled" and marks.get("pooled_curve"):
                pooled = [math.nan if v is None else v for v in marks["pooled_curve"]]
                ax.plot(
                    marks["pooled_rates"],
                    pooled,
                    color="C3",
                    linewidth=1.6,
                    label="pooled curve of every sweep, read by multi",
                )
            if "band_top" in marks and "level" in marks:
                ax.axhspan(
                    2 * marks["level"] - marks["band_top"],
                    marks["band_top"],
                    color="C0",
                    alpha=0.08,
                    label="starting level +- noise margin",
                )
            if "descent" in marks:
                low, high = marks["descent"]
                ax.axvspan(low, high, color="C2", alpha=0.12, label="descent read")
            if "edge" in marks:
                ax.axvline(
                    marks["edge"],
                    color="C1",
                    linestyle="-.",
                    label=f"edge of stability {rate_text(marks['edge'])}",
                )
            for k, rate in enumerate(marks.get("sweeps", [])):
                ax.axvline(
                    rate,
                    color="C5",
                    linestyle=":",
                    linewidth=1.0,
                    label="each sweep's rate" if k == 0 else None,
                )
            for k, rate in enumerate(marks.get("candidates", [])):
                ax.axvline(
                    rate,
                    color="C4",
                    linestyle=":",
                    linewidth=1.0,
                    label="race candidates" if k == 0 else None,
                )
            if self.suggested_lr is not None:
                ax.axvline(
                    self.suggested_lr,
                    color="C2",
                    linestyle="--",
                    label=f"suggested lr {rate_text(self.suggested_lr)}",
                )
            if self.suggested_min_lr:
                ax.axvline(
                    self.suggested_min_lr,
                    color="C3",
                    linestyle=":",
                    label=f"floor {rate_text(self.suggested_min_lr)}",
                )
            ax.set_xscale("log")
            ax.minorticks_off()  # plain labels, no minor ticks: a fraction of the drawing time
            ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0e}"))
            ax.set_xlabel("learning rate")
            ax.set_ylabel("training loss")
            finite = [v for v in read if math.isfinite(v)]
            if finite:
                top = finite[0] + 0.25 * (max(finite) - min(finite)) + 1e-12
                if "band_top" in marks:
                    top = max(top, marks["band_top"])
                ax.set_ylim(
                    min(finite) - 0.05 * abs(top - min(finite)), max(top, min(finite) + 1e-9)
                )
            ax.set_title(f"range test: {self.stop_reason}; {self.method}", fontsize=10)
            ax.legend(loc="lower left", fontsize=7)  # "best" searches every data point
            fig.subplots_adjust(left=0.1, right=0.97, bottom=0.13, top=0.92)  # one draw only
            fig.savefig(path, dpi=100)
        finally:
            fig.clear()
        return Path(path)


def check_policy(policy: Any) -> None:
    """Refuse a ``policy=`` that is not a ``GuardPolicy`` before a range test trains anything
    (its floor ratio and log file are used only after the sweep).

    Raises:
        TypeError: ``policy`` is neither None nor a ``GuardPolicy``; the message names the
            keyword and the fix.
    """
    if policy is None:
        return
    from lrguard.policy import GuardPolicy

    if not isinstance(policy, GuardPolicy):
        raise TypeError(
            f"policy={policy!r} is a {type(policy).__name__}, not a GuardPolicy: the range "
            "test sets the suggested floor with its ratio. Fix: pass "
            "policy=GuardPolicy(...) or drop policy="
        )


def save_or_warn(
    result: RangeTestResult,
    folder: Path,
    *,
    logger: logging.Logger,
    framework: str,
    timestamps: list[str] | None = None,
    policy: GuardPolicy | None = None,
) -> dict[str, Path]:
    """``result.save(...)``, but a folder or file that cannot be written costs the files, not
    the finished sweep: one ``RuntimeWarning`` names the folder and the reason, a note is
    added to ``result.notes``, and the paths written so far (none) are returned."""
    folder = Path(folder)
    existed = folder.exists()
    try:
        return result.save(
            folder, logger=logger, framework=framework, timestamps=timestamps, policy=policy
        )
    except OSError as err:
        if not existed:
            remove_if_empty(folder)
        reason = getattr(err, "strerror", None) or str(err)
        where = getattr(err, "filename", None) or folder
        message = (
            f"lrguard range test: the result could not be written to {folder} ({where}: "
            f"{reason}); it is returned, not saved. Fix: pass a writable folder, or call "
            "result.save(folder, ...) yourself"
        )
        result.notes.append(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)
        return {}


def remove_if_empty(folder: Path) -> None:
    """Remove ``folder`` when it exists and is empty (a folder a failed run created)."""
    with contextlib.suppress(OSError):  # not empty, gone, or not ours to remove
        folder.rmdir()
