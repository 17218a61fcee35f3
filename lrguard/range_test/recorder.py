"""The range test's bookkeeping: records each step, smooths, and decides when to stop."""

from __future__ import annotations

import math
import time

from lrguard.range_test.result import RangeTestResult
from lrguard.range_test.suggest import METHODS, check_method, suggest
from lrguard.range_test.sweep import SweepSettings


class SweepRecorder:
    """Collects a sweep's rates and losses and tells the training loop when to stop.

    The training loop asks ``settings.rate(step)``, trains one optimizer step at it and calls
    ``record(lr, loss)``; ``record`` returns False once the sweep must stop. ``result()``
    smooths, trims and suggests. Every rank of a distributed sweep records the same
    (all-reduced) losses, so every rank stops at the same step and suggests the same rate.

    Args:
        settings: the sweep.
        method: the suggestion method ``result()`` chooses (all are computed).

    Raises:
        ValueError: ``method`` is unknown (checked here, before anything trains).
    """

    def __init__(self, settings: SweepSettings, method: str = "lrguard") -> None:
        check_method(method, tuple(METHODS))
        self.settings = settings
        self.method = method
        self.rates: list[float] = []
        self.losses: list[float] = []
        self.timestamps: list[str] = []
        self.stop_reason: str = "completed"
        self.batches_cycled = 0
        self._average = 0.0
        self._finite = 0
        self._best = math.inf

    def record(self, lr: float, loss: float) -> bool:
        """Add one step; False when the sweep must stop here (the step is kept)."""
        loss = float(loss)
        self.rates.append(float(lr))
        self.losses.append(loss)
        self.timestamps.append(time.strftime("%H:%M:%S"))
        if not math.isfinite(loss):
            self.stop_reason = "non_finite"
            return False
        beta = self.settings.smoothing
        self._finite += 1
        self._average = beta * self._average + (1 - beta) * loss
        smoothed = self._average / (1 - beta**self._finite) if beta else loss
        self._best = min(self._best, smoothed)
        if len(self.losses) >= self.settings.num_steps:  # reached end_lr, whatever the loss
            self.stop_reason = "completed"
            return False
        if (
            len(self.losses) > self.settings.min_steps_before_stop
            and smoothed > self.settings.diverge_factor * self._best
            and smoothed - self._best > 1e-12
        ):
            self.stop_reason = "diverged"
            return False
        return True

    def note_cycled(self) -> None:
        """The dataloader ran out and was restarted (once per restart)."""
        self.batches_cycled += 1

    def result(self, **context: object) -> RangeTestResult:
        """The finished sweep: smoothed losses, every method's suggestion, the chosen one.

        ``context`` is stored in ``RangeTestResult.context`` (framework, optimizer, the
        floor's form …); its ``optimizer`` (the class name) and ``momentum`` (heavy-ball, 0
        when absent) tell ``lrguard`` how to read the curve.
        """
        optimizer = context.get("optimizer")
        suggestions = suggest(
            self.rates,
            self.losses,
            self.settings,
            None if optimizer is None else str(optimizer),
            float(context.get("momentum", 0.0) or 0.0),  # type: ignore[arg-type]
        )
        result = RangeTestResult.build(
            settings=self.settings,
            rates=self.rates,
            losses=self.losses,
            stop_reason=self.stop_reason,
            batches_cycled=self.batches_cycled,
            suggestions=suggestions,
            context=dict(context),
            method=self.method,
        )
        result.timestamps = list(self.timestamps)
        return result
