"""LRG008 min-lr-list-length: a per-group minimum list that does not match the groups."""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register

CODE = "LRG008"


def check_list_length(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG008: list min_learning_rate whose length differs from the number of groups."""
    raw = plan.min_learning_rate
    if not isinstance(raw, list | tuple) or len(raw) == len(plan.param_groups):
        return
    groups = [g.label for g in plan.param_groups]
    yield Finding(
        code=CODE,
        severity=Severity.ERROR,
        message=(
            f"min_learning_rate={list(raw)} has {len(raw)} value(s) but the optimizer has "
            f"{len(groups)} param group(s) ({', '.join(groups)})."
        ),
        location="min_learning_rate",
        field="min_learning_rate",
        value=list(raw),
        fix=f"Give one minimum per param group ({len(groups)} values) or a single float.",
    )


register(
    Rule(
        code=CODE,
        name="min-lr-list-length",
        severity=Severity.ERROR,
        summary="A per-group min_learning_rate list whose length differs from the param groups.",
        what="Compares the length of a list min_learning_rate with the number of optimizer "
        "param groups (two with Flair's decoder_learning_rate, one otherwise).",
        why="Flair types min_learning_rate as float or list but compares the list with a float "
        "after epoch 1 (TypeError); a list of the wrong length cannot be matched to groups.",
        example=(
            "flair_train:\n"
            "  learning_rate: 1.0e-5\n"
            "  min_learning_rate: [1.0e-6, 1.0e-7, 1.0e-8]   # one group"
        ),
        corrected=("flair_train:\n  learning_rate: 1.0e-5\n  min_learning_rate: [1.0e-6]"),
        fix="One value per group: [decoder_min, embeddings_min] with decoder_learning_rate, "
        "a single float otherwise.",
        check=check_list_length,
    )
)
