"""Reading the ``ModelTrainer`` call a plugin is attached in (framework side, read-only).

Flair attaches plugins at the top of ``train_custom``, before it builds the optimizer, but
passes them nothing about the call. The call's arguments are read from the
``train_custom`` frame on the stack, so the pre-flight check can refuse a run before the
optimizer, the log file or any epoch exists. ``after_setup`` gets the same values as
keyword arguments; it is the fallback when no such frame is found.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from flair.trainers.plugins import AnnealingPlugin, TrainerPlugin
from flair.trainers.plugins.functional.linear_scheduler import LinearSchedulerPlugin

from flair_lrguard.schedulers import drivers
from lrguard.adapters.flair_kwargs import Entry

ADOPTED_SETTINGS = (
    "min_learning_rate",
    "anneal_factor",
    "patience",
    "initial_extra_patience",
    "anneal_with_restarts",
)
"""AnnealingPlugin attributes the guard takes over (same names as ``train()`` arguments)."""

CALL_KEYS = (
    "base_path",
    "learning_rate",
    "decoder_learning_rate",
    "max_epochs",
    "optimizer",
    "train_with_dev",
    "epoch",
)


@dataclass
class TrainCall:
    """What the guard needs to know about one ``train`` / ``fine_tune`` / ``train_custom`` call.

    Attributes:
        entry: ``train`` when Flair's AnnealingPlugin is attached, ``fine_tune`` when a linear
            schedule drives the rate, ``train_custom`` otherwise.
        kwargs: the call's arguments the plan is built from.
        stock_annealing: the AnnealingPlugin instances to take over from.
        adopted: the settings read from the (first) AnnealingPlugin.
        scheduled_by: the class names of the call's plugins that step a scheduler of their
            own (other than Flair's ``LinearSchedulerPlugin``), see ``schedulers.drivers``.
        annealing_given: the guard was given annealing settings of its own.
    """

    entry: Entry
    kwargs: dict[str, Any]
    stock_annealing: list[AnnealingPlugin] = field(default_factory=list)
    adopted: dict[str, Any] = field(default_factory=dict)
    scheduled_by: list[str] = field(default_factory=list)
    annealing_given: bool = False

    @property
    def guard_anneals(self) -> bool:
        """Whether the guard anneals on plateau: in ``train`` (in place of Flair's
        AnnealingPlugin), and in ``train_custom`` only when it was given annealing settings
        and no other plugin steps a scheduler. Stock ``train_custom`` keeps the rate
        constant; a guard that annealed there unasked would change the run's rates and stop
        it early."""
        if self.entry == "train":
            return True
        return self.entry == "train_custom" and self.annealing_given and not self.scheduled_by


def find_train_custom_locals(trainer: Any) -> dict[str, Any] | None:
    """The local variables of the ``train_custom`` call of ``trainer`` on the stack, if any."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "train_custom" and frame.f_locals.get("self") is trainer:
            return dict(frame.f_locals)
        frame = frame.f_back
    return None


def describe_call(values: dict[str, Any], *, annealing_given: bool = False) -> TrainCall:
    """Build a ``TrainCall`` from ``train_custom``'s arguments (frame locals or hook kwargs);
    ``annealing_given``: the guard has annealing settings of its own."""
    plugins = list(values.get("plugins") or [])
    stock = [p for p in plugins if isinstance(p, AnnealingPlugin)]
    kwargs = {key: values[key] for key in CALL_KEYS if key in values}
    scheduled_by = [
        type(p).__name__ for p in plugins if not isinstance(p, LinearSchedulerPlugin) and drivers(p)
    ]
    if any(isinstance(p, LinearSchedulerPlugin) for p in plugins):
        return TrainCall("fine_tune", kwargs, scheduled_by=scheduled_by)
    if not stock:
        return TrainCall(
            "train_custom", kwargs, scheduled_by=scheduled_by, annealing_given=annealing_given
        )
    adopted = {key: getattr(stock[0], key) for key in ADOPTED_SETTINGS if hasattr(stock[0], key)}
    return TrainCall("train", kwargs, stock, adopted, scheduled_by, annealing_given)


def neutralize(plugin: TrainerPlugin) -> None:
    """Make ``plugin`` inert: it registers no hooks when attached, and is detached if it is.

    Call only outside the dispatch of one of ``plugin``'s own events (Flair iterates the
    hook dictionary of the event being dispatched).
    """
    for name in dir(type(plugin)):
        if hasattr(getattr(type(plugin), name, None), "_plugin_hook_events"):
            setattr(plugin, name, _inert)
    if plugin.pluggable is not None:
        plugin.detach()


def restore(plugin: TrainerPlugin, trainer: Any) -> None:
    """Undo ``neutralize``: ``plugin`` has its own hooks again and is attached to ``trainer``.

    Flair never detaches a plugin when a run ends: a ``ModelTrainer`` trained again keeps
    the earlier call's ``AnnealingPlugin`` attached, and it anneals (and may stop) that run
    too. Restored after the guarded run, the trainer is the one stock Flair leaves behind.
    Call only outside the dispatch of one of ``plugin``'s own events.
    """
    for name, value in list(vars(plugin).items()):
        if value is _inert:
            delattr(plugin, name)
    if plugin.pluggable is not None and plugin.pluggable is not trainer:
        return
    if plugin.pluggable is None:
        plugin._pluggable = trainer  # as BasePlugin.attach_to, without a second plugins entry
    if not plugin._hook_handles:
        for name in dir(type(plugin)):
            events = getattr(getattr(type(plugin), name, None), "_plugin_hook_events", None)
            if events:
                plugin._hook_handles.append(trainer.register_hook(getattr(plugin, name), *events))


def _inert(*args: Any, **kwargs: Any) -> None:
    """Stands in for a neutralized plugin's hooks."""
