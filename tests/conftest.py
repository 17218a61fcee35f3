"""Shared test settings: everything offline."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

# Stand-in modules for client environments (see tests/stubs): never imported by collection.
collect_ignore = ["stubs"]
