"""Capture and put back, bit for bit, everything a range test changes.

A range test trains real steps: parameters, buffers (batch-norm statistics), gradients,
the optimizer's state (Adam moments, step counts), a scheduler's and a GradScaler's
state, and every random generator move. ``TrainingSnapshot`` copies all of them before the
sweep and restores them after it, in place (the same ``Parameter`` objects, so optimizers and
hooks that hold them keep working). With ``directory=`` the copy is written there with
``torch.save`` and kept off memory while the sweep runs (large models).

Example:
    >>> import torch
    >>> model = torch.nn.Linear(2, 1)
    >>> before = model.weight.detach().clone()
    >>> snapshot = TrainingSnapshot(model)
    >>> with torch.no_grad():
    ...     _ = model.weight.add_(1.0)
    >>> snapshot.restore()
    >>> bool(torch.equal(model.weight, before))
    True
"""

from __future__ import annotations

import copy
import random
import tempfile
from pathlib import Path
from typing import Any

import torch


def _clone(value: Any) -> Any:
    """A deep copy in which every tensor is a detached clone (no shared storage)."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_clone(v) for v in value)
    return copy.deepcopy(value)


def _into(live: torch.Tensor | None, saved: Any, mapped: bool) -> Any:
    """``saved`` as the tensor to keep: copied into ``live`` when it has the same shape, dtype
    and device (no new memory: the live tensor holds the saved values again), else ``saved``
    itself (cloned when it lives in a mapped file: a removed file stays on disk for as long
    as a tensor maps it)."""
    if not isinstance(saved, torch.Tensor):
        return saved
    if (
        isinstance(live, torch.Tensor)
        and live.shape == saved.shape
        and live.dtype == saved.dtype
        and live.device == saved.device
    ):
        return live.copy_(saved)
    return saved.clone() if mapped else saved


def _into_optimizer_state(
    optimizer: torch.optim.Optimizer, saved: dict[str, Any], mapped: bool
) -> dict[str, Any]:
    """``saved`` (an optimizer state dict) with every state tensor replaced by the live one it
    was copied into (``_into``): ``load_state_dict`` then keeps the live tensors."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    state: dict[Any, Any] = {}
    for index, values in saved["state"].items():
        live = optimizer.state.get(params[index], {}) if index < len(params) else {}
        state[index] = {key: _into(live.get(key), value, mapped) for key, value in values.items()}
    # the groups become the optimizer's own dicts: a copy, so the saved ones stay as saved
    return {**saved, "state": state, "param_groups": copy.deepcopy(saved["param_groups"])}


def rng_states() -> dict[str, Any]:
    """Python's, numpy's (when installed) and torch's CPU / CUDA generator states."""
    states: dict[str, Any] = {"python": random.getstate(), "torch": torch.get_rng_state()}
    try:
        import numpy

        states["numpy"] = numpy.random.get_state()
    except ModuleNotFoundError:  # pragma: no cover - numpy ships with torch in practice
        pass
    if torch.cuda.is_available():  # pragma: no cover - CPU-only test machines
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict[str, Any]) -> None:
    """Put back what ``rng_states`` returned."""
    random.setstate(states["python"])
    torch.set_rng_state(states["torch"])
    if "numpy" in states:
        import numpy

        numpy.random.set_state(states["numpy"])
    if "cuda" in states:  # pragma: no cover - CPU-only test machines
        torch.cuda.set_rng_state_all(states["cuda"])


class TrainingSnapshot:
    """A copy of a model's training state, restorable bit for bit.

    Args:
        model: its parameters, buffers, gradients, ``requires_grad`` flags and the
            train/eval mode of every submodule are kept.
        optimizer: its ``state_dict()`` (param groups and per-parameter state).
        scheduler: anything with ``state_dict`` / ``load_state_dict`` (an LR scheduler).
        scaler: a ``torch.amp.GradScaler`` (or anything with a state dict).
        objects: further plain objects restored by value (``copy.deepcopy``), e.g. a
            trainer's state: ``{"name": (owner, "attribute")}`` puts the copy back with
            ``setattr(owner, attribute, copy)``.
        directory: keep the copy of the model and optimizer in a file in this folder
            instead of in memory (the folder must exist; the file is removed on restore).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer | None = None,
        scheduler: Any = None,
        scaler: Any = None,
        objects: dict[str, tuple[Any, str]] | None = None,
        directory: str | Path | None = None,
    ) -> None:
        self.model = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.scaler = scaler
        self._path: Path | None = None
        live = {  # references to the live tensors: written to disk as they are, or cloned
            "model": model.state_dict(keep_vars=False),
            "grads": {
                name: None if p.grad is None else p.grad.detach()
                for name, p in model.named_parameters()
            },
            "optimizer": optimizer.state_dict() if optimizer is not None else None,
        }
        self._heavy: dict[str, Any] | None = None
        if directory is not None:
            with tempfile.NamedTemporaryFile(
                dir=directory, prefix="lrguard-snapshot-", suffix=".pt", delete=False
            ) as handle:
                self._path = Path(handle.name)
        try:
            if self._path is not None:
                torch.save(live, self._path)
            else:
                self._heavy = _clone(live)
            self._requires_grad = {name: p.requires_grad for name, p in model.named_parameters()}
            self._modes = {name: m.training for name, m in model.named_modules()}
            self._scheduler = _clone(scheduler.state_dict()) if scheduler is not None else None
            self._scaler = _clone(scaler.state_dict()) if scaler is not None else None
            self._objects = {
                name: (owner, attribute, copy.deepcopy(getattr(owner, attribute)))
                for name, (owner, attribute) in (objects or {}).items()
            }
            self._rng = rng_states()
        except BaseException:  # a full disk or an uncopyable object: leave no file behind
            self.discard()
            raise

    @property
    def path(self) -> Path | None:
        """The file holding the copy (``directory=``), None once restored or when in memory."""
        return self._path

    def discard(self) -> None:
        """Drop the copy without restoring it (removes its file, if any)."""
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path = None
        self._heavy = None

    def restore(self, keep: bool = False) -> None:
        """Put everything back as it was when the snapshot was taken.

        Args:
            keep: keep the copy for another ``restore`` (several trainings from the same
                start); the last restore leaves ``keep`` False, which drops the copy.
        """
        mapped = self._path is not None or keep  # a kept copy is never handed out itself
        if self._path is not None:
            heavy = torch.load(self._path, weights_only=False, mmap=True)  # no second copy
            if not keep:
                self._path.unlink(missing_ok=True)
                self._path = None
        else:
            heavy = self._heavy
        if heavy is None:
            raise RuntimeError("a TrainingSnapshot is restored once; this one already was")
        if not keep:
            self._heavy = None
        with torch.no_grad():  # copied into the live tensors
            self.model.load_state_dict(heavy["model"], strict=True)
            for name, param in self.model.named_parameters():
                param.grad = _into(param.grad, heavy["grads"].get(name), mapped)
                param.requires_grad_(self._requires_grad[name])
            if self.optimizer is not None:
                self.optimizer.load_state_dict(
                    _into_optimizer_state(self.optimizer, heavy["optimizer"], mapped)
                )
        for name, module in self.model.named_modules():
            module.training = self._modes[name]
        if self.scheduler is not None:
            self.scheduler.load_state_dict(_clone(self._scheduler) if keep else self._scheduler)
        if self.scaler is not None:
            self.scaler.load_state_dict(_clone(self._scaler) if keep else self._scaler)
        for owner, attribute, value in self._objects.values():
            setattr(owner, attribute, copy.deepcopy(value) if keep else value)
        set_rng_states(self._rng)
