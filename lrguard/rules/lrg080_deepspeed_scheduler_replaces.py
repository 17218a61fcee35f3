"""LRG080 deepspeed-scheduler-replaces-schedule: a DeepSpeed ``scheduler`` section makes
transformers ignore ``lr_scheduler_type`` / ``lr_scheduler_kwargs``."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._deepspeed import DS_EXAMPLE_HEAD, ds_finding, ds_view

CODE = "LRG080"


def check_replaced(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG080: warning when the config sets schedule keys the DeepSpeed scheduler replaces,
    info otherwise (the run's schedule is DeepSpeed's)."""
    view = ds_view(plan)
    if view is None or view.standalone:  # no TrainingArguments to compare with
        return
    keys = plan.source.scheduler_keys if plan.source is not None else {}
    name = view.type if isinstance(view.type, str) else fmt(view.type)
    if keys:
        written = ", ".join(f"{k}={fmt(v)}" for k, v in keys.items())
        yield ds_finding(
            CODE,
            Severity.WARNING,
            view,
            f"{view.where()} has type {name}: transformers builds DeepSpeed's {name} and "
            f"ignores {written}; the run does not use that schedule.",
            f"Remove the scheduler section from {view.deepspeed.label} to use {', '.join(keys)}, "
            "or remove those keys and set the schedule in the DeepSpeed config.",
            value=name,
        )
        return
    yield ds_finding(
        CODE,
        Severity.INFO,
        view,
        f"{view.where()} has type {name}: the run's schedule is DeepSpeed's {name} (not "
        'lr_scheduler_type), with its "auto" params filled from TrainingArguments.',
        "Nothing to change if DeepSpeed's schedule is the one you want.",
        value=name,
    )


register(
    Rule(
        code=CODE,
        name="deepspeed-scheduler-replaces-schedule",
        severity=Severity.WARNING,
        summary="A DeepSpeed scheduler section replaces lr_scheduler_type and its kwargs.",
        what="Reads the DeepSpeed config named by deepspeed: (a file, looked up from the "
        "working directory and then next to the config, or an inline mapping) and reports its "
        "scheduler section: a warning when the config also sets lr_scheduler_type, "
        "lr_scheduler_kwargs or axolotl's lr_scheduler / cosine_min_lr_ratio, which "
        "transformers then ignores; a note otherwise.",
        why="transformers builds DeepSpeed's scheduler whenever the DeepSpeed config has one: "
        "a cosine_with_min_lr floor, or axolotl's cosine_min_lr_ratio, silently has no "
        "effect and the run follows WarmupLR (no decay at all) or WarmupDecayLR (linear to 0).",
        example=DS_EXAMPLE_HEAD + "lr_scheduler_type: cosine_with_min_lr\n"
        "lr_scheduler_kwargs: {min_lr_rate: 0.1}\n"
        "deepspeed:\n"
        "  scheduler:\n"
        "    type: WarmupLR\n"
        "    params: {warmup_min_lr: auto, warmup_max_lr: auto, warmup_num_steps: auto}",
        corrected=DS_EXAMPLE_HEAD + "lr_scheduler_type: cosine_with_min_lr\n"
        "lr_scheduler_kwargs: {min_lr_rate: 0.1}\n"
        "deepspeed:\n"
        "  zero_optimization: {stage: 2}",
        fix="Keep one schedule: remove the DeepSpeed scheduler section (then lr_scheduler_type "
        "is used), or remove lr_scheduler_type / lr_scheduler_kwargs and configure DeepSpeed's.",
        check=check_replaced,
    )
)
