"""Two ways to read more than one noisy sweep: ``multi`` and ``race`` (pure decisions).

* ``multi``: several short sweeps, each on its own batch order, each read with ``lrguard``'s
  rule; the suggestion is the median of their rates in log space (robust to one odd sweep),
  and the spread between them is reported.
* ``race``: a few candidate rates from the sweep's stable band (below its edge of stability
  or its lowest loss), each trained at a constant rate from the same restored start, scored
  by the loss on held-back training batches; successive halving keeps the better half and
  trains the survivors twice as long, until one is left. The budget is a number of training
  steps and the steps spent are counted.

The training loops live in the integrations (``torch_lrguard.range_test``); everything they
decide with is here: the candidates, the halving schedule, who survives a round, how sweeps
combine, and the explanation.

Example:
    >>> plan = halving_plan(6, budget=200)
    >>> plan
    [(6, 10), (3, 20), (2, 40)]
    >>> sum(n * steps for n, steps in plan) <= 200
    True
    >>> survivors({0.1: 0.9, 0.03: 0.7, 0.01: 0.8}, keep=2)
    [0.01, 0.03]
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from lrguard.range_test.suggest import Suggestion, rate_text

MULTI_SWEEPS = 3
"""``multi``: how many sweeps, each on its own batch order."""

RACE_CANDIDATES = 6
"""``race``: how many candidate rates start the race."""

RACE_BUDGET = 200
"""``race``: training steps the race may spend (all rounds, all candidates)."""

RACE_HELD_OUT = 4
"""``race``: held-back training batches each candidate is scored on."""

CANDIDATE_TOP_DIVISOR = 1.5
"""``race``: the highest candidate is the top of the stable band divided by this."""

CANDIDATE_STEP = 10**0.25
"""``race``: the ratio between neighbouring candidates (four per decade)."""


def check_race_settings(*, sweeps: Any, candidates: Any, budget: Any, held_out: Any) -> None:
    """Refuse settings of ``multi`` / ``race`` that cannot run, before anything trains.

    Raises:
        ValueError: every problem, each as ``field=value: what is wrong. Fix: ...``.
    """
    problems: list[str] = []

    def whole(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if not whole(sweeps) or sweeps < 1:
        problems.append(f"sweeps={sweeps!r} is not a whole number >= 1. Fix: sweeps=3")
    if not whole(candidates) or candidates < 2:
        problems.append(
            f"race_candidates={candidates!r} is not a whole number >= 2: a race needs two "
            "runners. Fix: race_candidates=6"
        )
    if not whole(held_out) or held_out < 1:
        problems.append(
            f"race_held_out={held_out!r} is not a whole number >= 1. Fix: race_held_out=4"
        )
    if not whole(budget) or budget < 1:
        problems.append(f"race_budget={budget!r} is not a whole number >= 1. Fix: race_budget=200")
    elif whole(candidates) and candidates >= 2 and not halving_plan(candidates, budget):
        problems.append(
            f"race_budget={budget} is too small for {candidates} candidates: each must train "
            f"at least one step in every round. Fix: race_budget>={_least_budget(candidates)}"
        )
    if problems:
        raise ValueError("lrguard range test: " + "; ".join(problems))


def halving_plan(count: int, budget: int) -> list[tuple[int, int]]:
    """Successive halving: ``(candidates, steps each)`` per round, the first round with
    ``count`` candidates, each round keeping half (rounded up) and training twice as long
    from the start, until one is left; the longest such plan within ``budget`` steps (empty
    when not even one step per round fits).

    Example:
        >>> halving_plan(4, 100)
        [(4, 12), (2, 24)]
    """
    counts = []
    n = count
    while n > 1:
        counts.append(n)
        n = math.ceil(n / 2)
    weight = sum(n * 2**k for k, n in enumerate(counts))
    first = budget // weight if weight else 0
    if first < 1:
        return []
    return [(n, first * 2**k) for k, n in enumerate(counts)]


def _least_budget(count: int) -> int:
    budget = 1
    while not halving_plan(count, budget):
        budget += 1
    return budget


def survivors(scores: Mapping[float, float], keep: int) -> list[float]:
    """The ``keep`` rates with the lowest held-back loss (a non-finite loss is last; ties go
    to the lower rate), in rising order of rate."""

    def key(rate: float) -> tuple[float, float]:
        score = scores[rate]
        return (score if math.isfinite(score) else math.inf, rate)

    return sorted(sorted(scores, key=key)[:keep])


def race_candidates(
    rates: Sequence[float],
    top: float,
    count: int = RACE_CANDIDATES,
) -> list[float]:
    """``count`` candidate rates from the stable band: from ``top`` / ``CANDIDATE_TOP_DIVISOR``
    down in steps of ``CANDIDATE_STEP``, kept inside the swept range, in rising order.

    ``top`` is the top of the stable band: the edge of stability, else the lowest loss's rate,
    else the highest swept rate.

    Example:
        >>> [rate_text(r) for r in race_candidates([1e-7, 10.0], 0.3, 4)]
        ['0.036', '0.063', '0.11', '0.2']
    """
    low, high = min(rates), max(rates)
    highest = min(top / CANDIDATE_TOP_DIVISOR, high)
    out = [max(low, highest / CANDIDATE_STEP**k) for k in range(count)]
    return sorted(set(out))


def band_top(marks: Mapping[str, Any], rates: Sequence[float]) -> tuple[float, str]:
    """The top of a sweep's stable band from ``lrguard``'s marks, and what it is."""
    if "edge" in marks:
        return float(marks["edge"]), "edge of stability"
    if "descent" in marks:
        return float(marks["descent"][1]), "lowest loss"
    return max(rates), "highest swept rate"


def race_result(
    rounds: Sequence[Mapping[float, float]],
    plan: Sequence[tuple[int, int]],
    *,
    top: float,
    top_kind: str,
    held_out: int,
) -> Suggestion:
    """The ``race`` suggestion: the last round's best rate, with the explanation.

    Args:
        rounds: per round, each candidate's held-back loss.
        plan: the ``halving_plan`` the rounds followed.
        top / top_kind: the top of the stable band the candidates came from.
        held_out: the number of held-back batches scored.
    """
    if not rounds:
        return Suggestion("race", None, None, "the race ran no round", {"curve": "lag-free"})
    final = rounds[-1]
    (winner,) = survivors(final, 1)
    candidates = sorted(rounds[0])
    steps = sum(len(scores) * each for scores, (_, each) in zip(rounds, plan, strict=False))
    marks = {"curve": "lag-free", "candidates": candidates, "race_steps": steps}
    if top_kind == "edge of stability":
        marks["edge"] = top
    if not math.isfinite(final[winner]):
        return Suggestion(
            "race",
            None,
            None,
            f"every candidate's held-back loss was not finite after {plan[-1][1]} steps",
            marks,
        )
    history = "; ".join(
        f"round {k + 1} ({each} steps): "
        + ", ".join(f"{rate_text(r)} {scores[r]:.4g}" for r in sorted(scores))
        for k, (scores, (_, each)) in enumerate(zip(rounds, plan, strict=False))
    )
    return Suggestion(
        "race",
        winner,
        None,
        f"race winner {rate_text(winner)} among {len(candidates)} candidates from "
        f"{rate_text(candidates[0])} to {rate_text(candidates[-1])} (below the {top_kind} "
        f"{rate_text(top)}), by the loss on {held_out} held-back training batches after "
        f"{plan[len(rounds) - 1][1]} steps from the same start ({steps} race steps; {history})",
        marks,
    )


def pool_losses(sweeps: Sequence[Sequence[float]]) -> list[float]:
    """The per-step median of several sweeps' raw losses (a non-finite loss counts as
    infinite), for every step that more than half of the sweeps reached.

    Example:
        >>> pool_losses([[3.0, 2.0, 9.0], [1.0, 2.0], [2.0, float("nan")]])
        [2.0, 2.0]
    """
    pooled: list[float] = []
    for step in range(max((len(s) for s in sweeps), default=0)):
        values = [s[step] if math.isfinite(s[step]) else math.inf for s in sweeps if len(s) > step]
        if 2 * len(values) <= len(sweeps):
            break
        pooled.append(statistics.median(values))
    return pooled


def combine_sweeps(readings: Sequence[Suggestion], pooled: Suggestion | None = None) -> Suggestion:
    """The ``multi`` suggestion: the median, in log space, of every sweep's ``lrguard`` rate
    and of the rate read from the pooled curve (``pool_losses``: the sweeps' per-step median,
    less noisy than any one of them). A reading that measured nothing and fell back on the
    optimizer's usual rate (``marks["prior"]``) is not a measurement: when fewer than half of
    the readings measured a rate, the answer is that prior if a reading gave one, else None.

    Example:
        >>> one = [Suggestion("lrguard", lr, 0, "") for lr in (1e-3, 2e-3, 8e-3)]
        >>> combine_sweeps(one).lr
        0.002
        >>> round(combine_sweeps(one, Suggestion("lrguard", 4e-3, 0, "")).lr, 6)
        0.002828
    """
    votes = [*readings, *([pooled] if pooled is not None else [])]
    found = [s.lr for s in votes if _measured(s)]
    marks: dict[str, Any] = {"curve": "pooled" if pooled is not None else "lag-free"}
    if pooled is not None:
        marks["pooled_rate"] = pooled.lr
    if len(found) * 2 < len(votes) or not found:
        missed = [(k, s) for k, s in enumerate(readings) if not _measured(s)]
        why = "; ".join(f"sweep {k + 1}: {s.note}" for k, s in missed)
        summary = f"{len(found)} of {len(votes)} readings measured a rate ({why})"
        prior = next((s for s in votes if s.lr is not None and "prior" in s.marks), None)
        if prior is None:
            return Suggestion("multi", None, None, summary, marks)
        return Suggestion("multi", prior.lr, None, summary, {**marks, "prior": prior.lr})
    logs = sorted(math.log10(lr) for lr in found)
    rate = 10 ** statistics.median(logs)
    each = [s.lr for s in readings if _measured(s)]
    spread = max(each) / min(each) if each else math.nan
    listed = ", ".join(_reading_text(s) for s in readings)
    pooled_text = ""
    if pooled is not None:
        pooled_text = f" and their pooled curve ({rate_text(pooled.lr) if pooled.lr else '-'})"
    marks["sweeps"] = each
    return Suggestion(
        "multi",
        float(f"{rate:.15g}"),
        None,
        f"median of {len(readings)} sweeps on different batch orders ({listed}; spread "
        f"{spread:.2f}x){pooled_text}: suggestion = {rate_text(rate)}",
        marks,
    )


def _measured(reading: Suggestion) -> bool:
    """True when a reading measured its rate (not None, not the optimizer's usual rate that
    a sweep with nothing to read falls back on)."""
    return reading.lr is not None and "prior" not in reading.marks


def _reading_text(reading: Suggestion) -> str:
    """One sweep's rate as ``multi`` lists it: '-' when it found none, '(prior 0.1)' when it
    fell back on the optimizer's usual rate."""
    if reading.lr is None:
        return "-"
    if "prior" in reading.marks:
        return f"(prior {rate_text(reading.lr)})"
    return rate_text(reading.lr)
