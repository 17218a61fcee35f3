"""LRG091 rate-implausible-for-training: a rate far outside what its optimizer and kind of
training are known to work with."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.typical_rates import typical_rates

CODE = "LRG091"


def _rates(plan: TrainingPlan) -> list[tuple[str, str, object]]:
    """(field, where, value) of the rates to judge: Hugging Face's peak rate, or every Flair
    group but a decoder with its own rate (a head trained from scratch)."""
    if plan.framework != "flair":
        return [("learning_rate", plan.where("learning_rate"), plan.learning_rate)]
    return [(g.lr_field, g.label, g.lr) for g in plan.param_groups if g.name != "decoder"]


def check_rate_plausible(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG091: the rate is outside the plausible band of its optimizer and kind of training."""
    row = typical_rates(plan.optimizer, plan.pretrained)
    if row is None:
        return
    low, high = row.plausible
    for field, where, value in _rates(plan):
        lr = parse_number(value).value
        if lr is None or not lr > 0 or low <= lr <= high:
            continue
        side = "above" if lr > high else "below"
        effect = (
            "it will likely diverge or wipe out what the pretrained model learned"
            if lr > high and row.pretrained
            else "it will likely diverge"
            if lr > high
            else "the model will barely change"
        )
        yield Finding(
            code=CODE,
            severity=Severity.WARNING,
            message=(
                f"{field}={fmt(lr)} is far {side} what {plan.optimizer} ({row.family}) uses "
                f"for {row.kind} (typically {fmt(row.typical[0])} - {fmt(row.typical[1])}; "
                f"plausible {fmt(low)} - {fmt(high)}): {effect}."
            ),
            location=where,
            field=field,
            value=value,
            fix=(
                f"Start near {fmt(row.typical[1])}, or measure it: run the range test "
                "(flair_lrguard.find_learning_rate / hf_lrguard.find_learning_rate) and train "
                "with its suggestion."
            ),
        )


register(
    Rule(
        code=CODE,
        name="rate-implausible-for-training",
        severity=Severity.WARNING,
        summary="The learning rate is far outside what its optimizer and kind of training use.",
        what="Compares the initial rate with the plausible band of its optimizer family "
        "(Adam-like or SGD) and kind of training (fine-tuning a pretrained model or training "
        "from scratch), when both are known: Flair from the model (fine-tuned transformer "
        "embeddings) and the optimizer class; Hugging Face from optim and whether the model "
        "was loaded from a checkpoint (or the config names one). Bands, typical rates and "
        "sources: lrguard.typical_rates.TYPICAL_RATES. Adam fine-tuning: 2e-5 - 5e-5 "
        "(BERT paper; TrainingArguments and Flair fine_tune default to 5e-5), plausible "
        "1e-7 - 1e-3; Adam from scratch: 1e-3 (Kingma & Ba), plausible 1e-5 - 1e-2; SGD "
        "fine-tuning transformer embeddings: 0.1 destroys them (flair#1968), plausible "
        "1e-6 - 0.05; SGD from scratch: Flair's default 0.1, plausible 1e-4 - 2.",
        why="A rate 100x off its usual range is rarely meant: AdamW at 0.1 or SGD at Flair's "
        "default 0.1 on fine-tuned transformer embeddings wipe out the pretrained weights in "
        "a few steps, and 1e-6 for a model trained from scratch leaves it where it started. "
        "Neither stops the run, so hours pass before the loss curve gives it away.",
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
