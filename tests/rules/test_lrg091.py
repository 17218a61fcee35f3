"""LRG091: a warning only where a range holds for every model, a note elsewhere; and every
warning it gives on the real config corpora is right (the precision its doc states)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lrguard.checking import CheckOptions, check_paths
from lrguard.findings import Severity
from lrguard.plan import ParamGroupPlan, TrainingPlan
from lrguard.rules import check_plan, get_rule
from lrguard.typical_rates import DIVERGENCE_LIMITS, TYPICAL_RATES, typical_rates
from tests.rules.support import check_text, corrected, example

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
CORPORA = (SHARED / "corpus", SHARED / "corpus-wide")


def severities(lr, optimizer, pretrained, framework="hf", groups=None) -> list[str]:
    plan = TrainingPlan(
        framework=framework,
        learning_rate=lr,
        param_groups=groups or [ParamGroupPlan(index=0, lr=lr)],
        optimizer=optimizer,
        pretrained=pretrained,
    )
    return [f.severity.value for f in check_plan(plan, select=["LRG091"])]


@pytest.mark.parametrize(
    ("lr", "optimizer", "pretrained", "expected"),
    [
        # fine-tuning a pretrained model: the established range, a warning outside it
        (5e-5, "adamw_torch", True, []),
        (2e-4, "paged_adamw_8bit", True, []),  # LoRA / QLoRA
        (1e-3, "adafactor", True, []),  # T5 fine-tuning
        (5e-7, "rmsprop", True, []),  # DPO (Zephyr)
        (2e-3, "adamw_torch", True, []),  # the edge of the band is inside it
        (3e-3, "adamw_torch_8bit", True, ["warning"]),
        (0.1, "adamw_torch", True, ["warning"]),
        (5e-8, "adamw_torch", True, ["warning"]),
        (0.1, "SGD", True, ["warning"]),  # flair#1968
        (0.01, "SGD", True, []),
        # from scratch: a note outside the usual band, never a warning below the limits
        (1e-3, "adamw_torch", False, []),
        (0.1, "adamw_torch", False, ["info"]),
        (9.9, "adamw_torch", False, ["info"]),
        (1e-6, "AdamW", False, ["info"]),
        (0.1, "SGD", False, []),  # Flair's default
        (50.0, "sgd", False, ["info"]),
        (1e-6, "SGD", False, ["info"]),
        # kind unknown: a note outside every band of the family
        (0.1, "adamw_torch", None, ["info"]),
        (5e-3, "adamw_torch", None, []),
        (1e-8, "adamw_torch", None, ["info"]),
        # rates at which any training diverges: a warning whatever the kind
        (10.0, "adamw_torch", False, ["warning"]),
        (1e9, "adamw_torch", None, ["warning"]),
        (1e9, "adamw_torch", True, ["warning"]),
        (100.0, "sgd", False, ["warning"]),
        (1e9, "SGD", None, ["warning"]),
        # unknown optimizers are not judged
        (0.1, "lion_32bit", True, []),
        (0.02, "muon", True, []),
    ],
)
def test_severity_by_kind_and_rate(lr, optimizer, pretrained, expected):
    assert severities(lr, optimizer, pretrained) == expected


@pytest.mark.parametrize("lr", [0.0, -1.0, float("nan"), float("inf"), "abc", None])
def test_unusable_rates_are_left_to_lrg003(lr):
    assert severities(lr, "adamw_torch", True) == []


def test_a_flair_decoder_with_its_own_rate_is_not_judged():
    groups = [
        ParamGroupPlan(index=0, lr=5e-5),
        ParamGroupPlan(index=1, lr=0.1, name="decoder", lr_field="decoder_learning_rate"),
    ]
    assert severities(5e-5, "AdamW", True, "flair", groups) == []
    groups[0] = ParamGroupPlan(index=0, lr=0.1)
    assert severities(0.1, "AdamW", True, "flair", groups) == ["warning"]


def _finding(lr, optimizer, pretrained):
    plan = TrainingPlan(
        framework="hf", learning_rate=lr, optimizer=optimizer, pretrained=pretrained
    )
    (finding,) = check_plan(plan, select=["LRG091"])
    return finding


def test_messages_name_the_value_the_band_and_the_consequence():
    warning = _finding(0.1, "adamw_torch", True)
    assert warning.message.startswith("learning_rate=0.1 is above the established range")
    assert "fine-tuning a pretrained model" in warning.message
    assert "plausible 1e-07 - 0.002" in warning.message
    assert "wipe out" in warning.message and "Start near 5e-05" in warning.fix
    note = _finding(0.1, "adamw_torch", False)
    assert "training from scratch" in note.message and "only a note" in note.message
    assert "will likely diverge" not in note.message
    unknown = _finding(0.1, "adamw_torch", None)
    assert "Whether the model is pretrained is not known" in unknown.message
    diverges = _finding(1e9, "adamw_torch", False)
    assert diverges.severity is Severity.WARNING
    assert "at or above 10" in diverges.message and "NaN" in diverges.message
    for finding in (warning, note, unknown, diverges):
        assert "find_learning_rate" in finding.fix


def test_the_table_is_consistent():
    """Every band holds its typical rates and its start, and a note never reaches a rate at
    which training diverges (that is a warning)."""
    for row in TYPICAL_RATES:
        low, high = row.plausible
        assert low < row.typical[0] <= row.start <= row.typical[1] < high, row
        assert row.established == row.pretrained, row  # only fine-tuning ranges hold for all
        assert typical_rates(row.family, row.pretrained) is row
        limit = next(d for d in DIVERGENCE_LIMITS if d.family == row.family)
        assert high < limit.at_or_above, row
        assert row.source and limit.source


def test_the_rules_doc_states_the_table():
    what = get_rule("LRG091").what
    for row in TYPICAL_RATES:
        assert f"plausible {row.plausible[0]:g} - {row.plausible[1]:g}" in what, row
    for limit in DIVERGENCE_LIMITS:
        assert f"{limit.family}: >= {limit.at_or_above:g}" in what


# Every LRG091 finding on the two config corpora, judged: is the rate wrong for that model
# and optimizer? (path inside the corpora, rate) -> why the warning is right.
JUDGED = {
    ("corpus/axolotl/expert_parallel/qwen3_30ba3b_ep_lora_4gpu.yaml", 0.003): (
        "LoRA on Qwen3-30B-A3B at 3e-3: the full fine-tuning examples of the same model in "
        "the same folder use 5e-6, and LoRA's best rate is about 10x full fine-tuning's "
        "(Schulman et al. 2025), ~5e-5; 3e-3 is 60x that and 6x the top of the LoRA paper's "
        "rates (5e-4)"
    ),
}


@pytest.fixture(scope="module")
def corpus_reports():
    if not all(c.is_dir() for c in CORPORA):
        pytest.skip("config corpora not present")
    return check_paths(list(CORPORA), CheckOptions())


def test_every_warning_on_the_corpora_is_judged_right(corpus_reports):
    shared = SHARED.resolve()
    found = {}
    for report in corpus_reports:
        for f in report.findings:
            if f.code == "LRG091":
                rel = report.path.resolve().relative_to(shared).as_posix()
                found[(rel, float(f.value))] = f.severity.value
    assert found == dict.fromkeys(JUDGED, "warning")  # every warning judged; no note
    checked = sum(r.result.status == "checked" for r in corpus_reports)
    what = get_rule("LRG091").what
    corpora = re.search(
        r"config corpora \((\d+) checked configs[^)]*\): (\d+) warnings?, (\d+) right", what
    )
    assert corpora, what
    assert tuple(int(g) for g in corpora.groups()) == (checked, len(found), len(JUDGED))


# -- the documented example, through lrguard check -------------------------------------------
def test_fires_on_the_example_naming_field_value_and_fix(tmp_path):
    (finding,) = check_text(tmp_path, example("LRG091"), "LRG091")
    assert finding.field == "learning_rate" and finding.value == 0.1
    assert "Start near 5e-05" in finding.fix


def test_silent_on_the_corrected_example(tmp_path):
    assert check_text(tmp_path, corrected("LRG091"), "LRG091") == []
