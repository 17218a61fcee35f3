"""``lrguard check`` / ``simulate`` on configs whose ``deepspeed:`` file has a scheduler.

The DeepSpeed JSON files below follow real ones: the Hugging Face DeepSpeed guide's
``ds_config_zero2.json`` (``WarmupLR``, every param ``"auto"``) and a ZeRO-3 config copied
between projects with explicit ``WarmupDecayLR`` values (``total_num_steps: 100000``).
"""

from __future__ import annotations

import json
import math

import pytest

from lrguard.checking import CheckOptions, check_paths
from lrguard.configs.loader import load_config
from lrguard.configs.steps import StepOptions
from lrguard.schedules import deepspeed as ds
from lrguard.simulate import SimulationError, simulate_result

HF_GUIDE_ZERO2 = {
    "optimizer": {
        "type": "AdamW",
        "params": {"lr": "auto", "betas": "auto", "eps": "auto", "weight_decay": "auto"},
    },
    "scheduler": {
        "type": "WarmupLR",
        "params": {"warmup_min_lr": "auto", "warmup_max_lr": "auto", "warmup_num_steps": "auto"},
    },
    "zero_optimization": {"stage": 2},
    "train_micro_batch_size_per_gpu": "auto",
}

COPIED_ZERO3 = {
    "optimizer": {"type": "AdamW", "params": {"lr": 1e-4, "weight_decay": 0.01}},
    "scheduler": {
        "type": "WarmupDecayLR",
        "params": {
            "warmup_min_lr": 0,
            "warmup_max_lr": 1e-4,
            "warmup_num_steps": 1000,
            "total_num_steps": 100000,
        },
    },
    "zero_optimization": {"stage": 3},
}

LLAMAFACTORY = """\
model_name_or_path: ./tiny-llama
stage: sft
do_train: true
finetuning_type: lora
learning_rate: 1.0e-4
max_steps: 3000
warmup_ratio: 0.1
lr_scheduler_type: cosine
per_device_train_batch_size: 2
deepspeed: {ds}
"""


def _codes(path):
    [report] = check_paths([path], CheckOptions())
    assert report.result.status == "checked", report.result.reason
    return [(f.code, f.severity.value) for f in report.findings], report


def _dump(path, data):
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def test_copied_explicit_values_are_the_mismatches_transformers_refuses(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _dump(tmp_path / "ds_z3.json", COPIED_ZERO3)
    config = tmp_path / "sft.yaml"
    config.write_text(LLAMAFACTORY.format(ds="ds_z3.json"), encoding="utf-8")
    codes, report = _codes(config)
    assert codes == [("LRG081", "error")] * 2 + [("LRG080", "warning")]
    total, warmup = (f for f in report.findings if f.code == "LRG081")
    assert "total_num_steps=100000 but transformers computes 3000" in total.message
    assert 'Set total_num_steps: "auto"' in total.fix
    assert "warmup_num_steps=1000 but transformers computes 300" in warmup.message
    assert total.line == 10  # the config's deepspeed: line
    [replaced] = [f for f in report.findings if f.code == "LRG080"]
    assert "ignores lr_scheduler_type='cosine'" in replaced.message


def test_all_auto_warmup_lr_is_noted_and_simulated_flat_after_warmup(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _dump(tmp_path / "ds_config_zero2.json", HF_GUIDE_ZERO2)
    config = tmp_path / "train.yaml"
    config.write_text(
        "learning_rate: 2.0e-5\nmax_steps: 200\nwarmup_steps: 20\n"
        "per_device_train_batch_size: 8\ndeepspeed: ds_config_zero2.json\n",
        encoding="utf-8",
    )
    codes, _ = _codes(config)
    assert codes == [("LRG080", "info")]
    sim = simulate_result(load_config(config))
    rates = sim.series["lr"]
    assert len(rates) == 200 and "DeepSpeed WarmupLR" in sim.title
    assert rates[0] == 0.0 and rates[1] == 0.0  # log warmup from warmup_min_lr=0
    assert all(r == pytest.approx(2e-5, rel=1e-12) for r in rates[21:])  # flat, never decays
    assert rates[10] == pytest.approx(2e-5 * math.log(10) / math.log(20), rel=1e-12)


def test_path_is_looked_up_from_the_working_directory_then_next_to_the_config(
    tmp_path, monkeypatch
):
    configs = tmp_path / "configs"
    configs.mkdir()
    config = configs / "sft.yaml"
    config.write_text(LLAMAFACTORY.format(ds="ds/ds_z3.json"), encoding="utf-8")
    (configs / "ds").mkdir()
    _dump(configs / "ds" / "ds_z3.json", HF_GUIDE_ZERO2)  # next to the config: all auto
    monkeypatch.chdir(tmp_path)
    plan = load_config(config).plan
    assert plan.source.deepspeed.path == str(configs / "ds" / "ds_z3.json")
    (tmp_path / "ds").mkdir()
    _dump(tmp_path / "ds" / "ds_z3.json", COPIED_ZERO3)  # where training is launched from
    plan = load_config(config).plan
    assert plan.source.deepspeed.path == "ds/ds_z3.json"
    assert "LRG081" in [c for c, _ in _codes(config)[0]]


def test_a_missing_or_broken_file_is_one_note(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "sft.yaml"
    config.write_text(LLAMAFACTORY.format(ds="examples/deepspeed/ds_z3.json"), encoding="utf-8")
    codes, report = _codes(config)
    assert codes == [("LRG086", "info")]
    assert "not found (looked in examples/deepspeed/ds_z3.json," in report.findings[0].message
    (tmp_path / "examples" / "deepspeed").mkdir(parents=True)
    (tmp_path / "examples" / "deepspeed" / "ds_z3.json").write_text("{ not json", "utf-8")
    codes, report = _codes(config)
    assert codes == [("LRG086", "info")] and "invalid JSON at line 1" in report.findings[0].message


def test_axolotl_cosine_min_lr_ratio_is_lost_to_a_deepspeed_scheduler(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _dump(tmp_path / "zero2.json", HF_GUIDE_ZERO2)
    config = tmp_path / "axolotl.yaml"
    config.write_text(
        "base_model: ./tiny-llama\nlearning_rate: 2.0e-5\nmax_steps: 500\nmicro_batch_size: 2\n"
        "lr_scheduler: cosine\ncosine_min_lr_ratio: 0.1\nwarmup_steps: 10\n"
        "deepspeed: zero2.json\n",
        encoding="utf-8",
    )
    codes, report = _codes(config)
    assert codes == [("LRG080", "warning")]
    assert "cosine_min_lr_ratio=0.1" in report.findings[0].message
    assert "lr_scheduler='cosine'" in report.findings[0].message


def test_the_replaced_schedule_is_not_checked(tmp_path, monkeypatch):
    """cosine_with_min_lr without min_lr is LRG005 alone; with a DeepSpeed scheduler
    transformers never builds it."""
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "train.yaml"
    body = (
        "learning_rate: 2.0e-5\nmax_steps: 200\nwarmup_steps: 20\n"
        "lr_scheduler_type: cosine_with_min_lr\n"
    )
    config.write_text(body, encoding="utf-8")
    assert ("LRG005", "error") in _codes(config)[0]
    _dump(tmp_path / "ds.json", HF_GUIDE_ZERO2)
    config.write_text(body + "deepspeed: ds.json\n", encoding="utf-8")
    assert _codes(config)[0] == [("LRG080", "warning")]


def test_decay_without_warmup_max_lr_peaks_at_deepspeeds_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = {"scheduler": {"type": "WarmupDecayLR", "params": {"total_num_steps": "auto"}}}
    _dump(tmp_path / "ds.json", data)
    config = tmp_path / "train.yaml"
    config.write_text(
        "learning_rate: 2.0e-5\nmax_steps: 2000\nwarmup_steps: 100\ndeepspeed: ds.json\n",
        encoding="utf-8",
    )
    codes, report = _codes(config)
    assert codes == [("LRG085", "error"), ("LRG085", "warning"), ("LRG080", "info")]
    assert "default 0.001 is the run's peak, 50x learning_rate=2e-05" in report.findings[0].message
    sim = simulate_result(load_config(config))
    assert max(sim.series["lr"]) == pytest.approx(1e-3)


@pytest.mark.parametrize(
    ("params", "code", "text"),
    [
        ({"warmup_num_steps": "auto"}, "LRG084", "no params.total_num_steps"),
        ({"total_num_steps": "auto", "warmup_steps": 10}, "LRG084", "warmup_steps is not a"),
        ({"total_num_steps": "auto", "warmup_num_steps": 0}, "LRG084", "=0 is not a positive"),
        (
            {"total_num_steps": "auto", "warmup_num_steps": "auto", "warmup_min_lr": 1e-4},
            "LRG082",
            "falls from 0.0001 to 2e-05 during warmup",
        ),
    ],
)
def test_values_deepspeed_cannot_use(tmp_path, monkeypatch, params, code, text):
    monkeypatch.chdir(tmp_path)
    full = {"warmup_max_lr": "auto", **params}
    _dump(tmp_path / "ds.json", {"scheduler": {"type": "WarmupDecayLR", "params": full}})
    config = tmp_path / "train.yaml"
    config.write_text(
        "learning_rate: 2.0e-5\nmax_steps: 2000\nwarmup_steps: 100\ndeepspeed: ds.json\n",
        encoding="utf-8",
    )
    _, report = _codes(config)
    hits = [f for f in report.findings if f.code == code]
    assert hits and text in hits[0].message, [f.render() for f in report.findings]


def test_auto_warmup_with_no_warmup_is_zero_in_transformers_4(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _dump(tmp_path / "ds.json", HF_GUIDE_ZERO2)
    config = tmp_path / "train.yaml"
    config.write_text("learning_rate: 2.0e-5\nmax_steps: 200\ndeepspeed: ds.json\n", "utf-8")
    codes, report = _codes(config)
    assert ("LRG084", "warning") in codes
    [hit] = [f for f in report.findings if f.code == "LRG084"]
    assert "transformers 4.x fills 0, which DeepSpeed >= 0.19.6 refuses" in hit.message


def test_cosine_floor_ratio_above_one_and_its_simulation(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    params = {"total_num_steps": "auto", "warmup_num_steps": "auto", "cos_min_ratio": 0.1}
    _dump(tmp_path / "ds.json", {"scheduler": {"type": "WarmupCosineLR", "params": params}})
    config = tmp_path / "train.yaml"
    config.write_text(
        "learning_rate: 1.0e-4\nmax_steps: 1000\nwarmup_steps: 50\ndeepspeed: ds.json\n", "utf-8"
    )
    assert _codes(config)[0] == [("LRG080", "info")]
    sim = simulate_result(load_config(config))
    filled = ds.hf_fill(
        "WarmupCosineLR", params, learning_rate=1e-4, total_steps=1000, warmup_steps=50
    )
    assert sim.series["lr"] == [ds.rate("WarmupCosineLR", filled, 1e-4, k) for k in range(1000)]
    assert sim.series["lr"][-1] == pytest.approx(1e-5, rel=1e-3) and sim.floor == 1e-5
    params["cos_min_ratio"] = 1.5
    _dump(tmp_path / "ds.json", {"scheduler": {"type": "WarmupCosineLR", "params": params}})
    assert ("LRG083", "error") in _codes(config)[0]


def test_unsimulated_deepspeed_types_say_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    params = {"cycle_min_lr": 1e-5, "cycle_max_lr": 1e-4}
    _dump(tmp_path / "ds.json", {"scheduler": {"type": "OneCycle", "params": params}})
    config = tmp_path / "train.yaml"
    config.write_text("learning_rate: 1.0e-4\nmax_steps: 100\ndeepspeed: ds.json\n", "utf-8")
    with pytest.raises(SimulationError, match="type 'OneCycle'"):
        simulate_result(load_config(config))
    _dump(tmp_path / "ds.json", {"scheduler": {"type": "WarmupCosine", "params": {}}})
    assert _codes(config)[0][0] == ("LRG084", "error")


# ------------------------------------------------------------ a DeepSpeed config on its own


def _standalone(tmp_path, config: dict) -> tuple[str, list]:
    path = tmp_path / "ds_config.json"
    _dump(path, config)
    (report,) = check_paths([path], CheckOptions())
    return report.result.status, report.findings


def test_standalone_config_with_its_own_rate_is_checked(tmp_path):
    """deepspeed.initialize users: the optimizer's lr is the peak, total_num_steps the run."""
    config = {
        "train_batch_size": 32,
        "optimizer": {"type": "AdamW", "params": {"lr": 1e-5}},
        "scheduler": {
            "type": "WarmupDecayLR",
            "params": {"warmup_min_lr": 0, "warmup_num_steps": 1000, "total_num_steps": 500},
        },
    }
    status, findings = _standalone(tmp_path, config)
    assert status == "checked"
    by_code = {f.code: f for f in findings}
    assert set(by_code) == {"LRG085", "LRG006"}  # nothing about TrainingArguments
    default = by_code["LRG085"]  # DeepSpeed#7303: warmup_max_lr's default overrides the lr
    assert default.severity.value == "error"
    assert "DeepSpeed's default 0.001 is the run's peak, 100x optimizer.params.lr=1e-05" in (
        default.message
    )
    assert default.fix == "Add warmup_max_lr: 1e-05 to scheduler.params in ds_config.json."
    warmup = by_code["LRG006"]
    lines = (tmp_path / "ds_config.json").read_text().splitlines()
    assert warmup.severity.value == "warning"
    assert '"warmup_num_steps": 1000' in lines[warmup.line - 1]
    assert warmup.message.startswith(
        "scheduler.params.warmup_num_steps=1000 >= the run's 500 steps (total_num_steps)"
    )
    assert warmup.fix.startswith("Set warmup_num_steps: 50 or fewer")
    fixed = json.loads(json.dumps(config))
    fixed["scheduler"]["params"].update(warmup_max_lr=1e-5, warmup_num_steps=50)
    assert _standalone(tmp_path, fixed) == ("checked", [])


def test_standalone_warmup_start_above_peak(tmp_path):
    config = {
        "train_micro_batch_size_per_gpu": 4,
        "optimizer": {"type": "Adam", "params": {"lr": 2e-4}},
        "scheduler": {
            "type": "WarmupLR",
            "params": {"warmup_min_lr": 1e-3, "warmup_max_lr": 2e-4, "warmup_num_steps": 100},
        },
    }
    _, findings = _standalone(tmp_path, config)
    (found,) = findings
    assert found.code == "LRG082" and found.severity.value == "error"
    assert found.location == "scheduler.params.warmup_min_lr" and found.line is not None
    sim = simulate_result(load_config(tmp_path / "ds_config.json", None, StepOptions(steps=300)))
    assert sim.series["lr"][0] == pytest.approx(1e-3)  # it starts above the peak it "warms" to
    assert "optimizer.params.lr=0.0002" in sim.title


def test_hf_trainer_deepspeed_configs_are_skipped_on_their_own(tmp_path):
    status, _ = _standalone(tmp_path, HF_GUIDE_ZERO2)
    (report,) = check_paths([tmp_path / "ds_config.json"], CheckOptions())
    assert status == "skipped" and '"auto" values' in report.result.reason
    code_only = {"zero_optimization": {"stage": 2}, "scheduler": {"type": "WarmupLR"}}
    status, _ = _standalone(tmp_path, code_only)
    (report,) = check_paths([tmp_path / "ds_config.json"], CheckOptions())
    assert status == "skipped" and "no optimizer.params.lr" in report.result.reason


def test_standalone_string_rate_is_an_error(tmp_path):
    config = {"train_batch_size": 8, "optimizer": {"type": "Adam", "params": {"lr": "1e-5"}}}
    _, findings = _standalone(tmp_path, config)
    (found,) = findings
    assert found.code == "LRG004" and found.severity.value == "error"
    assert "DeepSpeed engine is built" in found.message and "transformers" not in found.message
    assert found.fix == "Write optimizer.params.lr as a JSON number, without quotes: 1e-05."
