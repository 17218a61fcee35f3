"""LRG069 group-floor-above-group-peak: an absolute floor above a smaller param group's rate.

Where an absolute floor is per param group, and what it does to a group whose own rate is
below it (read in the sources, and replayed):

* torch's ``CosineAnnealingLR`` and ``CosineAnnealingWarmRestarts`` compute every group's rate
  as ``eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T)) / 2`` with one ``eta_min`` for
  all groups: a group whose ``base_lr`` is below ``eta_min`` *rises* towards it. This rule
  takes ``CosineAnnealingWarmRestarts``, which LRG061 exempts as cyclic; a
  ``CosineAnnealingLR`` that lifts a group is LRG061's (it judges every group against its
  own rate).
* Not a problem, so not flagged: transformers' schedules are ``LambdaLR`` factors applied to
  every group's own rate; ``cosine_with_min_lr`` / ``cosine_warmup_with_min_lr`` turn
  ``min_lr`` into ``min_lr_rate = min_lr / optimizer.defaults['lr']`` (4.57 and 5.x), and
  ``polynomial``'s ``lr_end`` and ``warmup_stable_decay``'s ``min_lr_ratio`` are ratios too.
  Trainer, LLaMA-Factory's and peft's LoRA+ optimizers and axolotl's ``lr_groups`` all build
  the optimizer with ``lr=learning_rate``, so every group ends at its own rate times
  ``min_lr / learning_rate`` and none rises (a ``min_lr`` above ``learning_rate`` lifts every
  group: LRG002). ``ReduceLROnPlateau`` / ``GreedyLR`` (``_reduce_lr``) and Flair's
  AnnealOnPlateau set ``max(lr * factor, min_lr)`` only when it is lower than the rate
  (``old_lr - new_lr > eps``): a group below ``min_lr`` keeps its rate. In stock Flair a
  ``decoder_learning_rate`` (or ``learning_rate``) below ``min_learning_rate`` ends the run
  after the first evaluation: LRG001, per group.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lrguard.findings import Finding, Severity
from lrguard.numbers import fmt, parse_number
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register
from lrguard.rules._trajectory import TORCH_PREAMBLE, replayed, scheduler_finding, short

if TYPE_CHECKING:
    from lrguard.trajectory import Trajectory

CODE = "LRG069"

ABSOLUTE_FLOORS = {"CosineAnnealingLR": "eta_min", "CosineAnnealingWarmRestarts": "eta_min"}
"""torch classes whose floor is one absolute rate for every param group, by argument."""


def _lifted(trajectory: Trajectory, floor: float) -> list[int]:
    """Groups whose own rate is below ``floor`` and whose replayed rate rises above it by
    more than ``rise_ratio``."""
    out = []
    for group in trajectory.distinct_groups:
        base = trajectory.base_rates[group]
        if not 0 <= base < floor:
            continue
        limit = base * trajectory.limits.rise_ratio
        if any(r > limit for r in trajectory.values(group)):
            out.append(group)
    return out


def check_group_floor(plan: TrainingPlan) -> Iterator[Finding]:
    """LRG069: a cyclic schedule's absolute floor lifts a param group above its own rate."""
    trajectory = replayed(plan)
    if trajectory is None or not trajectory.cyclic:  # non-cyclic rises are LRG061's
        return
    argument = ABSOLUTE_FLOORS.get(trajectory.scheduler)
    floor = parse_number(trajectory.settings.get(argument)).value if argument else None
    if argument is None or floor is None or not floor > 0:
        return
    from lrguard.trajectory import group_label

    lifted = _lifted(trajectory, floor)
    if not lifted:
        return
    group = lifted[0]
    base = trajectory.base_rates[group]
    top = max(trajectory.values(group))
    first = trajectory.first_step(group, lambda r: r > base * trajectory.limits.rise_ratio) or 0
    others = [g for g in range(len(trajectory.base_rates)) if trajectory.base_rates[g] > floor]
    context = ""
    if others:
        o = others[0]
        context = (
            f"; {group_label(o)} (lr={fmt(trajectory.base_rates[o])}) decays to it, so the "
            f"floor suits the largest rate only"
        )
    more = f" (and {len(lifted) - 1} more group(s))" if len(lifted) > 1 else ""
    rise = f"{top / base:.3g}x its own rate" if base > 0 else "a group meant not to train"
    smallest = min(trajectory.base_rates)
    bound = (
        f"{argument}<={fmt(smallest * 0.1)} (0.1x the smallest group's lr) or " if smallest else ""
    )
    yield from scheduler_finding(
        CODE,
        Severity.ERROR,
        trajectory,
        group,
        f"{argument}={fmt(floor)} is one absolute floor for every param group, above this "
        f"group's own lr={fmt(base)}{more}: its rate rises to {short(top)}, {rise} (above "
        f"it from {trajectory.unit} {first + 1} of {trajectory.total_steps}), in every "
        f"cycle{context}.",
        f"Set {bound}{argument}=0; for a floor in proportion to each group's rate use a "
        "LambdaLR factor.",
        value=floor,
    )


register(
    Rule(
        code=CODE,
        name="group-floor-above-group-peak",
        severity=Severity.ERROR,
        summary="An absolute floor (eta_min) above a smaller param group's own rate: that "
        "group's rate rises.",
        what="In the replayed trajectory of CosineAnnealingWarmRestarts, finds param groups "
        "whose own rate is below eta_min, one value for every group, and whose rate rises "
        "above it. Not flagged, because no rate rises: transformers' schedules (min_lr is "
        "turned into a ratio of optimizer.defaults['lr'] by cosine_with_min_lr in 4.57 and "
        "5.x; Trainer, LoRA+ in LLaMA-Factory / peft and axolotl's lr_groups build the "
        "optimizer with lr=learning_rate, so each group keeps its own proportion), "
        "ReduceLROnPlateau / GreedyLR min_lr and Flair's AnnealOnPlateau (they only ever "
        "lower a rate; a Flair group below min_learning_rate is LRG001). A CosineAnnealingLR "
        "that lifts a group is reported by LRG061.",
        why="LoRA+ (B matrices at 16x), an embedding group at 1e-6 or Flair's "
        "decoder_learning_rate give groups rates orders of magnitude apart; eta_min chosen "
        "for the main rate is above the small group's, and cosine annealing then moves that "
        "group up to eta_min in every cycle, training it at a rate nobody chose for it. "
        "Measured with groups at 1e-3 and 1e-6 and eta_min=1e-5: the small group rises "
        "tenfold, and LRG061 says nothing because warm restarts are cyclic.",
        example=TORCH_PREAMBLE + "params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]\n"
        "optimizer = torch.optim.AdamW(\n"
        "    [{'params': [params[0]], 'lr': 1e-3}, {'params': [params[1]], 'lr': 1e-6}]\n"
        ")\n"
        "scheduler = lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=100, eta_min=1e-5)\n"
        "total_steps = 300",
        corrected=TORCH_PREAMBLE
        + "params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]\n"
        "optimizer = torch.optim.AdamW(\n"
        "    [{'params': [params[0]], 'lr': 1e-3}, {'params': [params[1]], 'lr': 1e-6}]\n"
        ")\n"
        "scheduler = lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=100, eta_min=1e-7)\n"
        "total_steps = 300",
        example_kind="torch",
        fix="Set eta_min below the smallest group's rate (0.1x it, or 0), or give each group "
        "a floor in proportion to its own rate (a LambdaLR factor).",
        check=check_group_floor,
    )
)
