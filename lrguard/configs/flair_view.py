"""Flair ``ModelTrainer`` keyword arguments in a config file -> ``TrainingPlan``.

Convention (YAML or JSON)::

    flair_train:            # or flair_fine_tune: / flair_train_custom:
      learning_rate: 1.0e-5
      min_learning_rate: 1.0e-4
      patience: 10
      max_epochs: 100
    flair_version: "0.15.1" # optional, for the record
    has_dev: true           # optional: false when the corpus has no dev split

The mapping under the key holds the keyword arguments of that ``ModelTrainer`` method;
omitted ones take Flair's defaults. With ``lrguard check --kind flair`` the whole file is
read as ``train()`` kwargs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lrguard.adapters.flair_kwargs import flair_plan
from lrguard.configs.kinds import FLAIR_KEYS
from lrguard.numbers import parse_number
from lrguard.plan import TrainingPlan
from lrguard.records import Record


class FlairView(Record):
    """A Flair config read into a plan.

    Attributes:
        plan: the plan of the training call.
        key: the top-level key the kwargs were under ("" when the whole file is kwargs).
        invalid: settings that cannot be used, as ``{field, value, problem, fix}`` dicts;
            the plan uses Flair's default in their place.
    """

    def __init__(
        self, plan: TrainingPlan, key: str = "", invalid: list[dict[str, Any]] | None = None
    ) -> None:
        self.plan = plan
        self.key = key
        self.invalid = [] if invalid is None else invalid


def _check_number(name: str, raw: Any, integer: bool, low: float, high: float | None) -> str | None:
    parsed = parse_number(raw)
    value = parsed.value
    if value is None or not math.isfinite(value):
        return "is not a number"
    if integer and value != int(value):
        return "is not a whole number"
    if value < low or (high is not None and value >= high):
        upper = f" and < {high:g}" if high is not None else ""
        return f"is out of range (must be >= {low:g}{upper})"
    return None


_NUMERIC = {  # name: (integer, low, high-exclusive, fix); annealing settings are LRG050's
    "max_epochs": (True, 1, None, "Set max_epochs to a whole number >= 1."),
}


def flair_view(data: Mapping[str, Any], whole_file: bool = False) -> FlairView:
    """Read Flair kwargs from ``data`` (under a ``flair_*`` key, or the whole mapping).

    Example:
        >>> v = flair_view({"flair_train": {"learning_rate": 1e-5, "max_epochs": "x"}})
        >>> v.plan.param_groups[0].min_lr, v.invalid[0]["field"]
        (0.0001, 'max_epochs')
    """
    key = "" if whole_file else next((k for k in FLAIR_KEYS if k in data), "")
    entry = FLAIR_KEYS.get(key, "train")
    kwargs = data if whole_file else data.get(key)
    invalid: list[dict[str, Any]] = []
    if not isinstance(kwargs, Mapping):
        invalid.append(
            {
                "field": key,
                "value": kwargs,
                "problem": f"must be a mapping of ModelTrainer.{entry}() keyword arguments",
                "fix": f"Write {key}: followed by indented 'name: value' lines.",
            }
        )
        kwargs = {}
    clean = {str(k): v for k, v in kwargs.items()}
    for name, (integer, low, high, fix) in _NUMERIC.items():
        if name not in clean:
            continue
        problem = _check_number(name, clean[name], integer, low, high)
        if problem:
            invalid.append({"field": name, "value": clean[name], "problem": problem, "fix": fix})
            del clean[name]  # Flair's default stands in
        else:
            clean[name] = int(parse_number(clean[name]).value or 0)
    has_dev = data.get("has_dev", True) is not False if not whole_file else True
    version = data.get("flair_version") if not whole_file else None
    plan = flair_plan(
        clean,
        entry,  # type: ignore[arg-type]
        has_dev=has_dev,
        framework_version=str(version) if version is not None else None,
    )
    return FlairView(plan=plan, key=key, invalid=invalid)


__all__ = ["FlairView", "flair_view"]
