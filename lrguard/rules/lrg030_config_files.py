"""LRG030 steps-unknown, LRG031 scheduler-kwarg-at-top-level, LRG032 invalid-setting.

Rules about configs read from files by ``lrguard check``: they read what the config reader
recorded in ``plan.settings`` (``config_kind``, ``config_steps_source``,
``config_stray_keys``, ``config_invalid``) and stay silent for plans built by the
integrations.
"""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register


def check_steps_unknown(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG030: absolute warmup steps that cannot be compared with an unknown run length."""
    source = plan.settings.get("config_steps_source")
    if not source or plan.schedule is None or plan.schedule.total_steps is not None:
        return
    warmup = parse_number(plan.schedule.warmup_steps)
    if warmup.value is None or not warmup.value >= 1:
        return
    yield Finding(
        code="LRG030",
        severity=Severity.INFO,
        message=(
            f"warmup_steps={fmt(plan.schedule.warmup_steps)} cannot be compared with the run "
            f"length: the total step count is {source}."
        ),
        location=plan.where("warmup_steps"),
        field="warmup_steps",
        value=plan.schedule.warmup_steps,
        fix="Pass --steps N (or --dataset-size N) so warmup can be checked against the run.",
    )


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
    raw_lr = plan.param_groups[0].lr if plan.param_groups else plan.settings.get("learning_rate")
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
    kind = str(plan.settings.get("config_kind", ""))
    stray = plan.settings.get("config_stray_keys") or {}
    for key, value in stray.items():
        yield Finding(
            code="LRG031",
            severity=Severity.WARNING,
            message=f"{key}={fmt(value)} at the top level: {_stray_consequence(kind)}.",
            location=key,
            field=key,
            value=value if isinstance(value, str | int | float) else str(value),
            fix=_stray_fix(kind, key, value, plan),
        )


def check_invalid_settings(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG032: a setting whose value cannot be used (not a number, out of range, wrong type)."""
    for item in plan.settings.get("config_invalid") or []:
        value = item.get("value")
        yield Finding(
            code="LRG032",
            severity=Severity.ERROR,
            message=f"{item['field']}={fmt(value)} {item['problem']}; Flair's default is "
            "used in this check.",
            location=str(item.get("location", item["field"])),
            field=str(item["field"]),
            value=value if isinstance(value, str | int | float) else str(value),
            fix=str(item.get("fix", "")),
        )


register(
    Rule(
        code="LRG030",
        name="steps-unknown",
        severity=Severity.INFO,
        summary="Warmup given in steps cannot be checked: the run's total steps are unknown.",
        what="Reports a config with warmup_steps >= 1 whose run length is unknown: no "
        "max_steps in the file and no --steps / --dataset-size on the command line.",
        why="Warmup as long as the run (LRG006) leaves no decay at all; whether that happens "
        "depends on the step count, which lrguard never guesses.",
        example="lrguard check train.yaml   # warmup_steps: 500, num_train_epochs: 1, no max_steps",
        fix="Pass --steps N, or --dataset-size N (with --world-size), to lrguard check.",
        check=check_steps_unknown,
    )
)

register(
    Rule(
        code="LRG031",
        name="scheduler-kwarg-at-top-level",
        severity=Severity.WARNING,
        summary="A scheduler keyword (min_lr, eta_min, lr_end ...) at the top level of a config.",
        what="Flags keys that only mean something inside lr_scheduler_kwargs (min_lr, "
        "min_lr_rate, eta_min, lr_end, power, num_cycles, ...) written at the top level of a "
        "Hugging Face, LLaMA-Factory or axolotl config.",
        why="No scheduler receives them: axolotl ignores the key and the cosine schedule "
        "decays to 0 instead of the intended floor; TrainingArguments and HfArgumentParser "
        "reject it at start-up.",
        example="lr_scheduler: cosine\nlearning_rate: 5e-6\neta_min: 7e-7   # axolotl: no effect",
        fix="Put it under lr_scheduler_kwargs with a schedule that takes it; in axolotl use "
        "cosine_min_lr_ratio for a cosine floor.",
        check=check_stray_scheduler_keys,
    )
)

register(
    Rule(
        code="LRG032",
        name="invalid-setting",
        severity=Severity.ERROR,
        summary="A training setting whose value cannot be used (not a number, out of range).",
        what="Flags annealing and length settings of a Flair config (anneal_factor, patience, "
        "initial_extra_patience, max_epochs) and a kwargs block that is not a mapping.",
        why="Flair fails on them only when training starts, or silently truncates them "
        "(patience: 2.5 becomes 2).",
        example="flair_train:\n  anneal_factor: 2   # must be between 0 and 1",
        fix="Give a value of the right type and range; the message names it.",
        check=check_invalid_settings,
    )
)
