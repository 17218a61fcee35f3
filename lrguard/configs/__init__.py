"""Reading training configs (HF TrainingArguments, LLaMA-Factory, axolotl, Flair kwargs).

Framework-free: YAML/JSON in, ``TrainingPlan`` out, with the file line of every setting.
Configs are only read, never rewritten.

Example:
    >>> from pathlib import Path
    >>> from lrguard.configs import load_config
    >>> load_config(Path("missing.yaml")).status
    'unusable'
"""

from lrguard.configs.kinds import KINDS, Detection, detect_kind
from lrguard.configs.loader import CHECKED, SKIPPED, UNUSABLE, ConfigResult, load_config
from lrguard.configs.reading import CONFIG_SUFFIXES, Document, UnusableConfig, read_document
from lrguard.configs.steps import StepCount, StepOptions, count_steps

__all__ = [
    "CHECKED",
    "CONFIG_SUFFIXES",
    "KINDS",
    "SKIPPED",
    "UNUSABLE",
    "ConfigResult",
    "Detection",
    "Document",
    "StepCount",
    "StepOptions",
    "UnusableConfig",
    "count_steps",
    "detect_kind",
    "load_config",
    "read_document",
]
