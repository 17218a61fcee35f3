"""LRG024 resume-schedule-changed: a run resumed from a checkpoint with a different schedule.

The findings are built by ``lrguard.resume`` from two sides, a checkpoint and the new run:
at ``on_train_begin`` of a resumed Hugging Face run (``LRGuardCallback``), and by
``lrguard check --resume-from CHECKPOINT_DIR CONFIG``. A config alone holds no checkpoint,
so the rule's plan check finds nothing on its own.
"""

from __future__ import annotations

from collections.abc import Iterator

from lrguard.findings import Finding, Severity
from lrguard.plan import TrainingPlan
from lrguard.rules import Rule, register

CODE = "LRG024"

TOLERANCE = 0.05
"""A resumed run whose rate differs from the checkpoint's schedule by at most this fraction
of the peak at every compared step is not reported (rounding, a changed total that barely
moves it)."""

ERROR_RATIO = 2.0
"""A rate this many times above or below the checkpoint's schedule right after the resume
is an error; a smaller difference (above ``TOLERANCE``) is a warning."""


def check_no_plan_findings(plan: TrainingPlan) -> Iterator[Finding]:
    """Nothing from a plan alone: the checkpoint's schedule is the other half."""
    return iter(())


register(
    Rule(
        code=CODE,
        name="resume-schedule-changed",
        severity=Severity.ERROR,
        summary="A run resumed from a checkpoint whose schedule differs from the checkpoint's.",
        what="Compares, at every remaining step (sampled past 512 steps), the rate the "
        "checkpoint's run would have used with the rate the resumed run uses: the new "
        "lr_scheduler_type, lr_scheduler_kwargs, warmup and total steps (max_steps, or "
        "num_train_epochs with the world size, batch size and gradient_accumulation_steps) "
        "times the base rate the checkpoint's scheduler state restores. The schedule of the "
        "checkpoint is the one LRGuardCallback recorded in trainer_state.json; for a "
        "checkpoint written without it, the new schedule over the checkpoint's max_steps "
        "when the rates in its log_history agree (said once, as info), else not compared "
        f"(info). A rate that differs by more than {TOLERANCE:.0%} of the peak at some step "
        f"is reported: an error when it is more than {ERROR_RATIO:g}x off right after the "
        "resume (a jump, a warmup that restarts), a warning otherwise; a learning_rate the "
        "restored scheduler ignores is "
        f"an error beyond {ERROR_RATIO:g}x. Checked at on_train_begin of a resumed run, "
        "before its first optimizer step, and by lrguard check --resume-from CHECKPOINT "
        "CONFIG.",
        why="Trainer builds the new schedule, then loads the checkpoint's scheduler.pt: its "
        "step count and its base rate. After changing max_steps, the number of processes, "
        "gradient_accumulation_steps or the batch size (which change a run counted in "
        "epochs), the rate jumps at the resume step, warmup can restart, and the decay ends "
        "elsewhere than planned; a new learning_rate is silently not used at all. Nothing "
        "is logged: the loss curve just bends.",
        example="# trainer_state.json of checkpoint-400: max_steps 1000, linear, "
        "learning_rate 2e-5, warmup_steps 100\n"
        "# lrguard check --resume-from out/checkpoint-400 train.yaml\n"
        "learning_rate: 2.0e-5\nlr_scheduler_type: linear\nwarmup_steps: 100\n"
        "max_steps: 4000",
        corrected="# resume with the checkpoint's schedule (or train from its weights "
        "without resume_from_checkpoint)\n"
        "learning_rate: 2.0e-5\nlr_scheduler_type: linear\nwarmup_steps: 100\n"
        "max_steps: 1000",
        fix="Resume with the checkpoint's settings to continue its schedule, or load its "
        "weights as the model and train without resume_from_checkpoint to start the new "
        "schedule from its first step. lrguard does not change the rate itself (any "
        "'fix' would undo one of the two choices), so adjust acts as warn for this rule.",
        check=check_no_plan_findings,
    )
)
