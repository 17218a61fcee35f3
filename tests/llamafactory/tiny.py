"""A tiny local causal LM and an alpaca-format dataset for LLaMA-Factory, built offline."""

from __future__ import annotations

import json
from pathlib import Path

from tests.tiny_text import sentences


def build_dataset(path: Path, n: int = 64) -> Path:
    """An alpaca-format dataset ``tiny_alpaca`` with its ``dataset_info.json`` in ``path``."""
    rows = [
        {"instruction": " ".join(words[:4]), "input": "", "output": " ".join(words[4:])}
        for words in (line.split() for line in sentences(n, length=8))
    ]
    path.mkdir(parents=True, exist_ok=True)
    (path / "tiny_alpaca.json").write_text(json.dumps(rows))
    (path / "dataset_info.json").write_text(
        json.dumps({"tiny_alpaca": {"file_name": "tiny_alpaca.json"}})
    )
    return path
