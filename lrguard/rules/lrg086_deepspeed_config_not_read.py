"""LRG086 deepspeed-config-not-read: the DeepSpeed config named by ``deepspeed:`` could not
be read, so a scheduler section there is not checked."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._deepspeed import DS_EXAMPLE_HEAD, ds_finding

CODE = "LRG086"


def check_not_read(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG086: the DeepSpeed file is missing or not a JSON object."""
    deepspeed = plan.source.deepspeed if plan.source is not None else None
    if deepspeed is None or deepspeed.problem is None:
        return
    where = deepspeed.path or deepspeed.given
    yield ds_finding(
        CODE,
        Severity.INFO,
        None,
        f"deepspeed={deepspeed.given!r}: {where} {deepspeed.problem}: a scheduler section "
        "there would replace lr_scheduler_type and is not checked.",
        "Run lrguard check from the directory training is launched from (paths are looked up "
        "there, then next to the config and in the folders above it), or fix the file.",
        value=deepspeed.given,
        deepspeed=deepspeed,
    )


register(
    Rule(
        code=CODE,
        name="deepspeed-config-not-read",
        severity=Severity.INFO,
        summary="The DeepSpeed config named by deepspeed: could not be read: not checked.",
        what="Reports a deepspeed: path that is found neither from the working directory, "
        "nor next to the config file, nor in the folders above it, or a file that is not a "
        "JSON object.",
        why="When the DeepSpeed config has a scheduler section, it decides the run's schedule; "
        "lrguard cannot say anything about a file it cannot read, and says so rather than "
        "pass the config silently.",
        example=DS_EXAMPLE_HEAD + "deepspeed: no/such/ds_config.json",
        corrected=DS_EXAMPLE_HEAD + "deepspeed:\n  zero_optimization: {stage: 2}",
        fix="Check from the directory training is launched from, or correct the path.",
        check=check_not_read,
    )
)
