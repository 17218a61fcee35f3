"""LRG022 plateau-floor-reached: a Hugging Face plateau schedule reached its minimum.

An event rule (no configuration check): the guard records when reduce_lr_on_plateau or greedy
has lowered every rate to its min_lr; LRG010 records the stop when patience then runs out.
"""

from __future__ import annotations

from lrguard.findings import Severity
from lrguard.rules import Rule, register

CODE = "LRG022"


register(
    Rule(
        code=CODE,
        name="plateau-floor-reached",
        severity=Severity.INFO,
        summary="A plateau schedule lowered every learning rate to its min_lr.",
        what="Records the evaluation at which reduce_lr_on_plateau / greedy reached the floor: "
        "step, rates, floor, patience.",
        why="From here on plateaus cannot lower the rate any more; without stop_at_floor the "
        "run continues at the floor until max_steps, which is easy to miss in the logs.",
        example=(
            "lr_scheduler_type: reduce_lr_on_plateau   # the metric stalls: min_lr reached\n"
            "learning_rate: 1.0e-5\n"
            "max_steps: 100\n"
            "eval_strategy: steps\n"
            "eval_steps: 10\n"
            "lr_scheduler_kwargs: {min_lr: 1.0e-7, patience: 0}"
        ),
        corrected=(
            "lr_scheduler_type: reduce_lr_on_plateau\n"
            "learning_rate: 1.0e-5\n"
            "max_steps: 100\n"
            "eval_strategy: steps\n"
            "eval_steps: 10\n"
            "lr_scheduler_kwargs: {min_lr: 1.0e-8, patience: 10}"
        ),
        fix="Nothing to fix; lower min_lr for more reductions or set stop_at_floor=True to end "
        "the run when patience is exhausted at the floor.",
    )
)
