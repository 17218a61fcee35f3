"""Shared reading of a config's DeepSpeed ``scheduler`` section for LRG080 - LRG086.

Two uses: a DeepSpeed config named by a Hugging Face-style config (``deepspeed:``), whose
``"auto"`` values transformers fills and compares with ``TrainingArguments``; and a DeepSpeed
config checked on its own (``standalone``: kind ``deepspeed``), where the optimizer's
``lr`` is the peak, ``total_num_steps`` the run length, and nothing is filled.

The facts (DeepSpeed's classes, their params and defaults, how transformers fills
``"auto"``) are in the schedule table, ``lrguard.schedules.deepspeed``; this module only reads
a plan with them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number
from lrguard.plan import DeepSpeedPlan, TrainingPlan
from lrguard.records import Record
from lrguard.rules._hf import read_schedule
from lrguard.schedules.table import major_version

if TYPE_CHECKING:  # the DeepSpeed table is read only for a config that names a scheduler
    from lrguard.schedules.deepspeed import DeepSpeedScheduleSpec

FIELD = "deepspeed"

DS_EXAMPLE_HEAD = (
    "learning_rate: 2.0e-5\nmax_steps: 1000\nwarmup_steps: 100\nper_device_train_batch_size: 8\n"
)
"""The Hugging Face settings every DeepSpeed rule example starts with."""


class DsView(Record):
    """A plan's DeepSpeed scheduler read for the rules.

    Attributes:
        plan: the plan.
        deepspeed: the DeepSpeed config read.
        type: ``scheduler.type`` as written.
        spec: the table's entry for it (None: not one of DeepSpeed's own classes).
        params: ``scheduler.params`` as written ({} when absent or not a mapping).
        lr: ``learning_rate`` when usable.
        total: the run's optimizer steps, when known.
        warmup: the run's warmup steps as transformers computes them, when known.
        major: the transformers major version targeted (None: unknown).
        standalone: the DeepSpeed config is checked on its own (no ``TrainingArguments``).
    """

    def __init__(
        self,
        plan: TrainingPlan,
        deepspeed: DeepSpeedPlan,
        type: Any,
        spec: DeepSpeedScheduleSpec | None,
        params: dict[str, Any],
        lr: float | None,
        total: int | None,
        warmup: int | None,
        major: int | None,
        standalone: bool = False,
    ) -> None:
        self.plan = plan
        self.deepspeed = deepspeed
        self.type = type
        self.spec = spec
        self.params = params
        self.lr = lr
        self.total = total
        self.warmup = warmup
        self.major = major
        self.standalone = standalone

    @property
    def lr_name(self) -> str:
        """How messages name the optimizer's rate: ``learning_rate`` (transformers passes it
        to the optimizer), or the DeepSpeed config's own ``optimizer.params.lr``."""
        return "optimizer.params.lr" if self.standalone else "learning_rate"

    def filled(self) -> dict[str, Any]:
        """``params`` with the ``"auto"`` values transformers fills (unknown counts stay
        ``"auto"``)."""
        from lrguard.schedules.deepspeed import hf_fill

        return hf_fill(
            str(self.type),
            self.params,
            learning_rate=self.lr if self.lr is not None else math.nan,
            total_steps=self.total,
            warmup_steps=self.warmup,
            major=self.major or 4,
        )

    def number(self, key: str) -> float | None:
        """A filled param as a finite number, or DeepSpeed's default when absent; None when
        it is neither (a string, ``"auto"`` left unfilled, a list)."""
        filled = self.filled()
        if key in filled:
            raw = filled[key]
        elif self.spec is not None and key in self.spec.defaults:
            raw = self.spec.defaults[key]
        else:
            return None
        if isinstance(raw, bool) or raw is None:
            return None
        parsed = parse_number(raw)
        value = parsed.value
        return value if value is not None and math.isfinite(value) else None

    def peak(self) -> float | None:
        """The rate WarmupLR / WarmupDecayLR warm up to (``warmup_max_lr``; WarmupLR without
        it: the optimizer's, i.e. ``learning_rate``)."""
        if "warmup_max_lr" not in self.params and self.type == "WarmupLR":
            return self.lr
        return self.number("warmup_max_lr")

    def where(self, key: str | None = None) -> str:
        """'ds.json scheduler.params.total_num_steps' for messages."""
        inner = "scheduler" if key is None else f"scheduler.params.{key}"
        return inner if self.standalone else f"{self.deepspeed.label} {inner}"


def ds_view(plan: TrainingPlan) -> DsView | None:
    """The plan's DeepSpeed scheduler; None when the config names no readable DeepSpeed
    config with a ``scheduler`` section."""
    source = plan.source
    deepspeed = source.deepspeed if source is not None else None
    if deepspeed is None or deepspeed.problem is not None or deepspeed.scheduler is None:
        return None
    from lrguard.schedules.deepspeed import DEEPSPEED_SCHEDULES

    view = read_schedule(plan)
    section = deepspeed.scheduler
    kind = section.get("type") if isinstance(section, Mapping) else None
    params = section.get("params") if isinstance(section, Mapping) else None
    lr = view.peak if view is not None else parse_number(plan.learning_rate).value
    return DsView(
        plan=plan,
        deepspeed=deepspeed,
        type=kind,
        spec=DEEPSPEED_SCHEDULES.get(kind) if isinstance(kind, str) else None,
        params=dict(params) if isinstance(params, Mapping) else {},
        lr=lr if lr is not None and math.isfinite(lr) and lr > 0 else None,
        total=view.total if view is not None else None,
        warmup=view.warmup() if view is not None else None,
        major=major_version(plan.framework_version) if plan.framework_version else None,
        standalone=source.kind == "deepspeed",
    )


def ds_finding(
    code: str,
    severity: Severity,
    view: DsView | None,
    message: str,
    fix: str,
    *,
    key: str | None = None,
    value: object = None,
    deepspeed: DeepSpeedPlan | None = None,
) -> Finding:
    """A finding about the DeepSpeed config, located at the config's ``deepspeed`` key (a
    DeepSpeed config checked on its own: at the scheduler param itself)."""
    plan = deepspeed or (view.deepspeed if view is not None else None)
    location, field = FIELD, FIELD
    if view is not None and view.standalone:
        location = field = "scheduler" if not key else f"scheduler.params.{key}"
    elif view is not None:
        location = f"{FIELD}: {view.where(key)}"
    elif plan is not None:
        location = f"{FIELD}: {plan.label}"
    return Finding(
        code=code,
        severity=severity,
        message=message,
        location=location,
        fix=fix,
        field=field,
        value=value if isinstance(value, str | int | float) or value is None else str(value),
    )


def standalone(plan: TrainingPlan) -> bool:
    """True for a DeepSpeed config checked on its own (kind ``deepspeed``)."""
    return plan.source is not None and plan.source.kind == "deepspeed"


def shown(value: Any) -> str:
    """A param value for messages ('auto', 1000, 2e-05)."""
    return f'"{value}"' if isinstance(value, str) else fmt(value)


__all__ = [
    "DS_EXAMPLE_HEAD",
    "FIELD",
    "DsView",
    "ds_finding",
    "ds_view",
    "shown",
    "standalone",
]
