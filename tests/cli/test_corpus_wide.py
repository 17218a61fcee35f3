"""The wider real corpus (617 configs: alignment-handbook and TRL recipes, older LLaMA-Factory
and axolotl releases, the DeepSpeed JSONs they name, accelerate configs, a docs table of
contents) is read without a crash, and every finding is true of its file.

The counts are a snapshot: a rule that starts or stops firing here changes them, and the
change must be explained below with a real file. Checked with no transformers version
declared (``CheckOptions()``), so the findings do not depend on the installed one.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from lrguard.checking import CheckOptions, check_paths, summarize
from lrguard.cli import main
from tests.cli.conftest import CORPUS, CORPUS_WIDE

pytestmark = pytest.mark.skipif(not CORPUS_WIDE.is_dir(), reason="corpus-wide not present")

EXPECTED_FILES = {"checked": 513, "skipped": 104, "unusable": 0}
EXPECTED_KINDS = {"axolotl": 398, "llamafactory": 86, "hf": 29}
EXPECTED_READERS = {"axolotl": 398, "llamafactory": 86, "trl": 22, "h4": 7}

# Each finding kind, with one real file it is true of (path, field, line) and why.
EXPLAINED = {
    "LRG002": (
        # cosine_min_lr_ratio: 1.0 (axolotl FP8 example): a constant rate after warmup, said
        # as info and compared with 1, not with learning_rate.
        "axolotl-v0.13.0/examples/llama-3/3b-fp8-fsdp2.yaml",
        "cosine_min_lr_ratio",
        47,
    ),
    "LRG004": (
        # learning_rate: 5e-5 without a dot: a YAML 1.1 string, converted by axolotl: info.
        "axolotl-v0.13.0/examples/LiquidAI/lfm2-350m-fft.yaml",
        "learning_rate",
        34,
    ),
    "LRG030": (
        # ORPO recipe with warmup_steps: 100 and no max_steps: the run length is unknown.
        "alignment-handbook/recipes/zephyr-141b-A35b/orpo/config_full.yaml",
        "warmup_steps",
        37,
    ),
    "LRG032": (
        # warmup_steps: 0.1 in LLaMA-Factory v0.7.1: 10 % for transformers 5, refused by
        # transformers 4.57, 0.1 steps (no warmup) for the 4.x of that release.
        "llamafactory-v0.7.1/examples/lora_single_gpu/llama3_lora_sft.yaml",
        "warmup_steps",
        31,
    ),
}
EXPECTED_BY_CODE = {"LRG002": 3, "LRG004": 58, "LRG030": 214, "LRG032": 22}
EXPECTED_SEVERITY = {"error": 1, "warning": 21, "info": 275}

FRACTION = re.compile(r"^warmup_steps:\s*0\.\d+\s*(#.*)?$")


@pytest.fixture(scope="module")
def reports(corpus_wide_reports):
    return corpus_wide_reports


def _rel(report) -> str:
    return report.path.relative_to(CORPUS_WIDE).as_posix()


def _line(report, number: int) -> str:
    return report.path.read_text(encoding="utf-8").splitlines()[number - 1]


def test_every_file_is_read_no_crash(reports):
    assert len(reports) == 617
    s = summarize(reports)
    assert {"checked": s.checked, "skipped": s.skipped, "unusable": s.unusable} == EXPECTED_FILES
    assert not [r for r in reports if "internal error" in r.result.reason]
    checked = [r.result for r in reports if r.result.status == "checked"]
    assert Counter(r.kind for r in checked) == EXPECTED_KINDS
    assert Counter(r.reader for r in checked) == EXPECTED_READERS


def test_every_trl_and_alignment_handbook_recipe_is_checked_as_hf(reports):
    recipes = [
        r
        for r in reports
        if _rel(r).split("/")[0] in ("alignment-handbook", "alignment-handbook-v0.2.0", "trl")
        and "accelerate_configs" not in _rel(r)
        and not _rel(r).endswith("_toctree.yml")
    ]
    assert len(recipes) == 29
    for r in recipes:
        assert (r.result.status, r.result.kind) == ("checked", "hf"), (_rel(r), r.result.reason)
    readers = {_rel(r): r.result.reader for r in recipes}
    # v0.2.0 (and stale files at HEAD) use dataset_mixer: H4ArgumentParser, no conversion
    v020 = "alignment-handbook-v0.2.0/recipes/zephyr-7b-beta/sft/config_full.yaml"
    assert readers[v020] == "h4"
    assert readers["alignment-handbook/recipes/smollm3/sft/sft.yaml"] == "trl"
    assert readers["trl/examples/cli_configs/example_config.yaml"] == "trl"
    # only 4 set do_train: true; TRL's scripts train regardless, and the 25 others are
    # checked too (no LLaMA-Factory "evaluation / export only" skip)
    assert sum("do_train: true" in r.path.read_text() for r in recipes) == 4


def test_findings_by_code(reports):
    s = summarize(reports)
    assert s.by_code == EXPECTED_BY_CODE
    assert s.by_severity == EXPECTED_SEVERITY
    assert set(s.by_code) == set(EXPLAINED), "explain every finding kind with a real file"


@pytest.mark.parametrize("code", sorted(EXPLAINED))
def test_each_finding_kind_on_a_real_file(reports, code):
    rel, field, line = EXPLAINED[code]
    report = next(r for r in reports if _rel(r) == rel)
    hits = [f for f in report.findings if f.code == code]
    assert hits, f"{code} not found on {rel}"
    assert hits[0].line == line
    assert field in hits[0].message
    assert _line(report, line).lstrip().startswith(f"{field}:")


def test_every_finding_is_true_of_its_file(reports):
    """Each finding, judged against the line it points to."""
    for report in reports:
        text = report.path.read_text(encoding="utf-8")
        for f in report.findings:
            where = (_rel(report), f.code, f.line)
            assert f.line is not None, where
            line = _line(report, f.line).strip()
            if f.code == "LRG032":  # a fraction written in warmup_steps
                assert FRACTION.match(line), where
            elif f.code == "LRG002":  # a floor ratio of exactly 1: constant after warmup
                assert re.match(r"cosine_min_lr_ratio:\s*1(\.0)?$", line), where
                assert f.severity.value == "info" and "constant" in f.message, where
            elif f.code == "LRG004":  # a YAML 1.1 string number: no dot before the exponent
                assert isinstance(f.value, str) and re.fullmatch(r"\d+e-?\d+", f.value), where
                assert f.value in line, where
                assert report.result.reader in ("axolotl", "llamafactory"), where
                assert f.severity.value == "info", where  # both tools convert it
            elif f.code == "LRG030":  # steps unknown: no positive max_steps in the file
                assert not re.search(r"^max_steps:\s*[1-9]", text, re.M), where
            if f.severity.value != "info":
                assert f.fix, where


def test_fractional_warmup_steps_is_reported_in_both_corpora():
    """The ``warmup_steps: 0.1`` pattern: every file that has it gets LRG032 at that line."""
    found = 0
    for root in (CORPUS, CORPUS_WIDE):
        if not root.is_dir():
            continue
        for report in check_paths([root], CheckOptions(select=["LRG032"])):
            lines = report.path.read_text(encoding="utf-8").splitlines()
            expected = [i + 1 for i, x in enumerate(lines) if FRACTION.match(x.strip())]
            got = [f.line for f in report.findings if f.field == "warmup_steps"]
            assert got == expected, report.path
            found += len(got)
    assert found == (26 if CORPUS.is_dir() else 22)


def test_skipped_files_say_why_in_one_line(reports):
    skipped = [r.result for r in reports if r.result.status == "skipped"]
    reasons = Counter()
    for r in skipped:
        assert r.reason and "\n" not in r.reason
        if r.reason.startswith("DeepSpeed config for the Hugging Face Trainer"):
            reasons["deepspeed, auto"] += 1  # "lr": "auto": filled by transformers
        elif r.reason.startswith("DeepSpeed config ("):
            reasons["deepspeed"] += 1
        elif r.reason.startswith("accelerate launch config"):
            reasons["accelerate"] += 1
        elif "inference / export" in r.reason:
            reasons["inference"] += 1
        elif "no learning-rate settings" in r.reason:  # predict / preprocess-only files
            reasons["no rates"] += 1
        elif r.reason.startswith("top level is a list"):  # trl/docs/source/_toctree.yml
            reasons["list"] += 1
    assert reasons == {
        "deepspeed": 49,
        "deepspeed, auto": 4,
        "accelerate": 18,
        "inference": 21,
        "no rates": 11,
        "list": 1,
    }


def test_deepspeed_files_named_from_the_repository_root_are_read(reports):
    """``deepspeed: deepspeed_configs/zero3.json`` resolves from the release folder's root
    (a folder above the config), as it does when training is launched from the repo root."""
    named = [r for r in reports if r.result.plan and r.result.plan.source.deepspeed]
    assert len(named) == 36
    for r in named:
        ds = r.result.plan.source.deepspeed
        assert ds.problem is None and ds.path, (_rel(r), ds.problem)
    assert not any(f.code == "LRG086" for r in reports for f in r.findings)


def test_command_line_over_the_corpus_never_says_unusable(capsys):
    code = main(["check", str(CORPUS_WIDE), "--no-config", "--format", "json"])
    out = capsys.readouterr().out
    assert code == 1  # the axolotl diffusion example's warmup_steps: 0.1 is refused by axolotl
    summary = json.loads(out)["summary"]
    assert summary["unusable"] == 0 and summary["checked"] == EXPECTED_FILES["checked"]
