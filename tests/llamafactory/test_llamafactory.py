"""``lrguard-llamafactory train CONFIG.yaml``: LLaMA-Factory's own examples, adapted to a tiny
local model, trained for real by the drop-in and by ``llamafactory-cli`` itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("llamafactory")

from hf_lrguard import saved_decisions  # noqa: E402
from lrguard import read_jsonl  # noqa: E402
from tests.llamafactory.tiny import build_dataset  # noqa: E402
from tests.tiny_text import save_tiny_llama  # noqa: E402
from tests.trackers import assert_written, tensorboard_texts  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / ".." / "shared" / "corpus" / "llamafactory"
EXAMPLES = [
    "extras/loraplus/llama3_lora_sft.yaml",  # LoRA, LoRA+ learning-rate ratio
    "extras/dft/qwen2_full_sft.yaml",  # full fine-tuning, DFT loss
    "train_full/qwen3_full_sft.yaml",  # full fine-tuning (DeepSpeed dropped: one CPU)
]
MIN_ABOVE = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr": 1.0e-4}}
CLEAN = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr_rate": 0.1}}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not present"),
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny")
    return {"model": save_tiny_llama(root / "model"), "data": build_dataset(root / "data")}


def adapt(
    example: str, tiny: dict[str, Path], out: Path, report_to: str = "none", **extra: Any
) -> Path:
    """The example with the tiny model, data and a 10-step CPU run in place of the real ones,
    reporting to ``report_to``."""
    config = yaml.safe_load((CORPUS / example).read_text())
    for key in ("deepspeed", "preprocessing_num_workers", "pure_bf16"):
        config.pop(key, None)
    config.update(
        model_name_or_path=str(tiny["model"]),
        trust_remote_code=False,
        dataset="tiny_alpaca",
        dataset_dir=str(tiny["data"]),
        template="default",
        cutoff_len=32,
        output_dir=str(out),
        max_steps=10,
        logging_steps=1,
        save_steps=1000,
        bf16=False,
        plot_loss=False,
        report_to=report_to,
        per_device_train_batch_size=4,
        gradient_accumulation_steps=1,
        dataloader_num_workers=0,
        learning_rate=1.0e-5,
        **extra,
    )
    path = out.parent / f"{out.name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def train(command: list[str], config: Path, *overrides: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "stubs"), str(ROOT)]),
    }
    return subprocess.run(
        [*command, "train", str(config), *overrides],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


GUARDED = [sys.executable, "-m", "hf_lrguard.llamafactory"]
STOCK = [str(Path(sys.executable).with_name("llamafactory-cli"))]


def rates(out: Path) -> list[float]:
    state = json.loads((out / "trainer_state.json").read_text())
    return [e["learning_rate"] for e in state["log_history"] if "learning_rate" in e]


def saved_records(out: Path) -> list[dict[str, Any]]:
    return saved_decisions(out / "trainer_state.json")


@pytest.mark.parametrize("example", EXAMPLES)
def test_drop_in_takes_the_example_and_keeps_the_rate_below_the_peak(example, tiny, tmp_path):
    out = tmp_path / "guarded"
    run = train(GUARDED, adapt(example, tiny, out, report_to="tensorboard", **MIN_ABOVE))
    assert run.returncode == 0, run.stderr[-3000:]
    records = read_jsonl(out / "lrguard.jsonl")
    assert [(r["rule"], r["action"]) for r in records] == [("LRG002", "adjusted")]
    assert saved_records(out) == records
    assert_written(records, tensorboard_texts(out))  # read back from the event files
    assert max(rates(out)) <= 1e-5


def test_stock_cli_rises_to_ten_times_the_peak(tiny, tmp_path):
    out = tmp_path / "stock"
    run = train(STOCK, adapt(EXAMPLES[0], tiny, out, **MIN_ABOVE))
    assert run.returncode == 0, run.stderr[-3000:]
    assert rates(out)[-1] > 9e-5


def test_clean_config_trains_identically(tiny, tmp_path):
    runs = {}
    for name, command in (("stock", STOCK), ("guarded", GUARDED)):
        out = tmp_path / name
        run = train(command, adapt(EXAMPLES[1], tiny, out, **CLEAN))
        assert run.returncode == 0, run.stderr[-3000:]
        runs[name] = rates(out)
    assert runs["guarded"] == runs["stock"]
    assert not (tmp_path / "guarded" / "lrguard.jsonl").exists()


def test_overrides_and_policy_block(tiny, tmp_path):
    out = tmp_path / "error"
    config = adapt(EXAMPLES[0], tiny, out, lrguard={"on_violation": "error"}, **MIN_ABOVE)
    refused = train(GUARDED, config)
    assert refused.returncode == 2
    assert "LRG002 lr_scheduler_kwargs.min_lr=0.0001 is above learning_rate=1e-05" in (
        refused.stderr
    )
    assert not out.exists()  # refused before the model was loaded: nothing written
    run = train(GUARDED, config, "lrguard.on_violation=adjust", "max_steps=6")
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(rates(out)) == 6 and max(rates(out)) <= 1e-5


@pytest.mark.parametrize("value", [False, 0, "", "off", [1]], ids=repr)
def test_a_policy_block_that_is_not_a_mapping_is_refused(tiny, tmp_path, capsys, value):
    """``lrguard: false`` / ``0`` / ``""`` do not switch the guard off: like axolotl's plugin,
    the drop-in refuses them naming the field, the value and the fix, before any model."""
    from hf_lrguard.llamafactory import main

    out = tmp_path / "out"
    config = adapt(EXAMPLES[0], tiny, out, lrguard=value, **CLEAN)
    assert yaml.safe_load(config.read_text())["lrguard"] == value
    assert main(["train", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"lrguard-llamafactory: lrguard={value!r}: must be a mapping"), err
    assert "Fix: write e.g. `lrguard: {on_violation: error}`" in err
    assert not out.exists()


def test_an_empty_policy_block_means_the_defaults(tiny, tmp_path, capsys, monkeypatch):
    """``lrguard:`` with nothing after it (null) is the default policy, as without the key."""
    import hf_lrguard.llamafactory as drop_in

    seen = []
    monkeypatch.setattr(drop_in, "preflight", lambda args, policy: seen.append(policy) or ["x"])
    config = adapt(EXAMPLES[0], tiny, tmp_path / "out", lrguard=None, **CLEAN)
    assert drop_in.main(["train", str(config)]) == 2
    (policy,) = seen
    assert policy.on_violation == "adjust"
    assert capsys.readouterr().err == "lrguard-llamafactory: x\n"  # only the preflight's word
