"""What a range test is asked to do, checked before anything trains.

Every ``find_learning_rate`` (Flair, Hugging Face, plain PyTorch) calls ``prepare_sweep``
first and, where it forwards extra keywords to an optimizer, ``refuse_train_keywords``: a
setting that would only fail after the sweep (a ``policy`` of the wrong type, an unknown
``method``), a sweep that cannot run (an end rate that overflows, ``start_lr >= end_lr``, no
steps) and a ``train()`` keyword passed to the range test by mistake are refused here, with
the field, the value and the fix, before a model is touched or a folder is made.

Example:
    >>> prepare_sweep(start_lr=1e-7, end_lr=10.0, num_steps=100).num_steps
    100
    >>> try:
    ...     prepare_sweep(start_lr=1e-3, end_lr=1e-5)
    ... except ValueError as err:
    ...     print(str(err).split(": ", 1)[1][:40])
    end_lr=1e-05 is not above start_lr=0.001
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from lrguard.range_test.result import check_policy
from lrguard.range_test.suggest import ALL_METHODS, DEFAULT_METHOD, check_method
from lrguard.range_test.sweep import SweepSettings, sweep_values

TRAIN_ONLY: dict[str, str] = {
    "max_epochs": "the range test trains num_steps mini-batches, not epochs",
    "epoch": "the range test trains num_steps mini-batches, not epochs",
    "num_train_epochs": "the range test trains num_steps mini-batches, not epochs",
    "max_steps": "the range test trains num_steps mini-batches (pass num_steps=)",
    "patience": "the sweep does not anneal: annealing settings belong to train()",
    "anneal_factor": "the sweep does not anneal: annealing settings belong to train()",
    "initial_extra_patience": "the sweep does not anneal: annealing settings belong to train()",
    "anneal_with_restarts": "the sweep does not anneal: annealing settings belong to train()",
    "min_learning_rate": "the floor is suggested from the sweep (result.arguments)",
    "train_with_dev": "the sweep trains on the training split only",
    "train_with_test": "the sweep trains on the training split only",
    "shuffle": "the sweep always shuffles the training split",
    "plugins": "the sweep runs no plugins",
    "embeddings_storage_mode": "the sweep stores no embeddings between steps",
    "monitor_test": "the sweep evaluates nothing: it reads the training loss",
    "monitor_train_sample": "the sweep evaluates nothing: it reads the training loss",
    "main_evaluation_metric": "the sweep evaluates nothing: it reads the training loss",
    "scheduler": "the sweep sets the rate itself, step by step",
    "warmup_fraction": "the sweep sets the rate itself, step by step",
    "save_final_model": "the sweep saves no model: it restores the one you have",
    "checkpoint": "the sweep saves no model: it restores the one you have",
}
"""Training keywords that mean nothing to a range test, and what the range test does instead
(``ModelTrainer.train`` and ``TrainingArguments`` names)."""


def prepare_sweep(
    *,
    method: str = DEFAULT_METHOD,
    policy: Any = None,
    methods: tuple[str, ...] = ALL_METHODS,
    **sweep: Any,
) -> SweepSettings:
    """The sweep's settings, after every check a range test can make before it trains.

    Args:
        **sweep: ``SweepSettings`` fields (``start_lr``, ``end_lr``, ``num_steps``, ``mode``,
            ``smoothing``, ``diverge_factor`` ...); those not given keep their defaults.
        method: the suggestion method to choose.
        methods: the methods this range test can run (``ALL_METHODS``: every one).
        policy: None or a ``GuardPolicy`` (its ratio sets the suggested floor after the
            sweep).

    Returns:
        The ``SweepSettings``.

    Raises:
        TypeError: ``policy`` is not a ``GuardPolicy`` (the message names it and the fix), or
            a keyword is no ``SweepSettings`` field.
        ValueError: an invalid sweep setting or an unknown ``method``; every problem is
            listed, each as ``field=value: what is wrong. Fix: ...``.
    """
    check_policy(policy)
    values = sweep_values(sweep)
    problems = SweepSettings.problems_of(**values)
    try:
        check_method(method, methods)
    except ValueError as err:
        problems.append(str(err))
    if problems:
        raise ValueError("lrguard range test: " + "; ".join(problems))
    return SweepSettings(**values)  # type: ignore[arg-type]


def refuse_train_keywords(
    keywords: Mapping[str, Any],
    *,
    receiver: str,
    accepted: Collection[str] | None,
    train_keywords: Collection[str] = (),
) -> None:
    """Refuse keywords that the range test would forward to ``receiver`` (an optimizer
    class) but that do not belong there.

    A keyword ``receiver`` names in its signature is kept. A training keyword
    (``TRAIN_ONLY`` or one of ``train_keywords``, e.g. ``ModelTrainer.train``'s parameters)
    is refused even when ``receiver`` takes ``**kwargs``, with what the range test does
    instead; any other keyword is refused when ``receiver`` does not take it (``accepted``
    None: it takes ``**kwargs``).

    Raises:
        TypeError: naming the keyword, its value, why, and the fix (drop it here).

    Example:
        >>> try:
        ...     refuse_train_keywords({"max_epochs": 10}, receiver="SGD", accepted={"lr"})
        ... except TypeError as err:
        ...     print(str(err)[:60])
        max_epochs=10 is a train() keyword, not one of find_learning
    """
    for name, value in keywords.items():
        if accepted is not None and name in accepted:
            continue
        if name in TRAIN_ONLY or name in train_keywords:
            why = TRAIN_ONLY.get(name, "it is a training setting, used by train()")
            raise TypeError(
                f"{name}={value!r} is a train() keyword, not one of find_learning_rate's or "
                f"{receiver}'s: {why}. Fix: drop {name}= here and pass it to "
                "trainer.train(...)"
            )
        if accepted is not None:
            raise TypeError(
                f"{name}={value!r} is not a keyword of find_learning_rate nor of {receiver}: "
                f"the extra keywords go to {receiver}. Fix: drop {name}="
            )
