"""LRG090 range-test-suggestion: the rate and floor a learning-rate range test suggests."""

from __future__ import annotations

from lrguard.findings import Severity
from lrguard.rules import Rule, register

CODE = "LRG090"


register(
    Rule(
        code=CODE,
        name="range-test-suggestion",
        severity=Severity.INFO,
        summary="A learning-rate range test suggested an initial rate and a floor.",
        what="Records the outcome of flair_lrguard.find_learning_rate / "
        "hf_lrguard.find_learning_rate / torch_lrguard.range_test.find_learning_rate: the "
        "suggested learning rate and which reading chose it (edge of stability, descent, "
        "median of several sweeps, race winner), the floor the guard's policy sets for it "
        "(min_learning_rate, min_lr, min_lr_rate, lr_end, eta_min ...), every method's answer "
        "and why the sweep ended. Nothing is changed: the values are returned for the user "
        "to train with.",
        why="A floor chosen without the rate it belongs to is how runs end early (LRG001, "
        "LRG002). The range test gives both together, and the log keeps the evidence next "
        "to the run it was made for.",
        example=(
            "# a sweep whose loss falls, then diverges: a rate is suggested\n"
            "sweep = SweepSettings(start_lr=1e-6, end_lr=1.0, num_steps=60)\n"
            "def loss_at(lr):\n"
            "    return (lr - 0.01) ** 2 * 1e4 + 1.0 if lr < 0.3 else 1e9"
        ),
        corrected=(
            "# a sweep whose loss never falls: no rate is suggested\n"
            "sweep = SweepSettings(start_lr=1e-6, end_lr=1.0, num_steps=60)\n"
            "def loss_at(lr):\n"
            "    return 1.0"
        ),
        example_kind="range_test",
        fix="Nothing to fix: train with the suggested learning_rate and floor, or read "
        "lr_range_test.png to pick another point on the descent.",
    )
)
