"""``TrainingArguments`` / ``TrainerState`` -> ``TrainingPlan``, and the pre-flight check."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
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


def early_stopping_settings(
    callbacks: Iterable[Any] | Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The ``EarlyStoppingCallback`` settings of a trainer, if it has one.

    Args:
        callbacks: the trainer's callbacks (``trainer.callback_handler.callbacks``), or, when
            they cannot be reached, ``TrainerState.stateful_callbacks`` of a run that has not
            been resumed (after a resume that mapping is the checkpoint's, which may list
            callbacks the trainer no longer has).

    Returns:
        ``early_stopping_patience`` and ``early_stopping_threshold``, or ``{}`` without an
        ``EarlyStoppingCallback``.

    Example:
        >>> from transformers import EarlyStoppingCallback
        >>> early_stopping_settings([EarlyStoppingCallback(early_stopping_patience=3)])
        {'early_stopping_patience': 3, 'early_stopping_threshold': 0.0}
        >>> early_stopping_settings([])
        {}
    """
    if isinstance(callbacks, Mapping):
        saved = callbacks.get(EARLY_STOPPING)
        if isinstance(saved, list):
            saved = saved[0] if saved else None
        if not isinstance(saved, Mapping):
            return {}
        saved_args = saved.get("args", {})
        return {
            "early_stopping_patience": saved_args.get("early_stopping_patience", 1),
            "early_stopping_threshold": saved_args.get("early_stopping_threshold", 0.0),
        }
    for callback in callbacks or ():
        if any(c.__name__ == EARLY_STOPPING for c in type(callback).__mro__):
            return {
                "early_stopping_patience": getattr(callback, "early_stopping_patience", 1),
                "early_stopping_threshold": getattr(callback, "early_stopping_threshold", 0.0),
            }
    return {}


def steps_per_epoch(loader: Any, gradient_accumulation_steps: int = 1) -> int | None:
    """Optimizer steps in one pass over ``loader``, or None when its length is unknown.

    An ``IterableDataset`` (streaming data) has no length, and accelerate's loader over one
    defines ``__len__`` but raises ``TypeError``: the length is probed, never assumed, and
    any failure of the probe means "unknown".

    Example:
        >>> steps_per_epoch(range(10), 4)
        2
        >>> steps_per_epoch(iter(range(10))) is None
        True
    """
    if loader is None:
        return None
    try:
        batches = len(loader)
    except Exception:  # noqa: BLE001 - a loader's own __len__ may raise anything; never fail
        return None
    if not isinstance(batches, int) or batches < 1:
        return None
    return max(batches // max(int(gradient_accumulation_steps or 1), 1), 1)


def is_pretrained(model: Any) -> bool | None:
    """True when ``model`` was loaded from a checkpoint (``from_pretrained`` records where:
    ``name_or_path``) of a known architecture, False when built from a config; None when
    there is no model, or a checkpoint of an architecture with no ``model_type`` (a model of
    the user's own, whose pretraining lrguard cannot judge: LRG091 only notes its rate).

    Example:
        >>> is_pretrained(None) is None
        True
    """
    if model is None:
        return None
    config = getattr(model, "config", None)
    path = getattr(model, "name_or_path", None) or getattr(config, "_name_or_path", None)
    if not path:
        return False
    return True if getattr(config, "model_type", "") else None


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
        optimizer: a user-supplied optimizer; its ``defaults['lr']`` is the peak and its class
            the optimizer the rate is judged for (not ``args.optim``, which it replaces).
        extra: further raw fields (``early_stopping_patience``, ``steps_per_epoch``).
    """
    fields = args_dict(args)
    fields.update(extra or {})
    locations = {}
    if optimizer is not None:
        fields["learning_rate"] = optimizer.defaults.get("lr", fields.get("learning_rate"))
        fields["optim"] = type(optimizer).__name__
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
