"""Every file of the real corpus (347 LLaMA-Factory and axolotl examples) is read, no crash.

The counts below are a snapshot: a rule that starts or stops firing on the corpus changes
them, and the change must then be explained here with a real file.
"""

from __future__ import annotations

import pytest

from lrguard.checking import summarize
from tests.cli.conftest import CORPUS

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not present")

EXPECTED_FILES = {"checked": 320, "skipped": 27, "unusable": 0}

# Each finding kind on the corpus, with one real file it is true of and why.
EXPLAINED = {
    "LRG002": (
        # cosine_min_lr_ratio: 1.0 with the default cosine schedule: axolotl builds
        # get_cosine_schedule_with_min_lr with the floor at the peak -> a constant rate after
        # warmup, deliberate in these QAT / FP8 examples: info, compared with 1, not the rate.
        "axolotl/llama-3/3b-qat-fsdp2.yaml",
        "cosine_min_lr_ratio",
        48,
    ),
    "LRG004": (
        # learning_rate: 5e-5 without a dot is a YAML 1.1 string; axolotl converts it, so info.
        "axolotl/LiquidAI/lfm2-350m-fft.yaml",
        "learning_rate",
        34,
    ),
    "LRG023": (
        # lr_scheduler: constant with warmup_ratio: 0.1 -> HF's constant schedule ignores warmup.
        "axolotl/deepseek-v4/v4-flash-nvfp4-lora.yaml",
        "warmup_ratio",
        55,
    ),
    "LRG030": (
        # warmup_steps: 100 and no max_steps: warmup vs run length cannot be checked.
        "axolotl/alst/llama3-8b-fsdp2-alst.yaml",
        "warmup_steps",
        44,
    ),
    "LRG031": (
        # eta_min: 7e-7 at the top level is not an axolotl setting: cosine decays to 0.
        "axolotl/qat_nvfp4/Math-Gemma3-27B_qat.yml",
        "eta_min",
        48,
    ),
    "LRG032": (
        # warmup_steps: 0.1, a fraction in axolotl's integer field: its pydantic schema
        # (warmup_steps: int | None) refuses the file at load; warmup_ratio: 0.1 was meant.
        "axolotl/expert_parallel/qwen3_30ba3b_ep_fsdp_fft_4gpu.yaml",
        "warmup_steps",
        28,
    ),
    "LRG086": (
        # deepspeed: examples/deepspeed/ds_z3_config.json names a file of the LLaMA-Factory
        # repository, not in the corpus: its scheduler section (if any) cannot be checked.
        "llamafactory/train_lora/qwen3_lora_sft_ds3.yaml",
        "deepspeed",
        11,
    ),
    "LRG091": (
        # LoRA on a pretrained MoE with adamw_torch_8bit at 3e-3: 3x above the plausible band
        # of Adam fine-tuning (1e-3), 60x above the usual 5e-5; a warning pointing to the
        # range test, never a change.
        "axolotl/expert_parallel/qwen3_30ba3b_ep_lora_4gpu.yaml",
        "learning_rate",
        47,
    ),
}
EXPECTED_BY_CODE = {
    "LRG002": 4,
    "LRG004": 55,
    "LRG023": 1,
    "LRG030": 6,
    "LRG031": 4,
    "LRG032": 4,
    "LRG086": 16,
    "LRG091": 1,
}
EXPECTED_SEVERITY = {"error": 4, "warning": 6, "info": 81}


@pytest.fixture(scope="module")
def reports(corpus_reports):
    return corpus_reports


def test_corpus_has_347_files_all_read(reports):
    assert len(reports) == 347
    s = summarize(reports)
    assert {"checked": s.checked, "skipped": s.skipped, "unusable": s.unusable} == EXPECTED_FILES


def test_corpus_findings_by_code(reports):
    s = summarize(reports)
    assert s.by_code == EXPECTED_BY_CODE
    assert s.by_severity == EXPECTED_SEVERITY
    assert set(s.by_code) == set(EXPLAINED), "explain every finding kind with a real file"


@pytest.mark.parametrize("code", sorted(EXPLAINED))
def test_each_finding_kind_on_a_real_file(reports, code):
    rel, field, line = EXPLAINED[code]
    report = next(r for r in reports if r.path.as_posix().endswith(rel))
    hits = [f for f in report.findings if f.code == code]
    assert hits, f"{code} not found on {rel}"
    assert hits[0].line == line
    assert field in hits[0].message
    text = (CORPUS / rel).read_text().splitlines()[line - 1]
    assert text.lstrip().startswith(f"{field}:"), text


def test_skipped_files_are_accelerate_inference_or_not_training(reports):
    skipped = [r.result for r in reports if r.result.status == "skipped"]
    reasons = {r.path.name: r.reason for r in skipped}
    assert "accelerate launch config" in reasons["fsdp_config.yaml"]
    assert "inference / export config" in reasons["qwen3vl.yaml"]
    assert all(r.kind is None for r in skipped)
    kinds = {r.result.kind for r in reports if r.result.status == "checked"}
    assert kinds == {"axolotl", "llamafactory"}


def test_corpus_findings_name_a_line_and_a_fix(reports):
    for report in reports:
        for f in report.findings:
            assert f.line is not None, (report.path, f.code)
            if f.severity.value != "info":
                assert f.fix, (report.path, f.code)
