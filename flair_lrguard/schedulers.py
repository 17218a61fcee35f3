"""Find the learning-rate schedulers a Flair run will step, and how often (framework side).

Flair 0.13.1 - 0.15.1 has one plugin that steps a ``torch.optim.lr_scheduler`` object:
``LinearSchedulerPlugin`` (attached by ``fine_tune``), which builds a
``LinearSchedulerWithWarmup`` in ``after_setup`` and steps it in ``after_training_batch``
whenever the optimizer ran. (There is no generic scheduler plugin in these versions.) A
user who wants another schedule writes a ``TrainerPlugin`` that does the same with their own
scheduler, stepping it per batch (``after_training_batch``) or per epoch
(``after_training_epoch``, ``after_evaluation`` ...).

A *driver* is such a plugin attribute: the hooks of the plugin's class are read (their
source) for ``self.<attribute>.step(`` and the event of each hook says the cadence. Nothing
is called and nothing is changed; a hook whose source cannot be read is skipped.

Example:
    >>> from flair.trainers.plugins import LinearSchedulerPlugin
    >>> drivers(LinearSchedulerPlugin(warmup_fraction=0.1))
    [Driver(attribute='scheduler', per='batch')]
"""

from __future__ import annotations

import inspect
import math
import re
import textwrap
from dataclasses import dataclass
from typing import Any, Literal

from flair.trainers.plugins import AnnealingPlugin, TrainerPlugin
from flair.trainers.plugins.functional.linear_scheduler import LinearSchedulerPlugin

Per = Literal["batch", "epoch"]

BATCH_EVENTS = frozenset(
    {"before_training_batch", "before_training_optimizer_step", "after_training_batch"}
)
"""Events Flair dispatches once per mini-batch."""

EPOCH_EVENTS = frozenset({"before_training_epoch", "after_training_epoch", "after_evaluation"})
"""Events Flair dispatches once per epoch."""

_STEP_CALL = re.compile(r"self\.([A-Za-z_]\w*)\.step\s*\(")


@dataclass(frozen=True)
class Driver:
    """A plugin attribute holding a scheduler that the plugin's hooks step.

    Attributes:
        attribute: the attribute's name (``scheduler`` for Flair's ``LinearSchedulerPlugin``).
        per: ``batch`` when it is stepped in a per-batch event, ``epoch`` in a per-epoch one.
    """

    attribute: str
    per: Per


def _hooks(plugin: TrainerPlugin) -> list[tuple[Any, tuple[str, ...]]]:
    """The plugin class's hook functions and the events each one is registered for."""
    found = []
    for name in dir(type(plugin)):
        func = getattr(type(plugin), name, None)
        events = getattr(func, "_plugin_hook_events", None)
        if events:
            found.append((func, tuple(events)))
    return found


def drivers(plugin: Any) -> list[Driver]:
    """The scheduler attributes ``plugin`` steps, with their cadence (see the module doc).

    Flair's own plateau annealing (``AnnealingPlugin``) is not a driver: the guard takes it
    over. An attribute stepped in both per-batch and per-epoch events is reported per batch
    (the larger count of steps).
    """
    if isinstance(plugin, AnnealingPlugin) or not isinstance(plugin, TrainerPlugin):
        return []
    if type(plugin) is LinearSchedulerPlugin:
        return [Driver("scheduler", "batch")]
    cadence: dict[str, set[str]] = {}
    for func, events in _hooks(plugin):
        try:
            source = textwrap.dedent(inspect.getsource(func))
        except (OSError, TypeError):
            continue
        per = (
            "batch"
            if BATCH_EVENTS.intersection(events)
            else ("epoch" if EPOCH_EVENTS.intersection(events) else None)
        )
        if per is None:
            continue
        for attribute in _STEP_CALL.findall(source):
            cadence.setdefault(attribute, set()).add(per)
    return [
        Driver(attribute, "batch" if "batch" in pers else "epoch")
        for attribute, pers in sorted(cadence.items())
    ]


def batches_per_epoch(dataset_size: int, mini_batch_size: int, world_size: int = 1) -> int:
    """Mini-batches per epoch (per process): Flair's ``DataLoader`` keeps the last short one.

    Example:
        >>> batches_per_epoch(10, 4)
        3
    """
    per_process = math.ceil(dataset_size / max(world_size, 1))
    return max(math.ceil(per_process / max(mini_batch_size, 1)), 0)


def world_size(multi_gpu: bool) -> int:
    """The processes a ``multi_gpu`` run is split over (1 otherwise)."""
    if not multi_gpu:
        return 1
    import torch.distributed

    initialized = torch.distributed.is_available() and torch.distributed.is_initialized()
    return torch.distributed.get_world_size() if initialized else 1


__all__ = ["Driver", "batches_per_epoch", "drivers", "world_size"]
