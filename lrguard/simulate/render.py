"""Printing a ``Simulation``: a fixed-width table, CSV or JSON, and the rows each shows."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterable

from lrguard.numbers import fmt
from lrguard.simulate.simulation import Picker, Simulation, SimulationError

TABLE_ROWS = 40
"""Rows a table shows by default (more with ``--every``)."""

MAX_ROWS = 200_000
"""Rows ``simulate`` prints at most; more must be thinned with ``--every``."""


def row_picker(fmt: str, every: int | None, limit: int = MAX_ROWS) -> Picker:
    """The rows ``simulate`` prints: every ``every``-th (default: all for csv/json, about
    ``TABLE_ROWS`` for a table), the first and last, and the landmarks.

    Raises (when called):
        SimulationError: more than ``limit`` rows; the message says which ``--every`` fits.

    Example:
        >>> row_picker("csv", 250)(1000, [99, 100])
        [0, 99, 100, 250, 500, 750, 999]
    """

    def pick(count: int, landmarks: Iterable[int]) -> list[int]:
        step = every or (max(1, math.ceil(count / TABLE_ROWS)) if fmt == "table" else 1)
        marks = {m for m in landmarks if 0 <= m < count} | {0, count - 1}
        rows = -(-count // step) + len(marks)
        if rows > limit:
            need = math.ceil(count / (limit - len(marks) - 1))
            raise SimulationError(
                f"{rows} rows to print ({count} in all, --every {step}): more than the limit "
                f"of {limit}; pass --every {need} or more, or use --format table"
            )
        return sorted(set(range(0, count, step)) | marks)

    return pick


def _cell(value: float) -> str:
    return "" if value != value else f"{value:.6g}"


def render_table(sim: Simulation, every: int | None = None) -> str:
    """A fixed-width table, ~``TABLE_ROWS`` rows unless ``every`` says otherwise."""
    every = every or max(1, math.ceil(len(sim.index) / TABLE_ROWS))
    names = list(sim.series)
    lines = [sim.title]
    if sim.floor is not None:
        lines.append(
            f"floor: {fmt(sim.floor)}"
            + (f"; warmup: {fmt(sim.warmup)} steps" if sim.warmup else "")
        )
    for name, stop in sim.stops.items():
        lines.append(f"{name}: training stops after {sim.unit} {stop}")
    lines.append(f"{sim.unit:>10}  " + "  ".join(f"{n:>12}" for n in names))
    for i in sim.rows(every):
        cells = "  ".join(f"{_cell(sim.series[n][i]):>12}" for n in names)
        lines.append(f"{sim.index[i]:>10}  {cells}")
    return "\n".join(lines)


def _csv_cell(value: float) -> str:
    return "" if value != value else repr(value)


def render_csv(sim: Simulation, every: int | None = None) -> str:
    """CSV with a header row: the unit, then one column per series."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([sim.unit, *sim.series])
    for i in sim.rows(every):
        writer.writerow([sim.index[i], *(_csv_cell(sim.series[n][i]) for n in sim.series)])
    return buf.getvalue().rstrip("\n")


def _json_number(value: float | None) -> float | str | None:
    """JSON has no NaN or infinity: NaN (no value, e.g. after a stop) is null, infinities
    are the strings ``"inf"`` / ``"-inf"``."""
    if value is None or value != value:
        return None
    return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")


def render_json(sim: Simulation, every: int | None = None) -> str:
    """JSON: ``{unit, title, floor, warmup, stops, rows: [{unit: n, series: lr, ...}]}``.

    Strictly valid JSON: NaN is written as null, infinities as ``"inf"`` / ``"-inf"``.
    """
    rows = [
        {sim.unit: sim.index[i], **{n: _json_number(sim.series[n][i]) for n in sim.series}}
        for i in sim.rows(every)
    ]
    doc = {
        "unit": sim.unit,
        "title": sim.title,
        "floor": _json_number(sim.floor),
        "warmup": _json_number(sim.warmup),
        "stops": sim.stops,
        "rows": rows,
    }
    return json.dumps(doc, indent=1, allow_nan=False)


RENDERERS: dict[str, Callable[[Simulation, int | None], str]] = {
    "table": render_table,
    "csv": render_csv,
    "json": render_json,
}
"""``--format`` value -> renderer."""

__all__ = [
    "MAX_ROWS",
    "RENDERERS",
    "TABLE_ROWS",
    "render_csv",
    "render_json",
    "render_table",
    "row_picker",
]
