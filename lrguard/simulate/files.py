"""Simulating a config file: load it, compute its trajectory, print it, and plot it."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from lrguard.configs.loader import ConfigResult, load_config
from lrguard.configs.steps import StepOptions
from lrguard.simulate.compute import simulate_result
from lrguard.simulate.plot import plot_picker, save_plot
from lrguard.simulate.render import RENDERERS, row_picker
from lrguard.simulate.simulation import Picker, Simulation


def simulate_file(
    path: Path,
    *,
    kind: str | None = None,
    steps: StepOptions | None = None,
    fmt: str = "table",
    plot: Path | None = None,
    every: int | None = None,
    out: TextIO,
    transformers_major: int = 4,
    resume_from: Path | None = None,
) -> int:
    """Simulate ``path``, print it in ``fmt`` to ``out``, optionally save a plot; exit code 0.

    Rates are computed only at the rows printed (``row_picker``) and the points plotted
    (``PLOT_POINTS``), so time and memory do not grow with the run length.

    With ``resume_from`` (a checkpoint folder), the run resumed from that checkpoint: its
    rates up to the checkpoint, stock transformers' after it (``lr``), and the checkpoint's
    schedule continued (``lr_checkpoint``).

    Raises:
        SimulationError: the config cannot be simulated, or more than ``MAX_ROWS`` rows.
    """
    result = load_config(path, kind, steps)
    run = simulate_result
    if resume_from is not None:
        from lrguard.resume import resumed_simulation

        def run(result: ConfigResult, major: int, pick: Picker | None = None) -> Simulation:
            return resumed_simulation(simulate_result, result, resume_from, major, pick)

    sim = run(result, transformers_major, row_picker(fmt, every))
    if plot is not None:
        save_plot(run(result, transformers_major, plot_picker), plot)
    print(RENDERERS[fmt](sim, 1), file=out)
    return 0


__all__ = ["simulate_file"]
