"""Reading back what a run wrote to its trackers: the guard's decisions, one text per record
under ``train/lrguard/<rule>`` at the decision's step."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def assert_written(
    records: list[dict[str, Any]], written: dict[str, list[tuple[int, str]]]
) -> None:
    """Each record is at its step under ``train/lrguard/<rule>``, with its action and message."""
    for record in records:
        entries = written.get(f"train/lrguard/{record['rule']}", [])
        step = record.get("step", 0)
        assert any(
            s == step
            and f"lrguard {record['rule']} [{record['action']}" in text
            and record["message"] in text
            for s, text in entries
        ), (record, written)


def tensorboard_texts(root: Path) -> dict[str, list[tuple[int, str]]]:
    """Text summaries in every event file under ``root``: tag -> [(step, text)].

    Imports TensorBoard when called, so a missing ``tensorboard`` fails the test that reads.
    """
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    texts: dict[str, list[tuple[int, str]]] = {}
    runs = {path.parent for path in root.rglob("events.out.tfevents.*")}
    assert runs, f"no event files under {root}"
    for run in runs:
        events = EventAccumulator(str(run), size_guidance={"tensors": 0})
        events.Reload()
        for tag in events.Tags()["tensors"]:
            name = tag.removesuffix("/text_summary")
            for event in events.Tensors(tag):
                for value in event.tensor_proto.string_val:
                    texts.setdefault(name, []).append((event.step, value.decode()))
    return texts
