"""LRG025 early-stopping-before-plateau: the run stops before a plateau schedule lowers the rate.

When each one acts, with the metric no longer improving after evaluation ``k`` (both count
evaluations of ``metric_for_best_model``, and the first evaluation always counts as an
improvement for both):

* ``EarlyStoppingCallback`` (transformers 4.57 and 5.x, ``trainer_callback.py``): in
  ``on_evaluate`` its counter is reset when the metric beats ``state.best_metric`` by more
  than ``early_stopping_threshold``, else incremented; it sets ``should_training_stop`` once
  ``counter >= early_stopping_patience``: at evaluation ``k + early_stopping_patience``.
* ``ReduceLROnPlateau`` (torch 2.x, ``lr_scheduler.py``) counts ``num_bad_epochs`` and
  reduces once ``num_bad_epochs > patience``: at evaluation ``k + patience + 1``.
  ``cooldown_counter`` starts at 0, so ``cooldown`` only delays the reductions after the
  first. transformers 5's ``GreedyLR`` reduces on the same count (``num_bad_epochs >
  patience``; its ``cooldown`` and ``warmup`` counters also start at 0).
* ``Trainer._evaluate`` steps the plateau scheduler after ``evaluate()`` has run the
  callbacks' ``on_evaluate``, and the training loop stops after that evaluation: with
  ``early_stopping_patience == patience + 1`` the rate is lowered in the evaluation that
  stops the run, and no step trains at it.

So with ``early_stopping_patience <= patience + 1`` no optimizer step ever uses a reduced
rate: the schedule is a constant rate that ends in an early stop.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._hf import finding, label, read_built_schedule

CODE = "LRG025"


def _ordinal(n: int) -> str:
    """'1st', '2nd', '3rd', '11th' ..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _whole(raw: object) -> int | None:
    """A whole number >= 0 (from a number or a string), else None."""
    if isinstance(raw, bool):
        return None
    value = parse_number(raw).value
    if value is None or not math.isfinite(value) or value < 0 or value != int(value):
        return None
    return int(value)


def check_early_stopping_before_plateau(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG025: ``early_stopping_patience <= patience + 1`` of reduce_lr_on_plateau / greedy."""
    view = read_built_schedule(plan)
    if view is None or view.spec is None or not view.spec.metric_driven or not plan.early_stopping:
        return
    if plan.evaluation.get("eval_strategy") in ("no", None):  # LRG015 / LRG020 say so
        return
    stop = _whole(plan.early_stopping.get("patience"))
    given = view.kw("patience")
    parsed = view.kw_or_default("patience")
    patience = None if parsed is None else _whole(parsed.raw)
    if stop is None or patience is None or stop > patience + 1:
        return
    reduce_at = patience + 1
    es_name = label(plan, "early_stopping_patience")
    kw_name = label(plan, "lr_scheduler_kwargs.patience")
    shown = f"{kw_name}={fmt(patience)}" if given is not None else f"patience={patience} (default)"
    if stop == 0:
        when = "at its first evaluation"
    else:
        when = f"at the {_ordinal(stop)} evaluation in a row without improvement"
    same = ", in the evaluation that stops the run" if stop == reduce_at else ""
    fixes = [f"Set {es_name}>={reduce_at + 1}"]
    if stop >= 2:
        fixes.append(f"{kw_name}<={stop - 2}")
    yield finding(
        plan,
        CODE,
        Severity.WARNING,
        "early_stopping_patience",
        plan.early_stopping.get("patience"),
        f"EarlyStoppingCallback({es_name}={fmt(stop)}) stops the run {when}; "
        f"{view.name} ({shown}) first lowers the rate at the {_ordinal(reduce_at)} "
        f"(after more than {patience}){same}: no step ever trains at a reduced rate, the "
        "schedule is a constant rate that ends in an early stop.",
        " or ".join(fixes) + " (one reduction, then at least one evaluation at the lower rate).",
    )


register(
    Rule(
        code=CODE,
        name="early-stopping-before-plateau",
        severity=Severity.WARNING,
        summary="EarlyStoppingCallback stops the run before reduce_lr_on_plateau / greedy "
        "ever trains at a reduced rate.",
        what="Compares EarlyStoppingCallback's early_stopping_patience (LLaMA-Factory: "
        "early_stopping_steps; axolotl: early_stopping_patience) with the patience of "
        "reduce_lr_on_plateau or greedy (lr_scheduler_kwargs.patience, default 10 from the "
        "schedule table) and fires when early_stopping_patience <= patience + 1. "
        "After the last improvement, EarlyStoppingCallback stops at evaluation "
        "early_stopping_patience (its counter >= early_stopping_patience, "
        "transformers/trainer_callback.py, 4.57 and 5.x); ReduceLROnPlateau lowers the rate "
        "at evaluation patience + 1 (num_bad_epochs > patience, torch/optim/lr_scheduler.py; "
        "GreedyLR in transformers/optimization.py counts the same way), and Trainer._evaluate "
        "steps it after the callbacks' on_evaluate, so at patience + 1 the reduction comes "
        "in the evaluation that stops the run. cooldown (and greedy's warmup) start at 0 and "
        "delay only later reductions. Flair has no EarlyStoppingCallback: LRGuardPlugin "
        "stops a Flair run only when patience is exhausted with the rate at its floor "
        "(LRG010).",
        why="The plateau schedule is there to lower the rate when the metric stalls; "
        "stopping first makes it a constant rate and ends the run on the first plateau. "
        "Measured on a tiny BERT, reduce_lr_on_plateau patience=2 with "
        "early_stopping_patience=3: stopped after 4 evaluations, every step at 1e-05, the "
        "optimizer left at 5e-06 that nothing trained with. An early_stopping_threshold "
        "above the scheduler's threshold makes it worse: improvements the scheduler counts "
        "still add to the early-stopping counter.",
        example=(
            "learning_rate: 2.0e-5\n"
            "lr_scheduler_type: reduce_lr_on_plateau\n"
            "lr_scheduler_kwargs: {patience: 3}\n"
            "eval_strategy: epoch\n"
            "save_strategy: epoch\n"
            "metric_for_best_model: loss\n"
            "load_best_model_at_end: true\n"
            "early_stopping_patience: 3   # EarlyStoppingCallback"
        ),
        corrected=(
            "learning_rate: 2.0e-5\n"
            "lr_scheduler_type: reduce_lr_on_plateau\n"
            "lr_scheduler_kwargs: {patience: 3}\n"
            "eval_strategy: epoch\n"
            "save_strategy: epoch\n"
            "metric_for_best_model: loss\n"
            "load_best_model_at_end: true\n"
            "early_stopping_patience: 8"
        ),
        fix="Set early_stopping_patience >= the plateau patience + 2 (better: a few "
        "evaluations more, so the reduced rate gets a chance), or lower the schedule's "
        "patience.",
        check=check_early_stopping_before_plateau,
    )
)
