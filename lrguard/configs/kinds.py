"""Which kind of config a mapping is, or why it is not a training config at all.

Kinds: ``hf`` (Hugging Face ``TrainingArguments`` as JSON/YAML: ``to_json_string()``
output, ``HfArgumentParser`` files, TRL ``TrlParser`` / ``trl <command> --config`` and
alignment-handbook recipes), ``llamafactory`` (LLaMA-Factory train YAML, HF argument names),
``axolotl`` (axolotl YAML), ``flair`` (Flair ``ModelTrainer`` keyword arguments under a
``flair_train:`` / ``flair_fine_tune:`` / ``flair_train_custom:`` key). Accelerate,
DeepSpeed, inference / export configs and mappings without learning-rate settings are not
training configs: they are skipped.

Kinds are recognized by evidence, each tool by keys only it reads: LLaMA-Factory by
``stage`` / ``finetuning_type`` / ``template`` / ``dataset`` ..., axolotl by ``base_model``
and its own names, a TRL or alignment-handbook recipe by its script and model arguments
(``dataset_name``, ``dataset_mixture``, ``beta``, ``max_length`` ...). A ``TrainingArguments``
file is checked whether or not it sets ``do_train`` (TRL's scripts train regardless); only
LLaMA-Factory reads ``do_train: false`` as "evaluate / export only".

The detection also names the *reader*: the program that turns the file into
``TrainingArguments``, which decides whether a YAML 1.1 string such as ``1e-5`` reaches the
optimizer as a string (see ``READERS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrguard.records import Record

KINDS = ("hf", "llamafactory", "axolotl", "flair", "deepspeed")
"""Config kinds ``lrguard check --kind`` accepts (``deepspeed``: a DeepSpeed JSON used on its
own, with its own ``optimizer.params.lr`` and ``scheduler``)."""

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
    {
        "stage",
        "finetuning_type",
        "template",
        "cutoff_len",
        "dataset_dir",
        "dataset",
        "lora_target",
        "plot_loss",
        "val_size",
        "quantization_bit",
    }
)
_TRL = frozenset(
    {
        "dataset_name",
        "dataset_mixture",
        "dataset_config",
        "dataset_train_split",
        "dataset_test_split",
        "dataset_text_field",
        "dataset_num_proc",
        "dataset_kwargs",
        "packing",
        "max_length",
        "max_seq_length",
        "max_prompt_length",
        "max_completion_length",
        "beta",
        "loss_type",
        "use_peft",
        "lora_r",
        "lora_target_modules",
        "torch_dtype",
        "dtype",
        "attn_implementation",
        "chat_template",
        "chat_template_path",
        "completion_only_loss",
        "assistant_only_loss",
        "num_generations",
        "use_vllm",
        "model_revision",
    }
)
"""Script / model / trainer-config fields of TRL (``ScriptArguments``, ``ModelConfig``,
``SFTConfig``, ``DPOConfig`` ...) that no ``TrainingArguments`` has."""
_H4 = frozenset({"dataset_mixer", "dataset_splits", "use_flash_attention_2"})
"""Fields of alignment-handbook's own argument classes up to v0.4 (``H4ArgumentParser``)."""
_LLAMAFACTORY_V1 = frozenset({"model", "train_dataset", "model_class", "dist_config"})
_INFERENCE = frozenset(
    {"infer_backend", "export_dir", "export_size", "adapter_name_or_path", "infer_dtype"}
)


class Reader(Record):
    """The program that turns a config file into ``TrainingArguments``.

    Attributes:
        name: how messages name it.
        converts: it turns numbers written as strings (YAML 1.1 ``1e-5``) into numbers
            before they reach transformers; None: unknown (a plain ``TrainingArguments``
            file may be read either way).
    """

    def __init__(self, name: str, converts: bool | None) -> None:
        self.name = name
        self.converts = converts


READERS = {
    "axolotl": Reader("axolotl", True),
    "llamafactory": Reader("LLaMA-Factory", True),
    "trl": Reader("TRL's TrlParser", True),
    "h4": Reader("alignment-handbook's H4ArgumentParser (HfArgumentParser.parse_yaml_file)", False),
    "hf": Reader("HfArgumentParser / TrainingArguments(**cfg)", None),
    "deepspeed": Reader("DeepSpeed (deepspeed.initialize)", False),
}
"""Reader id -> what it does with string numbers. axolotl validates with pydantic,
LLaMA-Factory loads through OmegaConf, and TRL's ``TrlParser`` sets the YAML values as
``argparse`` defaults, which argparse converts with each field's type. ``HfArgumentParser``'s
``parse_yaml_file`` / ``parse_dict`` and ``TrainingArguments(**yaml.safe_load(f))`` pass
values on unchanged."""

CONVERTING_READERS = "LLaMA-Factory, axolotl and TRL's TrlParser (trl <command> --config)"
"""For messages: the readers that convert YAML 1.1 string numbers."""


class Detection(Record):
    """The kind of a config, or why it is skipped.

    Attributes:
        kind: one of ``KINDS``, or None when the file is skipped.
        reason: how the kind was recognized, or why the file is not a training config.
        reader: the key of ``READERS`` for the program that reads the file (None: skipped,
            or forced with ``--kind`` and taken from the kind).
    """

    def __init__(self, kind: str | None, reason: str, reader: str | None = None) -> None:
        self.kind = kind
        self.reason = reason
        self.reader = reader

    @property
    def skipped(self) -> bool:
        """True when the file is not a training config."""
        return self.kind is None


def _has(data: Mapping[str, Any], keys: frozenset[str]) -> list[str]:
    return sorted(k for k in keys if k in data)


def reader_of(kind: str | None) -> str | None:
    """The reader a config of ``kind`` has when nothing else is known (``--kind``)."""
    return kind if kind in READERS else None


def _is_auto(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() == "auto"


def _deepspeed(data: Mapping[str, Any], keys: list[str]) -> Detection:
    """A DeepSpeed config: checked on its own when it sets its optimizer's rate itself;
    skipped when its values are ``"auto"`` (the Hugging Face Trainer fills them: it is
    checked through the training config that names it) or it has no rate settings."""
    optimizer, scheduler = data.get("optimizer"), data.get("scheduler")
    params = optimizer.get("params") if isinstance(optimizer, Mapping) else None
    lr = params.get("lr") if isinstance(params, Mapping) else None
    section = scheduler.get("params") if isinstance(scheduler, Mapping) else None
    auto = _is_auto(lr) or (
        isinstance(section, Mapping) and any(_is_auto(v) for v in section.values())
    )
    if auto:
        return Detection(
            None,
            f'DeepSpeed config for the Hugging Face Trainer ("auto" values; {", ".join(keys)}): '
            "checked with the config that names it in deepspeed:",
        )
    if lr is not None and not isinstance(lr, bool):
        has = ["optimizer.params.lr"] + (["scheduler"] if scheduler is not None else [])
        return Detection("deepspeed", f"DeepSpeed config with {' and '.join(has)}", "deepspeed")
    if scheduler is not None:
        return Detection(
            None,
            "DeepSpeed config with a scheduler but no optimizer.params.lr (the optimizer is "
            "built in code): its peak is unknown, not checked on its own",
        )
    return Detection(None, f"DeepSpeed config ({', '.join(keys)}): no training settings")


def detect_kind(data: Mapping[str, Any]) -> Detection:
    """Recognize the kind of a config mapping.

    Example:
        >>> detect_kind({"base_model": "x", "learning_rate": 2e-5}).kind
        'axolotl'
        >>> detect_kind({"compute_environment": "LOCAL_MACHINE", "num_processes": 2}).reason
        'accelerate launch config (compute_environment, num_processes): no training settings'
        >>> d = detect_kind({"model_name_or_path": "m", "dataset_name": "d", "learning_rate": 1e-4})
        >>> d.kind, d.reader
        ('hf', 'trl')
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
        return _deepspeed(data, deepspeed)
    axolotl = _has(data, _AXOLOTL)
    llamafactory = _has(data, _LLAMAFACTORY)
    v1 = _has(data, _LLAMAFACTORY_V1)
    if not training:
        inference = _has(data, _INFERENCE)
        what = "inference / export config" if inference else "no learning-rate settings"
        keys = f" ({', '.join(inference)})" if inference else ""
        return Detection(None, f"not a training config: {what}{keys}")
    if "base_model" in data or (len(axolotl) >= 2 and "model_name_or_path" not in data):
        return Detection("axolotl", f"axolotl keys: {', '.join(axolotl)}", "axolotl")
    if len(v1) >= 2:
        return Detection("llamafactory", f"LLaMA-Factory v1 keys: {', '.join(v1)}", "llamafactory")
    if llamafactory:
        if data.get("do_train") is not True:
            return Detection(
                None,
                f"LLaMA-Factory config ({', '.join(llamafactory[:3])}) without do_train: true: "
                "evaluation / export only",
            )
        return Detection(
            "llamafactory", f"LLaMA-Factory keys: {', '.join(llamafactory)}", "llamafactory"
        )
    h4, trl = _has(data, _H4), _has(data, _TRL)
    if h4:
        return Detection(
            "hf", f"alignment-handbook recipe, H4ArgumentParser keys: {', '.join(h4)}", "h4"
        )
    if trl:
        return Detection("hf", f"TRL recipe, TrlParser keys: {', '.join(trl[:4])}", "trl")
    return Detection("hf", f"TrainingArguments keys: {', '.join(training)}", "hf")


__all__ = [
    "CONVERTING_READERS",
    "FLAIR_KEYS",
    "KINDS",
    "READERS",
    "TRAINING_KEYS",
    "Detection",
    "Reader",
    "detect_kind",
    "reader_of",
]
