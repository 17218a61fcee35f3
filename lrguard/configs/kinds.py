"""Which kind of config a mapping is, or why it is not a training config at all.

Kinds: ``hf`` (Hugging Face ``TrainingArguments`` as JSON/YAML), ``llamafactory``
(LLaMA-Factory train YAML, HF argument names), ``axolotl`` (axolotl YAML), ``flair``
(Flair ``ModelTrainer`` keyword arguments under a ``flair_train:`` / ``flair_fine_tune:`` /
``flair_train_custom:`` key). Accelerate, DeepSpeed, inference / export configs and
mappings without learning-rate settings are not training configs: they are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KINDS = ("hf", "llamafactory", "axolotl", "flair")
"""Config kinds ``lrguard check --kind`` accepts."""

FLAIR_KEYS = {
    "flair_train": "train",
    "flair_fine_tune": "fine_tune",
    "flair_train_custom": "train_custom",
}
"""Top-level key of a Flair config -> the ``ModelTrainer`` method its kwargs are for."""

TRAINING_KEYS = frozenset(
    {
        "learning_rate",
        "lr_scheduler_type",
        "lr_scheduler",
        "lr_scheduler_kwargs",
        "warmup_ratio",
        "warmup_steps",
        "num_train_epochs",
        "num_epochs",
        "max_steps",
    }
)
"""Keys that make a mapping a training config (any one of them)."""

_ACCELERATE = frozenset(
    {"compute_environment", "distributed_type", "num_processes", "machine_rank", "num_machines"}
)
_DEEPSPEED = frozenset(
    {
        "zero_optimization",
        "train_micro_batch_size_per_gpu",
        "train_batch_size",
        "gradient_clipping",
        "zero_allow_untested_optimizer",
    }
)
_AXOLOTL = frozenset(
    {
        "base_model",
        "micro_batch_size",
        "num_epochs",
        "lr_scheduler",
        "sequence_len",
        "datasets",
        "sample_packing",
        "evals_per_epoch",
        "saves_per_epoch",
        "cosine_min_lr_ratio",
        "val_set_size",
        "load_in_8bit",
        "load_in_4bit",
    }
)
_LLAMAFACTORY = frozenset(
    {"stage", "finetuning_type", "template", "cutoff_len", "model_name_or_path", "dataset_dir"}
)
_LLAMAFACTORY_V1 = frozenset({"model", "train_dataset", "model_class", "dist_config"})
_INFERENCE = frozenset(
    {"infer_backend", "export_dir", "export_size", "adapter_name_or_path", "infer_dtype"}
)


@dataclass(frozen=True)
class Detection:
    """The kind of a config, or why it is skipped.

    Attributes:
        kind: one of ``KINDS``, or None when the file is skipped.
        reason: how the kind was recognized, or why the file is not a training config.
    """

    kind: str | None
    reason: str

    @property
    def skipped(self) -> bool:
        """True when the file is not a training config."""
        return self.kind is None


def _has(data: Mapping[str, Any], keys: frozenset[str]) -> list[str]:
    return sorted(k for k in keys if k in data)


def detect_kind(data: Mapping[str, Any]) -> Detection:
    """Recognize the kind of a config mapping.

    Example:
        >>> detect_kind({"base_model": "x", "learning_rate": 2e-5}).kind
        'axolotl'
        >>> detect_kind({"compute_environment": "LOCAL_MACHINE", "num_processes": 2}).reason
        'accelerate launch config (compute_environment, num_processes): no training settings'
    """
    if not data:
        return Detection(None, "empty: no settings")
    flair = [k for k in FLAIR_KEYS if k in data]
    if flair:
        return Detection("flair", f"Flair ModelTrainer.{FLAIR_KEYS[flair[0]]}() kwargs")
    training = _has(data, TRAINING_KEYS)
    accelerate = _has(data, _ACCELERATE)
    if len(accelerate) >= 2 and not training:
        return Detection(
            None,
            f"accelerate launch config ({', '.join(accelerate)}): no training settings",
        )
    deepspeed = _has(data, _DEEPSPEED)
    if deepspeed and "learning_rate" not in data and "lr_scheduler_type" not in data:
        return Detection(None, f"DeepSpeed config ({', '.join(deepspeed)}): no training settings")
    axolotl = _has(data, _AXOLOTL)
    llamafactory = _has(data, _LLAMAFACTORY)
    v1 = _has(data, _LLAMAFACTORY_V1)
    if not training:
        inference = _has(data, _INFERENCE)
        what = "inference / export config" if inference else "no learning-rate settings"
        keys = f" ({', '.join(inference)})" if inference else ""
        return Detection(None, f"not a training config: {what}{keys}")
    if "base_model" in data or (len(axolotl) >= 2 and "model_name_or_path" not in data):
        return Detection("axolotl", f"axolotl keys: {', '.join(axolotl)}")
    if len(v1) >= 2:
        return Detection("llamafactory", f"LLaMA-Factory v1 keys: {', '.join(v1)}")
    if llamafactory and "model_name_or_path" in data:
        if data.get("do_train") is not True:
            return Detection(
                None, "LLaMA-Factory config without do_train: true: evaluation / export only"
            )
        return Detection("llamafactory", f"LLaMA-Factory keys: {', '.join(llamafactory)}")
    return Detection("hf", f"TrainingArguments keys: {', '.join(training)}")


__all__ = ["FLAIR_KEYS", "KINDS", "TRAINING_KEYS", "Detection", "detect_kind"]
