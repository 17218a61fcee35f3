"""Flair ``ModelTrainer.train`` / ``fine_tune`` / ``train_custom`` keyword arguments -> plan."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from lrguard.numbers import parse_number
from lrguard.plan import AnnealingPlan, ParamGroupPlan, TrainingPlan

Entry = Literal["train", "fine_tune", "train_custom"]

_ANNEALING = AnnealingPlan()
"""Flair's ``AnnealOnPlateau`` defaults, as ``AnnealingPlan`` states them."""

FLAIR_TRAIN_DEFAULTS: dict[str, Any] = {
    "learning_rate": 0.1,
    "min_learning_rate": 0.0001,
    "anneal_factor": _ANNEALING.factor,
    "patience": _ANNEALING.patience,
    "initial_extra_patience": _ANNEALING.initial_extra_patience,
    "anneal_with_restarts": _ANNEALING.with_restarts,
    "max_epochs": 100,
    "train_with_dev": False,
    "attach_default_scheduler": True,
    "decoder_learning_rate": None,
    "optimizer": "SGD",
}
"""``ModelTrainer.train`` defaults (identical in Flair 0.13.1 - 0.15.1)."""

FLAIR_FINE_TUNE_DEFAULTS: dict[str, Any] = {
    "learning_rate": 5e-5,
    "max_epochs": 10,
    "decoder_learning_rate": None,
    "optimizer": "AdamW",
}
"""``ModelTrainer.fine_tune`` defaults (linear schedule, no plateau annealing)."""

ANNEALING_KEYS = ("anneal_factor", "patience", "initial_extra_patience", "anneal_with_restarts")


def param_groups(
    learning_rate: Any, decoder_learning_rate: Any, min_learning_rate: Any
) -> list[ParamGroupPlan]:
    """Flair's param groups: with ``decoder_learning_rate`` set, group 0 is everything but the
    embeddings (the decoder), group 1 the embeddings; otherwise one group.

    ``min_learning_rate`` may be a float (every group) or one value per group; a list of the
    wrong length leaves the minimums unset (rule LRG008 reports it).
    """
    if decoder_learning_rate:
        lrs = [("decoder", decoder_learning_rate, "decoder_learning_rate")]
        lrs.append(("embeddings", learning_rate, "learning_rate"))
    else:
        lrs = [("", learning_rate, "learning_rate")]
    groups = []
    for index, (name, lr, lr_field) in enumerate(lrs):
        if isinstance(min_learning_rate, list | tuple):
            min_lr = min_learning_rate[index] if len(min_learning_rate) == len(lrs) else None
            min_field = f"min_learning_rate[{index}]"
        else:
            min_lr, min_field = min_learning_rate, "min_learning_rate"
        groups.append(
            ParamGroupPlan(
                index=index,
                name=name,
                lr=lr,
                min_lr=min_lr,
                lr_field=lr_field,
                min_lr_field=min_field,
            )
        )
    return groups


def annealing_problems(args: Mapping[str, Any]) -> list[tuple[str, Any, str]]:
    """Annealing settings that Flair cannot use: (field, value, what is wanted).

    Example:
        >>> annealing_problems({"anneal_factor": 2, "patience": 3, "initial_extra_patience": 0})
        [('anneal_factor', 2, 'a number between 0 and 1 (exclusive), e.g. 0.5')]
    """
    problems = []
    factor = parse_number(args.get("anneal_factor"))
    if factor.value is None or not 0 < factor.value < 1 or factor.from_string:
        wanted = "a number between 0 and 1 (exclusive), e.g. 0.5"
        problems.append(("anneal_factor", args.get("anneal_factor"), wanted))
    for key in ("patience", "initial_extra_patience"):
        value = args.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append((key, value, "a whole number >= 0"))
    return problems


def flair_plan(
    kwargs: Mapping[str, Any],
    entry: Entry = "train",
    *,
    has_dev: bool = True,
    framework_version: str | None = None,
    guard_annealing: Mapping[str, Any] | None = None,
    guarded: bool = False,
    pretrained: bool | None = None,
) -> TrainingPlan:
    """The plan of a Flair training call.

    Args:
        kwargs: the keyword arguments of the call (defaults filled in for missing ones).
        entry: which ``ModelTrainer`` method is called.
        has_dev: whether the corpus has a dev split (without one, the guard's own annealing
            minimizes the training loss; Flair's keeps its 'max' mode).
        framework_version: Flair's version, for the record.
        guard_annealing: annealing settings the guard runs with when Flair attaches no
            annealing of its own (``train_custom``, ``attach_default_scheduler=False``);
            keys ``min_learning_rate`` and those of ``ANNEALING_KEYS`` (Flair's defaults for
            the rest). None: nothing anneals there, the rate stays constant, as in stock Flair.
        guarded: the call runs with ``LRGuardPlugin`` (its stop rule, not Flair's).
        pretrained: the model fine-tunes pretrained (transformer) embeddings; None: unknown.

    Example:
        >>> plan = flair_plan({"learning_rate": 1e-5, "patience": 10})
        >>> plan.param_groups[0].min_lr, plan.annealing.patience, plan.stops_at_min_lr
        (0.0001, 10, True)
    """
    defaults = FLAIR_FINE_TUNE_DEFAULTS if entry == "fine_tune" else FLAIR_TRAIN_DEFAULTS
    args = {**defaults, **kwargs}
    stock_annealing = entry == "train" and bool(args["attach_default_scheduler"])
    if not stock_annealing and (entry == "fine_tune" or guard_annealing is None):
        # A linear schedule (fine_tune), or a constant rate: nothing anneals on plateau and
        # nothing stops at a floor, so min_learning_rate and the annealing settings are unused.
        return TrainingPlan(
            framework="flair",
            framework_version=framework_version,
            param_groups=param_groups(args["learning_rate"], args["decoder_learning_rate"], None),
            guarded=guarded,
            max_epochs=_int_or_none(args.get("max_epochs")),
            entry=entry,
            optimizer=_name(args["optimizer"]),
            pretrained=pretrained,
        )
    if stock_annealing:
        # Flair's AnnealingPlugin picks its mode from train_with_dev alone: without a dev split
        # it anneals on the training loss in 'max' mode (flair/trainers/plugins/functional/
        # anneal_on_plateau.py, 0.13.1 - 0.15.1); the plan describes what Flair does.
        mode = "min" if args["train_with_dev"] else "max"
    else:  # the guard's own annealing minimizes the training loss when there is no dev split
        guard = {**FLAIR_TRAIN_DEFAULTS, **(guard_annealing or {})}
        args.update({k: guard[k] for k in ("min_learning_rate", *ANNEALING_KEYS)})
        mode = "min" if args["train_with_dev"] or not has_dev else "max"
    raw_annealing = {key: args[key] for key in ANNEALING_KEYS}
    annealing = None
    if not annealing_problems(raw_annealing):
        annealing = AnnealingPlan(
            factor=float(args["anneal_factor"]),
            patience=int(args["patience"]),
            initial_extra_patience=int(args["initial_extra_patience"]),
            mode=mode,
            with_restarts=bool(args["anneal_with_restarts"]),
        )
    min_lr = args["min_learning_rate"]
    return TrainingPlan(
        framework="flair",
        framework_version=framework_version,
        param_groups=param_groups(args["learning_rate"], args["decoder_learning_rate"], min_lr),
        annealing=annealing,
        stops_at_min_lr=stock_annealing,
        guarded=guarded,
        max_epochs=_int_or_none(args.get("max_epochs")),
        entry=entry,
        min_learning_rate=min_lr,
        annealing_given=raw_annealing,
        optimizer=_name(args["optimizer"]),
        pretrained=pretrained,
    )


def _name(optimizer: Any) -> Any:
    """An optimizer class's name ('SGD'); names and other values as given."""
    return getattr(optimizer, "__name__", optimizer)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
