"""LRG026 self-scheduling-optimizer-under-schedule: an optimizer that schedules (or sizes) its
own steps, given a schedule or a learning rate that works against it.

Facts, from the packages' own source and docs:

* transformers' ``optim="schedule_free_adamw"`` / ``"schedule_free_sgd"`` build
  ``schedulefree.AdamWScheduleFree`` / ``SGDScheduleFree`` and pass them
  ``warmup_steps=args.warmup_steps`` (``Trainer.get_optimizer_cls_and_kwargs`` in 4.57,
  ``trainer_optimizer.py`` in 5.x); ``"schedule_free_radam"`` (``RAdamScheduleFree``) takes no
  warmup. The optimizer scales the scheduled rate by ``(k + 1) / warmup_steps`` while ``k <
  warmup_steps`` (``schedulefree/adamw_schedulefree.py``, ``sgd_schedulefree.py``), so a
  schedule that warms up too multiplies the two warmups; and 5.x passes a fractional
  ``warmup_steps`` (a share of the run for the schedule) to the optimizer as is.
* schedulefree: "As the name suggests, no scheduler is needed with this optimizer. To add
  warmup, rather than using a learning rate schedule you can just set the warmup_steps
  parameter." (``AdamWScheduleFree``'s docstring); transformers' docs: schedule-free
  learning is there "to completely remove the need to anneal the learning rate with a
  traditional schedule".
* Prodigy (``prodigyopt``) and D-Adaptation (``dadaptation``) estimate the step size
  themselves and multiply it by ``lr``: "We recommend using lr=1. (default) for all networks
  ... it is better to change the value of d_coef" (konstmish/prodigy README); "Set the LR
  parameter to 1.0. This parameter is not ignored ... setting it larger or smaller will
  directly scale up or down the D-Adapted learning rate estimate" (facebookresearch/
  dadaptation README).
"""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._hf import finding, label, read_built_schedule
from lrguard.rules._optimizers import optimizer_name, schedule_free_class, takes_own_warmup
from lrguard.schedules.table import major_version

CODE = "LRG026"
NOT_DECAYING = ("constant", "constant_with_warmup")
"""``lr_scheduler_type`` values that keep the rate at ``learning_rate`` after any warmup."""
NEAR_ONE = 10.0
"""Prodigy / D-Adaptation: ``lr`` more than this factor from 1.0 is a warning ..."""
FAR_FROM_ONE = 100.0
"""... and more than this factor an error (the estimated step is scaled by 1/100 or less)."""


def self_tuning(optimizer: object) -> str | None:
    """'Prodigy' or 'D-Adaptation' when the optimizer estimates its own step size.

    Example:
        >>> self_tuning("prodigy"), self_tuning("DAdaptAdam"), self_tuning("adamw_torch")
        ('Prodigy', 'D-Adaptation', None)
    """
    name = optimizer_name(optimizer).lower().replace("-", "").replace("_", "")
    if "prodigy" in name:
        return "Prodigy"
    if name.startswith("dadapt"):
        return "D-Adaptation"
    return None


def _rate(plan: TrainingPlan) -> tuple[object, float | None]:
    raw = plan.learning_rate
    if raw is None and plan.param_groups:
        raw = plan.param_groups[0].lr
    parsed = parse_number(raw)
    value = parsed.value if parsed.is_finite_positive else None
    return raw, value


def _optim_label(plan: TrainingPlan) -> str:
    """How the config names the optimizer: its key, ``optim`` for a transformers value,
    ``optimizer`` for a class (Flair's argument, an optimizer given to ``Trainer``)."""
    if "optim" in plan.locations:
        return label(plan, "optim")
    name = optimizer_name(plan.optimizer)
    return "optimizer" if plan.framework == "flair" or name[:1].isupper() else "optim"


def _schedule_free(plan: TrainingPlan) -> Iterator[Finding]:
    cls = schedule_free_class(plan.optimizer)
    view = read_built_schedule(plan)
    if cls is None or view is None or view.spec is None or not isinstance(view.name, str):
        return
    optim = optimizer_name(plan.optimizer)
    own_warmup = takes_own_warmup(optim)
    raw_steps = plan.schedule.warmup_steps if plan.schedule else 0
    steps = parse_number(raw_steps).value or 0.0
    scheduled_warmup = view.warmup() or 0
    lr = view.peak
    kind = label(plan, "lr_scheduler_type")
    where = f"{_optim_label(plan)}={optim}"
    if (
        own_warmup
        and 0 < steps < 1
        and (plan.framework_version is None or major_version(plan.framework_version) >= 5)
        and not view.spec.uses_warmup
    ):
        spike = 1.0 / steps
        at = f" ({fmt(lr * spike)})" if lr else ""
        yield finding(
            plan,
            CODE,
            Severity.ERROR,
            "warmup_steps",
            raw_steps,
            f"warmup_steps={fmt(raw_steps)} is a share of the run for the schedule in "
            f"transformers 5.x, but transformers passes it to {cls} ({where}) as a step "
            "count: its warmup factor "
            f"(k + 1) / warmup_steps is {spike:g} on the first step, which trains at "
            f"{spike:g}x learning_rate{at}; {kind}={view.name!r} has no warmup to damp it.",
            f"Set warmup_steps to whole steps (>= 1) for {cls}'s own warmup, or 0.",
        )
        return
    doubled = own_warmup and steps >= 1 and view.spec.uses_warmup and scheduled_warmup > 0
    twice = ""
    if doubled:
        mid = max(1, min(int(steps), scheduled_warmup) // 2)
        both = (mid / scheduled_warmup) * min(1.0, (mid + 1) / steps)
        alone = min(1.0, (mid + 1) / steps)
        twice = (
            f"; warmup_steps={fmt(raw_steps)} warms up twice, in {cls} and in the schedule "
            f"({scheduled_warmup} steps): the factors multiply, so step {mid + 1} trains at "
            f"{both:.0%} of learning_rate instead of {alone:.0%}"
        )
    if view.name not in NOT_DECAYING:
        yield finding(
            plan,
            CODE,
            Severity.WARNING,
            "lr_scheduler_type",
            view.name,
            f"{kind}={view.name!r} decays the rate under {cls} ({where}), which averages its "
            "iterates instead of annealing and is built to run at a constant rate (no "
            f"schedule is needed with it){twice}.",
            f"Set {kind}: constant (the optimizer warms up itself over warmup_steps), or use "
            "a scheduled optimizer (adamw_torch) with this schedule.",
        )
    elif doubled:
        yield finding(
            plan,
            CODE,
            Severity.WARNING,
            "lr_scheduler_type",
            view.name,
            f"{kind}={view.name!r} warms up under {cls} ({where}), which warms up itself{twice}.",
            f"Set {kind}: constant (the optimizer warms up itself over warmup_steps).",
        )


def _self_tuning(plan: TrainingPlan) -> Iterator[Finding]:
    method = self_tuning(plan.optimizer)
    if method is None:
        return
    raw, lr = _rate(plan)
    if lr is None:
        return
    factor = max(lr, 1.0 / lr)
    if factor <= NEAR_ONE:
        return
    severity = Severity.ERROR if factor >= FAR_FROM_ONE else Severity.WARNING
    way = "smaller" if lr < 1 else "larger"
    times = f"{factor:,.0f}" if factor >= 1000 else f"{factor:.3g}"
    scale = (
        "change d_coef instead"
        if method == "Prodigy"
        else "keep learning_rate within a few times 1.0"
    )
    yield finding(
        plan,
        CODE,
        severity,
        "learning_rate",
        raw,
        f"learning_rate={fmt(raw)} with {method} ({_optim_label(plan)}="
        f"{optimizer_name(plan.optimizer)}): {method} estimates the step size itself and "
        f"multiplies it by learning_rate, so every step is {times} times {way} than its estimate "
        "(the authors recommend 1.0).",
        f"Set learning_rate: 1.0 (to train with smaller or larger steps, {scale}).",
    )


def check_self_scheduling(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG026: a schedule-free optimizer under a decaying schedule or a second warmup (or,
    in transformers 5.x, a fractional ``warmup_steps`` it reads as steps); Prodigy /
    D-Adaptation with ``learning_rate`` more than 10x from 1.0. Silent when a DeepSpeed
    ``optimizer`` section replaces the optimizer ``optim`` names."""
    deepspeed = plan.source.deepspeed if plan.source is not None else None
    if deepspeed is not None and deepspeed.optimizer is not None:
        return
    yield from _schedule_free(plan)
    yield from _self_tuning(plan)


register(
    Rule(
        code=CODE,
        name="self-scheduling-optimizer-under-schedule",
        severity=Severity.WARNING,
        summary="A schedule-free optimizer under a decaying schedule or a second warmup; "
        "Prodigy / D-Adaptation with learning_rate far from 1.0.",
        what="Reads the optimizer (optim, axolotl's optimizer, or the class of an optimizer "
        "given to Trainer). With transformers' schedule_free_adamw / schedule_free_sgd / "
        "schedule_free_radam (schedulefree's AdamWScheduleFree, SGDScheduleFree, "
        "RAdamScheduleFree): warns on an lr_scheduler_type other than constant / "
        "constant_with_warmup, and on a schedule that warms up while transformers also "
        "passes warmup_steps to the optimizer (adamw, sgd), with the rate the two warmups "
        "give together; on transformers 5.x, a fractional warmup_steps with a schedule "
        "without warmup is an error (the optimizer reads 0.1 as 0.1 steps: the first step "
        "trains at 10x learning_rate). With Prodigy or D-Adaptation (prodigy, DAdaptAdam "
        "...): learning_rate more than 10x from 1.0 is a warning, more than 100x an error. "
        "Silent when a DeepSpeed optimizer section replaces the optimizer.",
        why="Schedule-free optimizers replace the decay by averaging their iterates "
        "(schedulefree: 'no scheduler is needed with this optimizer. To add warmup, rather "
        "than using a learning rate schedule you can just set the warmup_steps parameter'); "
        "transformers hands them warmup_steps, so a warmup schedule warms up a second time, "
        "and the rates multiply. Prodigy and D-Adaptation multiply the step size they "
        "estimate by lr, and their authors recommend lr=1.0: a fine-tuning rate such as 2e-5 "
        "makes every step 50,000 times smaller than the estimate.",
        example="optim: schedule_free_adamw\nlearning_rate: 1.0e-3\n"
        "lr_scheduler_type: cosine\nwarmup_steps: 100\nmax_steps: 1000",
        corrected="optim: schedule_free_adamw\nlearning_rate: 1.0e-3\n"
        "lr_scheduler_type: constant\nmax_steps: 1000",
        fix="For a schedule-free optimizer: lr_scheduler_type constant and warmup through "
        "warmup_steps (whole steps). For Prodigy / D-Adaptation: learning_rate 1.0, and "
        "d_coef to scale the estimate.",
        check=check_self_scheduling,
    )
)
