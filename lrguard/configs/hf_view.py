"""HF-style configs (TrainingArguments, LLaMA-Factory, axolotl) -> ``TrainingArguments`` names.

Each reader (``read_hf_fields``, ``read_llamafactory_fields``, ``read_axolotl_fields``)
returns ``ConfigFields``: a plain dict of ``TrainingArguments`` fields with values as written
(strings stay strings), where each field comes from in the file, and what the reader had to
assume. Mapping follows what the tools themselves do:

* LLaMA-Factory parses its YAML into ``Seq2SeqTrainingArguments`` with ``HfArgumentParser``:
  the names are ``TrainingArguments`` names already. Its "v1" configs (``model:`` +
  ``train_dataset:``) have their own trainer; only ``learning_rate``, ``max_steps`` and
  ``micro_batch_size`` carry over.
* axolotl builds ``TrainingArguments`` in its trainer builder: ``lr_scheduler`` (default
  ``cosine``; ``one_cycle`` / ``rex`` replace the schedule), ``num_epochs`` (default 1),
  ``micro_batch_size``, ``batch_size`` / ``micro_batch_size`` as gradient accumulation,
  ``warmup_steps`` else ``warmup_ratio`` else 3 % of the steps (at most 100),
  ``cosine_min_lr_ratio`` (with ``cosine``: cosine decay to ``ratio * learning_rate``,
  i.e. ``cosine_with_min_lr`` with ``min_lr_rate``), evaluation only with a validation set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrguard.records import Record

SCHEDULER_KWARG_NAMES = frozenset(
    {
        "min_lr",
        "min_lr_rate",
        "lr_end",
        "power",
        "num_cycles",
        "eta_min",
        "num_decay_steps",
        "num_stable_steps",
        "decay_type",
        "timescale",
        "min_learning_rate",
    }
)
"""Names that only mean something inside ``lr_scheduler_kwargs`` (or to Flair)."""


class ConfigFields(Record):
    """A config as ``TrainingArguments`` fields.

    Attributes:
        args: field name -> value as written (or the tool's default, see ``defaults``).
        locations: field name -> key path in the file it comes from.
        defaults: fields whose value is the tool's default, not written in the file.
        notes: what the reader assumed, for people.
        coerces_strings: the tool converts numbers written as strings itself (axolotl's
            pydantic schema, LLaMA-Factory's OmegaConf loader).
        schedule_unsupported: why the schedule cannot be simulated from ``args`` (None: it
            is a standard Hugging Face schedule).
        stray_keys: top-level keys that only mean something in ``lr_scheduler_kwargs``.
        dataset_steps: how the tool turns a dataset size into optimizer steps
            (``"hf"`` for the Trainer's formula, ``"axolotl"``, or None: cannot be derived).
        tool_settings: settings only the tool itself reads (``AXOLOTL_SETTINGS``), as
            written.
    """

    def __init__(
        self,
        args: dict[str, Any],
        locations: dict[str, str] | None = None,
        defaults: set[str] | None = None,
        notes: list[str] | None = None,
        coerces_strings: bool = False,
        schedule_unsupported: str | None = None,
        stray_keys: list[str] | None = None,
        dataset_steps: str | None = "hf",
        tool_settings: dict[str, Any] | None = None,
    ) -> None:
        self.args = args
        self.locations = {} if locations is None else locations
        self.defaults = set() if defaults is None else defaults
        self.notes = [] if notes is None else notes
        self.coerces_strings = coerces_strings
        self.schedule_unsupported = schedule_unsupported
        self.stray_keys = [] if stray_keys is None else stray_keys
        self.dataset_steps = dataset_steps
        self.tool_settings = {} if tool_settings is None else tool_settings

    @property
    def renames(self) -> dict[str, str]:
        """Fields written under another top-level name in the file (``num_train_epochs`` ->
        ``num_epochs``), for turning suggested fixes into the file's own words."""
        return {
            name: key
            for name, key in self.locations.items()
            if name != key and "." not in name and key == _RENAMED.get(name)
        }


_RENAMED = {
    "num_train_epochs": "num_epochs",
    "per_device_train_batch_size": "micro_batch_size",
    "optim": "optimizer",
    "lr_scheduler_type": "lr_scheduler",
    "min_lr_rate": "cosine_min_lr_ratio",
}
"""axolotl / LLaMA-Factory v1 names of ``TrainingArguments`` fields."""


class _Setter:
    """Records a field's value, where it comes from, and whether it is a default."""

    def __init__(self, args: dict[str, Any], locations: dict[str, str], defaults: set[str]):
        self.args, self.locations, self.defaults = args, locations, defaults

    def __call__(self, name: str, value: Any, key: str | None, default: bool = False) -> None:
        self.args[name] = value
        if key is not None:
            self.locations[name] = key
        if default:
            self.defaults.add(name)

    def locate(self, name: str, key: str) -> None:
        self.locations[name] = key


def _stray(data: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in data if k in SCHEDULER_KWARG_NAMES)


def read_hf_fields(data: Mapping[str, Any]) -> ConfigFields:
    """A ``TrainingArguments`` JSON/YAML (as ``to_json_string()`` writes it, or by hand).

    Example:
        >>> fields = read_hf_fields({"learning_rate": "1e-5", "lr_scheduler_type": "cosine"})
        >>> fields.args["learning_rate"]
        '1e-5'
    """
    args = dict(data)
    return ConfigFields(args=args, locations={k: k for k in args}, stray_keys=_stray(data))


def read_llamafactory_fields(data: Mapping[str, Any]) -> ConfigFields:
    """A LLaMA-Factory YAML (its ``train`` configs use ``TrainingArguments`` names).

    Example:
        >>> read_llamafactory_fields({"learning_rate": 1e-4, "stage": "sft"}).args
        {'learning_rate': 0.0001, 'stage': 'sft'}
    """
    if "model" in data and "train_dataset" in data and "model_name_or_path" not in data:
        return _llamafactory_v1(data)
    fields = read_hf_fields(data)
    fields.coerces_strings = True
    if data.get("early_stopping_steps") is not None:  # run_exp's EarlyStoppingCallback patience
        fields.args["early_stopping_patience"] = data["early_stopping_steps"]
        fields.locations["early_stopping_patience"] = "early_stopping_steps"
    return fields


def _llamafactory_v1(data: Mapping[str, Any]) -> ConfigFields:
    mapping = {
        "learning_rate": "learning_rate",
        "max_steps": "max_steps",
        "num_train_epochs": "num_train_epochs",
        "micro_batch_size": "per_device_train_batch_size",
    }
    args = {hf: data[key] for key, hf in mapping.items() if key in data}
    locations = {hf: key for key, hf in mapping.items() if key in data}
    return ConfigFields(
        args=args,
        locations=locations,
        coerces_strings=True,
        schedule_unsupported="LLaMA-Factory v1 configs have no scheduler settings; its "
        "trainer builds the schedule",
        stray_keys=_stray(data),
        notes=["LLaMA-Factory v1 config: only learning_rate and step settings are checked"],
    )


AXOLOTL_SETTINGS = (
    "lr_scheduler",
    "cosine_min_lr_ratio",
    "cosine_constant_lr_ratio",
    "lr_quadratic_warmup",
    "warmup_steps",
    "warmup_ratio",
    "lr_groups",
)
"""axolotl's own schedule settings, kept as written for the axolotl rules (LRG070 - LRG079)."""


def read_axolotl_fields(data: Mapping[str, Any]) -> ConfigFields:
    """An axolotl YAML, mapped the way axolotl's trainer builder maps it.

    Example:
        >>> v = read_axolotl_fields({"learning_rate": "2e-5", "cosine_min_lr_ratio": 0.1,
        ...                   "micro_batch_size": 2, "num_epochs": 3})
        >>> v.args["lr_scheduler_type"], v.args["lr_scheduler_kwargs"], v.locations["min_lr_rate"]
        ('cosine_with_min_lr', {'min_lr_rate': 0.1}, 'cosine_min_lr_ratio')
    """
    args: dict[str, Any] = {}
    locations: dict[str, str] = {}
    defaults: set[str] = set()
    notes: list[str] = []
    unsupported: str | None = None

    put = _Setter(args, locations, defaults)

    for key, name in (
        ("learning_rate", "learning_rate"),
        ("max_steps", "max_steps"),
        ("micro_batch_size", "per_device_train_batch_size"),
        ("gradient_accumulation_steps", "gradient_accumulation_steps"),
        ("metric_for_best_model", "metric_for_best_model"),
        ("greater_is_better", "greater_is_better"),
        ("early_stopping_patience", "early_stopping_patience"),
        ("weight_decay", "weight_decay"),
        ("optimizer", "optim"),
    ):
        if data.get(key) is not None:
            put(name, data[key], key)
    if data.get("num_epochs") is not None:
        put("num_train_epochs", data["num_epochs"], "num_epochs")
    else:
        put("num_train_epochs", 1.0, None, default=True)
    batch, micro = data.get("batch_size"), data.get("micro_batch_size")
    if data.get("gradient_accumulation_steps") is None and _divides(micro, batch):
        put("gradient_accumulation_steps", int(batch) // int(micro), "batch_size")

    _axolotl_schedule(data, put, notes)
    scheduler = str(data.get("lr_scheduler") or "cosine")
    if scheduler in ("one_cycle", "rex", "log_sweep"):
        unsupported = f"lr_scheduler: {scheduler} is axolotl's own schedule, not a Hugging Face one"
    elif data.get("lr_quadratic_warmup") is True and scheduler == "cosine":
        unsupported = "lr_quadratic_warmup: true is axolotl's own cosine with quadratic warmup"
    elif data.get("cosine_min_lr_ratio") and data.get("cosine_constant_lr_ratio"):
        notes.append(
            "cosine_constant_lr_ratio: axolotl holds the floor from that fraction of the run; "
            "checked as cosine_with_min_lr"
        )
        unsupported = (
            "cosine_min_lr_ratio with cosine_constant_lr_ratio is axolotl's own "
            "warmup-decay-constant schedule"
        )
    _axolotl_warmup(data, put)
    _axolotl_eval(data, put)
    return ConfigFields(
        args=args,
        locations=locations,
        defaults=defaults,
        notes=notes,
        coerces_strings=True,
        schedule_unsupported=unsupported,
        stray_keys=_stray(data),
        dataset_steps=None if data.get("sample_packing") else "axolotl",
        tool_settings={k: data[k] for k in AXOLOTL_SETTINGS if data.get(k) is not None},
    )


def _axolotl_schedule(data: Mapping[str, Any], put: _Setter, notes: list[str]) -> None:
    scheduler = data.get("lr_scheduler")
    key = "lr_scheduler" if scheduler else None
    if scheduler in ("one_cycle", "rex", "log_sweep"):
        put("lr_scheduler_type", "cosine", key)
    else:
        put("lr_scheduler_type", scheduler or "cosine", key, default=not scheduler)
    kwargs = data.get("lr_scheduler_kwargs")
    if kwargs:
        put("lr_scheduler_kwargs", kwargs, "lr_scheduler_kwargs")
    ratio = data.get("cosine_min_lr_ratio")
    if ratio is not None and (scheduler or "cosine") == "cosine":
        if data.get("lr_quadratic_warmup") is True:
            notes.append("cosine_min_lr_ratio is ignored by axolotl with lr_quadratic_warmup")
            return
        if not ratio:  # axolotl tests truthiness: 0 keeps plain cosine
            return
        put("lr_scheduler_type", "cosine_with_min_lr", "cosine_min_lr_ratio")
        merged = dict(kwargs) if isinstance(kwargs, Mapping) else {}
        merged["min_lr_rate"] = ratio
        put(
            "lr_scheduler_kwargs",
            merged,
            "lr_scheduler_kwargs" if kwargs else "cosine_min_lr_ratio",
        )
        put.locate("lr_scheduler_kwargs.min_lr_rate", "cosine_min_lr_ratio")
        put.locate("min_lr_rate", "cosine_min_lr_ratio")


def _axolotl_warmup(data: Mapping[str, Any], put: _Setter) -> None:
    if data.get("warmup_steps"):
        put("warmup_steps", data["warmup_steps"], "warmup_steps")
    elif data.get("warmup_ratio"):
        put("warmup_ratio", data["warmup_ratio"], "warmup_ratio")
    else:  # axolotl: min(3 % of the steps, 100); as a ratio while steps are unknown
        put("warmup_ratio", 0.03, None, default=True)


def _axolotl_eval(data: Mapping[str, Any], put: _Setter) -> None:
    has_eval = bool(data.get("val_set_size")) or bool(data.get("test_datasets"))
    if not has_eval:
        put("eval_strategy", "no", None, default=True)
    elif data.get("eval_steps"):
        put("eval_strategy", "steps", "eval_steps")
        put("eval_steps", data["eval_steps"], "eval_steps")
    elif data.get("eval_strategy"):
        put("eval_strategy", data["eval_strategy"], "eval_strategy")
    elif data.get("evals_per_epoch"):
        put("eval_strategy", "steps", "evals_per_epoch")
    _axolotl_best_model(data, put, has_eval)


def _axolotl_best_model(data: Mapping[str, Any], put: _Setter, has_eval: bool) -> None:
    """axolotl sets ``load_best_model_at_end`` when asked (or with early stopping), with a
    validation set, and when ``save_steps`` is a multiple of ``eval_steps``; with per-epoch
    counts that holds when ``saves_per_epoch`` divides ``evals_per_epoch``."""
    wanted = data.get("load_best_model_at_end") is not False or bool(
        data.get("early_stopping_patience")
    )
    save, every = data.get("save_steps"), data.get("eval_steps")
    if save and every:
        aligned = _divides(every, save)
    else:
        aligned = _divides(data.get("saves_per_epoch"), data.get("evals_per_epoch"))
    key = "early_stopping_patience" if data.get("early_stopping_patience") else None
    if "load_best_model_at_end" in data:
        key = "load_best_model_at_end"
    put("load_best_model_at_end", bool(wanted and has_eval and aligned), key, default=key is None)


def _divides(small: Any, big: Any) -> bool:
    try:
        small_i, big_i = int(small), int(big)
    except (TypeError, ValueError, OverflowError):  # None, text, inf, nan
        return False
    return small_i > 0 and big_i > 0 and big_i % small_i == 0


__all__ = [
    "AXOLOTL_SETTINGS",
    "SCHEDULER_KWARG_NAMES",
    "ConfigFields",
    "read_axolotl_fields",
    "read_hf_fields",
    "read_llamafactory_fields",
]
