"""Hugging Face ``TrainingArguments`` fields (a plain mapping) -> ``TrainingPlan``.

Framework-free: reads ``TrainingArguments.to_dict()`` output, a parsed ``to_json_string()``
file or hand-written YAML. Values stay as given (``"1e-5"`` stays a string, a JSON-string
``lr_scheduler_kwargs`` stays a string) so the rules can report them; defaults are those of
``TrainingArguments`` in transformers 4.57 / 5.x.

The plan keeps every Hugging Face field under its own name: ``plan.learning_rate``,
``plan.metric`` (best-model metric), ``plan.schedule`` (type, kwargs, warmup, total steps),
``plan.evaluation`` (eval cadence) and ``plan.early_stopping`` (``EarlyStoppingCallback``).
``hf_changes`` turns an adjusted plan back into the fields to set.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import Enum
from typing import Any

from lrguard.numbers import parse_number
from lrguard.plan import MetricPlan, SchedulePlan, TrainingPlan
from lrguard.schedules.table import is_metric_driven

HF_DEFAULTS: dict[str, Any] = {
    "learning_rate": 5e-5,
    "lr_scheduler_type": "linear",
    "lr_scheduler_kwargs": {},
    "warmup_steps": 0,
    "warmup_ratio": 0.0,
    "max_steps": -1,
    "num_train_epochs": 3.0,
    "eval_strategy": "no",
    "eval_steps": None,
    "logging_steps": 500,
    "metric_for_best_model": None,
    "greater_is_better": None,
    "load_best_model_at_end": False,
}
"""``TrainingArguments`` defaults of the fields the rules read."""


def _plain(value: Any) -> Any:
    """Enum members (``SchedulerType.COSINE``, ``IntervalStrategy.STEPS``) -> their value."""
    return value.value if isinstance(value, Enum) else value


def _int_or_none(value: Any) -> int | None:
    parsed = parse_number(value)
    if parsed.value is None or not math.isfinite(parsed.value) or parsed.value != int(parsed.value):
        return None
    return int(parsed.value)


def plan_from_hf_args(
    args: Mapping[str, Any],
    num_training_steps: int | None = None,
    *,
    transformers_version: str | None = None,
    locations: Mapping[str, str] | None = None,
    lines: Mapping[str, int] | None = None,
) -> TrainingPlan:
    """Describe a Hugging Face run from its ``TrainingArguments`` fields.

    Args:
        args: field name -> value as written (missing fields take the
            ``TrainingArguments`` defaults). ``lr_scheduler_kwargs`` may be a mapping or a
            JSON string. ``early_stopping_patience`` / ``early_stopping_threshold`` describe
            an ``EarlyStoppingCallback`` when present.
        num_training_steps: optimizer steps of the run when known (``max_steps`` > 0 is
            used otherwise).
        transformers_version: the installed or targeted version ('4.57.6', '5.2.0'); the
            schedule table of 4.x is used when None.
        locations: field name -> config key path, for messages.
        lines: field name -> line in the config file.

    Returns:
        A ``TrainingPlan`` with ``framework="hf"``.

    Example:
        >>> plan = plan_from_hf_args({"learning_rate": "1e-5",
        ...     "lr_scheduler_type": "cosine_with_min_lr",
        ...     "lr_scheduler_kwargs": {"min_lr": 1e-4}}, 100)
        >>> plan.learning_rate, plan.schedule.total_steps
        ('1e-5', 100)
    """
    raw = {k: _plain(v) for k, v in args.items()}

    def get(name: str) -> Any:
        value = raw.get(name, HF_DEFAULTS.get(name))
        return HF_DEFAULTS.get(name) if value is None and name in HF_DEFAULTS else value

    if "evaluation_strategy" in raw and "eval_strategy" not in raw:  # pre-4.46 name
        raw["eval_strategy"] = raw["evaluation_strategy"]
    name = get("lr_scheduler_type")
    max_steps = _int_or_none(get("max_steps"))
    total = num_training_steps
    if total is None and max_steps is not None and max_steps > 0:
        total = max_steps
    metric = get("metric_for_best_model")
    if metric is None and (is_metric_driven(name) or get("load_best_model_at_end") is True):
        metric = "loss"  # what TrainingArguments.__post_init__ sets
    greater = get("greater_is_better")
    if greater is None and isinstance(metric, str):
        greater = not metric.endswith("loss")
    eval_strategy = get("eval_strategy")
    eval_steps = get("eval_steps")
    if eval_strategy == "steps" and eval_steps is None:
        eval_steps = get("logging_steps")
    epochs = parse_number(get("num_train_epochs")).value
    early: dict[str, Any] = {}
    if raw.get("early_stopping_patience") is not None:
        early = {
            "patience": raw["early_stopping_patience"],
            "threshold": raw.get("early_stopping_threshold", 0.0),
        }
    return TrainingPlan(
        framework="hf",
        framework_version=transformers_version,
        schedule=SchedulePlan(
            name=name,
            kwargs=get("lr_scheduler_kwargs"),
            warmup_steps=get("warmup_steps"),
            warmup_ratio=raw.get("warmup_ratio"),  # None: no such field (5.x)
            total_steps=total,
        ),
        max_epochs=int(epochs)
        if epochs and math.isfinite(epochs) and epochs.is_integer()
        else None,
        max_steps=max_steps if max_steps is not None and max_steps > 0 else None,
        evaluation={
            "eval_strategy": eval_strategy,
            "eval_steps": eval_steps,
            "steps_per_epoch": raw.get("steps_per_epoch"),
        },
        early_stopping=early,
        learning_rate=get("learning_rate"),
        optimizer=raw.get("optim") or "adamw_torch",
        pretrained=pretrained_from(raw),
        metric=MetricPlan(
            name=metric,
            greater_is_better=greater,
            load_best_model_at_end=get("load_best_model_at_end"),
        ),
        locations=dict(locations or {}),
        lines=dict(lines or {}),
    )


def pretrained_from(raw: Mapping[str, Any]) -> bool | None:
    """True when the run starts from a pretrained model: ``pretrained`` as given by a live
    integration, or a model path in the config (``model_name_or_path``, axolotl's
    ``base_model``); None when unknown."""
    if isinstance(raw.get("pretrained"), bool):
        return raw["pretrained"]
    if raw.get("model_name_or_path") or raw.get("base_model"):
        return True
    return None


def is_hf_plan(plan: TrainingPlan) -> bool:
    """True for plans made by ``plan_from_hf_args``."""
    return plan.framework == "hf" and plan.schedule is not None


def hf_changes(before: TrainingPlan, after: TrainingPlan) -> dict[str, Any]:
    """The ``TrainingArguments`` fields whose value differs between two plans.

    Example:
        >>> a = plan_from_hf_args({"learning_rate": "1e-5"})
        >>> b = a.clone(); b.learning_rate = 1e-5
        >>> hf_changes(a, b)
        {'learning_rate': 1e-05}
    """
    pairs = {
        "learning_rate": (before.learning_rate, after.learning_rate),
        "lr_scheduler_kwargs": (before.schedule.kwargs, after.schedule.kwargs),
        "warmup_steps": (before.schedule.warmup_steps, after.schedule.warmup_steps),
    }
    if after.schedule.warmup_ratio is not None:
        pairs["warmup_ratio"] = (before.schedule.warmup_ratio, after.schedule.warmup_ratio)
    out = {}
    for field, (old, new) in pairs.items():
        if type(old) is not type(new) or old != new:
            out[field] = new
    return out
