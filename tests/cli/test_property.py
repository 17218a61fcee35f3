"""Random config mappings never make ``lrguard check`` raise (hypothesis, 1500 examples)."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrguard.checking import CheckOptions, FileReport, findings_for
from lrguard.configs.kinds import KINDS, TRAINING_KEYS, Detection, detect_kind
from lrguard.configs.loader import build_result
from lrguard.configs.reading import Document, parse_yaml
from lrguard.configs.steps import StepOptions
from lrguard.report import render_github, render_json, render_text
from tests.conftest import property_examples

KEYS = [
    *sorted(TRAINING_KEYS),  # the keys that make a mapping a training config
    "min_lr",
    "eta_min",
    "cosine_min_lr_ratio",
    "cosine_constant_lr_ratio",
    "micro_batch_size",
    "batch_size",
    "per_device_train_batch_size",
    "gradient_accumulation_steps",
    "eval_strategy",
    "eval_steps",
    "evals_per_epoch",
    "saves_per_epoch",
    "save_steps",
    "val_set_size",
    "early_stopping_patience",
    "load_best_model_at_end",
    "metric_for_best_model",
    "base_model",
    "model_name_or_path",
    "stage",
    "do_train",
    "flair_train",
    "min_learning_rate",
    "anneal_factor",
    "patience",
    "decoder_learning_rate",
    "lr_quadratic_warmup",
    "sample_packing",
    "min_lr_rate",
    "lr_end",
]
SCHEDULES = [
    "linear",
    "cosine",
    "cosine_with_min_lr",
    "reduce_lr_on_plateau",
    "greedy",
    "warmup_stable_decay",
    "polynomial",
    "constant",
    "one_cycle",
    "rex",
    "nonsense",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(SCHEDULES),
    st.sampled_from(["1e-5", "abc", "", "-1", ".nan", "2.0e-5", "0", "1", "steps", "epoch"]),
    st.text(max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(KEYS + ["min_lr", "num_decay_steps", "x"]), inner, max_size=4
        ),
    ),
    max_leaves=8,
)
configs = st.dictionaries(st.sampled_from(KEYS), values, max_size=12)
step_options = st.builds(
    StepOptions,
    steps=st.one_of(st.none(), st.integers(1, 10**6)),
    dataset_size=st.one_of(st.none(), st.integers(1, 10**7)),
    world_size=st.integers(1, 64),
)


@settings(
    max_examples=property_examples(1500),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=configs, steps=step_options, kind=st.one_of(st.none(), st.sampled_from(KINDS)))
def test_random_configs_never_raise(data, steps, kind):
    doc = Document(
        path=Path("random.yaml"), data=data, lines={k: i + 1 for i, k in enumerate(data)}
    )
    detection = Detection(kind, "forced") if kind else detect_kind(data)
    result = build_result(doc, detection, steps)  # no catch-all here: any exception fails
    report = FileReport(result, findings_for(result, CheckOptions()))
    for f in report.findings:
        assert f.code.startswith("LRG") and f.message
    render_text([report]), render_json([report]), render_github([report])


@settings(max_examples=property_examples(300), deadline=None)
@given(data=configs)
def test_random_configs_round_trip_through_yaml(data):
    text = yaml.safe_dump(data, allow_unicode=True)
    parsed, lines = parse_yaml(text)
    assert set(lines) >= {str(k) for k in (parsed or {})}
