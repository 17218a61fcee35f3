"""LRG091 rate-implausible-for-training: a rate outside the established range for fine-tuning
a pretrained model, or one at which any training diverges (a warning); a rate outside the
usual band of training from scratch, or of an unknown kind of training (a note)."""

from __future__ import annotations

import math
from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.typical_rates import (
    DIVERGENCE_LIMITS,
    TYPICAL_RATES,
    TypicalRates,
    divergence_limit,
    family_rows,
    typical_rates,
)

CODE = "LRG091"

RANGE_TEST = (
    "run the range test (flair_lrguard.find_learning_rate / hf_lrguard.find_learning_rate) and "
    "train with its suggestion"
)


def _rates(plan: TrainingPlan) -> list[tuple[str, str, object]]:
    """(field, where, value) of the rates to judge: Hugging Face's peak rate, or every Flair
    group but a decoder with its own rate (a head trained from scratch)."""
    if plan.framework != "flair":
        return [("learning_rate", plan.where("learning_rate"), plan.learning_rate)]
    return [(g.lr_field, g.label, g.lr) for g in plan.param_groups if g.name != "decoder"]


def _band(row: TypicalRates) -> str:
    return (
        f"typically {fmt(row.typical[0])} - {fmt(row.typical[1])}; "
        f"plausible {fmt(row.plausible[0])} - {fmt(row.plausible[1])}"
    )


Judgement = tuple[Severity, str, str]  # severity, message, fix


def _diverges(optimizer: object, field: str, lr: float) -> Judgement | None:
    """A warning at or above the rate from which the optimizer's family always diverges."""
    limit = divergence_limit(optimizer)
    if limit is None or lr < limit.at_or_above:
        return None
    return (
        Severity.WARNING,
        f"{field}={fmt(lr)} is at or above {fmt(limit.at_or_above)}, where {optimizer} "
        f"({limit.family}) diverges whatever the model and kind of training: the loss will "
        "likely become NaN or infinite.",
        f"Use a rate in the usual range of the run's kind of training, or {RANGE_TEST}.",
    )


def _outside_row(optimizer: object, row: TypicalRates, field: str, lr: float) -> Judgement | None:
    """Outside the band of a known kind of training: a warning for an established range
    (fine-tuning), a note for a rule of thumb (training from scratch)."""
    low, high = row.plausible
    if low <= lr <= high:
        return None
    side = "above" if lr > high else "below"
    if row.established:
        effect = (
            "it will likely diverge or wipe out what the pretrained model learned"
            if lr > high
            else "the model will barely change"
        )
        return (
            Severity.WARNING,
            f"{field}={fmt(lr)} is {side} the established range of {optimizer} "
            f"({row.family}) for {row.kind} ({_band(row)}): {effect}.",
            f"Start near {fmt(row.start)}, or measure it: {RANGE_TEST}.",
        )
    effect = (
        "many models train well there (small ones, or with gradient clipping), others diverge"
        if lr > high
        else "the model may barely change"
    )
    return (
        Severity.INFO,
        f"{field}={fmt(lr)} is {side} what {optimizer} ({row.family}) usually uses for "
        f"{row.kind} ({_band(row)}): {effect}. No range holds for every model trained "
        "from scratch, so this is only a note.",
        f"If the loss does not fall, start near {fmt(row.start)} or {RANGE_TEST}.",
    )


def _outside_family(optimizer: object, field: str, lr: float) -> Judgement | None:
    """Kind of training unknown: a note outside every band of the optimizer's family."""
    rows = family_rows(optimizer)
    if not rows:
        return None
    low = min(r.plausible[0] for r in rows)
    high = max(r.plausible[1] for r in rows)
    if low <= lr <= high:
        return None
    tuned = next(r for r in rows if r.pretrained)
    side = "above" if lr > high else "below"
    return (
        Severity.INFO,
        f"{field}={fmt(lr)} is {side} what {optimizer} ({tuned.family}) uses in any kind of "
        f"training (plausible {fmt(low)} - {fmt(high)}). Whether the model is pretrained is "
        "not known, so this is only a note: fine-tuning a pretrained model "
        f"({fmt(tuned.plausible[0])} - {fmt(tuned.plausible[1])}) at this rate would "
        + ("likely wipe out what it learned." if lr > high else "barely change it."),
        f"If the model is pretrained, start near {fmt(tuned.start)}; otherwise, if the loss "
        f"does not fall, {RANGE_TEST}.",
    )


def _judge(plan: TrainingPlan, field: str, lr: float) -> Judgement | None:
    """The finding's severity, message and fix for one rate; None when unremarkable."""
    diverges = _diverges(plan.optimizer, field, lr)
    if diverges is not None:
        return diverges
    row = typical_rates(plan.optimizer, plan.pretrained)
    if row is not None:
        return _outside_row(plan.optimizer, row, field, lr)
    return _outside_family(plan.optimizer, field, lr)


def check_rate_plausible(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG091: a warning for a rate outside the established fine-tuning range or at which
    any training diverges; a note for one outside the usual band of training from scratch
    or of an unknown kind of training."""
    for field, where, value in _rates(plan):
        lr = parse_number(value).value
        if lr is None or not math.isfinite(lr) or not lr > 0:  # LRG003's case
            continue
        judged = _judge(plan, field, lr)
        if judged is None:
            continue
        severity, message, fix = judged
        yield Finding(
            code=CODE,
            severity=severity,
            message=message,
            location=where,
            field=field,
            value=value,
            fix=fix,
        )


def _bands(established: bool) -> str:
    """The bands of the rows that are (or are not) established ranges, for the doc."""
    rows = [r for r in TYPICAL_RATES if r.established == established]
    kinds = dict.fromkeys(r.kind for r in rows)
    return "; ".join(
        f"{kind} ("
        + "; ".join(
            f"{r.family}: typically {fmt(r.typical[0])} - {fmt(r.typical[1])}, "
            f"plausible {fmt(r.plausible[0])} - {fmt(r.plausible[1])}"
            for r in rows
            if r.kind == kind
        )
        + ")"
        for kind in kinds
    )


def _limits() -> str:
    return ", ".join(f"{d.family}: >= {fmt(d.at_or_above)}" for d in DIVERGENCE_LIMITS)


register(
    Rule(
        code=CODE,
        name="rate-implausible-for-training",
        severity=Severity.WARNING,
        summary="A rate outside the established fine-tuning range or one at which any "
        "training diverges (warning); atypical for training from scratch (info).",
        what="Compares the initial rate with what its optimizer family (Adam-like or SGD) "
        "uses for its kind of training: Flair from the model (fine-tuned transformer "
        "embeddings) and the optimizer class; Hugging Face from optim and whether the model "
        "was loaded from a checkpoint (or the config names one). A warning where a range "
        f"holds for every model: {_bands(established=True)}; and rates at which any training "
        f"diverges ({_limits()}). A note (info) outside the usual band of "
        f"{_bands(established=False)}, or of a run whose kind is unknown: small models train "
        "well where large ones diverge. Sources: lrguard.typical_rates. "
        "Measured precision of the warnings: on the config corpora (833 checked configs of "
        "LLaMA-Factory, axolotl, alignment-handbook and TRL): 1 warning, 1 right (LoRA at 3e-3 "
        "on a 30B model whose full fine-tuning example uses 5e-6; LoRA's best rate is about "
        "10x that of full fine-tuning), no note; on live Trainer runs of the kinds "
        "transformers' own trainer tests build (11 runs): 3 warnings, 3 right (1e9 with AdamW "
        "and with SGD: NaN loss; AdamW 0.1 on a trained, saved and reloaded BERT: its loss "
        "rose 30-fold), none on the 8 runs that train well (regressions at 0.1 from scratch "
        "get a note). Known misjudgements: a tiny (16-wide) BERT still fine-tunes well at "
        "1e-2, warned about, as narrow models tolerate larger rates than the widths the range "
        "is established for; in a Trainer, a model of the user's own architecture (no "
        "model_type) saved and reloaded with from_pretrained is judged as fine-tuning, and "
        "the rate of an optimizer given as Trainer(optimizers=...) by TrainingArguments.optim.",
        why="A fine-tuning rate far above its established range wipes out the pretrained "
        "weights in a few steps (AdamW at 0.1, or SGD at Flair's default 0.1 on fine-tuned "
        "transformer embeddings), and neither stops the run, so hours pass before the loss "
        "curve gives it away. Away from fine-tuning, a band is a rule of thumb: a warning "
        "there would be wrong on most small models, and a guard that is often wrong is "
        "ignored when it is right.",
        example=(
            "base_model: bert-base-cased   # fine-tuning a pretrained model\n"
            "optimizer: adamw_torch\n"
            "learning_rate: 0.1\n"
            "num_epochs: 3"
        ),
        corrected=(
            "base_model: bert-base-cased\n"
            "optimizer: adamw_torch\n"
            "learning_rate: 5.0e-5\n"
            "num_epochs: 3"
        ),
        fix="Start in the typical range, or run the range test and train with its suggestion.",
        check=check_rate_plausible,
    )
)
