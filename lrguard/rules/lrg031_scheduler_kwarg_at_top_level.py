"""LRG031 scheduler-kwarg-at-top-level: ``min_lr``, ``eta_min`` ... outside the kwargs block."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register

CODE = "LRG031"


def _stray_consequence(kind: str) -> str:
    if kind == "axolotl":
        return "axolotl passes no such top-level setting to the scheduler, so it has no effect"
    return (
        "it is not a TrainingArguments field: TrainingArguments(**config) and HfArgumentParser "
        "reject it (LLaMA-Factory with ALLOW_EXTRA_ARGS=1 drops it), and no scheduler receives it"
    )


def _stray_fix(kind: str, key: str, value: object, plan: TrainingPlan) -> str:
    nested = f"Move it under lr_scheduler_kwargs: {{{key}: {fmt(value)}}}"
    if kind != "axolotl":
        return nested + " (with a schedule that takes it, e.g. cosine_with_min_lr)."
    raw_lr = plan.param_groups[0].lr if plan.param_groups else plan.learning_rate
    lr = parse_number(raw_lr).value
    floor = parse_number(value).value
    if key in ("eta_min", "min_lr", "min_learning_rate") and lr and floor is not None:
        ratio = float(f"{floor / lr:.4g}")
        return (
            f"For a floor with lr_scheduler: cosine, set cosine_min_lr_ratio: {ratio:g} "
            f"(= {fmt(floor)} / learning_rate {fmt(lr)}); other keys go under "
            "lr_scheduler_kwargs."
        )
    return nested + "."


def check_stray_scheduler_keys(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG031: a scheduler keyword (min_lr, eta_min, lr_end ...) at the top level of a config."""
    if plan.source is None:
        return
    kind, stray = plan.source.kind, plan.source.stray_keys
    for key, value in stray.items():
        yield Finding(
            code=CODE,
            severity=Severity.WARNING,
            message=f"{key}={fmt(value)} at the top level: {_stray_consequence(kind)}.",
            location=key,
            field=key,
            value=value if isinstance(value, str | int | float) else str(value),
            fix=_stray_fix(kind, key, value, plan),
        )


register(
    Rule(
        code=CODE,
        name="scheduler-kwarg-at-top-level",
        severity=Severity.WARNING,
        summary="A scheduler keyword (min_lr, eta_min, lr_end ...) at the top level of a config.",
        what="Flags keys that only mean something inside lr_scheduler_kwargs (min_lr, "
        "min_lr_rate, eta_min, lr_end, power, num_cycles, ...) written at the top level of a "
        "Hugging Face, LLaMA-Factory or axolotl config.",
        why="No scheduler receives them: axolotl ignores the key and the cosine schedule "
        "decays to 0 instead of the intended floor; TrainingArguments and HfArgumentParser "
        "reject it at start-up.",
        example=(
            "base_model: ./tiny-llama\n"
            "lr_scheduler: cosine\n"
            "learning_rate: 5.0e-6\n"
            "eta_min: 7.0e-7   # axolotl: no effect"
        ),
        corrected=(
            "base_model: ./tiny-llama\n"
            "lr_scheduler: cosine\n"
            "learning_rate: 5.0e-6\n"
            "cosine_min_lr_ratio: 0.14"
        ),
        fix="Put it under lr_scheduler_kwargs with a schedule that takes it; in axolotl use "
        "cosine_min_lr_ratio for a cosine floor.",
        check=check_stray_scheduler_keys,
    )
)
