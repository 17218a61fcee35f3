"""How many optimizer steps a config trains for: known, derived, or "unknown" — never guessed.

Sources, first that applies: ``--steps``; ``max_steps`` > 0 in the config (the Trainer
ignores epochs then); ``--dataset-size`` with the batch settings, by the formula of the
tool that runs the config; otherwise unknown, with the reason and what to pass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lrguard.numbers import parse_number
from lrguard.records import Record

HF_DEFAULTS = {
    "per_device_train_batch_size": 8,
    "gradient_accumulation_steps": 1,
    "num_train_epochs": 3.0,
}
"""``TrainingArguments`` defaults the step count depends on."""


class StepOptions(Record):
    """What the command line says about the run's length.

    Attributes:
        steps: total optimizer steps (``--steps``).
        dataset_size: training examples (``--dataset-size``).
        world_size: data-parallel processes (``--world-size``), 1 by default.
    """

    def __init__(
        self, steps: int | None = None, dataset_size: int | None = None, world_size: int = 1
    ) -> None:
        self.steps = steps
        self.dataset_size = dataset_size
        self.world_size = world_size


class StepCount(Record):
    """Total optimizer steps, or None with the reason.

    Attributes:
        total: the step count, None when unknown.
        source: where it comes from, or why it is unknown (for people).
    """

    def __init__(self, total: int | None, source: str) -> None:
        self.total = total
        self.source = source

    @property
    def known(self) -> bool:
        """True when ``total`` is known."""
        return self.total is not None


def _positive_int(raw: Any) -> int | None:
    parsed = parse_number(raw)
    if parsed.value is None or not math.isfinite(parsed.value) or parsed.value <= 0:
        return None
    if parsed.value != int(parsed.value):
        return None
    return int(parsed.value)


def _positive(raw: Any) -> float | None:
    parsed = parse_number(raw)
    if parsed.value is None or not math.isfinite(parsed.value) or parsed.value <= 0:
        return None
    return parsed.value


def count_steps(args: Mapping[str, Any], options: StepOptions, formula: str | None) -> StepCount:
    """Total optimizer steps of a ``TrainingArguments``-style mapping.

    Args:
        args: ``TrainingArguments`` fields (values as written).
        options: ``--steps``, ``--dataset-size``, ``--world-size``.
        formula: ``"hf"`` (Trainer: batches per process, rounded up, per epoch),
            ``"axolotl"`` (examples x epochs / global batch, rounded up), or None when the
            dataset size cannot give the steps (e.g. axolotl sample packing).

    Example:
        >>> count_steps({"max_steps": 500}, StepOptions(), "hf")
        StepCount(total=500, source='max_steps=500')
        >>> count_steps({"num_train_epochs": 3, "per_device_train_batch_size": 8,
        ...     "gradient_accumulation_steps": 2}, StepOptions(dataset_size=1000), "hf").total
        189
        >>> count_steps({}, StepOptions(), "hf").source
        'unknown: no max_steps in the config; pass --steps N or --dataset-size N'
    """
    if options.steps is not None:
        return StepCount(options.steps, f"--steps {options.steps}")
    max_steps = _positive_int(args.get("max_steps"))
    if max_steps is not None:
        return StepCount(max_steps, f"max_steps={max_steps}")
    if options.dataset_size is None:
        return StepCount(
            None, "unknown: no max_steps in the config; pass --steps N or --dataset-size N"
        )
    if formula is None:
        return StepCount(
            None,
            "unknown: sample packing makes the step count depend on sequence lengths; "
            "pass --steps N",
        )
    batch = _positive_int(
        args.get("per_device_train_batch_size", HF_DEFAULTS["per_device_train_batch_size"])
    )
    accumulation = _positive_int(
        args.get("gradient_accumulation_steps", HF_DEFAULTS["gradient_accumulation_steps"])
    )
    epochs = _positive(args.get("num_train_epochs", HF_DEFAULTS["num_train_epochs"]))
    for name, value in (
        ("per_device_train_batch_size", batch),
        ("gradient_accumulation_steps", accumulation),
        ("num_train_epochs", epochs),
    ):
        if value is None:
            return StepCount(None, f"unknown: {name}={args.get(name)!r} is not a positive number")
    if batch is None or accumulation is None or epochs is None:  # narrowed above
        return StepCount(None, "unknown")
    n, world = options.dataset_size, max(options.world_size, 1)
    what = f"batch {batch} x {accumulation} accumulation x {world} process(es)"
    epochs_text = f"{epochs:g} epoch(s)"
    if formula == "axolotl":
        total = max(math.ceil(n * epochs / (batch * accumulation * world)), 1)
        return StepCount(total, f"--dataset-size {n} x {epochs_text} / ({what})")
    drop_last = args.get("dataloader_drop_last") is True
    per_process = math.ceil(n / world)
    batches = per_process // batch if drop_last else math.ceil(per_process / batch)
    per_epoch = max(math.ceil(batches / accumulation), 1)
    total = math.ceil(epochs * per_epoch)
    return StepCount(total, f"--dataset-size {n}: {per_epoch} steps/epoch x {epochs_text} ({what})")


__all__ = ["HF_DEFAULTS", "StepCount", "StepOptions", "count_steps"]
