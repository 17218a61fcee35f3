"""How lrguard fills a DeepSpeed scheduler's ``"auto"`` values, and which explicit values it
reports as mismatches (LRG081), against transformers' own ``HfTrainerDeepSpeedConfig``.

transformers' class needs DeepSpeed installed to be constructed (it is not, here: its wheel
builds from source), so its real methods (``fill_match``, ``trainer_config_process``,
``trainer_config_finalize``) are run on accelerate's ``HfDeepSpeedConfig``, the base class
transformers uses when DeepSpeed is present: the filling and the mismatch check are
transformers' code, unchanged.
"""

from __future__ import annotations

import copy
import json

import pytest

from lrguard.checking import CheckOptions, check_paths
from lrguard.schedules import deepspeed as ds
from tests.hf.conftest import MAJOR, make_args

accelerate_ds = pytest.importorskip("accelerate.utils.deepspeed")
hf_ds = pytest.importorskip("transformers.integrations.deepspeed")

pytestmark = pytest.mark.hf

TOTAL = 300

_methods = {
    k: v
    for k, v in vars(hf_ds.HfTrainerDeepSpeedConfig).items()
    if k not in ("__init__", "__dict__", "__weakref__")
}
TransformersFill = type("TransformersFill", (accelerate_ds.HfDeepSpeedConfig,), _methods)


def transformers_fill(config: dict, args) -> tuple[dict, str | None]:
    """The DeepSpeed config after transformers' fill, and its mismatch error (or None)."""
    filled = TransformersFill(copy.deepcopy(config))
    filled.mismatches, filled._dtype = [], None
    filled.trainer_config_process(args)
    try:
        filled.trainer_config_finalize(args, None, TOTAL)
    except ValueError as err:
        return filled.config, str(err)
    return filled.config, None


SCHEDULERS = [
    {"type": "WarmupLR", "params": dict.fromkeys(("warmup_min_lr", "warmup_max_lr"), "auto")},
    {
        "type": "WarmupDecayLR",
        "params": dict.fromkeys(
            ("warmup_min_lr", "warmup_max_lr", "warmup_num_steps", "total_num_steps"), "auto"
        ),
    },
    {"type": "WarmupCosineLR", "params": {"warmup_num_steps": "auto", "total_num_steps": "auto"}},
    {"type": "WarmupDecayLR", "params": {"warmup_max_lr": 2e-5, "total_num_steps": TOTAL}},
    {"type": "WarmupDecayLR", "params": {"warmup_max_lr": 1e-4, "total_num_steps": 100000}},
    {"type": "WarmupLR", "params": {"warmup_min_lr": 5e-5, "warmup_num_steps": 1000}},
]


@pytest.mark.parametrize("scheduler", SCHEDULERS, ids=lambda s: json.dumps(s["params"])[:60])
@pytest.mark.parametrize("warmup", [0, 30])
def test_fill_and_mismatches_are_transformers(tmp_path, monkeypatch, scheduler, warmup):
    args = make_args(tmp_path, max_steps=TOTAL, learning_rate=2e-5, warmup_steps=warmup)
    config = {"scheduler": copy.deepcopy(scheduler)}
    expected, error = transformers_fill(config, args)
    filled = ds.hf_fill(
        scheduler["type"],
        scheduler["params"],
        learning_rate=2e-5,
        total_steps=TOTAL,
        warmup_steps=warmup,
        major=MAJOR,
    )
    assert filled == expected["scheduler"]["params"]

    monkeypatch.chdir(tmp_path)
    (tmp_path / "ds.json").write_text(json.dumps(config), encoding="utf-8")
    (tmp_path / "train.json").write_text(
        json.dumps(
            {
                "learning_rate": 2e-5,
                "max_steps": TOTAL,
                "warmup_steps": warmup,
                "deepspeed": "ds.json",
            }
        ),
        encoding="utf-8",
    )
    [report] = check_paths([tmp_path / "train.json"], CheckOptions())
    mismatches = [f for f in report.findings if f.code == "LRG081"]
    assert bool(mismatches) == (error is not None), (error, [f.render() for f in mismatches])
    for finding in mismatches:
        key = finding.location.rsplit(".", 1)[-1]
        assert f"scheduler.params.{key}" in error
