"""The command-line fixtures (``run``, ``write``) for the rule modules' ``lrguard check``
tests."""

from tests.cli.conftest import run, write

__all__ = ["run", "write"]
