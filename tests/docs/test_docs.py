"""The README and the documentation pages are executable: every code block runs, the
generated tables are current, links resolve, and every page is in the site's navigation.

A block that appears on several pages (the README's short example per framework is also on
its framework's page) runs once."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lrguard.catalogue import SECTIONS, fill, sections_in

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = [README, *sorted(DOCS.rglob("*.md"))]
TEXT = {page: page.read_text(encoding="utf-8") for page in PAGES}
RUNNERS = {"bash", "python", "yaml", "toml", "diff"}
README_MAX_LINES = 250


def _name(page: Path) -> str:
    return str(page.relative_to(ROOT))


def _all_blocks() -> list[tuple[Path, str, str]]:
    """(page, language, body) of every fenced block with a language, each body once."""
    seen: set[tuple[str, str]] = set()
    found = []
    for page, text in TEXT.items():
        for lang, body in re.findall(r"^```(\w+)\n(.*?)^```", text, flags=re.S | re.M):
            if (lang, body) not in seen:
                seen.add((lang, body))
                found.append((page, lang, body))
    return found


BLOCKS = _all_blocks()


def blocks(language: str) -> list:
    """The unique blocks of ``language``, as pytest params named by their page."""
    return [
        pytest.param(body, id=f"{_name(page)}-{i}")
        for i, (page, lang, body) in enumerate(BLOCKS)
        if lang == language
    ]


def page_text(name: str) -> str:
    """The text of the page ``name`` (relative to the repository)."""
    return TEXT[ROOT / name]


def test_every_block_has_a_runner():
    assert BLOCKS
    assert {lang for _, lang, _ in BLOCKS} <= RUNNERS


def test_blocks_shared_with_the_readme_run_once():
    """The README's examples are its pages' blocks: no python block runs twice."""
    python = [body for _, lang, body in BLOCKS if lang == "python"]
    assert len(python) == len(set(python))
    readme = re.findall(r"^```python\n(.*?)^```", TEXT[README], flags=re.S | re.M)
    pages = "".join(text for page, text in TEXT.items() if page != README)
    assert readme and all(f"```python\n{body}```" in pages for body in readme)


@pytest.mark.parametrize("page", [p for p in PAGES if sections_in(TEXT[p])], ids=lambda p: _name(p))
def test_generated_tables_are_current(page):
    assert fill(TEXT[page]) == TEXT[page], "run: python tools/update_readme.py"


def test_every_generated_table_is_on_one_page():
    holders = {name: [_name(p) for p in PAGES if name in sections_in(TEXT[p])] for name in SECTIONS}
    assert holders == {"rules": ["docs/rules.md"], "policy": ["docs/policy.md"]}


def test_readme_is_short():
    lines = TEXT[README].count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines: move detail to docs/"


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it (and the site, through pymdownx.slugs):
    lower case, punctuation dropped, each space a hyphen."""
    text = re.sub(r"[`*_]|<[^>]+>", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(text: str) -> set[str]:
    outside_code = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return {_slug(h) for h in re.findall(r"^#{1,6} (.+)$", outside_code, flags=re.M)}


def _links(text: str) -> list[str]:
    outside_code = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    outside_code = re.sub(r"`[^`\n]*`", "", outside_code)
    return re.findall(r"\]\(([^)\s]+)\)", outside_code)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: _name(p))
def test_relative_links_resolve(page):
    """Every relative link names an existing file, and its ``#anchor`` a heading there.
    (``make docs`` checks the pages' links again, as the site renders them.)"""
    broken = []
    for link in _links(TEXT[page]):
        if re.match(r"^[a-z]+:", link):
            continue  # https:, mailto:
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append(f"{link}: no file {target}")
        elif anchor and anchor not in _anchors(target.read_text(encoding="utf-8")):
            broken.append(f"{link}: no heading #{anchor} in {target.name}")
    assert broken == []


def test_readme_links_every_docs_page():
    linked = {(ROOT / link.partition("#")[0]).resolve() for link in _links(TEXT[README])}
    assert set(DOCS.glob("*.md")) <= linked


class _IgnoreTags(yaml.SafeLoader):
    """mkdocs.yml may hold ``!!python/...`` tags; the navigation does not need them."""


_IgnoreTags.add_multi_constructor("", lambda loader, suffix, node: None)
_IgnoreTags.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, s, node: None)


def _nav_files(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [f for value in node.values() for f in _nav_files(value)]
    if isinstance(node, list):
        return [f for item in node for f in _nav_files(item)]
    return []


def test_every_docs_page_is_in_the_site_navigation():
    """The same check ``mkdocs build --strict`` makes (``validation.nav.omitted_files``),
    without building the site."""
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_IgnoreTags)
    assert config["docs_dir"] == "docs"
    nav = _nav_files(config["nav"])
    pages = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    assert sorted(nav) == pages


@pytest.fixture(scope="module")
def installed_python(tmp_path_factory) -> Path:
    """An interpreter where lrguard is the built wheel, installed: a fresh virtual environment
    with the wheel, seeing this environment's frameworks (torch, flair, transformers) through
    a ``.pth`` line, but neither this checkout nor its editable install."""
    pytest.importorskip("flair")
    pytest.importorskip("transformers")
    work = tmp_path_factory.mktemp("installed")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(work / "dist"), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("lrguard-*.whl")
    venv = work / "venv"
    made = subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert made.returncode == 0
    (site,) = venv.glob("lib/python*/site-packages")
    frameworks = next(p for p in map(Path, sys.path) if p.name == "site-packages" and p.is_dir())
    (site / "frameworks.pth").write_text(f"{frameworks}\n")  # a plain path: no editable hook
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
    done = subprocess.run([*pip, "install", "-q", "--no-deps", str(wheel)], capture_output=True)
    assert done.returncode == 0, done.stderr
    return venv / "bin" / "python"


@pytest.mark.parametrize("code", blocks("python"))
def test_python_blocks_run(code, tmp_path, installed_python):
    """As a user who installed the package runs them: the installed wheel, a fresh isolated
    interpreter (``-I``) in an empty folder, the block saved as a script (hooks' source is
    read), so only installed modules import (no ``demo``, no ``tests``, no source tree)."""
    script = tmp_path / "example.py"
    script.write_text(
        "import lrguard\nassert 'site-packages' in lrguard.__file__, lrguard.__file__\n" + code,
        encoding="utf-8",
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(
        [str(installed_python), "-I", script.name],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr


def _commands(body: str) -> list[str]:
    """The commands of a shell block, without comments (a comment may continue on its own line)."""
    commands = (line.split("#")[0].strip() for line in body.splitlines())
    return [command for command in commands if command]


def _lrguard(*argv: str, cwd: Path = ROOT, stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "lrguard", *argv],
        cwd=cwd,
        input=stdin,
        text=True,
        capture_output=True,
    )


@pytest.mark.parametrize("body", blocks("bash"))
def test_shell_blocks_run(body, tmp_path):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for command in _commands(body):
        argv = shlex.split(command)
        if argv[0] == "make":
            # the quick start: check the targets exist and do what they say, without
            # recursing into the suite itself (test_demo runs the demo for real)
            done = subprocess.run(
                ["make", "-n", *argv[1:]], cwd=ROOT, env=env, text=True, capture_output=True
            )
            assert done.returncode == 0, done.stderr
            assert "pytest" in done.stdout if argv[1] == "test" else "demo" in done.stdout
            continue
        argv = [a.replace("lr.png", str(tmp_path / "lr.png")) for a in argv]
        done = subprocess.run(argv, cwd=ROOT, env=env, text=True, capture_output=True)
        assert done.returncode in (0, 1), f"{command}: {done.stderr}"  # 1: findings
        assert "Traceback" not in done.stderr


def _action_inputs() -> set[str]:
    return set(yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["inputs"])


def _check_workflow_steps(steps: list) -> None:
    """Each step that uses the action passes only inputs ``action.yml`` declares; each
    ``run`` of ``lrguard check`` works on the repository's examples (findings: exit 1)."""
    used = [step for step in steps if "lrguard@" in step.get("uses", "")]
    for step in used:
        assert set(step.get("with", {})) <= _action_inputs(), step
    runs = [
        line.strip()
        for step in steps
        for line in step.get("run", "").splitlines()
        if line.strip().startswith("lrguard check")
    ]
    for run in runs:
        argv = shlex.split(run.replace("configs/", "examples/"))
        done = _lrguard(*argv[1:])
        assert done.returncode == 1 and "::error file=" in done.stdout, done.stderr
    assert used or runs


def _check_config_block(body: str, tmp_path: Path) -> None:
    """A training config as the docs show it: read and checked (not skipped, not unusable);
    a block with suppression comments reports nothing (each one hides a finding)."""
    done = _lrguard("check", "-", "--stdin-filename", "example.yaml", cwd=tmp_path, stdin=body)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert "1 config(s) checked" in done.stdout, done.stdout
    if "# lrguard: ignore[" in body:
        assert done.returncode == 0 and "LRG" not in done.stdout, done.stdout


@pytest.mark.parametrize("body", blocks("yaml"))
def test_yaml_blocks_parse_and_name_real_things(body, tmp_path):
    data = yaml.safe_load(body)
    if isinstance(data, list):  # GitHub Actions steps
        _check_workflow_steps(data)
    elif "jobs" in data:  # a whole workflow
        _check_workflow_steps([s for job in data["jobs"].values() for s in job["steps"]])
    elif "steps" in data:  # a job's part of a workflow
        _check_workflow_steps(data["steps"])
    elif "repos" in data:  # pre-commit
        hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
        ids = {hook["id"] for hook in hooks}
        for repo in data["repos"]:
            assert {hook["id"] for hook in repo["hooks"]} <= ids
    elif "lrguard" in data:  # a GuardPolicy block in a LLaMA-Factory or axolotl config
        from lrguard.policy import GuardPolicy

        GuardPolicy(**data["lrguard"])
        for plugin in data.get("plugins", []):
            module, _, name = plugin.rpartition(".")
            source = (ROOT / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8")
            assert re.search(rf"^class {name}\b", source, flags=re.M), plugin
    else:
        _check_config_block(body, tmp_path)


@pytest.mark.parametrize("body", blocks("toml"))
def test_toml_blocks_are_valid_settings(body, tmp_path):
    """A ``[tool.lrguard]`` example is accepted as it is written (a bad key exits 2)."""
    (tmp_path / "pyproject.toml").write_text(body, encoding="utf-8")
    (tmp_path / "train.yaml").write_text("learning_rate: 1.0e-5\nmax_steps: 10\n")
    done = _lrguard("check", "--config", "pyproject.toml", "train.yaml", cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert "1 config(s) checked" in done.stdout


@pytest.mark.parametrize("body", blocks("diff"))
def test_diff_blocks_are_what_diff_prints(body, tmp_path):
    """A ``--diff`` shown in the docs is exactly what ``lrguard check --diff`` prints for the
    file before the change."""
    name = re.match(r"--- a/(\S+)", body).group(1)
    before = [line[1:] for line in body.splitlines()[3:] if line[:1] in (" ", "-")]
    done = _lrguard(
        "check",
        "-",
        "--stdin-filename",
        name,
        "--diff",
        cwd=tmp_path,
        stdin="\n".join(before) + "\n",
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout == body


def test_the_simulated_rise_quoted_on_the_cli_page():
    """docs/cli.md quotes two rows of ``lrguard simulate`` on the example config."""
    quoted = re.search(
        r"warming up to `([\d.e+-]+)` at step (\d+), then\s+"
        r"climbing to `([\d.e+-]+)` at step (\d+)",
        page_text("docs/cli.md"),
    )
    assert quoted, "the sentence about examples/hf_min_lr_above_peak.yaml moved"
    done = _lrguard("simulate", "examples/hf_min_lr_above_peak.yaml")
    rows = dict(line.split() for line in done.stdout.splitlines()[3:])
    lr_a, step_a, lr_b, step_b = quoted.groups()
    assert rows[step_a] == lr_a and rows[step_b] == lr_b
