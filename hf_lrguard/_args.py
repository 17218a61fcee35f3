"""``TrainingArguments`` / ``TrainerState`` -> ``TrainingPlan``, and the pre-flight check."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import transformers

from lrguard.adapters.hf_args import plan_from_hf_args
from lrguard.findings import Finding
from lrguard.plan import TrainingPlan
from lrguard.rules import check_plan

EARLY_STOPPING = "EarlyStoppingCallback"


def args_dict(args: Any) -> dict[str, Any]:
    """The fields of a ``TrainingArguments`` (or a mapping of them) as a plain dict."""
    if isinstance(args, Mapping):
        return dict(args)
    if dataclasses.is_dataclass(args):
        return {f.name: getattr(args, f.name, None) for f in dataclasses.fields(args)}
    raise TypeError(
        f"expected TrainingArguments or a mapping of its fields, got {type(args).__name__}"
    )


def early_stopping_settings(stateful_callbacks: Mapping[str, Any] | None) -> dict[str, Any]:
    """``EarlyStoppingCallback`` settings from ``TrainerState.stateful_callbacks``, if any."""
    saved = (stateful_callbacks or {}).get(EARLY_STOPPING)
    if isinstance(saved, list):
        saved = saved[0] if saved else None
    if not isinstance(saved, Mapping):
        return {}
    saved_args = saved.get("args", {})
    return {
        "early_stopping_patience": saved_args.get("early_stopping_patience", 1),
        "early_stopping_threshold": saved_args.get("early_stopping_threshold", 0.0),
    }


def is_pretrained(model: Any) -> bool | None:
    """True when ``model`` was loaded from a checkpoint (``from_pretrained`` records where:
    ``name_or_path``), False when built from a config; None when there is no model.

    Example:
        >>> is_pretrained(None) is None
        True
    """
    if model is None:
        return None
    config = getattr(model, "config", None)
    path = getattr(model, "name_or_path", None) or getattr(config, "_name_or_path", None)
    return bool(path)


def build_plan(
    args: Any,
    num_training_steps: int | None = None,
    *,
    optimizer: Any = None,
    extra: Mapping[str, Any] | None = None,
) -> TrainingPlan:
    """The plan of a run: ``args`` plus what only the trainer knows.

    Args:
        args: ``TrainingArguments`` or a mapping of its fields.
        num_training_steps: total optimizer steps when known.
        optimizer: a user-supplied optimizer; its ``defaults['lr']`` is the peak.
        extra: further raw fields (``early_stopping_patience``, ``steps_per_epoch``).
    """
    fields = args_dict(args)
    fields.update(extra or {})
    locations = {}
    if optimizer is not None:
        fields["learning_rate"] = optimizer.defaults.get("lr", fields.get("learning_rate"))
        locations["learning_rate"] = "the optimizer's lr"
    return plan_from_hf_args(
        fields,
        num_training_steps,
        transformers_version=transformers.__version__,
        locations=locations,
    )


def check_args(args_or_dict: Any, num_training_steps: int | None = None) -> list[Finding]:
    """Check Hugging Face training arguments without building a ``Trainer``.

    Args:
        args_or_dict: a ``TrainingArguments`` or a mapping of its fields (values may be
            strings, ``lr_scheduler_kwargs`` a JSON string). ``early_stopping_patience``
            in a mapping describes an ``EarlyStoppingCallback``.
        num_training_steps: optimizer steps of the run, for the checks that need them
            (``max_steps`` is used when set).

    Returns:
        Findings, errors first; checked against the installed transformers.

    Example:
        >>> from hf_lrguard import check_args
        >>> [f.code for f in check_args(
        ...     {"lr_scheduler_type": "cosine_with_min_lr", "learning_rate": 1e-5})]
        ['LRG005']
    """
    return check_plan(build_plan(args_or_dict, num_training_steps))


check_training_args = check_args
"""The former name of ``check_args`` (kept for existing code)."""
