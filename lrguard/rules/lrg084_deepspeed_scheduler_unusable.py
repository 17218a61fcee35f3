"""LRG084 deepspeed-scheduler-unusable: a DeepSpeed scheduler section DeepSpeed cannot
build as written (unknown type, missing or unknown params, a warmup that is not a positive
whole number)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._deepspeed import DS_EXAMPLE_HEAD, DsView, ds_finding, ds_view, shown

CODE = "LRG084"

TORCH_SCHEDULERS = frozenset(
    {
        "LambdaLR",
        "MultiplicativeLR",
        "StepLR",
        "MultiStepLR",
        "ConstantLR",
        "LinearLR",
        "ExponentialLR",
        "SequentialLR",
        "CosineAnnealingLR",
        "ChainedScheduler",
        "ReduceLROnPlateau",
        "CyclicLR",
        "CosineAnnealingWarmRestarts",
        "OneCycleLR",
        "PolynomialLR",
    }
)
"""``torch.optim.lr_scheduler`` classes DeepSpeed also accepts as ``scheduler.type``."""


def _type_problem(view: DsView) -> Iterator[Finding]:
    from lrguard.schedules.deepspeed import DEEPSPEED_SCHEDULES

    kind = view.type
    if isinstance(kind, str) and (kind in DEEPSPEED_SCHEDULES or kind in TORCH_SCHEDULERS):
        return
    known = ", ".join(DEEPSPEED_SCHEDULES)
    yield ds_finding(
        CODE,
        Severity.ERROR,
        view,
        f"{view.where()} type={fmt(kind)} is neither a DeepSpeed scheduler ({known}) nor a "
        "torch.optim.lr_scheduler class: DeepSpeed cannot build it when training starts.",
        f"Set scheduler.type to one of {known} in {view.deepspeed.label}.",
        value=kind if isinstance(kind, str) else None,
    )


def _param_problems(view: DsView) -> Iterator[Finding]:
    from lrguard.schedules.deepspeed import WARMUP_TYPES

    spec = view.spec
    if spec is None:
        return
    for key in spec.required:
        if key not in view.params:
            yield ds_finding(
                CODE,
                Severity.ERROR,
                view,
                f"{view.where()} {spec.name} has no params.{key}: DeepSpeed raises TypeError "
                f"(missing argument '{key}') when training starts"
                + (
                    "." if view.standalone else '; transformers fills only a key written as "auto".'
                ),
                f"Add {key} to scheduler.params in {view.deepspeed.label}."
                if view.standalone
                else f'Add {key}: "auto" to scheduler.params in {view.deepspeed.label}.',
                key=key,
            )
    for key in view.params:
        if key not in spec.params:
            yield ds_finding(
                CODE,
                Severity.ERROR,
                view,
                f"{view.where(key)} is not a {spec.name} param ({', '.join(spec.params)}): "
                "DeepSpeed raises TypeError (unexpected keyword) when training starts.",
                f"Remove {key} from scheduler.params in {view.deepspeed.label}.",
                key=key,
            )
    kind = view.params.get("warmup_type")
    if kind is not None and kind not in WARMUP_TYPES and "warmup_type" in spec.params:
        yield ds_finding(
            CODE,
            Severity.WARNING,
            view,
            f"{view.where('warmup_type')}={shown(kind)} is not 'log' or 'linear': DeepSpeed "
            "logs a warning and warms up logarithmically.",
            "Set warmup_type: linear (or log).",
            key="warmup_type",
            value=kind if isinstance(kind, str) else None,
        )
    yield from _warmup_steps(view)


def _warmup_steps(view: DsView) -> Iterator[Finding]:
    if view.spec is None or "warmup_num_steps" not in view.spec.params:
        return
    raw = view.params.get("warmup_num_steps")
    if raw is None:
        return
    label = view.deepspeed.label
    from lrguard.schedules.deepspeed import is_auto

    if is_auto(raw):
        if view.warmup == 0 and (view.major or 4) < 5:
            yield ds_finding(
                CODE,
                Severity.WARNING,
                view,
                f'{view.where("warmup_num_steps")}="auto" with no warmup in TrainingArguments: '
                "transformers 4.x fills 0, which DeepSpeed >= 0.19.6 refuses (ValueError: "
                "warmup_num_steps must be a positive integer) when training starts "
                "(transformers 5.x fills 1).",
                f"Set warmup_steps: 1 (or more) in the config, or warmup_num_steps: 1 in {label}.",
                key="warmup_num_steps",
                value="auto",
            )
        return
    if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0:
        yield ds_finding(
            CODE,
            Severity.ERROR,
            view,
            f"{view.where('warmup_num_steps')}={shown(raw)} is not a positive whole number: "
            "DeepSpeed >= 0.19.6 raises ValueError when training starts.",
            f"Set warmup_num_steps to a whole number >= 1 in {label}."
            if view.standalone
            else f'Set warmup_num_steps: "auto" (or a whole number >= 1) in {label}.',
            key="warmup_num_steps",
            value=raw if isinstance(raw, int | float | str) else None,
        )


def check_unusable(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG084: type, required / unknown params, warmup_type, warmup_num_steps."""
    view = ds_view(plan)
    if view is None:
        return
    section = view.deepspeed.scheduler
    params = section.get("params") if isinstance(section, Mapping) else None
    if params is not None and not isinstance(params, Mapping):
        yield ds_finding(
            CODE,
            Severity.ERROR,
            view,
            f"{view.where('')[:-1]} is a {type(params).__name__}, not a mapping of params: "
            "DeepSpeed cannot build the scheduler.",
            "Write scheduler.params as a JSON object.",
        )
        return
    yield from _type_problem(view)
    yield from _param_problems(view)


register(
    Rule(
        code=CODE,
        name="deepspeed-scheduler-unusable",
        severity=Severity.ERROR,
        summary="A DeepSpeed scheduler section DeepSpeed cannot build as written.",
        what="Checks the DeepSpeed scheduler's type (DeepSpeed's WarmupLR, WarmupDecayLR, "
        "WarmupCosineLR, OneCycle, LRRangeTest, or a torch.optim.lr_scheduler class), its "
        "required and unknown params, warmup_type, and warmup_num_steps (a positive whole "
        'number; "auto" with no warmup is filled with 0 by transformers 4.x).',
        why="DeepSpeed builds the scheduler when training starts, after the model is loaded "
        "and sharded: a missing total_num_steps, a misspelt param or warmup_num_steps: 0 fails "
        "there, on every rank.",
        example=DS_EXAMPLE_HEAD + "deepspeed:\n"
        "  scheduler:\n"
        "    type: WarmupDecayLR\n"
        "    params: {warmup_min_lr: 0, warmup_max_lr: auto, warmup_num_steps: auto}",
        corrected=DS_EXAMPLE_HEAD + "deepspeed:\n"
        "  scheduler:\n"
        "    type: WarmupDecayLR\n"
        "    params: {warmup_min_lr: 0, warmup_max_lr: auto, warmup_num_steps: auto,\n"
        "             total_num_steps: auto}",
        fix='Name a scheduler DeepSpeed has and give it its params, "auto" where transformers '
        "fills them.",
        check=check_unusable,
    )
)
