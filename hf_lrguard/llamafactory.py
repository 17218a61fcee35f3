"""``lrguard-llamafactory train CONFIG.yaml [key=value ...]``: ``llamafactory-cli train``
with ``LRGuardCallback``.

LLaMA-Factory's command line takes no callback; its ``run_exp(args, callbacks=[...])`` does.
This reads the same files the same way (YAML or JSON, ``key=value`` overrides merged with
OmegaConf, through LLaMA-Factory's own ``read_args``), takes an optional top-level ``lrguard:``
mapping of ``GuardPolicy`` options out of them, checks the config before any model is loaded
(``on_violation: error`` refuses there), and trains in this process with the callback.
Several GPUs: start it with ``torchrun`` as you would ``llamafactory.launcher``.

Example:
    >>> main(["--help"])  # doctest: +ELLIPSIS
    usage: lrguard-llamafactory train CONFIG.yaml [key=value ...]
    ...
    0
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

USAGE = """usage: lrguard-llamafactory train CONFIG.yaml [key=value ...]

Runs `llamafactory-cli train CONFIG.yaml [key=value ...]` with lrguard's LRGuardCallback.
GuardPolicy options go under a top-level `lrguard:` key of the config, e.g.
  lrguard: {on_violation: error}
"""

POLICY_KEY = "lrguard"


def _fail(message: str) -> int:
    print(f"lrguard-llamafactory: {message}", file=sys.stderr)
    return 2


def read_config(path: str, overrides: Sequence[str]) -> dict[str, Any]:
    """The training arguments as ``llamafactory-cli`` reads them (file plus overrides)."""
    from llamafactory.hparams.parser import read_args

    saved = sys.argv
    sys.argv = ["llamafactory-cli", path, *overrides]
    try:
        args = read_args()
    finally:
        sys.argv = saved
    if not isinstance(args, dict):
        raise ValueError(f"{path} is not a .yaml, .yml or .json training config")
    return args


def preflight(args: dict[str, Any], policy: Any) -> list[str]:
    """Refusals of the config before any model is loaded (empty: go on).

    The callback repeats the check when the trainer is built, with the installed
    transformers, and applies the fixes there.
    """
    import transformers

    from lrguard.adapters.hf_args import plan_from_hf_args
    from lrguard.configs.hf_view import read_llamafactory_fields
    from lrguard.decide import decide

    view = read_llamafactory_fields(args)
    plan = plan_from_hf_args(
        view.args, transformers_version=transformers.__version__, locations=view.locations
    )
    result = decide(plan, policy, "hf")
    return [] if result.error is None else [str(result.error)]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the drop-in; return the exit code (2: usage or refused before training)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE, end="")
        return 0 if argv else 2
    if argv[0] != "train" or len(argv) < 2:
        return _fail(f"only `train CONFIG.yaml` is supported, got {' '.join(argv)!r}\n{USAGE}")
    try:
        import llamafactory  # noqa: F401
    except ModuleNotFoundError:
        return _fail("LLaMA-Factory is not installed: pip install llamafactory")
    from pydantic import ValidationError

    from hf_lrguard import LRGuardCallback
    from lrguard.policy import GuardPolicy

    try:
        args = read_config(argv[1], argv[2:])
    except (OSError, ValueError) as err:
        return _fail(str(err))
    options = args.pop(POLICY_KEY, None)
    if options is None:  # no block (or `lrguard:` left empty): the default policy
        options = {}
    if not isinstance(options, Mapping):  # false, 0 and "" too: they are no way to turn it off
        return _fail(
            f"{POLICY_KEY}={options!r}: must be a mapping of GuardPolicy options. Fix: write "
            f"e.g. `{POLICY_KEY}: {{on_violation: error}}`, or remove the key for the defaults "
            "(to train without the guard, run llamafactory-cli itself)"
        )
    try:
        policy = GuardPolicy(**dict(options))
    except ValidationError as err:
        return _fail(f"{POLICY_KEY}: {err}")
    refused = preflight(args, policy)
    if refused:
        return _fail("\n".join(refused))
    from llamafactory.train.tuner import run_exp

    run_exp(args=args, callbacks=[LRGuardCallback(policy)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
