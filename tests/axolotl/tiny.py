"""A tiny local causal LM, a text dataset and a config for axolotl, built offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.tiny_text import sentences


def build_dataset(path: Path, n: int = 64) -> Path:
    """A JSON-lines file of ``{"text": ...}`` rows (axolotl's ``completion`` format)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"text": s}) + "\n" for s in sentences(n, length=8)))
    return path


def config(model: Path, data: Path, prepared: Path, out: Path, **settings: Any) -> dict[str, Any]:
    """An axolotl config for a 10-step CPU run of full fine-tuning on the tiny model.

    ``prepared`` is shared by the runs of a test module: axolotl tokenizes the dataset once.
    """
    return {
        "base_model": str(model),
        "datasets": [{"path": str(data), "ds_type": "json", "type": "completion"}],
        "dataset_prepared_path": str(prepared),
        "dataset_num_proc": 1,
        "sequence_len": 32,
        "val_set_size": 0,
        "micro_batch_size": 4,
        "gradient_accumulation_steps": 1,
        "num_epochs": 1,
        "max_steps": 10,
        "optimizer": "adamw_torch",
        "learning_rate": 1.0e-5,
        "output_dir": str(out),
        "logging_steps": 1,
        "save_steps": 10,
        "bf16": False,
        "fp16": False,
        "tf32": False,
        **settings,
    }
