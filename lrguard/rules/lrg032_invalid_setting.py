"""LRG032 invalid-setting: a setting whose value cannot be used (not a number, out of range).

Config values the config reader recorded as unusable, Hugging Face scheduler kwargs
outside their domain in the schedule table (``factor: 2``, ``patience: -1`` ...; the kwargs
that set a floor are LRG003's), and a fraction written in ``warmup_steps`` (``0.1``), which
transformers 5 reads as a share of the run and transformers 4.57 and axolotl refuse.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number, tidy
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._hf import finding, kwarg_domain_findings, label, read_schedule
from lrguard.schedules.table import major_version

CODE = "LRG032"

FRACTIONAL_WARMUP = "warmup_steps"
"""The field of the fractional-warmup finding (the command line words it by version)."""


def fractional_warmup(plan: TrainingPlan) -> Iterator[Finding]:
    """A non-whole ``warmup_steps`` in a Hugging Face-style plan, read the way the targeted
    transformers reads it (both readings when the version is unknown; nothing for a fraction
    < 1 when transformers 5 is targeted: that is its own form).

    transformers 5 reads ``warmup_steps`` < 1 as a fraction of the run (``warmup_ratio`` is
    gone); transformers 4.57 refuses any non-integer in ``TrainingArguments.__post_init__``
    (earlier 4.x releases took ``0.1`` as 0.1 steps: no warmup); axolotl's schema wants a
    whole number and refuses the file at load.
    """
    view = read_schedule(plan)
    if view is None:
        return
    parsed = parse_number(plan.schedule.warmup_steps)
    value = parsed.value
    if value is None or isinstance(parsed.raw, bool) or not math.isfinite(value):
        return
    if value <= 0 or value == int(value):
        return
    name = label(plan, FRACTIONAL_WARMUP)
    kind = plan.source.kind if plan.source is not None else ""
    share = f"{fmt(tidy(value * 100))} % of the run" if value < 1 else None
    if view.total and value < 1:
        share = f"{share} ({math.ceil(view.total * value)} steps)"
    major = major_version(view.version) if view.version else None
    ratio_fix = f"warmup_ratio: {fmt(value)}" if value < 1 else f"{name}: {round(value)}"
    if kind == "axolotl":
        yield finding(
            plan,
            CODE,
            Severity.ERROR,
            FRACTIONAL_WARMUP,
            parsed.raw,
            f"{name}={fmt(parsed.raw)} is not a whole number: axolotl's config schema wants "
            "an integer and refuses the file at load.",
            f"Set {ratio_fix} instead."
            if value < 1
            else f"Set {name}: {round(value)} (a whole number of steps).",
        )
        return
    if major == 5 and value < 1:
        return  # transformers 5's own form of a warmup fraction
    if value >= 1:
        readings = "transformers 4.x refuses a non-integer, 5.x truncates it"
    elif major == 4:
        readings = (
            f"transformers {view.version} refuses it (ValueError in TrainingArguments); "
            f"5.x would read it as {share}"
        )
    else:
        readings = (
            f"transformers 5 reads it as {share}; transformers 4.57 refuses it "
            "(ValueError in TrainingArguments) and earlier 4.x take it as "
            f"{fmt(value)} steps: no warmup"
        )
    severity = Severity.ERROR if major == 4 else Severity.WARNING
    yield finding(
        plan,
        CODE,
        severity,
        FRACTIONAL_WARMUP,
        parsed.raw,
        f"{name}={fmt(parsed.raw)} is a fraction in a step count: {readings}.",
        f"Set {ratio_fix} for transformers 4.x, or keep it and require transformers>=5."
        if value < 1
        else f"Set {name}: {round(value)} (a whole number of steps).",
    )


REMOVED_RATIO = "warmup_ratio"
"""The field of the removed-``warmup_ratio`` finding."""


def removed_warmup_ratio(plan: TrainingPlan) -> Iterator[Finding]:
    """``warmup_ratio`` in a ``TrainingArguments`` file when transformers 5 is targeted: the
    field is gone (a fraction is written in ``warmup_steps``), so ``HfArgumentParser`` /
    TRL's ``TrlParser`` refuse the unknown key and ``TrainingArguments(**cfg)`` raises
    ``TypeError``. axolotl computes the warmup itself and is not concerned."""
    view = read_schedule(plan)
    if view is None or not view.version or major_version(view.version) != 5:
        return
    kind = plan.source.kind if plan.source is not None else ""
    if kind not in ("hf", "llamafactory") or plan.schedule.warmup_ratio is None:
        return
    parsed = parse_number(plan.schedule.warmup_ratio)
    if parsed.value is None or not math.isfinite(parsed.value) or not 0 < parsed.value < 1:
        return
    name = label(plan, REMOVED_RATIO)
    yield finding(
        plan,
        CODE,
        Severity.WARNING,
        REMOVED_RATIO,
        parsed.raw,
        f"{name}={fmt(parsed.raw)}: transformers {view.version} has no warmup_ratio; "
        "HfArgumentParser and TRL's TrlParser refuse the unknown key, "
        "TrainingArguments(**cfg) raises TypeError.",
        f"Write warmup_steps: {fmt(parsed.value)} instead (transformers 5 reads a value < 1 "
        "as a fraction of the run), or keep warmup_ratio and pin transformers<5.",
    )


def unusable_warmup_ratio(plan: TrainingPlan) -> Iterator[Finding]:
    """A ``warmup_ratio`` that is NaN, infinite or negative in a Hugging Face-style plan.

    transformers 4.57 refuses a negative or infinite ratio in
    ``TrainingArguments.__post_init__`` (``warmup_ratio must lie in range [0,1]``); NaN passes
    that test (every comparison with NaN is false) and ``trainer.train()`` then raises
    ``ValueError`` turning ``ceil(steps * nan)`` into a step count, after the model and data
    are loaded. axolotl computes its warmup from the ratio the same way.

    Example:
        >>> from lrguard.adapters.hf_args import plan_from_hf_args
        >>> plan = plan_from_hf_args({"learning_rate": 1e-4, "warmup_ratio": float("nan")}, 100)
        >>> [f.field for f in unusable_warmup_ratio(plan)]
        ['warmup_ratio']
    """
    view = read_schedule(plan)
    if view is None or plan.schedule is None or plan.schedule.warmup_ratio is None:
        return
    parsed = parse_number(plan.schedule.warmup_ratio)
    value = parsed.value
    if value is None or isinstance(parsed.raw, bool) or (math.isfinite(value) and value >= 0):
        return
    name = label(plan, REMOVED_RATIO)
    when = (
        "trainer.train() raises ValueError (it cannot turn NaN into warmup steps) after the "
        "model and data are loaded"
        if math.isnan(value)
        else "TrainingArguments raises ValueError (warmup_ratio must lie in range [0,1])"
    )
    yield finding(
        plan,
        CODE,
        Severity.ERROR,
        REMOVED_RATIO,
        parsed.raw,
        f"{name}={fmt(parsed.raw)} is not a share of the run between 0 and 1: {when}.",
        f"Set {name} to a number between 0 and 1 (e.g. 0.03), or remove it for no warmup.",
    )


def for_version(finding_: Finding, plan: TrainingPlan, version: str) -> Finding | None:
    """``finding_`` of ``plan`` as the transformers ``version`` the run uses reads it: a
    fractional ``warmup_steps`` graded for that version (None: it reads it as intended);
    any other finding unchanged. Not for axolotl, which reads ``warmup_steps`` itself."""
    if finding_.code != CODE or finding_.field != FRACTIONAL_WARMUP:
        return finding_
    graded = next(fractional_warmup(plan._replace(framework_version=version)), None)
    if graded is None:
        return None
    return finding_._replace(severity=graded.severity, message=graded.message, fix=graded.fix)


def for_version_findings(plan: TrainingPlan, version: str) -> Iterator[Finding]:
    """Findings that only the transformers ``version`` the run uses makes true (a
    ``warmup_ratio`` that version removed)."""
    yield from removed_warmup_ratio(plan._replace(framework_version=version))


def check_invalid_settings(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG032: a setting whose value cannot be used (not a number, out of range, wrong type)."""
    yield from kwarg_domain_findings(plan, CODE, floors=False)
    yield from fractional_warmup(plan)
    yield from unusable_warmup_ratio(plan)
    yield from removed_warmup_ratio(plan)
    for item in plan.source.invalid if plan.source else []:
        value = item.get("value")
        yield Finding(
            code=CODE,
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
        code=CODE,
        name="invalid-setting",
        severity=Severity.ERROR,
        summary="A training setting whose value cannot be used (not a number, out of range).",
        what="Flags length settings of a Flair config (max_epochs; annealing settings are "
        "LRG050), a kwargs block that is not a mapping, "
        "Hugging Face scheduler kwargs outside their range (factor: 2, patience: -1, "
        "num_cycles: 0 ...), and a fraction written in warmup_steps (0.1), worded and "
        "graded by the transformers version that reads it (lrguard check: the installed "
        "one, or [tool.lrguard] transformers-version), and warmup_ratio when that version "
        "is 5.x (the field is gone).",
        why="Flair fails on them only when training starts, or silently truncates them "
        "(patience: 2.5 becomes 2); torch raises on ReduceLROnPlateau(factor=2) only inside "
        "trainer.train(), after the model is loaded. warmup_steps: 0.1 is 10 % of the run "
        "for transformers 5, a ValueError for transformers 4.57, no warmup at all for "
        "earlier 4.x releases, and a schema error for axolotl.",
        example=("flair_train:\n  max_epochs: 0   # a whole number >= 1"),
        corrected=("flair_train:\n  max_epochs: 10"),
        fix="Give a value of the right type and range; the message names it.",
        check=check_invalid_settings,
    )
)
