"""Figures drawn without pyplot: the process's matplotlib backend and figures stay as they are.

``agg_figure`` gives a ``matplotlib.figure.Figure`` on its own Agg canvas, never registered
with pyplot, so ``lrguard simulate --plot`` and ``RangeTestResult.plot`` neither switch the
backend a notebook or an application chose nor open a pyplot figure.

Example (without matplotlib, the 'plot' extra, the error names what to install):
    >>> try:
    ...     fig = agg_figure((4.0, 3.0), dpi=50, needed_by="this example")
    ... except ModuleNotFoundError as err:
    ...     assert "pip install 'lrguard[plot]'" in str(err)
    ... else:
    ...     assert type(fig.canvas).__name__ == "FigureCanvasAgg"
    ...     assert fig.canvas.get_width_height() == (200, 150)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lrguard.extras import require

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def agg_figure(figsize: tuple[float, float], *, dpi: float | None = None, needed_by: str) -> Figure:
    """A figure of ``figsize`` inches on its own Agg canvas (call ``fig.clear()`` when done).

    Args:
        figsize: width and height in inches.
        dpi: dots per inch of the figure (None: matplotlib's ``figure.dpi``).
        needed_by: what plots, named in the error when matplotlib is missing.

    Raises:
        ModuleNotFoundError: matplotlib is not installed; the message names the extra
            (``{needed_by} needs matplotlib: pip install 'lrguard[plot]'``).
    """
    require("matplotlib", "plot", needed_by)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


__all__ = ["agg_figure"]
