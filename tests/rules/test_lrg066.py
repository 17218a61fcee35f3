"""LRG066 scheduler-not-replayed: a scheduler object that lrguard could not replay, so it is
not checked.

Run on real torch schedulers through ``torch_lrguard.check_scheduler`` (skipped where
torch is not installed)."""

from __future__ import annotations

import pytest

from tests.rules.support import check_objects, corrected, example

CODE = "LRG066"

SUBCLASS = """
import torch
from torch.optim import lr_scheduler


class HoldingLR(lr_scheduler.LambdaLR):
    def __init__(self, optimizer):
        self.held = {held}
        super().__init__(optimizer, lambda step: 1.0)


optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
scheduler = HoldingLR(optimizer)
total_steps = 100
"""


def test_fires_on_the_example_naming_field_value_and_fix() -> None:
    (finding,) = check_objects(CODE, example(CODE))
    assert finding.field == "scheduler"
    assert "LockedLR" in finding.message and "deepcopy" in finding.message
    assert "copy.deepcopy" in finding.fix


def test_silent_on_the_corrected_example() -> None:
    assert check_objects(CODE, corrected(CODE)) == []


@pytest.mark.parametrize(
    ("held", "replayed"),
    [
        ("(i for i in range(3))", False),  # a generator cannot be copied
        ("[i for i in range(3)]", True),  # a list can
    ],
    ids=["generator", "list"],
)
def test_fires_exactly_when_the_copy_fails(held: str, replayed: bool) -> None:
    found = check_objects(CODE, SUBCLASS.format(held=held))
    assert (found == []) is replayed
