"""Doctest collection of the packages: skip integrations whose framework is not installed."""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("axolotl") else ["hf_lrguard/axolotl.py"]
