"""Markdown tables generated from the code: the rule catalogue and the policy options.

The documentation pages embed them between markers (``<!-- rules:start -->`` ...
``<!-- rules:end -->``: ``docs/rules.md``; ``policy``: ``docs/policy.md``);
``python tools/update_readme.py`` rewrites those sections on every page that has them, and a
test fails when a page is out of date, so the docs cannot drift.
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
"""Section name -> generator; a page marks the section ``<!-- NAME:start -->`` ...
``<!-- NAME:end -->``."""


def markers(name: str) -> tuple[str, str]:
    """The start and end markers of the generated section ``name``."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def sections_in(page: str) -> list[str]:
    r"""The names of the generated sections ``page`` holds, in ``SECTIONS`` order.

    Example:
        >>> sections_in("# Rules\n<!-- rules:start -->\n<!-- rules:end -->\n")
        ['rules']
    """
    return [name for name in SECTIONS if markers(name)[0] in page]


def fill(page: str) -> str:
    r"""``page`` with each generated section it holds replaced by its current content.

    A page without markers is returned unchanged; a start marker without its end marker
    after it is an error.

    Example:
        >>> fill("no tables here\n")
        'no tables here\n'
        >>> fill("<!-- policy:start -->\nstale\n<!-- policy:end -->").splitlines()[1]
        '| option | default | meaning |'
    """
    for name in sections_in(page):
        generate = SECTIONS[name]
        start, end = markers(name)
        head, rest = page.split(start, 1)
        if end not in rest:
            raise ValueError(f"the page has {start} but no {end} after it")
        _, tail = rest.split(end, 1)
        page = f"{head}{start}\n{generate()}\n{end}{tail}"
    return page
