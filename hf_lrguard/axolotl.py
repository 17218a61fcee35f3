"""axolotl plugin: ``plugins: [hf_lrguard.axolotl.AxolotlGuardPlugin]`` in an axolotl YAML
(``hf_lrguard.axolotl.LRGuardPlugin``, the same class, works too).

axolotl registers the plugins listed in a config as soon as it has read the file, before it
validates it and long before any model is loaded. ``AxolotlGuardPlugin.register`` checks the
config there, exactly as ``lrguard check`` reads an axolotl file (``learning_rate``,
``lr_scheduler``, ``lr_scheduler_kwargs``, ``cosine_min_lr_ratio``,
``cosine_constant_lr_ratio``, ``lr_quadratic_warmup``, ``warmup_steps`` / ``warmup_ratio``,
``lr_groups`` ...), and under the policy of an optional top-level ``lrguard:`` block:

* ``on_violation: error`` (or an error with no safe fix) raises ``LRGuardError`` there, with
  the field, the value and the fix: nothing is loaded or written.
* ``adjust`` writes the fix into the config itself (``cosine_min_lr_ratio: 10`` becomes
  ``0.1``), so axolotl validates and builds the run from the fixed values.

``add_callbacks_pre_trainer`` then gives the trainer ``AxolotlGuardCallback``, an
``LRGuardCallback`` that logs those decisions with its own (``output_dir/lrguard.jsonl``,
``trainer_state.json``, the trackers) once the schedule is built, and only after reading the
fix back from the built scheduler: a fix the run does not use is logged as a warning saying
why. A schedule axolotl builds itself (``cosine_min_lr_ratio``, ``lr_quadratic_warmup``,
``one_cycle``, ``rex``, jagged restarts) is replayed and checked like a scheduler passed to
``Trainer``, never rebuilt.

The ``lrguard:`` block is declared to axolotl's config schema through ``get_input_args``
(``LRGuardArgs``): its options are ``GuardPolicy``'s, validated by pydantic with the rest
of the config.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from types import SimpleNamespace
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from hf_lrguard._live import what_differs
from hf_lrguard._logging import get_logger
from hf_lrguard.callback import LRGuardCallback
from lrguard.checking import CheckOptions, findings_for
from lrguard.configs.hf_view import read_axolotl_fields
from lrguard.configs.kinds import Detection
from lrguard.configs.loader import build_result
from lrguard.configs.reading import Document, UnusableConfig, read_document
from lrguard.configs.steps import StepOptions
from lrguard.decide import decide
from lrguard.errors import LRGuardError
from lrguard.findings import Action, Decision
from lrguard.numbers import fmt, parse_number
from lrguard.policy import GuardPolicy
from lrguard.run_log import RunLog
from torch_lrguard.replay import replay

try:  # the plugin's base class; hf_lrguard itself does not need axolotl
    from axolotl.integrations.base import BasePlugin
except ModuleNotFoundError as missing:  # pragma: no cover - only without axolotl
    raise ModuleNotFoundError(
        "hf_lrguard.axolotl needs axolotl: pip install axolotl", name=missing.name
    ) from missing

logger = get_logger(__name__)

POLICY_KEY = "lrguard"
NOT_CHECKED = ("plugins", POLICY_KEY)
"""Top-level keys that are not training settings."""

AXOLOTL_SCHEDULE_NOTE = (
    "axolotl builds this schedule itself (cosine_min_lr_ratio, lr_quadratic_warmup, "
    "one_cycle, rex or jagged restarts): change the config as the fix says."
)


class LRGuardArgs(BaseModel):
    """The plugin's option in axolotl's config schema: a top-level ``lrguard:`` block.

    Example:
        >>> LRGuardArgs(lrguard={"on_violation": "error"}).lrguard.on_violation
        'error'
    """

    lrguard: GuardPolicy | None = Field(
        default=None,
        description="lrguard's GuardPolicy options (on_violation, adjust_strategy, "
        "min_lr_ratio, ...); see docs/policy.md (Policy options).",
    )


def read_policy(cfg: Mapping[str, Any]) -> GuardPolicy:
    """The ``GuardPolicy`` of the config's ``lrguard:`` block (the defaults without one).

    Raises:
        LRGuardError: the block is not a mapping, or an option or value is invalid (the
            message names the option, the value and what it accepts).

    Example:
        >>> read_policy({"lrguard": {"min_lr_ratio": 0.01}}).min_lr_ratio
        0.01
        >>> try:
        ...     read_policy({"lrguard": {"on_violation": "stop"}})
        ... except LRGuardError as err:
        ...     problem, fix = str(err).split(" Fix: ")
        >>> problem
        "lrguard.on_violation='stop': Input should be 'adjust', 'warn' or 'error'."
        >>> fix
        "set lrguard.on_violation to one of 'adjust', 'warn', 'error'."
    """
    options = cfg.get(POLICY_KEY)
    if options is None:
        return GuardPolicy()
    if not isinstance(options, Mapping):
        raise LRGuardError(
            f"{POLICY_KEY}={options!r}: must be a mapping of GuardPolicy options. "
            f"Fix: write e.g. `{POLICY_KEY}: {{on_violation: error}}`."
        )
    try:
        policy = GuardPolicy(**dict(options))
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in (POLICY_KEY, *first["loc"]))
        value = first.get("input")
        expected = first.get("ctx", {}).get("expected")
        if first["type"] == "extra_forbidden":
            accepted = ", ".join(GuardPolicy.model_fields)
            fix = f"remove it; {POLICY_KEY} takes {accepted}"
        elif expected:
            fix = f"set {where} to one of {expected.replace(' or ', ', ')}"
        else:
            fix = f"set {where} to a valid value"
        raise LRGuardError(f"{where}={value!r}: {first['msg']}. Fix: {fix}.") from err
    _check_log_file(policy.log_file)
    return policy


def _check_log_file(log_file: str | None) -> None:
    """Refuse a ``log_file`` that is not a file inside ``output_dir`` (absolute, or leading
    out of it with ``..``): the guard writes only into the run's folder.

    Example:
        >>> _check_log_file("decisions/lrguard.jsonl")
        >>> try:
        ...     _check_log_file("/tmp/x.jsonl")
        ... except LRGuardError as err:
        ...     print(str(err).split(": ")[0])
        lrguard.log_file='/tmp/x.jsonl'
    """
    if not log_file:  # None or '': no file
        return
    where = f"{POLICY_KEY}.log_file={log_file!r}"
    fix = (
        f"Fix: set {POLICY_KEY}.log_file to a file name inside output_dir, e.g. "
        f"`log_file: lrguard.jsonl` (or `log_file: null` for no file)."
    )
    posix, windows = PurePosixPath(log_file), PureWindowsPath(log_file)
    if posix.is_absolute() or windows.is_absolute() or windows.drive:
        raise LRGuardError(
            f"{where}: an absolute path; the decision log is written into the run's "
            f"output_dir. {fix}"
        )
    depth = 0
    for part in windows.parts:  # PureWindowsPath splits on '/' and '\\' alike
        depth += -1 if part == ".." else (0 if part in ("", ".") else 1)
        if depth < 0:
            raise LRGuardError(
                f"{where}: leads out of output_dir ('..'); the decision log is written into "
                f"the run's output_dir. {fix}"
            )
    if depth == 0:
        raise LRGuardError(f"{where}: names no file inside output_dir. {fix}")


def _plain(value: Any) -> Any:
    """axolotl's ``DictDefault`` (and nested ones) -> plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _document(cfg: Mapping[str, Any]) -> Document:
    """The config as ``lrguard check`` reads a file: the values axolotl has (command-line
    overrides included), the lines of the file it came from when it can be read."""
    data = {k: _plain(v) for k, v in cfg.items() if k not in NOT_CHECKED and v is not None}
    source = cfg.get("axolotl_config_path")
    lines: dict[str, int] = {}
    path = Path(str(source)) if source else Path("<axolotl config>")
    if source:
        try:
            lines = read_document(path).lines
        except UnusableConfig:
            lines = {}
    return Document(path=path, data=data, lines=lines)


@dataclass(frozen=True)
class ExpectedSchedule:
    """What the fixed config describes, for reading the fixes back from the built run.

    Attributes:
        learning_rate: the peak.
        lr_scheduler_type: the Hugging Face schedule with the same closed form, or None
            when axolotl's schedule has no entry in the schedule table.
        lr_scheduler_kwargs: its kwargs.
    """

    learning_rate: float | None
    lr_scheduler_type: str | None
    lr_scheduler_kwargs: dict[str, Any]


def expected_schedule(cfg: Mapping[str, Any]) -> ExpectedSchedule:
    """The schedule the (fixed) axolotl config describes.

    Example:
        >>> e = expected_schedule({"learning_rate": 1e-5, "cosine_min_lr_ratio": 0.1})
        >>> e.lr_scheduler_type, e.lr_scheduler_kwargs
        ('cosine_with_min_lr', {'min_lr_rate': 0.1})
    """
    view = read_axolotl_fields({k: _plain(v) for k, v in cfg.items()})
    kwargs = view.args.get("lr_scheduler_kwargs") or {}
    return ExpectedSchedule(
        learning_rate=parse_number(view.args.get("learning_rate")).value,
        lr_scheduler_type=None if view.schedule_unsupported else view.args["lr_scheduler_type"],
        lr_scheduler_kwargs=dict(kwargs) if isinstance(kwargs, Mapping) else {},
    )


def _set_path(cfg: Any, key_path: str, value: Any) -> None:
    """Set ``a`` or ``a.b`` in the config (creating ``a`` when missing)."""
    head, _, tail = key_path.partition(".")
    if not tail:
        cfg[head] = value
        return
    inner = cfg.get(head)
    if not isinstance(inner, dict):
        inner = {}
        cfg[head] = inner
    inner[tail] = value


def _config_key(field: str, locations: Mapping[str, str]) -> str:
    """The axolotl key of a plan field (``lr_scheduler_kwargs.min_lr_rate`` ->
    ``cosine_min_lr_ratio``)."""
    return locations.get(field, field)


def _renamed(values: Any, locations: Mapping[str, str]) -> Any:
    if not isinstance(values, dict):
        return values
    return {_config_key(k, locations): v for k, v in values.items()}


def apply_fixes(
    cfg: Any, decisions: list[Decision], locations: Mapping[str, str]
) -> list[Decision]:
    """Write every ``adjusted`` decision's ``after`` values into the axolotl config, under
    the config's own keys; the decisions are returned with those keys in ``before`` /
    ``after``. ``warmup_steps`` and ``warmup_ratio`` exclude each other in axolotl: setting
    one removes the other."""
    out = []
    for decision in decisions:
        if decision.action != Action.ADJUSTED or not isinstance(decision.after, dict):
            out.append(decision)
            continue
        for field, value in decision.after.items():
            key = _config_key(field, locations)
            _set_path(cfg, key, value)
            other = {"warmup_steps": "warmup_ratio", "warmup_ratio": "warmup_steps"}.get(key)
            if other and cfg.get(other) is not None:
                cfg[other] = None
        out.append(
            decision._replace(
                before=_renamed(decision.before, locations),
                after=_renamed(decision.after, locations),
            )
        )
    return out


def check_config(cfg: Any, policy: GuardPolicy) -> list[Decision]:
    """Check an axolotl config (a mapping, changed in place) before anything is loaded.

    Findings are those of ``lrguard check`` on the same file. Under ``adjust`` the fixes
    are written into ``cfg``; ``warn`` only reports.

    Returns:
        The decisions, keys named as in the config.

    Raises:
        LRGuardError: the policy refuses the config (``on_violation: error``, or an error
            with no safe fix); the message names the field, the value and the fix.

    Example:
        >>> cfg = {"base_model": "m", "learning_rate": 1e-5, "cosine_min_lr_ratio": 10}
        >>> [(d.rule, d.action.value, d.after) for d in check_config(cfg, GuardPolicy())]
        [('LRG002', 'adjusted', {'cosine_min_lr_ratio': 0.1})]
        >>> cfg["cosine_min_lr_ratio"]
        0.1
    """
    result = build_result(_document(cfg), Detection("axolotl", "axolotl plugin"), StepOptions())
    if result.plan is None:  # pragma: no cover - an axolotl detection always plans
        return []
    result.plan.min_lr_ratio = policy.min_lr_ratio  # the floor its fixes propose
    findings = findings_for(result, CheckOptions(ignore=policy.ignore))
    outcome = decide(result.plan, policy, "hf", findings=findings)
    if outcome.error is not None:
        raise outcome.error
    return apply_fixes(cfg, outcome.decisions, result.plan.locations)


def axolotl_builds_schedule(args: Any) -> bool:
    """True when axolotl's trainer builds the schedule itself instead of transformers."""
    cosine = str(getattr(args.lr_scheduler_type, "value", args.lr_scheduler_type)) == "cosine"
    return bool(
        (cosine and getattr(args, "cosine_min_lr_ratio", None) is not None)
        or (cosine and getattr(args, "lr_quadratic_warmup", None) is True)
        or getattr(args, "alternate_lr_scheduler_type", None)
        or getattr(args, "jagged_restart_steps", None)
    )


def read_back(
    expected: ExpectedSchedule, args: Any, optimizer: Any, scheduler: Any, total: int
) -> str | None:
    """Why the built run does not follow the fixed config, or None when it does.

    With a closed form in the schedule table: the scheduler's rate factors over the whole
    run against it (``what_differs``). Otherwise the scheduler is replayed: no param group
    may go above its starting rate after warmup, and none may end at or above it.
    """
    if expected.lr_scheduler_type is not None:
        described = SimpleNamespace(
            lr_scheduler_type=expected.lr_scheduler_type,
            lr_scheduler_kwargs=expected.lr_scheduler_kwargs,
            get_warmup_steps=args.get_warmup_steps,
        )
        return what_differs(described, optimizer, scheduler, total, peak=expected.learning_rate)
    trajectory = replay(optimizer, scheduler, total)
    if trajectory.not_replayed:
        return f"the built scheduler could not be replayed ({trajectory.not_replayed})"
    warmup = args.get_warmup_steps(total)
    for index in range(len(trajectory.rates)):  # every step, or past the replay cap samples
        points = [(step, rate) for step, rate, _ in trajectory.series(index)]
        start = max((rate for step, rate in points if step <= warmup), default=0.0)
        after = [rate for step, rate in points if step >= warmup]
        if after and max(after) > start * (1 + 1e-9):
            return f"param group {index} rises to {fmt(max(after))} above {fmt(start)}"
        ends = not trajectory.partial  # else the run's last step is not known
        if ends and len(after) > 1 and math.isfinite(after[-1]) and after[-1] >= start > 0:
            return f"param group {index} ends at {fmt(after[-1])}, not below {fmt(start)}"
    return None


class AxolotlGuardCallback(LRGuardCallback):
    """``LRGuardCallback`` for axolotl's trainer, carrying the plugin's config decisions.

    Args:
        policy: the ``GuardPolicy`` of the config's ``lrguard:`` block.
        config_decisions: the decisions ``AxolotlGuardPlugin`` took on the config.
        expected: what the fixed config describes (read back at ``on_train_begin``).
    """

    def __init__(
        self,
        policy: GuardPolicy,
        config_decisions: list[Decision] | None = None,
        expected: ExpectedSchedule | None = None,
    ) -> None:
        super().__init__(policy)
        self.config_decisions = list(config_decisions or [])
        self.expected = expected
        self._axolotl_schedule = False

    def on_init_end(self, args, state, control, **kwargs):
        """Checks ``TrainingArguments`` unless axolotl builds the schedule itself: then its
        arguments do not describe the schedule, which is replayed at ``on_train_begin``."""
        self._axolotl_schedule = axolotl_builds_schedule(args)
        if not self._axolotl_schedule:
            return super().on_init_end(args, state, control, **kwargs)
        self._preflight_decisions = []
        self._start_run(args.output_dir, main_process=state.is_world_process_zero)
        self._user_scheduler = True  # replayed and checked, never rebuilt
        self._user_optimizer = None
        return None

    def on_train_begin(self, args, state, control, **kwargs):
        """The transformers-level checks, then the config decisions, each ``adjusted`` one
        only once the built optimizer and scheduler are read back."""
        super().on_train_begin(args, state, control, **kwargs)
        optimizer, scheduler = kwargs.get("optimizer"), kwargs.get("lr_scheduler")
        problem = None
        adjusted = any(d.action == Action.ADJUSTED for d in self.config_decisions)
        if adjusted and self.expected is not None:
            if optimizer is None or scheduler is None:
                problem = "the trainer has no optimizer or scheduler to read back"
            else:
                problem = read_back(self.expected, args, optimizer, scheduler, state.max_steps)
        for decision in self.config_decisions:
            announced = decision.action != Action.ADJUSTED  # logged by the plugin already
            self.run_log.emit(decision.not_applied(problem), echo=not announced)
        self._publish(state)

    def _refusal_note(self) -> str:
        if self._axolotl_schedule:
            return AXOLOTL_SCHEDULE_NOTE
        return super()._refusal_note()


class AxolotlGuardPlugin(BasePlugin):
    """lrguard for axolotl: list ``hf_lrguard.axolotl.AxolotlGuardPlugin`` under ``plugins:``.

    * ``register`` (right after axolotl reads the config, before it validates it or loads
      anything): reads the ``lrguard:`` block, checks the config, refuses it or writes the
      fixes into it.
    * ``get_input_args``: declares the ``lrguard:`` block in axolotl's config schema.
    * ``add_callbacks_pre_trainer``: adds ``AxolotlGuardCallback`` to the trainer.
    """

    def __init__(self) -> None:
        super().__init__()
        self.policy = GuardPolicy()
        self.decisions: list[Decision] = []
        self.expected: ExpectedSchedule | None = None

    def get_input_args(self) -> str:
        """The pydantic model merged into axolotl's config schema (the ``lrguard:`` block)."""
        return f"{__name__}.LRGuardArgs"

    def register(self, cfg: dict) -> None:
        """Check (and under ``adjust`` fix) the config before axolotl validates it.

        Raises:
            LRGuardError: the config is refused; nothing has been loaded or written.
        """
        self.policy = read_policy(cfg)
        log = RunLog("hf", logger)  # lines only: the run's file is written by the callback
        try:
            self.decisions = check_config(cfg, self.policy)
        except LRGuardError as err:
            logger.error("%s", err)
            raise
        for decision in self.decisions:
            if decision.action != Action.ADJUSTED:
                log.announce(decision)
        self.expected = expected_schedule(cfg)

    def add_callbacks_pre_trainer(self, cfg: Any, model: Any) -> list[Any]:
        """The callback the trainer is built with (``Trainer(callbacks=[...])``)."""
        return [AxolotlGuardCallback(self.policy, self.decisions, self.expected)]


LRGuardPlugin = AxolotlGuardPlugin
"""The same plugin under its first name: configs listing ``hf_lrguard.axolotl.LRGuardPlugin``
keep working."""

__all__ = [
    "AxolotlGuardCallback",
    "AxolotlGuardPlugin",
    "ExpectedSchedule",
    "LRGuardArgs",
    "LRGuardPlugin",
    "apply_fixes",
    "check_config",
    "expected_schedule",
    "read_back",
    "read_policy",
]
