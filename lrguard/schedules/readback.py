"""Reading transformers' schedule objects back, and checking a reading against them.

``get_scheduler`` builds most schedules as a ``LambdaLR`` whose lambda is one of
``transformers.optimization``'s step functions bound with ``functools.partial``. This module
names the schedule such a step function computes (``lambda_schedule``), gives its factors
from the schedule table's closed form (``lambda_factor``), and compares a closed form with
the real object's rates at a few chosen steps (``sample_steps``, ``same_trajectory``).
``torch_lrguard.replay`` and ``hf_lrguard`` use it; it imports neither torch nor
transformers.

Example:
    >>> lambda_schedule("_get_linear_schedule_with_warmup_lr_lambda", {})
    'linear'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lrguard.schedules import closed_form as cf
from lrguard.schedules.closed_form import ScheduleError
from lrguard.schedules.table import schedule_spec


def sample_steps(total: int, warmup: int, points: int = 512) -> list[int]:
    """Steps at which two schedules are compared: the first ``points``, the warmup edges,
    ``points`` spread evenly over the run, and the last step.

    Example:
        >>> sample_steps(10, 2, points=4)
        [0, 1, 2, 3, 4, 6, 8, 9]
    """
    if total <= 0:
        return []
    spread = max(1, total // points)
    chosen = set(range(min(points, total))) | set(range(0, total, spread)) | {total - 1}
    chosen |= {s for s in (warmup - 1, warmup, warmup + 1) if 0 <= s < total}
    return sorted(chosen)


TRANSFORMERS_LAMBDAS = {
    "_get_constant_lambda": "constant",
    "_get_constant_schedule_with_warmup_lr_lambda": "constant_with_warmup",
    "_get_linear_schedule_with_warmup_lr_lambda": "linear",
    "_get_cosine_schedule_with_warmup_lr_lambda": "cosine_with_min_lr",
    "_get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda": "cosine_with_restarts",
    "_get_polynomial_decay_schedule_with_warmup_lr_lambda": "polynomial",
    "_get_inverse_sqrt_schedule_lr_lambda": "inverse_sqrt",
    "_get_cosine_with_min_lr_schedule_with_warmup_lr_rate_lambda": "cosine_warmup_with_min_lr",
    "_get_wsd_scheduler_lambda": "warmup_stable_decay",
}
"""The step functions ``transformers.optimization`` binds with ``functools.partial`` into a
``LambdaLR`` (4.57 and 5.x), by name, and the schedule whose closed form they compute.
``cosine`` shares its function with ``cosine_with_min_lr`` (``min_lr_rate`` 0)."""

_LAMBDA_RENAMES = {
    "num_warmup_steps": "warmup_steps",
    "num_training_steps": "total_steps",
    "lr_init": "learning_rate",
}


def lambda_schedule(function: str, keywords: Mapping[str, Any]) -> str | None:
    """The schedule name of a transformers step function bound with ``keywords``.

    Example:
        >>> lambda_schedule("_get_cosine_schedule_with_warmup_lr_lambda", {"num_cycles": 0.5})
        'cosine'
        >>> lambda_schedule("my_lambda", {}) is None
        True
    """
    name = TRANSFORMERS_LAMBDAS.get(function)
    if name == "cosine_with_min_lr" and not keywords.get("min_lr_rate"):
        return "cosine"
    return name


def lambda_factor(function: str, keywords: Mapping[str, Any], steps: Any) -> Any:
    """The factors a transformers step function gives at ``steps``, from its closed form.

    Args:
        function: the step function's name (a key of ``TRANSFORMERS_LAMBDAS``).
        keywords: the keywords ``functools.partial`` bound it with.
        steps: one step or an array / range of steps (``LambdaLR.last_epoch`` values).

    Raises:
        ScheduleError: an unknown function or keywords the closed form does not take.

    Example:
        >>> kw = {"num_warmup_steps": 10, "num_training_steps": 90, "num_cycles": 0.5}
        >>> round(lambda_factor("_get_cosine_schedule_with_warmup_lr_lambda", kw, 50), 6)
        0.5
    """
    name = TRANSFORMERS_LAMBDAS.get(function)
    spec = schedule_spec(name, "5") if name else None
    if spec is None or spec.closed_form is None:
        raise ScheduleError(f"no closed form for the step function {function!r}")
    params: dict[str, Any] = {"warmup_steps": 0.0}
    extra: dict[str, Any] = {}
    for key, value in keywords.items():
        if key in _LAMBDA_RENAMES:
            params[_LAMBDA_RENAMES[key]] = float(value)
        else:
            extra[key] = value
    if name == "cosine_with_min_lr":
        extra.setdefault("min_lr_rate", 0.0)
    if spec.needs_learning_rate:
        params.setdefault("learning_rate", 1.0)
    return cf.evaluate(spec.closed_form, steps, params, extra, name)


def same_trajectory(expected: Sequence[float], actual: Sequence[float], rel: float = 1e-9) -> bool:
    """True when two rate series agree to ``rel`` relative error (absolute near zero).

    Example:
        >>> same_trajectory([1.0, 0.5], [1.0, 0.5 + 1e-12]), same_trajectory([1.0], [0.9])
        (True, False)
    """
    if len(expected) != len(actual):
        return False
    scale = max((abs(v) for v in expected), default=0.0)
    return all(
        abs(a - e) <= rel * max(abs(e), scale * 1e-6) for e, a in zip(expected, actual, strict=True)
    )
