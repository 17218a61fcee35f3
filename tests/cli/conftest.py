"""Helpers for the command-line tests: run ``lrguard`` in-process and capture its output."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrguard.checking import CheckOptions, check_paths
from lrguard.cli import main

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / ".." / "shared" / "corpus"
CORPUS_WIDE = ROOT / ".." / "shared" / "corpus-wide"


@pytest.fixture
def run(capsys):
    """``run(*argv) -> (exit_code, stdout, stderr)``."""

    def _run(*argv: str) -> tuple[int, str, str]:
        code = main([str(a) for a in argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return _run


@pytest.fixture
def write(tmp_path):
    """``write(name, text) -> Path`` in a temporary folder."""

    def _write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture(scope="session")
def corpus_reports():
    """``lrguard check`` of the corpus with default options, once per test session (the
    corpus tests only read it)."""
    return check_paths([CORPUS], CheckOptions()) if CORPUS.is_dir() else []


@pytest.fixture(scope="session")
def corpus_wide_reports():
    """``lrguard check`` of the wider corpus with default options, once per test session."""
    return check_paths([CORPUS_WIDE], CheckOptions()) if CORPUS_WIDE.is_dir() else []
