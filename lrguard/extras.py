"""What an integration needs installed, said in one line when it is missing."""

from __future__ import annotations

import importlib.util


def require(module: str, extra: str, integration: str) -> None:
    """Raise a one-line ``ModuleNotFoundError`` naming the extra to install when ``module``
    cannot be imported (the core and ``lrguard check`` need none of the frameworks).

    Example:
        >>> require("json", "hf", "hf_lrguard")  # present: nothing happens
        >>> require("no_such_module_here", "hf", "hf_lrguard")
        Traceback (most recent call last):
        ...
        ModuleNotFoundError: hf_lrguard needs no_such_module_here: pip install 'lrguard[hf]'
    """
    if importlib.util.find_spec(module) is None:
        raise ModuleNotFoundError(
            f"{integration} needs {module}: pip install 'lrguard[{extra}]'", name=module
        )
