"""Hostile config files never hurt ``lrguard check`` / ``simulate`` (hypothesis, 3000 examples).

Values of every type, integers far beyond float range, NaN and infinities, control characters
in keys, nesting beyond the depth limit, shared values written as YAML aliases, JSON and
broken text: the command always ends with 0, 1 or 2, never a traceback or an "internal
error", and never modifies the file it reads.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrguard.cli import main
from tests.conftest import property_examples

from .test_property import KEYS, SCHEDULES

WEIRD_KEYS = ["x\n::error::y", "a\rb", "\x1b[31mred", "ключ", "", " ", "a.b", "<<"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**400, -(10**400), 2**63, 2**1024, 0, 1, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(SCHEDULES + ["1e-5", "1e999", "-inf", ".nan", "steps", "epoch"]),
    st.text(max_size=12),
)


def nested(value: object, depth: int) -> object:
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@st.composite
def documents(draw: st.DrawFn) -> object:
    """A config mapping; some values shared (YAML aliases) or nested deeply."""
    shared = draw(st.lists(scalars, max_size=4))
    inner = st.one_of(scalars, st.just(shared), st.lists(scalars, max_size=3))
    values = st.recursive(
        inner,
        lambda child: st.one_of(
            st.lists(child, max_size=3),
            st.dictionaries(st.sampled_from([*KEYS, *WEIRD_KEYS]), child, max_size=3),
        ),
        max_leaves=10,
    )
    doc = draw(st.dictionaries(st.sampled_from([*KEYS, *WEIRD_KEYS]), values, max_size=10))
    if draw(st.booleans()):
        key = draw(st.sampled_from(KEYS))
        doc[key] = nested(draw(scalars), draw(st.integers(0, 140)))
    if draw(st.booleans()):
        doc["flair_train"] = draw(
            st.dictionaries(st.sampled_from(KEYS), st.one_of(scalars, st.just(shared)), max_size=6)
        )
    return doc


def render(doc: object, syntax: str, tail: str) -> str:
    if syntax == "json":
        text = json.dumps(doc, default=str)
    else:
        text = yaml.safe_dump(doc, allow_unicode=True, width=math.inf)
    return text + tail


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@settings(
    max_examples=property_examples(3000),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    doc=documents(),
    syntax=st.sampled_from(["yaml", "json"]),
    tail=st.one_of(st.just(""), st.text(max_size=20)),
    command=st.sampled_from(["text", "json", "github", "simulate"]),
    name=st.sampled_from(["c", "a\nb", "::error::x", "ü"]),
)
def test_hostile_configs_never_hurt(folder, doc, syntax, tail, command, name):
    try:
        text = render(doc, syntax, tail)
    except (ValueError, RecursionError, yaml.YAMLError):
        return  # not representable; other examples cover it
    path = folder / f"{name}.{syntax}"
    path.write_text(text, encoding="utf-8")
    before = path.read_bytes()
    if command == "simulate":
        argv = ["simulate", str(path), "--format", "json"]
    else:
        argv = ["check", str(path), "--no-config", "--format", command, "--steps", "100"]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    output = out.getvalue() + err.getvalue()
    assert code in (0, 1, 2), output
    assert "internal error" not in output and "Traceback" not in output, output
    assert path.read_bytes() == before
    if command == "json" or (command == "simulate" and code == 0):
        json.loads(out.getvalue(), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    if command == "github":
        assert all(line.startswith("::") for line in out.getvalue().splitlines())
    if command == "text":
        assert not any(line.startswith("::") for line in out.getvalue().splitlines())
