"""Shared test settings: everything offline; hypothesis profiles.

``HYPOTHESIS_PROFILE`` selects how many examples the property tests generate: ``ci`` (the
default, what ``make test`` runs: each test's full count) or ``dev`` (a few dozen per test,
for a quick local run). ``LRGUARD_PROPERTY_EXAMPLES`` caps either (the wheel job on four
Pythons).
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

PROFILE_CAPS: dict[str, int | None] = {"ci": None, "dev": 30}
"""Each hypothesis profile's cap on a property test's examples (None: its full count)."""


def _profile() -> str:
    name = os.environ.get("HYPOTHESIS_PROFILE", "ci").strip() or "ci"
    if name not in PROFILE_CAPS:
        raise ValueError(
            f"HYPOTHESIS_PROFILE={name!r} is not a profile: set it to one of "
            f"{', '.join(sorted(PROFILE_CAPS))} (or leave it unset for 'ci')."
        )
    return name


PROFILE = _profile()

try:  # every test environment has hypothesis; stay importable without it all the same
    from hypothesis import settings
except ImportError:  # pragma: no cover
    pass
else:
    settings.register_profile("ci", settings())
    settings.register_profile("dev", max_examples=PROFILE_CAPS["dev"])
    settings.load_profile(PROFILE)


def property_examples(full: int) -> int:
    """How many examples a property test generates: ``full`` (what ``make test`` runs, the
    ``ci`` profile), capped by the ``dev`` profile (``HYPOTHESIS_PROFILE=dev``) and by
    ``LRGUARD_PROPERTY_EXAMPLES`` (the wheel job on four Pythons, or a quick local run)."""
    caps = [full]
    profile_cap = PROFILE_CAPS[PROFILE]
    if profile_cap is not None:
        caps.append(profile_cap)
    cap = os.environ.get("LRGUARD_PROPERTY_EXAMPLES")
    if cap:
        caps.append(int(cap))
    return min(caps)


# Stand-in modules for client environments (see tests/stubs): never imported by collection.
collect_ignore = ["stubs"]
