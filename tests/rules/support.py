"""Running one rule on a config (through ``lrguard check``), on a scheduler object (through
``torch_lrguard.check_scheduler``) or on the worst case ``lrguard simulate`` computes (event
rules), for the per-rule test modules in this folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrguard.adapters.flair_kwargs import flair_plan
from lrguard.adapters.hf_args import plan_from_hf_args
from lrguard.checking import CheckOptions, check_paths
from lrguard.configs.loader import load_config
from lrguard.findings import Finding
from lrguard.floor_watch import at_floor
from lrguard.rules import check_plan, get_rule
from lrguard.simulate import Simulation, simulate_result


def config(tmp_path: Path, text: str, name: str = "train.yaml") -> Path:
    """``text`` written as the config file ``name`` in ``tmp_path``."""
    path = tmp_path / name
    path.write_text(text.strip("\n") + "\n", encoding="utf-8")
    return path


def check_text(
    tmp_path: Path, text: str, code: str, name: str = "train.yaml", **options: object
) -> list[Finding]:
    """The findings of rule ``code`` when ``lrguard check`` reads ``text`` as a config."""
    reports = check_paths([config(tmp_path, text, name)], CheckOptions(**options))
    assert [r.result.status for r in reports] == ["checked"], reports[0].result.reason
    return [f for r in reports for f in r.findings if f.code == code]


def check_objects(code: str, snippet: str) -> list[Finding]:
    """The findings of rule ``code`` for the ``optimizer``, ``scheduler`` and ``total_steps``
    that the Python ``snippet`` defines (torch is needed: skipped without it)."""
    pytest.importorskip("torch")
    from torch_lrguard import check_scheduler

    namespace: dict[str, object] = {"__name__": f"snippet_{code}"}
    exec(compile(snippet, f"{code} snippet", "exec"), namespace)
    found = check_scheduler(
        namespace["optimizer"], namespace["scheduler"], int(namespace["total_steps"])
    )
    return [f for f in found if f.code == code]


def example(code: str) -> str:
    """The rule's documented example (what ``lrguard explain`` shows)."""
    return get_rule(code).example


def corrected(code: str) -> str:
    """The rule's documented corrected example."""
    return get_rule(code).corrected


SCHEDULER = """
import torch
from torch.optim import lr_scheduler
optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
scheduler = {scheduler}
total_steps = {total_steps}
"""
"""A one-parameter SGD optimizer at 1e-3 under ``scheduler`` (built from ``optimizer``)."""


def scheduler_snippet(scheduler: str, total_steps: int) -> str:
    """A snippet for ``check_objects``: SGD at 1e-3 under ``scheduler`` for ``total_steps``."""
    return SCHEDULER.format(scheduler=scheduler, total_steps=total_steps)


def simulate_text(tmp_path: Path, text: str) -> Simulation:
    """The worst case ``lrguard simulate`` computes for the config ``text`` (event rules:
    annealing, stopping, floors reached)."""
    return simulate_result(load_config(config(tmp_path, text)))


def annealed(sim: Simulation) -> bool:
    """The guarded rate falls below its start in the worst case (LRG009)."""
    rates = [r for r in sim.series["lr_lrguard"] if r == r]
    return min(rates) < rates[0]


def stopped(sim: Simulation) -> bool:
    """The guarded run stops early in the worst case (LRG010)."""
    return "lr_lrguard" in sim.stops


def floor_reached(sim: Simulation) -> bool:
    """The stock schedule's rate reaches its floor in the worst case (LRG022)."""
    return sim.floor is not None and at_floor([min(sim.series["lr"])], [sim.floor])


def hf_codes(args: dict, steps: int | None = None, version: str | None = "4.57.6") -> list[str]:
    """The sorted codes of every finding on Hugging Face ``TrainingArguments`` values ``args``
    (a plain plan: no transformers import), for a run of ``steps`` on transformers
    ``version`` (None: unknown, every version's reading)."""
    plan = plan_from_hf_args(args, steps, transformers_version=version)
    return sorted(f.code for f in check_plan(plan))


def flair_codes(kwargs: dict) -> list[str]:
    """The codes of every finding on Flair ``train()`` keywords ``kwargs`` (a plain plan, no
    flair import), in the order the rules give them."""
    return [f.code for f in check_plan(flair_plan(kwargs))]
