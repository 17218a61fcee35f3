"""DeepSpeed's schedules in the schedule table against DeepSpeed's own code.

``Reference`` below transcribes ``deepspeed/runtime/lr_schedules.py`` of DeepSpeed 0.19.8
(``WarmupLR.__init__ / get_lr / step / _get_gamma``, ``WarmupDecayLR._get_gamma``,
``WarmupCosineLR.get_lr_ratio / get_lr``) statement by statement, as a stateful object that
is stepped after every optimizer step the way DeepSpeed's engine does; the table's closed
forms must give the same rate at every step. When DeepSpeed itself is importable, the real
classes are compared too (it is not installed in the test environments: its wheel builds
from source; the same comparison was run against the 0.19.8 source with a stub logger:
72 schedules x 250 steps, relative error 0).
"""

from __future__ import annotations

import math

import pytest

from lrguard.schedules import deepspeed as ds


class Reference:
    """DeepSpeed 0.19.8's WarmupLR / WarmupDecayLR / WarmupCosineLR, one param group."""

    def __init__(self, name: str, base_lr: float, **params: float | str) -> None:
        self.name, self.params = name, params
        self.org_lr = base_lr
        self.min_lr = float(params.get("warmup_min_lr", 0.0))
        max_lr = params.get("warmup_max_lr", None if name == "WarmupLR" else 0.001)
        self.max_lr = base_lr if max_lr is None else float(max_lr)
        self.warmup_num_steps = max(2, int(params.get("warmup_num_steps", 1000)))
        kind = params.get("warmup_type", "log")
        self.warmup_type = kind if kind in ("log", "linear") else "log"
        self.inverse_log_warm_up = 1.0 / math.log(self.warmup_num_steps)
        self.total_num_steps = params.get("total_num_steps")
        self.last_batch_iteration = -1
        self.lr = self.get_lr()

    def _warmup_gamma(self) -> float:
        if self.warmup_type == "log":
            return self.inverse_log_warm_up * math.log(self.last_batch_iteration + 1)
        return self.last_batch_iteration / self.warmup_num_steps

    def get_lr(self) -> float:
        if self.name == "WarmupCosineLR":
            if self.last_batch_iteration < 0:
                return 0.0
            return self.org_lr * self._ratio()
        if self.last_batch_iteration < 0:
            return self.min_lr
        return self.min_lr + (self.max_lr - self.min_lr) * self._gamma()

    def _gamma(self) -> float:
        if self.last_batch_iteration < self.warmup_num_steps:
            return self._warmup_gamma()
        if self.name == "WarmupLR":
            return 1.0
        total = self.total_num_steps
        return max(
            0.0,
            float(total - self.last_batch_iteration)
            / float(max(1.0, total - self.warmup_num_steps)),
        )

    def _ratio(self) -> float:
        if self.last_batch_iteration < self.warmup_num_steps:
            low = float(self.params.get("warmup_min_ratio", 0.0))
            return low + self._warmup_gamma() * (1.0 - low)
        real_last_step = self.last_batch_iteration - self.warmup_num_steps + 1
        real_total_steps = max(1, self.total_num_steps - self.warmup_num_steps)
        progress = min(1.0, real_last_step / real_total_steps)
        low = float(self.params.get("cos_min_ratio", 0.0001))
        ratio = (1 + math.cos(math.pi * progress)) / 2
        return max(0.0, low + (1.0 - low) * ratio)

    def step(self) -> None:
        self.last_batch_iteration += 1
        self.lr = self.get_lr()


CASES = [
    ("WarmupLR", {"warmup_min_lr": 1e-6, "warmup_max_lr": 3e-4, "warmup_num_steps": 10}),
    ("WarmupLR", {"warmup_num_steps": 7, "warmup_type": "linear"}),
    ("WarmupLR", {"warmup_num_steps": 1}),  # DeepSpeed uses at least 2
    ("WarmupDecayLR", {"total_num_steps": 100, "warmup_max_lr": 2e-5, "warmup_num_steps": 10}),
    ("WarmupDecayLR", {"total_num_steps": 60, "warmup_num_steps": 30, "warmup_type": "linear"}),
    ("WarmupDecayLR", {"total_num_steps": 20, "warmup_num_steps": 30, "warmup_max_lr": 1e-4}),
    ("WarmupDecayLR", {"total_num_steps": 50, "warmup_min_lr": 5e-5, "warmup_max_lr": 1e-5}),
    ("WarmupCosineLR", {"total_num_steps": 100, "warmup_num_steps": 10}),
    (
        "WarmupCosineLR",
        {
            "total_num_steps": 80,
            "warmup_num_steps": 5,
            "warmup_min_ratio": 0.1,
            "cos_min_ratio": 0.01,
            "warmup_type": "linear",
        },
    ),
    ("WarmupCosineLR", {"total_num_steps": 10, "warmup_num_steps": 30, "warmup_type": "odd"}),
]


@pytest.mark.parametrize(("name", "params"), CASES, ids=lambda c: str(c)[:40])
def test_closed_form_matches_the_transcription_every_step(name, params):
    reference = Reference(name, 1e-4, **params)
    for step in range(150):
        expected = reference.lr
        assert ds.rate(name, params, 1e-4, step) == pytest.approx(expected, rel=1e-12, abs=0)
        reference.step()


@pytest.mark.parametrize(("name", "params"), CASES, ids=lambda c: str(c)[:40])
def test_closed_form_matches_deepspeed_itself(name, params):
    torch = pytest.importorskip("torch")
    schedules = pytest.importorskip("deepspeed.runtime.lr_schedules")
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-4)
    scheduler = getattr(schedules, name)(optimizer, **params)
    for step in range(150):
        real = optimizer.param_groups[0]["lr"]
        assert ds.rate(name, params, 1e-4, step) == pytest.approx(real, rel=1e-12, abs=0)
        optimizer.step()
        scheduler.step()


def test_table_lists_deepspeeds_classes_with_their_defaults():
    assert set(ds.DEEPSPEED_SCHEDULES) == {
        "WarmupLR",
        "WarmupDecayLR",
        "WarmupCosineLR",
        "OneCycle",
        "LRRangeTest",
    }
    decay = ds.DEEPSPEED_SCHEDULES["WarmupDecayLR"]
    assert decay.defaults["warmup_max_lr"] == 0.001 and decay.required == ("total_num_steps",)
    assert ds.DEEPSPEED_SCHEDULES["WarmupLR"].defaults["warmup_max_lr"] is None
    assert not ds.DEEPSPEED_SCHEDULES["WarmupLR"].decays


def test_hf_fill_fills_only_auto_and_keeps_unknown_counts_auto():
    params = {"warmup_min_lr": "auto", "warmup_max_lr": 3e-5, "total_num_steps": "auto"}
    filled = ds.hf_fill(
        "WarmupDecayLR", params, learning_rate=2e-5, total_steps=None, warmup_steps=None
    )
    assert filled == {"warmup_min_lr": 0, "warmup_max_lr": 3e-5, "total_num_steps": "auto"}
    zero = {"warmup_num_steps": "auto"}
    kw = {"learning_rate": 1e-5, "total_steps": 10, "warmup_steps": 0}
    assert ds.hf_fill("WarmupLR", zero, **kw, major=4) == {"warmup_num_steps": 0}
    assert ds.hf_fill("WarmupLR", zero, **kw, major=5) == {"warmup_num_steps": 1}
