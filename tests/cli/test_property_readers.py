"""Every reader under generated input (hypothesis): JSON written inside
``lr_scheduler_kwargs``, DeepSpeed files, ``hf_lrguard.check_args``,
``flair_lrguard.check_args`` and ``torch_lrguard.check_scheduler``.

Each returns findings (or, for ``simulate``, a ``SimulationError`` with its reason; for the
Python APIs, the ``TypeError`` / ``ValueError`` they document, naming the argument): never
another exception, never "internal error". The framework readers run where the framework
is installed (skipped in the wheel job's plain install).
"""

from __future__ import annotations

import io
import json
import math
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lrguard.checking import CheckOptions, check_file, findings_for
from lrguard.configs.hf_view import SCHEDULER_KWARG_NAMES
from lrguard.configs.loader import CHECKED, build_result
from lrguard.configs.reading import Document
from lrguard.configs.steps import StepOptions
from lrguard.findings import Finding
from lrguard.simulate import SimulationError, simulate_file, simulate_result
from tests.conftest import property_examples

from .test_property import SCHEDULES
from .test_property_hostile import scalars

SETTINGS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
KWARG_KEYS = sorted(SCHEDULER_KWARG_NAMES) + ["factor", "patience", "mode", "x", ""]
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**6), 10**6),
    st.sampled_from([0, 1, -1, 1e-300, 1e300, 10**400, 0.5, 1e-5]),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=6)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


def _assert_findings(found: list[Finding]) -> None:
    assert isinstance(found, list)
    for f in found:
        assert f.code.startswith("LRG") and f.message and "internal error" not in f.message


@st.composite
def json_text(draw: st.DrawFn) -> str:
    """JSON for a kwargs mapping: valid, truncated, nested too deep, or a non-object."""
    kwargs = draw(st.dictionaries(st.sampled_from(KWARG_KEYS), json_values, max_size=5))
    shape = draw(st.sampled_from(["plain", "truncated", "deep", "other", "garbage"]))
    if shape == "deep":
        kwargs[draw(st.sampled_from(KWARG_KEYS))] = DEEP
    if shape == "other":
        return json.dumps(draw(json_values), default=str)
    if shape == "garbage":
        return draw(st.text(max_size=30))
    text = _deepen(draw, json.dumps(kwargs, default=str), 90, 3000)
    if shape == "truncated":
        text = text[: draw(st.integers(0, max(len(text) - 1, 0)))]
    return text


DEEP = "<deep>"


def _deepen(draw: st.DrawFn, text: str, low: int, high: int) -> str:
    """``text`` with the ``DEEP`` placeholder (a JSON string) replaced by nested lists."""
    depth = draw(st.integers(low, high))
    return text.replace(json.dumps(DEEP), "[" * depth + "1" + "]" * depth)


def _check_and_simulate(doc: Document, steps: StepOptions) -> None:
    result = build_result(doc, _detect(doc), steps)
    _assert_findings(findings_for(result, CheckOptions()))
    if result.status == CHECKED:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # numeric warnings are bugs here
            try:
                sim = simulate_result(result, 4, lambda n, _marks: sorted({0, n // 2, n - 1}))
            except SimulationError as err:
                assert str(err) and "internal error" not in str(err)
            else:
                assert all(
                    math.isfinite(v) or math.isnan(v) for s in sim.series.values() for v in s
                )


def _detect(doc: Document):
    from lrguard.configs.kinds import detect_kind

    return detect_kind(doc.data)


@settings(max_examples=property_examples(700), **SETTINGS)
@given(
    kwargs=st.one_of(json_text(), st.dictionaries(scalars, scalars, max_size=4)),
    schedule=st.sampled_from(SCHEDULES),
    lr=st.one_of(st.sampled_from([1e-5, 2e-4, "3e-4"]), scalars),
    max_steps=st.one_of(st.integers(1, 10**6), st.sampled_from([10**12, 0, -5])),
)
def test_kwargs_written_as_json_never_raise(kwargs, schedule, lr, max_steps):
    data = {
        "learning_rate": lr,
        "lr_scheduler_type": schedule,
        "lr_scheduler_kwargs": kwargs,
        "max_steps": max_steps,
    }
    doc = Document(path=Path("train.yaml"), data=data, lines={k: 1 for k in data})
    _check_and_simulate(doc, StepOptions())


@st.composite
def deepspeed_text(draw: st.DrawFn) -> str:
    """A DeepSpeed file: optimizer and scheduler sections with generated params, or a broken,
    deep or non-object file."""
    params = st.dictionaries(
        st.sampled_from(
            [
                "lr",
                "warmup_min_lr",
                "warmup_max_lr",
                "warmup_num_steps",
                "total_num_steps",
                "warmup_type",
                "cos_min_ratio",
                "warm_up_num_steps",
                "last_batch_iteration",
            ]
        ),
        st.one_of(scalars, st.just("auto")),
        max_size=6,
    )
    kind = st.sampled_from(["WarmupLR", "WarmupDecayLR", "WarmupCosineLR", "OneCycle", "x", 3])
    data = {
        "optimizer": {"type": draw(st.sampled_from(["AdamW", "Adam", 1])), "params": draw(params)},
        "scheduler": {"type": draw(kind), "params": draw(params)},
    }
    shape = draw(st.sampled_from(["plain", "plain", "deep", "list", "truncated", "no-optimizer"]))
    if shape == "deep":
        data["x"] = DEEP
    if shape == "list":
        return json.dumps([data], default=str)
    if shape == "no-optimizer":
        del data["optimizer"]
    text = _deepen(draw, json.dumps(data, default=str), 95, 5000)
    return text[: len(text) // 2] if shape == "truncated" else text


@pytest.fixture(scope="module")
def ds_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("deepspeed")


@settings(max_examples=property_examples(120), **SETTINGS)
@given(
    text=deepspeed_text(),
    schedule=st.sampled_from(SCHEDULES),
    standalone=st.booleans(),
    steps=st.one_of(st.none(), st.integers(1, 10**9)),
)
def test_deepspeed_files_never_raise(ds_folder, text, schedule, standalone, steps):
    ds = ds_folder / "ds_config.json"
    ds.write_text(text, encoding="utf-8")
    config = ds_folder / "train.yaml"
    config.write_text(
        f"learning_rate: 2.0e-5\nlr_scheduler_type: {schedule}\nmax_steps: 1000\n"
        "deepspeed: ds_config.json\n",
        encoding="utf-8",
    )
    path = ds if standalone else config
    options = CheckOptions(steps=StepOptions(steps=steps))
    report = check_file(path, options)
    assert "internal error" not in report.result.reason, report.result.reason
    _assert_findings(report.findings)
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            assert simulate_file(path, steps=StepOptions(steps=steps), out=out) == 0
        except SimulationError as err:
            assert str(err) and "internal error" not in str(err)


HF_FIELDS = [
    "learning_rate",
    "lr_scheduler_type",
    "lr_scheduler_kwargs",
    "warmup_steps",
    "warmup_ratio",
    "max_steps",
    "num_train_epochs",
    "per_device_train_batch_size",
    "gradient_accumulation_steps",
    "eval_strategy",
    "eval_steps",
    "load_best_model_at_end",
    "metric_for_best_model",
    "greater_is_better",
    "early_stopping_patience",
    "optim",
    "weight_decay",
]


@settings(max_examples=property_examples(250), **SETTINGS)
@given(
    args=st.dictionaries(
        st.sampled_from(HF_FIELDS),
        st.one_of(scalars, st.sampled_from(SCHEDULES), json_text(), json_values),
        max_size=10,
    ),
    steps=st.one_of(st.none(), st.integers(-3, 10**9)),
)
def test_hf_check_args_never_raises(args, steps):
    pytest.importorskip("transformers")
    from hf_lrguard import check_args

    try:
        found = check_args(args, steps)
    except (TypeError, ValueError) as err:  # documented: names the argument
        assert "internal error" not in str(err) and str(err)
        return
    _assert_findings(found)


FLAIR_KEYS = [
    "learning_rate",
    "decoder_learning_rate",
    "min_learning_rate",
    "anneal_factor",
    "patience",
    "initial_extra_patience",
    "max_epochs",
    "anneal_with_restarts",
    "mini_batch_size",
    "train_with_dev",
    "attach_default_scheduler",
    "warmup_fraction",
]


@settings(max_examples=property_examples(250), **SETTINGS)
@given(
    entry=st.sampled_from(["train", "fine_tune", "train_custom"]),
    kwargs=st.dictionaries(
        st.sampled_from(FLAIR_KEYS),
        st.one_of(
            scalars,
            st.floats(0.9, 1.0),
            st.integers(0, 10**15),
            st.lists(st.floats(allow_nan=True), max_size=3),
        ),
        max_size=8,
    ),
    has_dev=st.booleans(),
)
def test_flair_check_args_never_raises(entry, kwargs, has_dev):
    pytest.importorskip("flair")
    from flair_lrguard import check_args

    try:
        found = check_args(entry, has_dev=has_dev, **kwargs)
    except (TypeError, ValueError) as err:
        assert "internal error" not in str(err) and str(err)
        return
    _assert_findings(found)


def _scheduler(torch, name: str, optimizer, a: float, b: int, c: float):
    sched = torch.optim.lr_scheduler
    builders = {
        "step": lambda: sched.StepLR(optimizer, step_size=b, gamma=a),
        "multistep": lambda: sched.MultiStepLR(optimizer, milestones=[b, 2 * b], gamma=a),
        "exponential": lambda: sched.ExponentialLR(optimizer, gamma=a),
        "cosine": lambda: sched.CosineAnnealingLR(optimizer, T_max=b, eta_min=c),
        "restarts": lambda: sched.CosineAnnealingWarmRestarts(optimizer, T_0=b, eta_min=c),
        "linear": lambda: sched.LinearLR(optimizer, start_factor=a, total_iters=b),
        "constant": lambda: sched.ConstantLR(optimizer, factor=a, total_iters=b),
        "polynomial": lambda: sched.PolynomialLR(optimizer, total_iters=b, power=c),
        "onecycle": lambda: sched.OneCycleLR(optimizer, max_lr=c, total_steps=b),
        "lambda": lambda: sched.LambdaLR(optimizer, lambda step: a ** (step % 7)),
        "plateau": lambda: sched.ReduceLROnPlateau(optimizer, factor=a, patience=b % 20),
        "cyclic": lambda: sched.CyclicLR(optimizer, base_lr=c, max_lr=c * 10, step_size_up=b),
    }
    return builders[name]()


@settings(max_examples=property_examples(100), **SETTINGS)
@given(
    name=st.sampled_from(
        [
            "step",
            "multistep",
            "exponential",
            "cosine",
            "restarts",
            "linear",
            "constant",
            "polynomial",
            "onecycle",
            "lambda",
            "plateau",
            "cyclic",
        ]
    ),
    lr=st.one_of(st.floats(1e-8, 10.0), st.sampled_from([0.0, 1e-300, 1e300])),
    groups=st.integers(1, 3),
    a=st.one_of(st.floats(0.01, 1.0), st.sampled_from([1e-300, 0.999999, 1.0])),
    b=st.integers(1, 10**6),
    c=st.one_of(st.floats(0.0, 1.0), st.sampled_from([1e-12, 0.5])),
    total=st.one_of(st.integers(1, 10**5), st.sampled_from([10**6, 10**9])),
)
def test_check_scheduler_never_raises(name, lr, groups, a, b, c, total):
    torch = pytest.importorskip("torch")
    from torch_lrguard import check_scheduler

    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    optimizer = torch.optim.SGD([{"params": [p], "lr": lr} for p in params], lr=lr)
    try:
        scheduler = _scheduler(torch, name, optimizer, a, b, c)
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
        assume(False)  # torch refuses these settings itself
    rates = [g["lr"] for g in optimizer.param_groups]
    try:
        found = check_scheduler(optimizer, scheduler, total)
    except (TypeError, ValueError) as err:
        assert "internal error" not in str(err) and str(err)
        return
    _assert_findings(found)
    assert [g["lr"] for g in optimizer.param_groups] == rates  # the user's objects untouched
