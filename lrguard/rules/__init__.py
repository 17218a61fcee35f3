"""The rule registry: every rule has a stable code, a kebab-case name and a doc.

Rules are data plus one pure function ``check(plan) -> list[Finding]``. Each module in this
package defines one rule, is named by its code (``lrg013_greedy_min_lr.py``), holds that code
as its ``CODE`` constant and registers the rule with ``register``; helpers shared by several
rules live in ``_``-prefixed modules. ``RULE_MODULES`` lists every rule's module, in code
order: a rule module is imported the first time one of its rules is needed, so
``check_plan(plan, select=["LRG00"])`` imports only those rules. Codes are never renumbered
or reused.

A rule's ``example`` is a config that makes it fire and its ``corrected`` the same config
fixed: both are shown by ``lrguard explain`` and run by the test suite, so the docs cannot
drift from what the rule does. Rules about a real scheduler object (``example_kind="torch"``)
give Python code instead, defining ``optimizer``, ``scheduler`` and ``total_steps``: the
test suite runs it and checks the objects with ``torch_lrguard.check_scheduler``.

Example:
    >>> from lrguard.rules import get_rule
    >>> get_rule("LRG001").name
    'initial-lr-below-min'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

from lrguard.findings import Finding, Severity
from lrguard.plan import TrainingPlan
from lrguard.records import Record

if TYPE_CHECKING:  # the policy is pydantic: not imported on the command line's path
    from lrguard.policy import GuardPolicy

CheckFn = Callable[[TrainingPlan], Iterable[Finding]]
AdjustFn = Callable[[TrainingPlan, Finding, "GuardPolicy"], "Adjustment"]


class Adjustment(Record):
    """The result of fixing one finding: the new plan and the values before and after."""

    def __init__(self, plan: TrainingPlan, before: Any, after: Any) -> None:
        self.plan = plan
        self.before = before
        self.after = after


DOC_SECTIONS = ("what", "why", "example", "fix")


class Rule(Record):
    """A rule's identity, documentation and check (``_replace`` copies it with some values
    changed).

    Attributes:
        code: stable code, ``LRG`` + 3 digits.
        name: kebab-case name.
        severity: the usual severity of its findings.
        summary: one line.
        what / why / example / fix: the doc sections shown by ``lrguard explain``.
            ``example`` is a config (YAML, as ``lrguard check`` reads it) that makes the
            rule fire; for event rules, a config whose run leads to the event; for
            ``example_kind="torch"``, Python code defining ``optimizer``, ``scheduler`` and
            ``total_steps``.
        corrected: the example fixed: the rule stays silent on it.
        example_kind: 'config' (YAML for ``lrguard check``), 'torch' (a snippet checked
            with ``torch_lrguard.check_scheduler``) or 'range_test' (Python code defining
            ``sweep``, a ``SweepSettings``, and ``loss_at(lr)``: the suite runs that sweep).
        check: pure function from a plan to findings; None for rules that name training
            events (annealing, stopping) rather than configuration problems.
        adjust: pure function fixing one finding of this rule (``on_violation="adjust"``);
            None when there is no safe fix.
        always_adjust: apply ``adjust`` in ``warn`` mode too (the value cannot be used as
            given, e.g. a number written as a string).
        can_adjust: for rules whose findings are only sometimes safe to fix: True when
            ``adjust`` can fix this finding (None: every finding, when ``adjust`` is set).
    """

    def __init__(
        self,
        code: str,
        name: str,
        severity: Severity,
        summary: str,
        what: str,
        why: str,
        example: str,
        fix: str,
        corrected: str = "",
        example_kind: Literal["config", "torch", "range_test"] = "config",
        check: CheckFn | None = None,
        adjust: AdjustFn | None = None,
        always_adjust: bool = False,
        can_adjust: Callable[[Finding], bool] | None = None,
    ) -> None:
        self.code = code
        self.name = name
        self.severity = severity
        self.summary = summary
        self.what = what
        self.why = why
        self.example = example
        self.fix = fix
        self.corrected = corrected
        self.example_kind = example_kind
        self.check = check
        self.adjust = adjust
        self.always_adjust = always_adjust
        self.can_adjust = can_adjust

    def fixes(self, finding: Finding) -> bool:
        """True when ``adjust`` can fix ``finding``."""
        if self.adjust is None:
            return False
        return self.can_adjust is None or self.can_adjust(finding)

    def missing_sections(self) -> list[str]:
        """Doc sections that are empty (``corrected`` counts as one)."""
        return [s for s in (*DOC_SECTIONS, "corrected") if not getattr(self, s).strip()]

    def explain(self) -> str:
        """The rule's full doc as text."""
        parts = [f"{self.code} {self.name} ({self.severity.value})", self.summary, ""]
        for section, title in zip(
            DOC_SECTIONS, ("What it does", "Why is this bad?", "Example", "Fix"), strict=True
        ):
            parts += [f"## {title}", getattr(self, section).strip(), ""]
        parts += ["Corrected:", self.corrected.strip(), ""]
        return "\n".join(parts).rstrip() + "\n"


RULE_MODULES: dict[str, str] = {
    "LRG001": "lrg001_initial_below_min",
    "LRG002": "lrg002_min_not_below_peak",
    "LRG003": "lrg003_not_finite_positive",
    "LRG004": "lrg004_number_as_string",
    "LRG005": "lrg005_scheduler_kwargs",
    "LRG006": "lrg006_warmup_exceeds_run",
    "LRG007": "lrg007_anneal_budget",
    "LRG008": "lrg008_min_lr_list_length",
    "LRG009": "lrg009_plateau_anneal",
    "LRG010": "lrg010_patience_exhausted_at_floor",
    "LRG011": "lrg011_polynomial_lr_end",
    "LRG012": "lrg012_plateau_min_lr",
    "LRG013": "lrg013_greedy_min_lr",
    "LRG014": "lrg014_plateau_mode",
    "LRG015": "lrg015_plateau_without_eval",
    "LRG016": "lrg016_unknown_scheduler_type",
    "LRG017": "lrg017_scheduler_kwargs_not_mapping",
    "LRG018": "lrg018_wsd_phases",
    "LRG019": "lrg019_early_stopping_patience",
    "LRG020": "lrg020_early_stopping_prerequisites",
    "LRG021": "lrg021_kwargs_ignored",
    "LRG022": "lrg022_plateau_floor_reached",
    "LRG023": "lrg023_warmup_ignored",
    "LRG024": "lrg024_resume_schedule_changed",
    "LRG025": "lrg025_early_stopping_before_plateau",
    "LRG026": "lrg026_self_scheduling_optimizer_under_schedule",
    "LRG030": "lrg030_steps_unknown",
    "LRG031": "lrg031_scheduler_kwarg_at_top_level",
    "LRG032": "lrg032_invalid_setting",
    "LRG033": "lrg033_duplicate_key",
    "LRG034": "lrg034_unused_suppression",
    "LRG050": "lrg050_invalid_annealing_setting",
    "LRG060": "lrg060_scheduler_raises",
    "LRG061": "lrg061_rate_rises_above_base",
    "LRG062": "lrg062_rate_near_zero",
    "LRG063": "lrg063_schedule_restarts",
    "LRG064": "lrg064_warmup_never_completes",
    "LRG065": "lrg065_rate_not_finite",
    "LRG066": "lrg066_scheduler_not_replayed",
    "LRG067": "lrg067_metric_worst_case",
    "LRG068": "lrg068_accelerate_scheduler_steps_per_process",
    "LRG069": "lrg069_group_floor_above_group_peak",
    "LRG070": "lrg070_axolotl_ratio_out_of_range",
    "LRG071": "lrg071_axolotl_option_ignored",
    "LRG072": "lrg072_axolotl_warmup_steps_and_ratio",
    "LRG073": "lrg073_axolotl_lr_group_rate",
    "LRG080": "lrg080_deepspeed_scheduler_replaces",
    "LRG081": "lrg081_deepspeed_value_mismatch",
    "LRG082": "lrg082_deepspeed_warmup_start",
    "LRG083": "lrg083_deepspeed_cosine_floor",
    "LRG084": "lrg084_deepspeed_scheduler_unusable",
    "LRG085": "lrg085_deepspeed_default_applies",
    "LRG086": "lrg086_deepspeed_config_not_read",
    "LRG090": "lrg090_range_test_suggestion",
    "LRG091": "lrg091_rate_atypical_for_training",
}
"""Every rule code and the module of this package that defines it, in code order. A new rule
module is added here (the test suite fails when a rule module and this table disagree)."""

RUN_ONLY = frozenset(
    {"LRG009", "LRG010", "LRG022", "LRG090"} | {f"LRG06{digit}" for digit in range(10)}
)
"""Rules about a run rather than its settings: training events (annealed, stopped, a range
test's suggestion; no ``check``) and a real scheduler's replayed trajectory (LRG060 - LRG069,
silent while ``TrainingPlan.trajectory`` is None)."""

DEEPSPEED_RULES = frozenset(f"LRG08{digit}" for digit in range(7))
"""Rules about the DeepSpeed config a plan names: silent while ``ConfigSource.deepspeed`` is
None."""

AXOLOTL_RULES = frozenset({"LRG070", "LRG071", "LRG072", "LRG073"})
"""Rules about axolotl's own schedule settings: silent on a plan of another config kind."""


def rules_silent_on(plan: TrainingPlan) -> frozenset[str]:
    """The codes of the rules that cannot find anything in ``plan``: those about a run when it
    has no replayed trajectory, DeepSpeed's without a DeepSpeed config, axolotl's on another
    kind. ``lrguard check`` does not import them (the test suite runs them on every example
    and corpus config to show they stay silent there).

    Example:
        >>> sorted(rules_silent_on(TrainingPlan(framework="hf")))[:2]
        ['LRG009', 'LRG010']
    """
    silent = set(RUN_ONLY) if plan.trajectory is None else set()
    source = plan.source
    if source is None or source.deepspeed is None:
        silent |= DEEPSPEED_RULES
    if source is None or source.kind != "axolotl":
        silent |= AXOLOTL_RULES
    return frozenset(silent)


_REGISTRY: dict[str, Rule] = {}


def register(rule_: Rule) -> Rule:
    """Add ``rule_`` to the registry; a code or name used twice is an error, and so is a code
    that ``RULE_MODULES`` does not list."""
    if rule_.code in _REGISTRY:
        raise ValueError(f"rule code {rule_.code} registered twice")
    if any(r.name == rule_.name for r in _REGISTRY.values()):
        raise ValueError(f"rule name {rule_.name} registered twice")
    if rule_.missing_sections():
        raise ValueError(f"rule {rule_.code} lacks doc sections {rule_.missing_sections()}")
    if rule_.code not in RULE_MODULES:
        raise ValueError(f"rule {rule_.code} is not in RULE_MODULES ({__name__})")
    _REGISTRY[rule_.code] = rule_
    return rule_


def _load(code: str) -> Rule:
    """The rule ``code`` (a key of ``RULE_MODULES``), importing its module on first use."""
    if code not in _REGISTRY:
        module = f"{__name__}.{RULE_MODULES[code]}"
        importlib.import_module(module)
        if code not in _REGISTRY:
            raise ValueError(f"RULE_MODULES names {module} for {code}, which it does not register")
    return _REGISTRY[code]


def rule_codes() -> list[str]:
    """Every rule code, in order, without importing any rule.

    Example:
        >>> rule_codes()[:2]
        ['LRG001', 'LRG002']
    """
    return list(RULE_MODULES)


def all_rules() -> list[Rule]:
    """Every rule, by code."""
    return [_load(code) for code in RULE_MODULES]


def get_rule(code: str) -> Rule:
    """The rule with ``code`` (case-insensitive); only its module is imported.

    Raises:
        KeyError: no such rule; the message lists the known codes.
    """
    key = code.strip().upper()
    if key not in RULE_MODULES:
        raise KeyError(f"unknown rule {code!r}; known rules: {', '.join(RULE_MODULES)}")
    return _load(key)


def _selected(code: str, select: Iterable[str] | None, ignore: Iterable[str] | None) -> bool:
    if select is not None and not any(code.startswith(p.upper()) for p in select):
        return False
    return not (ignore is not None and any(code.startswith(p.upper()) for p in ignore))


def check_plan(
    plan: TrainingPlan,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
) -> list[Finding]:
    """Run every rule on ``plan`` (importing only the selected rules' modules).

    Args:
        plan: the run to check.
        select: only rule codes with one of these prefixes (all when None).
        ignore: skip rule codes with one of these prefixes.

    Returns:
        Findings, errors first, then in rule-code order.
    """
    select = list(select) if select is not None else None
    ignore = list(ignore) if ignore is not None else None
    findings: list[Finding] = []
    for code in RULE_MODULES:
        if not _selected(code, select, ignore):
            continue  # not imported at all
        rule_ = _load(code)
        if rule_.check is not None:
            findings.extend(rule_.check(plan))
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(findings, key=lambda f: (order[f.severity], f.code))
