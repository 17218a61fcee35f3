"""Markdown tables generated from the code: the rule catalogue and the policy options.

The README embeds them between markers; ``python tools/update_readme.py`` rewrites those
sections and a test fails when the README is out of date, so the docs cannot drift.
"""

from __future__ import annotations

from lrguard.policy import GuardPolicy
from lrguard.rules import all_rules


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def rules_table() -> str:
    """The rule catalogue as a Markdown table (code, name, severity, summary).

    Example:
        >>> rules_table().splitlines()[0]
        '| code | name | severity | what it flags |'
    """
    lines = ["| code | name | severity | what it flags |", "| --- | --- | --- | --- |"]
    for rule in all_rules():
        lines.append(
            f"| {rule.code} | `{rule.name}` | {rule.severity.value} | {_cell(rule.summary)} |"
        )
    return "\n".join(lines)


def policy_table() -> str:
    """``GuardPolicy``'s options as a Markdown table (option, default, meaning)."""
    lines = ["| option | default | meaning |", "| --- | --- | --- |"]
    for name, info in GuardPolicy.model_fields.items():
        default = info.default
        shown = f"`{default!r}`" if not isinstance(default, str) else f'`"{default}"`'
        lines.append(f"| `{name}` | {shown} | {_cell(info.description or '')} |")
    return "\n".join(lines)


SECTIONS = {"rules": rules_table, "policy": policy_table}
"""README section name -> generator; the README marks them ``<!-- NAME:start -->``."""


def fill(readme: str) -> str:
    """``readme`` with every generated section replaced by its current content."""
    for name, generate in SECTIONS.items():
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        if start not in readme or end not in readme:
            raise ValueError(f"README lacks the markers {start} ... {end}")
        head, rest = readme.split(start, 1)
        _, tail = rest.split(end, 1)
        readme = f"{head}{start}\n{generate()}\n{end}{tail}"
    return readme
