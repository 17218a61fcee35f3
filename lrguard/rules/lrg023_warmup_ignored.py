"""LRG023 warmup-ignored: warmup set for a schedule without a warmup phase."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._hf import finding, label, read_built_schedule
from lrguard.rules._optimizers import takes_own_warmup

CODE = "LRG023"


def check_ignored_warmup(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG023: warmup set for a schedule without a warmup phase."""
    view = read_built_schedule(plan)
    if view is None or view.spec is None or view.spec.uses_warmup:
        return
    if takes_own_warmup(plan.optimizer):  # the schedule-free optimizer warms up itself
        return
    for field, raw in (
        ("warmup_steps", plan.schedule.warmup_steps),
        ("warmup_ratio", plan.schedule.warmup_ratio),
    ):
        if (parse_number(raw).value or 0) > 0:
            name = label(plan, field)
            with_warmup = "constant_with_warmup" if view.name == "constant" else "a warmup schedule"
            yield finding(
                plan,
                CODE,
                Severity.WARNING,
                field,
                raw,
                f"{name}={fmt(raw)} is ignored by lr_scheduler_type={view.name!r}: the run "
                "starts at the full learning rate, without warmup.",
                f"Use {with_warmup}, or remove {name}.",
            )


register(
    Rule(
        code=CODE,
        name="warmup-ignored",
        severity=Severity.WARNING,
        summary="Warmup set for a schedule without a warmup phase.",
        what="Flags warmup_steps / warmup_ratio with constant, reduce_lr_on_plateau and "
        "greedy, which Trainer builds without warmup. Not with optim='schedule_free_adamw' or "
        "'schedule_free_sgd': transformers gives warmup_steps to the optimizer, which warms up "
        "itself (LRG026 covers that pairing).",
        why="The run starts at the full rate although the config asks for a warmup.",
        example=("lr_scheduler_type: constant\nwarmup_steps: 100"),
        corrected=("lr_scheduler_type: constant_with_warmup\nwarmup_steps: 100"),
        fix="Use constant_with_warmup (or another warmup schedule), or remove the warmup.",
        check=check_ignored_warmup,
    )
)
