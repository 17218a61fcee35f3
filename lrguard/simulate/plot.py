"""Plotting a ``Simulation`` to a PNG, with the floor, the warmup and the stops marked.

Drawn on a figure of its own (``lrguard.plotting``): the process's matplotlib backend and
pyplot's figures are left as they are.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

from lrguard.numbers import fmt
from lrguard.plotting import agg_figure
from lrguard.simulate.simulation import Simulation, SimulationError

PLOT_SIZE_PX = (960, 540)
PLOT_DPI = 120

PLOT_POINTS = 4_000
"""Points a plot is drawn from (evenly spaced, plus the warmup end, floor and stops)."""


def plot_picker(count: int, landmarks: Iterable[int]) -> list[int]:
    """The positions a plot is drawn from: about ``PLOT_POINTS`` evenly spaced, the first and
    last, and each landmark with the position after it.

    Example:
        >>> plot_picker(10, [4])
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    """
    step = max(1, math.ceil(count / PLOT_POINTS))
    marks = {m for m in landmarks if 0 <= m < count} | {0, count - 1}
    return sorted(set(range(0, count, step)) | marks | {m + 1 for m in marks if m + 1 < count})


def save_plot(sim: Simulation, path: Path) -> Path:
    """Save a PNG of ``PLOT_SIZE_PX`` pixels with the floor and the warmup marked.

    Raises:
        SimulationError: matplotlib is not installed (``pip install 'lrguard[plot]'``).
    """
    width, height = PLOT_SIZE_PX
    try:
        fig = agg_figure((width / PLOT_DPI, height / PLOT_DPI), dpi=PLOT_DPI, needed_by="--plot")
    except ModuleNotFoundError:
        raise SimulationError("--plot needs matplotlib: pip install 'lrguard[plot]'") from None
    try:
        ax = fig.subplots()
        for name, values in sim.series.items():
            ax.plot(
                sim.index,
                values,
                label=name,
                drawstyle="steps-post" if sim.unit != "step" else "default",
            )
        if sim.warmup:
            ax.axvspan(
                1,
                sim.warmup,
                color="tab:orange",
                alpha=0.15,
                label=f"warmup ({fmt(sim.warmup)} steps)",
            )
        if sim.floor is not None:
            ax.axhline(
                sim.floor,
                color="tab:red",
                linestyle="--",
                linewidth=1,
                label=f"floor {fmt(sim.floor)}",
            )
        for name, stop in sim.stops.items():
            ax.axvline(
                stop,
                color="tab:gray",
                linestyle=":",
                linewidth=1,
                label=f"{name} stops after {sim.unit} {stop}",
            )
        values = [v for series in sim.series.values() for v in series if v == v]
        if values and min(values) > 0 and max(values) / min(values) > 50:
            ax.set_yscale("log")
        ax.set_xlabel(sim.unit)
        ax.set_ylabel("learning rate")
        ax.set_title(sim.title, fontsize=8)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        fig.savefig(path, dpi=PLOT_DPI, format="png")
    finally:
        fig.clear()
    return path


__all__ = ["PLOT_DPI", "PLOT_POINTS", "PLOT_SIZE_PX", "plot_picker", "save_plot"]
