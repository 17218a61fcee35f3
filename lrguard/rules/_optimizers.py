"""Optimizer facts shared by rules: which optimizers schedule their own warmup.

transformers' ``optim="schedule_free_adamw"`` / ``"schedule_free_sgd"`` build schedulefree's
``AdamWScheduleFree`` / ``SGDScheduleFree`` and pass them ``warmup_steps=args.warmup_steps``
(``Trainer.get_optimizer_cls_and_kwargs`` in 4.57, ``trainer_optimizer.py`` in 5.x);
``"schedule_free_radam"`` takes no warmup.
"""

from __future__ import annotations

SCHEDULE_FREE = {
    "schedule_free_adamw": "AdamWScheduleFree",
    "schedule_free_sgd": "SGDScheduleFree",
    "schedule_free_radam": "RAdamScheduleFree",
}
"""transformers ``optim`` values -> the schedulefree class they build."""
OWN_WARMUP = ("schedule_free_adamw", "schedule_free_sgd")
"""The ``optim`` values transformers gives ``warmup_steps`` to."""


def optimizer_name(optimizer: object) -> str:
    """The optimizer as written (an ``optim`` value or a class name), stripped."""
    return str(optimizer or "").strip()


def schedule_free_class(optimizer: object) -> str | None:
    """The schedulefree class behind an ``optim`` value or an optimizer class name.

    Example:
        >>> schedule_free_class("schedule_free_adamw"), schedule_free_class("adamw_torch")
        ('AdamWScheduleFree', None)
    """
    name = optimizer_name(optimizer)
    if name.lower() in SCHEDULE_FREE:
        return SCHEDULE_FREE[name.lower()]
    return name if "schedulefree" in name.lower().replace("_", "") else None


def takes_own_warmup(optimizer: object) -> bool:
    """True when transformers hands ``warmup_steps`` to the optimizer itself.

    Example:
        >>> takes_own_warmup("schedule_free_adamw"), takes_own_warmup("schedule_free_radam")
        (True, False)
    """
    return optimizer_name(optimizer).lower() in OWN_WARMUP
