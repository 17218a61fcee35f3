"""``lrguard simulate``: the learning rate a config produces, step by step or epoch by epoch.

* Hugging Face schedules (TrainingArguments, LLaMA-Factory, axolotl): the closed forms of
  ``lrguard.schedules.closed_form`` at every optimizer step; needs the total steps
  (``max_steps``, ``--steps`` or ``--dataset-size``).
* ``reduce_lr_on_plateau`` / ``greedy``: the worst case per evaluation (the metric never
  improves after the first evaluation).
* A DeepSpeed ``scheduler`` section in the config's ``deepspeed`` file (``WarmupLR``,
  ``WarmupDecayLR``, ``WarmupCosineLR``): it replaces ``lr_scheduler_type``; its ``"auto"``
  params are filled as transformers fills them (``lrguard.schedules.deepspeed``).
* Flair plateau annealing: the worst case per epoch, for stock Flair (stops as soon as the
  rate is below ``min_learning_rate``) and for ``LRGuardPlugin`` (stops only when patience is
  exhausted at the floor), via ``lrguard.annealing``.

The modules, one job each:

* ``simulation``: the ``Simulation`` value (a trajectory) and ``SimulationError``;
* ``compute``: a loaded config -> its ``Simulation`` (``simulate_result``);
* ``render``: a ``Simulation`` as a table, CSV or JSON, and the rows printed;
* ``plot``: a ``Simulation`` as a PNG (without pyplot: ``lrguard.plotting``);
* ``files``: a config file -> printed and plotted (``simulate_file``, the command).
"""

from __future__ import annotations

from lrguard.simulate.compute import (
    MAX_EVALUATIONS,
    MAX_STEPS,
    simulate_deepspeed,
    simulate_flair,
    simulate_hf,
    simulate_result,
)
from lrguard.simulate.files import simulate_file
from lrguard.simulate.plot import PLOT_DPI, PLOT_POINTS, PLOT_SIZE_PX, plot_picker, save_plot
from lrguard.simulate.render import (
    MAX_ROWS,
    RENDERERS,
    TABLE_ROWS,
    render_csv,
    render_json,
    render_table,
    row_picker,
)
from lrguard.simulate.simulation import Picker, Simulation, SimulationError

__all__ = [
    "MAX_EVALUATIONS",
    "MAX_ROWS",
    "MAX_STEPS",
    "PLOT_DPI",
    "PLOT_POINTS",
    "PLOT_SIZE_PX",
    "RENDERERS",
    "TABLE_ROWS",
    "Picker",
    "Simulation",
    "SimulationError",
    "plot_picker",
    "render_csv",
    "render_json",
    "render_table",
    "row_picker",
    "save_plot",
    "simulate_deepspeed",
    "simulate_file",
    "simulate_flair",
    "simulate_hf",
    "simulate_result",
]
