"""The kwargs table in the core matches the installed transformers (fails on drift)."""

from __future__ import annotations

import inspect
import re

import pytest
import torch
import transformers
from transformers import optimization
from transformers.trainer_utils import SchedulerType

from lrguard.schedules.table import REQUIRED, RESERVED, schedule_spec, schedules

pytestmark = pytest.mark.hf
VERSION = transformers.__version__


def _accepted(function) -> dict[str, object]:
    params = dict(inspect.signature(function).parameters)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        target = {
            "get_reduce_on_plateau_schedule": torch.optim.lr_scheduler.ReduceLROnPlateau,
            "get_greedy_schedule": getattr(optimization, "GreedyLR", None),
        }[function.__name__]
        params = dict(inspect.signature(target.__init__).parameters)
        params.pop("self")
    out = {}
    for name, p in params.items():
        if name in RESERVED or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        out[name] = REQUIRED if p.default is inspect.Parameter.empty else p.default
    return out


def _ignoring_kwargs() -> set[str]:
    """Schedules get_scheduler returns for without passing scheduler_specific_kwargs."""
    source = inspect.getsource(optimization.get_scheduler)
    ignored = set()
    pattern = r"if name == SchedulerType\.(\w+):\s*\n\s*return (schedule_func\(.*?\))"
    for match in re.finditer(pattern, source, re.S):
        if "scheduler_specific_kwargs" not in match.group(2):
            ignored.add(SchedulerType[match.group(1)].value)
    return ignored


def test_every_installed_schedule_is_in_the_table():
    installed = {t.value for t in optimization.TYPE_TO_SCHEDULER_FUNCTION}
    assert installed == set(schedules(VERSION)), "schedule added or removed in transformers"


@pytest.mark.parametrize("stype", list(optimization.TYPE_TO_SCHEDULER_FUNCTION))
def test_kwargs_match_signature(stype):
    function = optimization.TYPE_TO_SCHEDULER_FUNCTION[stype]
    spec = schedule_spec(stype.value, VERSION)
    assert spec is not None
    assert spec.function == function.__name__
    assert dict(spec.kwargs) == _accepted(function), f"{stype.value}: kwargs drifted"


def test_ignoring_schedules_match_get_scheduler():
    table = {n for n, s in schedules(VERSION).items() if s.ignores_kwargs}
    assert table == _ignoring_kwargs()


def test_min_lr_schedules_require_exactly_one():
    from transformers import get_scheduler

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1e-3)
    for name, spec in schedules(VERSION).items():
        for group in spec.one_of:
            kwargs = {k: 0.1 for k in group}
            with pytest.raises(ValueError, match="Only one of"):
                get_scheduler(name, opt, 0, 10, scheduler_specific_kwargs=kwargs)
            with pytest.raises(ValueError, match="One of"):
                get_scheduler(name, opt, 0, 10, scheduler_specific_kwargs={})


def test_drift_is_detected():
    """The comparison fails when a kwarg is renamed (guards the test itself)."""
    spec = schedule_spec("polynomial", VERSION)
    renamed = {("end_lr" if k == "lr_end" else k): v for k, v in spec.kwargs.items()}
    assert renamed != _accepted(optimization.get_polynomial_decay_schedule_with_warmup)


@pytest.mark.skipif(not VERSION.startswith("4."), reason="transformers 4.x behaviour")
def test_v4_has_no_greedy_and_inverse_sqrt_ignores_kwargs():
    assert schedule_spec("greedy", VERSION) is None
    assert schedule_spec("inverse_sqrt", VERSION).ignores_kwargs


@pytest.mark.skipif(VERSION.startswith("4."), reason="transformers 5.x behaviour")
def test_v5_has_greedy_and_inverse_sqrt_takes_kwargs():
    assert schedule_spec("greedy", VERSION).kwargs["min_lr"] == 1e-3
    assert not schedule_spec("inverse_sqrt", VERSION).ignores_kwargs


@pytest.mark.parametrize("name", sorted(schedules(transformers.__version__)))
def test_domains_and_floor_keys_name_real_kwargs(name):
    """Every fact of a schedule's entry refers to a kwarg the installed transformers takes."""
    spec = schedule_spec(name, transformers.__version__)
    assert set(spec.domains) <= set(spec.kwargs), name
    if spec.floor is not None:
        assert set(spec.floor.relative) <= set(spec.floor.keys) <= set(spec.kwargs), name


def test_metric_driven_schedules_are_the_plateau_like_ones():
    """``metric_driven`` in the table is exactly the schedules built as a plateau scheduler."""
    from transformers import get_scheduler

    for name, spec in schedules(transformers.__version__).items():
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
        kwargs = {"num_decay_steps": 10} if "num_decay_steps" in spec.required else {}
        if spec.one_of:
            kwargs[spec.one_of[0][0]] = 1e-5
        sched = get_scheduler(name, opt, 0, 100, scheduler_specific_kwargs=kwargs)
        assert (not hasattr(sched, "lr_lambdas")) == spec.metric_driven, name
