"""LRG085 deepspeed-default-applies: a DeepSpeed scheduler param left out, so DeepSpeed's
default applies instead of the value transformers fills for ``"auto"``."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._deepspeed import DS_EXAMPLE_HEAD, ds_finding, ds_view

CODE = "LRG085"


def check_defaults(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG085: WarmupDecayLR without warmup_max_lr (DeepSpeed's 0.001), any Warmup* without
    warmup_num_steps (DeepSpeed's 1000)."""
    view = ds_view(plan)
    if view is None or view.spec is None:
        return
    spec, label = view.spec, view.deepspeed.label
    default_peak = spec.defaults.get("warmup_max_lr")
    if (
        "warmup_max_lr" in spec.params
        and "warmup_max_lr" not in view.params
        and default_peak is not None
        and view.lr is not None
        and default_peak != view.lr
    ):
        yield ds_finding(
            CODE,
            Severity.ERROR,
            view,
            f"{view.where()} {spec.name} has no params.warmup_max_lr: DeepSpeed's default "
            f"{fmt(default_peak)} is the run's peak, {fmt(default_peak / view.lr)}x "
            f"{view.lr_name}={fmt(view.lr)} "
            + (
                "(the scheduler overrides the optimizer's rate)."
                if view.standalone
                else '(transformers fills only a key written as "auto").'
            ),
            f"Add warmup_max_lr: {fmt(view.lr)} to scheduler.params in {label}."
            if view.standalone
            else f'Add warmup_max_lr: "auto" to scheduler.params in {label}.',
            key="warmup_max_lr",
            value=default_peak,
        )
    default_warmup = spec.defaults.get("warmup_num_steps")
    if (
        "warmup_num_steps" in spec.params
        and "warmup_num_steps" not in view.params
        and default_warmup is not None
        and view.warmup != default_warmup
        and not (view.standalone and (view.total is None or default_warmup < view.total))
    ):  # on its own, DeepSpeed's documented default matters only when it outlasts the run
        run = "the run's warmup is unknown" if view.warmup is None else f"not {view.warmup}"
        if view.standalone:
            run = "not set in this file"
        longer = ""
        if view.total is not None and default_warmup >= view.total:
            longer = (
                f"; that is longer than the run's {view.total} steps: the peak is never reached"
            )
        yield ds_finding(
            CODE,
            Severity.WARNING,
            view,
            f"{view.where()} {spec.name} has no params.warmup_num_steps: DeepSpeed warms up "
            f"over its default {default_warmup} steps ({run}"
            + ("" if view.standalone else "; warmup_steps / warmup_ratio are not used")
            + f"){longer}.",
            f"Add warmup_num_steps: {max(1, view.total // 10)} to scheduler.params in {label}."
            if view.standalone and view.total
            else f'Add warmup_num_steps: "auto" to scheduler.params in {label}.',
            key="warmup_num_steps",
            value=default_warmup,
        )


register(
    Rule(
        code=CODE,
        name="deepspeed-default-applies",
        severity=Severity.ERROR,
        summary="A DeepSpeed scheduler param left out: DeepSpeed's default replaces the run's.",
        what="Flags WarmupDecayLR without warmup_max_lr (DeepSpeed's default peak 0.001) and "
        "WarmupLR / WarmupDecayLR / WarmupCosineLR without warmup_num_steps (DeepSpeed's "
        "default 1000 steps) when that differs from the run's learning_rate or warmup.",
        why='transformers fills a param only when it is written as "auto"; a param left out '
        "gets DeepSpeed's default silently: a fine-tune at learning_rate 2e-5 peaks at 1e-3, "
        "fifty times higher, and warmup_steps is ignored.",
        example=DS_EXAMPLE_HEAD + "deepspeed:\n"
        "  scheduler:\n"
        "    type: WarmupDecayLR\n"
        "    params: {warmup_min_lr: 0, warmup_num_steps: auto, total_num_steps: auto}",
        corrected=DS_EXAMPLE_HEAD + "deepspeed:\n"
        "  scheduler:\n"
        "    type: WarmupDecayLR\n"
        "    params: {warmup_min_lr: 0, warmup_max_lr: auto, warmup_num_steps: auto,\n"
        "             total_num_steps: auto}",
        fix='Write every param transformers can fill as "auto": warmup_max_lr, '
        "warmup_num_steps, total_num_steps.",
        check=check_defaults,
    )
)
