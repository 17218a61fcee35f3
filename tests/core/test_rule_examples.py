"""Every rule's documented example makes it fire, and its corrected example does not.

The examples are what ``lrguard explain`` shows; running them here keeps the docs true.
Configuration rules are run through ``lrguard check``; event rules (taken during training)
through the worst case ``lrguard simulate`` computes for the same config; rules about a real
scheduler object (``example_kind="torch"``) by running the snippet and passing its
``optimizer``, ``scheduler`` and ``total_steps`` to ``torch_lrguard.check_scheduler``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from lrguard.checking import CheckOptions, check_paths
from lrguard.configs.loader import load_config
from lrguard.floor_watch import at_floor
from lrguard.rules import Rule, all_rules
from lrguard.simulate import Simulation, simulate_result


def _annealed(sim: Simulation) -> bool:
    rates = [r for r in sim.series["lr_lrguard"] if r == r]
    return min(rates) < rates[0]


def _stopped(sim: Simulation) -> bool:
    return "lr_lrguard" in sim.stops


def _floor_reached(sim: Simulation) -> bool:
    return sim.floor is not None and at_floor([min(sim.series["lr"])], [sim.floor])


EVENTS: dict[str, Callable[[Simulation], bool]] = {
    "LRG009": _annealed,
    "LRG010": _stopped,
    "LRG022": _floor_reached,
}
"""Event rules: what the worst-case simulation of the example shows when the event happens."""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _fires_on_objects(rule: Rule, code: str) -> bool:
    pytest.importorskip("torch")
    from torch_lrguard import check_scheduler

    namespace: dict[str, object] = {"__name__": f"example_{rule.code}"}
    exec(compile(code, f"{rule.code} example", "exec"), namespace)
    found = check_scheduler(
        namespace["optimizer"], namespace["scheduler"], int(namespace["total_steps"])
    )
    return rule.code in [f.code for f in found]


def _suggests(rule: Rule, code: str) -> bool:
    """Range-test examples: run the sweep the snippet defines; the rule 'fires' when the
    result suggests a rate (its decision then carries one)."""
    from lrguard.range_test import SweepRecorder, SweepSettings

    namespace: dict[str, object] = {"SweepSettings": SweepSettings}
    exec(compile(code, f"{rule.code} example", "exec"), namespace)
    sweep = namespace["sweep"]
    recorder = SweepRecorder(sweep)
    for step in range(sweep.num_steps):
        lr = sweep.rate(step)
        if not recorder.record(lr, namespace["loss_at"](lr)):
            break
    decision = recorder.result().decision("test")
    assert decision.rule == rule.code
    return decision.after is not None


def _fires_on_resume(rule: Rule, path: Path) -> bool:
    """LRG024: ``lrguard check --resume-from`` a checkpoint the guard wrote 400 steps into a
    1,000-step linear run with 100 warmup steps at 2e-5."""
    from lrguard.resume import ScheduleFacts, add_resume_findings

    folder = path.parent / "checkpoint-400"
    folder.mkdir(exist_ok=True)
    facts = ScheduleFacts(name="linear", learning_rate=2e-5, warmup_steps=100, total_steps=1000)
    saved = {"resume_state": {"schedule": facts.to_dict()}}
    state = {
        "global_step": 400,
        "max_steps": 1000,
        "stateful_callbacks": {"LRGuardCallback": {"attributes": saved}},
    }
    (folder / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")
    options = CheckOptions()
    reports = check_paths([path], options)
    assert add_resume_findings(reports, folder, options) is None
    return rule.code in [f.code for r in reports for f in r.findings]


def _fires(rule: Rule, path: Path) -> bool:
    if rule.code == "LRG024":
        return _fires_on_resume(rule, path)
    if rule.check is None:
        return EVENTS[rule.code](simulate_result(load_config(path)))
    reports = check_paths([path], CheckOptions())
    assert [r.result.status for r in reports] == ["checked"], reports[0].result.reason
    return rule.code in [f.code for r in reports for f in r.findings]


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_example_fires_and_corrected_does_not(rule: Rule, tmp_path: Path) -> None:
    if rule.example_kind == "torch":
        assert _fires_on_objects(rule, rule.example), rule.example
        assert not _fires_on_objects(rule, rule.corrected), rule.corrected
        return
    if rule.example_kind == "range_test":
        assert _suggests(rule, rule.example), rule.example
        assert not _suggests(rule, rule.corrected), rule.corrected
        return
    assert rule.check is not None or rule.code in EVENTS, f"{rule.code}: no way to run it"
    assert _fires(rule, _write(tmp_path, "example", rule.example)), rule.example
    assert not _fires(rule, _write(tmp_path, "corrected", rule.corrected)), rule.corrected
