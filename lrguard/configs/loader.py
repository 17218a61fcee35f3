"""One config file -> ``ConfigResult``: checked (with its plan), skipped, or unusable."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lrguard.configs.deepspeed import read_deepspeed
from lrguard.configs.hf_view import (
    ConfigFields,
    read_axolotl_fields,
    read_hf_fields,
    read_llamafactory_fields,
)
from lrguard.configs.kinds import KINDS, Detection, detect_kind, reader_of
from lrguard.configs.reading import Document, UnusableConfig, read_document
from lrguard.configs.steps import StepCount, StepOptions, count_steps
from lrguard.plan import ConfigSource, DeepSpeedPlan, TrainingPlan
from lrguard.records import Record

CHECKED, SKIPPED, UNUSABLE = "checked", "skipped", "unusable"

_FIELD_READERS = {
    "hf": read_hf_fields,
    "llamafactory": read_llamafactory_fields,
    "axolotl": read_axolotl_fields,
}

SCHEDULE_KEYS = {
    "hf": ("lr_scheduler_type", "lr_scheduler_kwargs"),
    "llamafactory": ("lr_scheduler_type", "lr_scheduler_kwargs"),
    "axolotl": (
        "lr_scheduler",
        "lr_scheduler_kwargs",
        "cosine_min_lr_ratio",
        "cosine_constant_lr_ratio",
        "lr_quadratic_warmup",
    ),
}
"""The schedule settings of each kind that a DeepSpeed ``scheduler`` section overrides."""


class ConfigResult(Record):
    """What reading one file gave.

    Attributes:
        path: the file.
        status: ``"checked"``, ``"skipped"`` (not a training config) or ``"unusable"``.
        reason: how the kind was recognized, or why the file was skipped / is unusable
            (one line).
        kind: the config kind (one of ``KINDS``), None unless checked.
        plan: the training plan, None unless checked.
        steps: total optimizer steps, or why unknown (HF-style configs only).
        notes: what the reader assumed.
        schedule_unsupported: why ``simulate`` cannot reproduce the schedule (None: it can).
        document: the parsed file, None when unusable.
        reader: the program that reads the file into ``TrainingArguments`` (a key of
            ``lrguard.configs.kinds.READERS``), None unless checked.
    """

    def __init__(
        self,
        path: Path,
        status: str,
        reason: str,
        kind: str | None = None,
        plan: TrainingPlan | None = None,
        steps: StepCount | None = None,
        notes: list[str] | None = None,
        schedule_unsupported: str | None = None,
        document: Document | None = None,
        reader: str | None = None,
    ) -> None:
        self.path = path
        self.status = status
        self.reason = reason
        self.kind = kind
        self.plan = plan
        self.steps = steps
        self.notes = [] if notes is None else notes
        self.schedule_unsupported = schedule_unsupported
        self.document = document
        self.reader = reader

    def line_of(self, field_name: str | None) -> int | None:
        """The line in the file of a plan field (or of its closest parent key)."""
        if not field_name or self.plan is None:
            return None
        if field_name in self.plan.lines:
            return self.plan.lines[field_name]
        if self.document is None:
            return None
        return self.document.line(self.plan.where(field_name))


def _lines(doc: Document, locations: dict[str, str]) -> dict[str, int]:
    lines = dict(doc.lines)
    for name, path in locations.items():
        line = doc.line(path)
        if line is not None:
            lines[name] = line
    return lines


def _hf_plan(
    doc: Document, kind: str, options: StepOptions
) -> tuple[TrainingPlan, ConfigFields, StepCount]:
    from lrguard.adapters.hf_args import plan_from_hf_args, pretrained_from

    view = _FIELD_READERS[kind](doc.data)
    steps = count_steps(view.args, options, view.dataset_steps)
    locations = {**{p: p for p in doc.lines}, **view.locations}
    plan = plan_from_hf_args(
        view.args,
        steps.total,
        locations=locations,
        lines=_lines(doc, locations),
    )
    if plan.pretrained is None:  # the model is named outside the TrainingArguments fields
        plan.pretrained = pretrained_from(doc.data)
    stray = {k: doc.data[k] for k in view.stray_keys}
    plan.source = ConfigSource(
        kind=kind,
        stray_keys=stray,
        steps_source=steps.source,
        coerces_strings=view.coerces_strings,
        defaults=sorted(view.defaults),
        renames=view.renames,
        duplicate_keys=doc.duplicates,
        deepspeed=read_deepspeed(doc.data.get("deepspeed"), doc.path),
        scheduler_keys={
            k: doc.data[k] for k in SCHEDULE_KEYS[kind] if doc.data.get(k) not in (None, {}, "")
        },
        tool_settings=dict(view.tool_settings),
    )
    return plan, view, steps


def _section(data: Mapping[str, Any], *keys: str) -> Any:
    value: Any = data
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _deepspeed_plan(doc: Document, options: StepOptions) -> tuple[TrainingPlan, StepCount]:
    """A DeepSpeed config used on its own: the optimizer's ``lr`` is the peak, the
    scheduler's ``total_num_steps`` the run length (``--steps`` overrides it)."""
    from lrguard.adapters.hf_args import plan_from_hf_args

    data = doc.data
    total = _section(data, "scheduler", "params", "total_num_steps")
    whole = isinstance(total, int) and not isinstance(total, bool) and total > 0
    if options.steps is not None:
        steps = StepCount(options.steps, f"--steps {options.steps}")
    elif whole:
        steps = StepCount(total, "scheduler.params.total_num_steps")
    else:
        steps = StepCount(None, "unknown: no scheduler.params.total_num_steps; pass --steps N")
    locations = {"learning_rate": "optimizer.params.lr"}
    plan = plan_from_hf_args(
        {"learning_rate": _section(data, "optimizer", "params", "lr")},
        steps.total,
        locations=locations,
        lines=_lines(doc, locations),
    )
    plan.source = ConfigSource(
        kind="deepspeed",
        steps_source=steps.source,
        duplicate_keys=doc.duplicates,
        deepspeed=DeepSpeedPlan(
            given=doc.path.name,
            path=str(doc.path),
            scheduler=data.get("scheduler"),
            optimizer=data.get("optimizer"),
        ),
    )
    return plan, steps


def build_result(doc: Document, detection: Detection, options: StepOptions) -> ConfigResult:
    """Turn a parsed file and its detected kind into a result (may raise on a bug only)."""
    if detection.kind is None:
        return ConfigResult(doc.path, SKIPPED, detection.reason, document=doc)
    kind = detection.kind
    if kind == "flair":
        from lrguard.configs.flair_view import flair_view  # on first use: Flair configs only

        view = flair_view(doc.data, whole_file=not any(k.startswith("flair_") for k in doc.data))
        prefix = f"{view.key}." if view.key else ""
        locations = {name: f"{prefix}{name}" for name in _flair_fields(view.plan)}
        plan = view.plan._replace(locations=locations, lines=_lines(doc, locations))
        invalid = [{**item, "location": f"{prefix}{item['field']}"} for item in view.invalid]
        plan.source = ConfigSource(kind=kind, invalid=invalid, duplicate_keys=doc.duplicates)
        return ConfigResult(doc.path, CHECKED, detection.reason, kind, plan, document=doc)
    if kind == "deepspeed":
        if _section(doc.data, "optimizer", "params", "lr") is None:
            return ConfigResult(
                doc.path,
                SKIPPED,
                "DeepSpeed config without optimizer.params.lr (the optimizer is built in "
                "code): its peak is unknown, not checked on its own",
                document=doc,
            )
        plan, steps = _deepspeed_plan(doc, options)
        return ConfigResult(
            doc.path,
            CHECKED,
            detection.reason,
            kind,
            plan,
            steps=steps,
            document=doc,
            reader="deepspeed",
        )
    plan, hf, steps = _hf_plan(doc, kind, options)
    return ConfigResult(
        doc.path,
        CHECKED,
        detection.reason,
        kind,
        plan,
        steps=steps,
        notes=list(hf.notes),
        schedule_unsupported=hf.schedule_unsupported,
        document=doc,
        reader=detection.reader or reader_of(kind),
    )


def _flair_fields(plan: TrainingPlan) -> list[str]:
    names = {
        "learning_rate",
        "min_learning_rate",
        "decoder_learning_rate",
        "anneal_factor",
        "patience",
        "initial_extra_patience",
        "max_epochs",
        "anneal_with_restarts",
    }
    for group in plan.param_groups:
        names.update({group.lr_field, group.min_lr_field})
    return sorted(names)


def load_config(
    path: Path, kind: str | None = None, options: StepOptions | None = None
) -> ConfigResult:
    """Read, recognize and plan one config file; never raises for bad input.

    Args:
        path: the file.
        kind: force a kind (one of ``KINDS``) instead of recognizing it.
        options: ``--steps`` / ``--dataset-size`` / ``--world-size``.

    Returns:
        A ``ConfigResult``: ``unusable`` with a one-line reason when the file is meant to be
        a training config (it names a training setting) and cannot be read, or cannot be
        opened at all; ``skipped`` with the reason when it is not a training config (no
        training settings, a dataset, a list, a template, a binary file ...); ``checked``
        otherwise.

    Example:
        >>> load_config(Path("no/such/file.yaml")).reason
        'no such file'
    """
    options = options or StepOptions()
    try:
        doc = read_document(path)
    except UnusableConfig as err:
        return ConfigResult(path, UNUSABLE if err.config_like else SKIPPED, str(err))
    if kind is not None:
        if kind not in KINDS:
            return ConfigResult(path, UNUSABLE, f"unknown --kind {kind!r}; use one of {KINDS}")
        detection = Detection(kind, f"--kind {kind}")
    else:
        detection = detect_kind(doc.data)
    return build_result(doc, detection, options)


__all__ = ["CHECKED", "SKIPPED", "UNUSABLE", "ConfigResult", "build_result", "load_config"]
