"""LRG081 deepspeed-value-mismatch: a DeepSpeed value transformers compares with
``TrainingArguments`` differs from it: ``trainer.train()`` raises before step 1."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._deepspeed import DS_EXAMPLE_HEAD, DsView, ds_finding, ds_view, shown

CODE = "LRG081"

RAISES = (
    "trainer.train() raises ValueError ('Please correct the following DeepSpeed config values "
    "that mismatch TrainingArguments values') before the first step"
)


def _expected(view: DsView, key: str) -> float | int | None:
    if key == "warmup_max_lr":
        return view.lr
    if key == "total_num_steps":
        return view.total
    if key == "warmup_num_steps":
        if view.warmup is None:
            return None
        return max(1, view.warmup) if (view.major or 4) >= 5 else view.warmup
    return None


def _differs(given: object, expected: float) -> bool:
    value = parse_number(given).value
    return value is None or abs(value - expected) > 1e-12 * max(abs(expected), 1e-300)


def _consequence(view: DsView, key: str, given: object) -> str:
    value = parse_number(given).value
    if value is None or not math.isfinite(value) or value < 0:
        return ""
    if key == "total_num_steps" and view.total and value < view.total:
        if view.type == "WarmupDecayLR":
            return f"; were it accepted, the rate would be 0 from step {int(value) + 1}"
        if view.type == "WarmupCosineLR":
            return f"; were it accepted, the rate would sit at its floor from step {int(value) + 1}"
    return ""


def check_mismatch(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG081: explicit scheduler params (and the optimizer's lr) that differ from the
    values transformers computes."""
    view = ds_view(plan)
    if view is None or view.standalone:  # no TrainingArguments to compare with
        return
    from lrguard.schedules.deepspeed import HF_FILLED, is_auto

    for key in ("warmup_max_lr", "total_num_steps", "warmup_num_steps"):
        if key not in view.params or is_auto(view.params[key]):
            continue
        expected = _expected(view, key)
        given = view.params[key]
        if expected is None or not _differs(given, expected):
            continue
        yield ds_finding(
            CODE,
            Severity.ERROR,
            view,
            f"{view.where(key)}={shown(given)} but transformers computes {fmt(expected)} "
            f"({HF_FILLED[key]}): {RAISES}{_consequence(view, key, given)}.",
            f'Set {key}: "auto" in {view.deepspeed.label} (transformers fills {fmt(expected)}).',
            key=key,
            value=given if isinstance(given, int | float | str) else str(given),
        )
    optimizer = view.deepspeed.optimizer
    params = optimizer.get("params") if isinstance(optimizer, Mapping) else None
    given = params.get("lr") if isinstance(params, Mapping) else None
    if given is None or is_auto(given) or view.lr is None or not _differs(given, view.lr):
        return
    yield ds_finding(
        CODE,
        Severity.ERROR,
        view,
        f"{view.deepspeed.label} optimizer.params.lr={shown(given)} but "
        f"learning_rate={fmt(view.lr)}: {RAISES}.",
        f'Set optimizer.params.lr: "auto" in {view.deepspeed.label}.',
        value=given if isinstance(given, int | float | str) else None,
    )


register(
    Rule(
        code=CODE,
        name="deepspeed-value-mismatch",
        severity=Severity.ERROR,
        summary="A DeepSpeed scheduler value that differs from TrainingArguments: train() raises.",
        what="Compares the DeepSpeed scheduler's warmup_max_lr, total_num_steps and "
        'warmup_num_steps, and the optimizer\'s lr, when they are numbers rather than "auto", '
        "with what transformers computes (learning_rate, the run's steps, its warmup steps), "
        "as HfTrainerDeepSpeedConfig does.",
        why="transformers refuses any difference with a ValueError when training starts, "
        "after the model is loaded; a DeepSpeed config copied from another run carries its "
        "total_num_steps (100000) and warmup_num_steps (1000) along.",
        example=DS_EXAMPLE_HEAD + "deepspeed:\n"
        "  scheduler:\n"
        "    type: WarmupDecayLR\n"
        "    params: {warmup_min_lr: 0, warmup_max_lr: 2.0e-5, warmup_num_steps: 100,\n"
        "             total_num_steps: 100000}",
        corrected=DS_EXAMPLE_HEAD + "deepspeed:\n"
        "  scheduler:\n"
        "    type: WarmupDecayLR\n"
        "    params: {warmup_min_lr: 0, warmup_max_lr: auto, warmup_num_steps: auto,\n"
        "             total_num_steps: auto}",
        fix='Write "auto" for the values transformers fills (warmup_max_lr, total_num_steps, '
        "warmup_num_steps, optimizer lr), or make them equal.",
        check=check_mismatch,
    )
)
