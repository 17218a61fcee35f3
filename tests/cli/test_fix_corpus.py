"""``lrguard check --fix`` over every real corpus file that has a fixable finding.

Each such file is copied (the corpus is never touched), fixed with the command, and then:
it was rewritten; a second check finds nothing fixable; the diff touches exactly the lines
of the fixed findings; every comment survives, full-line and trailing; the file reads as the
same data except the fixed values. One ``--fix`` run over all copies keeps it fast.
"""

from __future__ import annotations

import difflib
import re
import shutil

import pytest
import yaml

from lrguard.checking import CheckOptions, check_paths
from lrguard.cli import main
from lrguard.fixing import is_safe, machine_fixable
from tests.cli.conftest import CORPUS, CORPUS_WIDE

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ROOTS = [root for root in (CORPUS, CORPUS_WIDE) if root.is_dir()]
pytestmark = pytest.mark.skipif(not ROOTS, reason="corpus not present")


def _fixable(findings):
    return [f for f in findings if machine_fixable(f) and is_safe(f)]


@pytest.fixture(scope="module")
def fixed(tmp_path_factory, corpus_reports, corpus_wide_reports):
    """(original path, copy, fixed findings of the original) for every fixable file, after
    one ``lrguard check --fix`` over all the copies."""
    reports = [*corpus_reports, *corpus_wide_reports]
    work = tmp_path_factory.mktemp("corpus-fix")
    cases = []
    for report in reports:
        found = _fixable(report.findings)
        if not found:
            continue
        root = next(r for r in ROOTS if report.path.is_relative_to(r))
        copy = work / root.name / report.path.relative_to(root)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(report.path, copy)
        cases.append((report.path, copy, found))
    code = main(["check", "--fix", "--no-config", "-q", str(work)])
    assert code in (0, 1)  # 1: errors without a safe fix remain
    return work, cases


def test_fixable_files_are_found(fixed):
    _, cases = fixed
    # 113 files write learning_rate: 5e-5 (a YAML 1.1 string) in LLaMA-Factory / axolotl
    # examples; cosine_min_lr_ratio: 1.0 (LRG002, info: a constant rate, maybe meant) is
    # not fixed.
    assert len(cases) >= 100
    codes = {f.code for _, _, found in cases for f in found}
    assert codes == {"LRG004"}


def test_every_fixable_file_is_rewritten_and_nothing_fixable_remains(fixed):
    work, cases = fixed
    again = {r.path: r for r in check_paths([work], CheckOptions())}
    for original, copy, _ in cases:
        assert copy.read_bytes() != original.read_bytes(), copy
        assert not _fixable(again[copy].findings), (copy, again[copy].findings)


def _changed_lines(old: list[str], new: list[str]) -> tuple[set[int], int]:
    """1-based lines of ``old`` that differ, and how many lines were added."""
    changed: set[int] = set()
    added = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new).get_opcodes():
        if tag == "equal":
            continue
        changed.update(range(i1 + 1, i2 + 1))
        added += max(0, (j2 - j1) - (i2 - i1))
    return changed, added


def test_diff_touches_only_the_lines_of_the_fixes(fixed):
    _, cases = fixed
    for original, copy, found in cases:
        old = original.read_text(encoding="utf-8").splitlines()
        new = copy.read_text(encoding="utf-8").splitlines()
        changed, added = _changed_lines(old, new)
        assert changed == {f.line for f in found}, copy
        assert added == 0 and len(old) == len(new), copy


COMMENT = re.compile(r"(^|\s)#.*$")


def test_every_comment_survives(fixed):
    _, cases = fixed
    for original, copy, _ in cases:
        old = original.read_text(encoding="utf-8").splitlines()
        new = copy.read_text(encoding="utf-8").splitlines()
        old_comments = [m.group(0).strip() for line in old for m in [COMMENT.search(line)] if m]
        new_comments = [m.group(0).strip() for line in new for m in [COMMENT.search(line)] if m]
        assert new_comments == old_comments, copy
        full = [line for line in old if line.lstrip().startswith("#")]
        assert [line for line in new if line.lstrip().startswith("#")] == full, copy


def _set(data, dotted, value):
    keys = dotted.split(".")
    for key in keys[:-1]:
        data = data[key]
    data[keys[-1]] = value


def test_rewritten_file_reads_as_the_same_data_but_the_fixed_values(fixed):
    _, cases = fixed
    for original, copy, found in cases:
        before = yaml.load(original.read_text(encoding="utf-8"), Loader=LOADER)
        after = yaml.load(copy.read_text(encoding="utf-8"), Loader=LOADER)
        for f in found:
            number = float(f.value)
            _set(before, f.location, number)
        assert after == before, copy
        for f in found:  # the fixed values are numbers now, no longer strings
            value = after
            for key in f.location.split("."):
                value = value[key]
            assert isinstance(value, float), (copy, f.location, value)
