"""``lrguard check --resume-from`` and ``lrguard simulate --resume-from`` on a checkpoint
written by a real Trainer run (trained once per test session), and on unusable input.

The command itself never imports torch or transformers; only the fixture that writes the
checkpoint trains (and is skipped where they are not installed).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FIRST = {
    "max_steps": 10,
    "lr_scheduler_type": "linear",
    "warmup_steps": 2,
    "learning_rate": 1e-4,
    "save_strategy": "steps",
    "save_steps": 4,
}

CONFIG = """learning_rate: 1.0e-4
lr_scheduler_type: linear
warmup_steps: 2
max_steps: {max_steps}
per_device_train_batch_size: 4
"""


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> dict[str, object]:
    """checkpoint-4 of a guarded run and of a stock run, and the rates the runs used."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from transformers import TrainerCallback

    from hf_lrguard import LRGuardCallback
    from tests.hf.conftest import make_args, make_trainer

    class Rates(TrainerCallback):
        def __init__(self) -> None:
            self.rates: list[float] = []

        def on_pre_optimizer_step(self, args, state, control, optimizer=None, **kwargs):
            self.rates.append(float(optimizer.param_groups[0]["lr"]))

    root = tmp_path_factory.mktemp("checkpoints")
    made: dict[str, object] = {}
    for name, guard in (("guarded", True), ("stock", False)):
        rates = Rates()
        callbacks = [rates, LRGuardCallback()] if guard else [rates]
        make_trainer(make_args(root / name, **FIRST), callbacks=callbacks).train()
        made[name] = root / name / "out" / "checkpoint-4"
        made[f"{name}_rates"] = rates.rates
    return made


def test_a_matching_config_is_silent(trained, run, write):
    code, out, err = run(
        "check",
        "--resume-from",
        trained["guarded"],
        write("same.yaml", CONFIG.format(max_steps=10)),
    )
    assert code == 0, err
    assert "LRG024" not in out and "0 warning(s), 0 info" in out


def test_a_longer_run_is_reported_with_the_rates_the_resume_uses(trained, run, write):
    config = write("longer.yaml", CONFIG.format(max_steps=20))
    code, out, err = run("check", "--format", "json", "--resume-from", trained["guarded"], config)
    assert code == 0, err  # a warning
    files = json.loads(out)["files"]
    found = [f for r in files for f in r["findings"] if f["code"] == "LRG024"]
    assert [f["severity"] for f in found] == ["warning"]
    old = trained["guarded_rates"]
    new_at_6 = 1e-4 * (20 - 5) / (20 - 2)  # the 20-step schedule at step 6, restored base
    assert f"from {old[4]:.3g} at step 5 to {new_at_6:.3g} at step 6" in found[0]["message"]
    assert f"the checkpoint's schedule: {old[5]:.3g}" in found[0]["message"]


def test_a_new_learning_rate_is_an_error_exit_1(trained, run, write):
    config = write("lr.yaml", CONFIG.format(max_steps=10).replace("1.0e-4", "5.0e-4"))
    code, out, _ = run("check", "--resume-from", trained["guarded"], config)
    assert code == 1
    assert "LRG024 [error] learning_rate=0.0005 is not used after the resume" in out
    code, out, _ = run("check", "--ignore", "LRG024", "--resume-from", trained["guarded"], config)
    assert code == 0 and "LRG024" not in out


def test_a_checkpoint_written_without_the_guard(trained, run, write):
    code, out, _ = run(
        "check",
        "--resume-from",
        trained["stock"],
        write("longer.yaml", CONFIG.format(max_steps=20)),
    )
    assert code == 0
    assert "LRG024 [info] resume compared from trainer_state.json alone" in out
    assert "LRG024 [warning] resumed at step 5" in out
    code, out, _ = run(
        "check", "--resume-from", trained["stock"], write("same.yaml", CONFIG.format(max_steps=10))
    )
    assert code == 0 and "[warning]" not in out


def test_simulate_shows_the_resumed_run(trained, run, write):
    config = write("longer.yaml", CONFIG.format(max_steps=20))
    code, out, err = run(
        "simulate", "--format", "json", "--resume-from", trained["guarded"], config
    )
    assert code == 0, err
    data = json.loads(out)
    rows = {row["step"]: row for row in data["rows"]} if "rows" in data else None
    assert rows is not None, data
    old = trained["guarded_rates"]
    assert [rows[s]["lr"] for s in range(1, 6)] == pytest.approx(old[:5], rel=1e-12)
    assert rows[6]["lr"] == pytest.approx(1e-4 * 15 / 18, rel=1e-12)
    assert rows[6]["lr_checkpoint"] == pytest.approx(old[5], rel=1e-12)
    assert rows[20]["lr_checkpoint"] is None


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no trainer_state.json, so this is not a Trainer checkpoint"),
        ("{not json", "not valid JSON (line 1 column 2"),
        ('{"global_step": 2.5}', "global_step=2.5 is not a whole number"),
    ],
)
def test_unusable_checkpoints_exit_2_with_the_fix(run, write, tmp_path, content, message):
    folder = tmp_path / "checkpoint-4"
    folder.mkdir()
    if content is not None:
        (folder / "trainer_state.json").write_text(content, encoding="utf-8")
    config = write("c.yaml", CONFIG.format(max_steps=10))
    for command in ("check", "simulate"):
        code, _, err = run(command, "--resume-from", folder, config)
        assert code == 2 and message in err and "Fix:" in err, err
        assert "Traceback" not in err


def test_a_config_without_a_known_length_exit_2(run, write, tmp_path):
    folder = tmp_path / "checkpoint-4"
    folder.mkdir()
    (folder / "trainer_state.json").write_text('{"global_step": 4, "max_steps": 10}')
    config = write("epochs.yaml", "learning_rate: 1.0e-4\nnum_train_epochs: 3\n")
    code, _, err = run("check", "--resume-from", folder, config)
    assert code == 2 and "--steps" in err


def test_the_command_does_not_import_torch(tmp_path):
    folder = tmp_path / "checkpoint-4"
    folder.mkdir()
    (folder / "trainer_state.json").write_text('{"global_step": 4, "max_steps": 10}')
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG.format(max_steps=20))
    code = (
        "import sys; from lrguard.cli import main; "
        f"main(['check', '--resume-from', {str(folder)!r}, {str(config)!r}]); "
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.strip().endswith("[]"), done.stdout + done.stderr
