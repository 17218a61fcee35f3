"""Shared test settings: everything offline."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


def property_examples(full: int) -> int:
    """How many examples a property test generates: ``full`` (what ``make test`` runs), or
    fewer when ``LRGUARD_PROPERTY_EXAMPLES`` caps it (the wheel job on four Pythons, or a quick
    local run)."""
    cap = os.environ.get("LRGUARD_PROPERTY_EXAMPLES")
    return min(full, int(cap)) if cap else full


# Stand-in modules for client environments (see tests/stubs): never imported by collection.
collect_ignore = ["stubs"]
