"""The DeepSpeed config a Hugging Face / LLaMA-Factory / axolotl config names in ``deepspeed:``.

``deepspeed`` is a path to a JSON file or an inline mapping. transformers, LLaMA-Factory and
axolotl open the path as written, i.e. relative to the directory training is launched from;
``lrguard check`` looks there first (its own working directory), then next to the config
file, then in the folders above it (training is usually launched from the repository's root,
e.g. ``deepspeed: examples/deepspeed/ds_z3_config.json`` in LLaMA-Factory), and names the
file it read (or every file it tried) in its findings. Only the
``scheduler`` and ``optimizer`` sections are kept; nothing is written.

Example:
    >>> from pathlib import Path
    >>> plan = read_deepspeed({"scheduler": {"type": "WarmupLR"}}, Path("train.yaml"))
    >>> plan.label, plan.scheduler["type"]
    ('deepspeed (inline)', 'WarmupLR')
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lrguard.configs.reading import UnusableConfig, loads_json, read_text
from lrguard.plan import DeepSpeedPlan

INLINE = "<inline>"


MAX_PARENTS = 8
"""Folders above the config file searched for a relative ``deepspeed`` path."""


def candidates(given: str, config_path: Path) -> list[Path]:
    """Where a relative ``deepspeed`` path is looked for: the working directory, the config
    file's directory, then up to ``MAX_PARENTS`` folders above it (an absolute path:
    itself)."""
    path = Path(given).expanduser()
    if path.is_absolute():
        return [path]
    folder = config_path.parent
    found = [path, folder / path]
    found += [parent / path for parent in list(folder.parents)[:MAX_PARENTS]]
    return [p for i, p in enumerate(found) if p not in found[:i]]


def _sections(data: Any, plan: DeepSpeedPlan) -> DeepSpeedPlan:
    if not isinstance(data, Mapping):
        plan.problem = f"its top level is a {type(data).__name__}, not a JSON object"
        return plan
    plan.scheduler = data.get("scheduler")
    plan.optimizer = data.get("optimizer")
    return plan


def read_deepspeed(value: Any, config_path: Path) -> DeepSpeedPlan | None:
    """The DeepSpeed config named by ``value`` (the ``deepspeed`` setting); None when unset.

    Never raises: a file that is missing or not a JSON object is returned with ``problem``.
    """
    if value is None or value == "" or value is False:
        return None
    if isinstance(value, Mapping):
        return _sections(value, DeepSpeedPlan(given=INLINE))
    given = str(value)
    plan = DeepSpeedPlan(given=given)
    tried = candidates(given, config_path)
    plan.looked_in = [str(p) for p in tried]
    for path in tried:
        try:
            text = read_text(path)
        except UnusableConfig as err:
            if str(err) == "no such file":
                continue
            plan.path, plan.problem = str(path), str(err)
            return plan
        plan.path = str(path)
        try:
            data = loads_json(text)
        except UnusableConfig as err:
            plan.problem = str(err)
            return plan
        return _sections(data, plan)
    above = len(plan.looked_in) - 2
    where = ", ".join(plan.looked_in[:2])
    if above > 0:
        where += f" and {above} folder(s) above the config"
    plan.problem = f"not found (looked in {where})"
    return plan


__all__ = ["INLINE", "candidates", "read_deepspeed"]
