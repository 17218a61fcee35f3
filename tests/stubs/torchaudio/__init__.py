"""A stand-in for torchaudio in the LLaMA-Factory test environment.

LLaMA-Factory 0.9.5 imports torchaudio at module level for its audio inputs only; PyPI's
torchaudio wheels cannot load next to the CPU build of torch 2.13.0. Text-only training never
calls it; any use says so.
"""


def __getattr__(name: str):
    raise ImportError(f"torchaudio.{name}: audio is not available in this test environment")
