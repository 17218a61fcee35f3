"""LRG022 plateau-floor-reached: a Hugging Face plateau schedule reached its minimum.

An event rule (no configuration check): the guard records when reduce_lr_on_plateau or greedy
has lowered every rate to its min_lr; LRG010 records the stop when patience then runs out.
"""

from __future__ import annotations

from lrguard.findings import Severity
from lrguard.rules import Rule, register

register(
    Rule(
        code="LRG022",
        name="plateau-floor-reached",
        severity=Severity.INFO,
        summary="A plateau schedule lowered every learning rate to its min_lr.",
        what="Records the evaluation at which reduce_lr_on_plateau / greedy reached the floor: "
        "step, rates, floor, patience.",
        why="From here on plateaus cannot lower the rate any more; without stop_at_floor the "
        "run continues at the floor until max_steps, which is easy to miss in the logs.",
        example="lrguard LRG022 [noted at step 120] learning rate 1e-06 reached min_lr=1e-06 "
        "(reduce_lr_on_plateau, patience=2).",
        fix="Nothing to fix; lower min_lr for more reductions or set stop_at_floor=True to end "
        "the run when patience is exhausted at the floor.",
    )
)
