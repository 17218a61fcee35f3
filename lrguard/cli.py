"""The ``lrguard`` command: ``check``, ``simulate``, ``rules``, ``explain``.

Exit codes: ``0`` no errors; ``1`` errors found (``--strict``: warnings too); ``2`` unusable
input, bad usage or an internal error. Never imports torch, flair or transformers.

Example:
    >>> main(["explain", "LRG001"])  # doctest: +ELLIPSIS
    LRG001 initial-lr-below-min (error)
    ...
    0
"""

from __future__ import annotations

import argparse
import functools
import os
import stat
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from lrguard import __version__
from lrguard.checking import CheckOptions, FileReport, check_paths, check_text, summarize
from lrguard.configs.kinds import KINDS
from lrguard.configs.steps import StepOptions
from lrguard.report import FORMATS, render, render_statistics
from lrguard.rules import all_rules, get_rule
from lrguard.safe_text import MAX_LINE_CHARS, escape_controls, shorten
from lrguard.settings import (
    Settings,
    SettingsError,
    check_codes,
    find_pyproject,
    installed_transformers,
    load_settings,
)

EXIT_OK, EXIT_ERRORS, EXIT_UNUSABLE = 0, 1, 2


def _error(message: str) -> None:
    """Print ``lrguard: message`` to stderr, one line, control characters escaped."""
    print(f"lrguard: {shorten(escape_controls(message), MAX_LINE_CHARS)}", file=sys.stderr)


def _codes(text: str) -> list[str]:
    return [c.strip().upper() for c in text.split(",")]


def _path(text: str) -> Path:
    if not text:
        raise argparse.ArgumentTypeError(
            "empty path: name a file or folder (. for the current folder)"
        )
    return Path(text)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be >= 1")
    return value


def _add_length_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--steps", type=_positive_int, help="total optimizer steps of the run (overrides all)"
    )
    parser.add_argument(
        "--dataset-size",
        type=_positive_int,
        help="training examples; with the batch settings gives the step count",
    )
    parser.add_argument(
        "--world-size",
        type=_positive_int,
        help="data-parallel processes (GPUs) for --dataset-size (default 1)",
    )
    parser.add_argument("--kind", choices=KINDS, help="read every file as this config kind")


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``: ``$COLUMNS``, else the width of the terminal
    on stdout, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``lrguard`` command."""
    # Help sized to the terminal, its width read once here: without a width argparse reads it
    # with ``shutil`` (which imports bz2 and lzma), for every argument it adds.
    width = max(11, _terminal_columns() - 2)
    formatter = functools.partial(argparse.HelpFormatter, width=width)
    parser = argparse.ArgumentParser(
        prog="lrguard",
        description="Pre-flight checks of learning-rate settings in training configs.",
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"lrguard {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser(
        "check",
        formatter_class=formatter,
        help="check config files or folders",
        description="Check HF TrainingArguments (TRL / alignment-handbook recipes too), "
        "LLaMA-Factory, axolotl, Flair and standalone DeepSpeed configs; other files (datasets, "
        "docs, templates) are skipped. Exit 0: no errors, 1: errors (--strict: or warnings), "
        "2: unusable input (a training config that cannot be read).",
    )
    check.add_argument(
        "paths", nargs="+", type=_path, metavar="PATH", help="files or folders; - reads stdin"
    )
    check.add_argument(
        "--output-format",
        "--format",
        dest="format",
        choices=FORMATS,
        help="output format (default text); --format is the same option",
    )
    check.add_argument(
        "-o", "--output-file", type=_path, metavar="FILE", help="write the output to FILE"
    )
    check.add_argument(
        "--statistics", action="store_true", help="count findings per rule code instead"
    )
    check.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    check.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when findings are errors (unusable input still exits 2)",
    )
    check.add_argument(
        "--stdin-filename",
        metavar="NAME",
        help="the name of the config read from stdin (path -): decides YAML or JSON, "
        "per-file-ignores and the reported path",
    )
    check.add_argument(
        "--fix", action="store_true", help="write the safe fixes into the files, then report"
    )
    check.add_argument(
        "--diff",
        action="store_true",
        help="print the fixes as a unified diff, write nothing (exit 1 when there is one)",
    )
    check.add_argument(
        "--unsafe-fixes",
        action="store_true",
        default=None,
        help="with --fix / --diff, also apply fixes that change the run beyond the finding",
    )
    check.add_argument(
        "--no-unsafe-fixes",
        dest="unsafe_fixes",
        action="store_false",
        help="only safe fixes, whatever [tool.lrguard] unsafe-fixes says",
    )
    check.add_argument("--select", type=_codes, help="only these rule codes/prefixes (comma list)")
    check.add_argument("--ignore", type=_codes, help="never report these codes (comma list)")
    check.add_argument("--strict", action="store_true", default=None, help="exit 1 on warnings")
    check.add_argument("--exclude", action="append", default=[], help="glob of paths to skip")
    check.add_argument("--config", type=_path, help="pyproject.toml to read [tool.lrguard] from")
    check.add_argument("--no-config", action="store_true", help="ignore pyproject.toml")
    check.add_argument("-v", "--verbose", action="store_true", help="list skipped files, steps")
    check.add_argument(
        "--resume-from",
        type=_path,
        metavar="CHECKPOINT_DIR",
        help="compare the configs' schedule with this checkpoint's trainer_state.json (LRG024)",
    )
    _add_length_options(check)

    simulate = sub.add_parser(
        "simulate",
        formatter_class=formatter,
        help="learning rate per step / epoch a config produces",
        description="Print the learning rate of every step (Hugging Face schedules) or "
        "epoch (Flair plateau annealing, worst case: the metric never improves).",
    )
    simulate.add_argument("path", type=_path, metavar="PATH")
    simulate.add_argument("--format", choices=("table", "csv", "json"), default="table")
    simulate.add_argument("--plot", type=_path, metavar="FILE.png", help="also save a PNG plot")
    simulate.add_argument(
        "--force", action="store_true", help="let --plot overwrite an existing non-PNG file"
    )
    simulate.add_argument(
        "--every", type=_positive_int, help="print every N-th step (table/csv; default: ~40 rows)"
    )
    simulate.add_argument(
        "--config",
        type=_path,
        help="pyproject.toml to read [tool.lrguard] from (transformers-version, world-size)",
    )
    simulate.add_argument("--no-config", action="store_true", help="ignore pyproject.toml")
    _add_length_options(simulate)
    simulate.add_argument(
        "--resume-from",
        type=_path,
        metavar="CHECKPOINT_DIR",
        help="show the run resumed from this checkpoint: its rates, then the new schedule's",
    )

    rules = sub.add_parser("rules", help="list every rule", formatter_class=formatter)
    rules.add_argument("--format", choices=("text", "json"), default="text")

    explain = sub.add_parser(
        "explain", help="explain one rule: what, why, example, fix", formatter_class=formatter
    )
    explain.add_argument("code", metavar="CODE", help="rule code, e.g. LRG001")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    if args.no_config:
        return Settings()
    path = args.config if args.config is not None else find_pyproject(Path.cwd())
    if args.config is not None and not args.config.is_file():
        raise SettingsError(f"{args.config}: no such file (--config)")
    return load_settings(path)


def _step_options(args: argparse.Namespace, settings: Settings | None = None) -> StepOptions:
    world = args.world_size or (settings.world_size if settings else None) or 1
    return StepOptions(steps=args.steps, dataset_size=args.dataset_size, world_size=world)


STDIN = Path("-")


def _read_stdin() -> bytes:
    """Standard input, at most one byte more than a config may have (the reader reports a
    larger one as too large)."""
    from lrguard.configs.reading import MAX_BYTES

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # replaced by a text stream (e.g. in tests)
        return sys.stdin.read(MAX_BYTES + 1).encode("utf-8", "surrogateescape")
    return stream.read(MAX_BYTES + 1)


def _check_reports(
    args: argparse.Namespace,
    options: CheckOptions,
    stdin: list[tuple[bytes, FileReport]] | None = None,
) -> list[FileReport]:
    """Every path's reports in the order given; ``-`` is stdin, named ``--stdin-filename``
    (its bytes and report are appended to ``stdin`` when given, for ``--fix``)."""
    reports: list[FileReport] = []
    for path in args.paths:
        if path == STDIN:
            data = _read_stdin()
            reports.append(check_text(data, args.stdin_filename or "-", options))
            if stdin is not None:
                stdin.append((data, reports[-1]))
        else:
            reports.extend(check_paths([path], options))
    return reports


def _usage_problem(args: argparse.Namespace) -> str | None:
    """Why the options of ``check`` cannot be used together (None: they can)."""
    stdin_count = sum(1 for p in args.paths if p == STDIN)
    if stdin_count > 1:
        return "- (stdin) is given more than once: standard input can be read only once"
    if args.stdin_filename is not None and not stdin_count:
        return "--stdin-filename names the config read from stdin: also pass - as a path"
    if args.stdin_filename is not None and not args.stdin_filename.strip():
        return "--stdin-filename is empty: give the file name, e.g. train.yaml"
    if args.fix and args.diff:
        return "--fix writes the fixes, --diff only shows them: give one of the two"
    if args.unsafe_fixes and not (args.fix or args.diff):
        return "--unsafe-fixes applies with --fix or --diff: add one of them"
    if (args.fix or args.diff) and getattr(args, "resume_from", None) is not None:
        return "--resume-from describes a resumed run: check it without --fix / --diff"
    if stdin_count and _is_terminal(sys.stdin):
        return "- reads a config from stdin, but stdin is a terminal: pipe the config in"
    if args.output_file is not None:
        target = args.output_file
        if _is_dir(target):
            return f"--output-file {target} is a folder: name a file, e.g. {target / 'lrguard.txt'}"
        if any(p != STDIN and _same_file(target, p) for p in args.paths):
            return f"--output-file {target} is an input file: choose another name"
        if not _is_dir(target.parent):
            return f"--output-file {target}: the folder {target.parent} does not exist"
    return None


def _is_terminal(stream: object) -> bool:
    """``stream`` is an interactive terminal (reading it would wait for typing)."""
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _write_output(text: str, target: Path | None, inputs: Sequence[Path]) -> str | None:
    """Print ``text`` or write it to ``target``; the problem when it cannot be written."""
    if target is None:
        if text:
            print(text)
        return None
    if any(_same_file(target, p) for p in inputs):  # a config found in a folder given
        return f"--output-file {target} is an input file: choose another name"
    try:
        target.write_text(text + "\n" if text else "", encoding="utf-8")
    except (OSError, ValueError) as err:
        return f"--output-file {target}: cannot write it: {getattr(err, 'strerror', None) or err}"
    return None


def run_check(args: argparse.Namespace) -> int:
    """``lrguard check``: print the findings, return the exit code."""
    problem = _usage_problem(args)
    if problem is not None:
        _error(problem)
        return EXIT_UNUSABLE
    try:
        settings = _settings(args)
    except SettingsError as err:
        _error(str(err))
        return EXIT_UNUSABLE
    fmt = args.format or settings.format or "text"
    kind = args.kind or settings.kind
    for name, value, allowed in (("format", fmt, FORMATS), ("kind", kind, (None, *KINDS))):
        if value not in allowed:
            _error(f"[tool.lrguard] {name}={value!r}: use one of {allowed}")
            return EXIT_UNUSABLE
    try:
        select = check_codes(args.select, "--select") if args.select is not None else None
        ignore = check_codes(args.ignore or [], "--ignore")
    except SettingsError as err:
        _error(str(err))
        return EXIT_UNUSABLE
    options = CheckOptions(
        select=select if select is not None else settings.select,
        ignore=[*settings.ignore, *ignore],
        kind=kind,
        steps=_step_options(args, settings),
        exclude=[*settings.exclude, *args.exclude],
        transformers_version=settings.transformers_version or installed_transformers(),
        per_file_ignores=settings.per_file_ignores,
        root=settings.path.parent if settings.path is not None else None,
    )
    stdin: list[tuple[bytes, FileReport]] = []
    reports = _check_reports(args, options, stdin)
    if not reports:  # nothing to check is no failure (a hook on a commit without configs)
        _error("warning: no YAML/JSON config files found under the given paths")
        return EXIT_OK
    if args.resume_from is not None:
        from lrguard.resume import add_resume_findings

        problem = add_resume_findings(reports, args.resume_from, options)
        if problem is not None:
            _error(problem)
            return EXIT_UNUSABLE
    strict = args.strict if args.strict is not None else bool(settings.strict)
    if args.fix or args.diff:
        from lrguard.fixing import FixRequest, run_fixes

        unsafe = args.unsafe_fixes if args.unsafe_fixes is not None else settings.unsafe_fixes
        request = FixRequest(
            write=args.fix,
            unsafe=bool(unsafe),
            fmt=fmt,
            verbose=args.verbose,
            quiet=args.quiet,
            statistics=args.statistics,
            strict=strict,
            exit_zero=args.exit_zero,
            output_file=args.output_file,
            stdin=stdin[0] if stdin else None,
        )
        return run_fixes(reports, options, request)
    if args.statistics:
        output = render_statistics(reports, "json" if fmt == "json" else "text", args.quiet)
    else:
        output = render(reports, fmt, verbose=args.verbose, quiet=args.quiet)
    configs = [r.path for r in reports if r.result.status != "skipped"]
    problem = _write_output(output, args.output_file, configs)
    if problem is not None:
        _error(problem)
        return EXIT_UNUSABLE
    code = summarize(reports).exit_code(strict=strict)
    return EXIT_OK if args.exit_zero and code == EXIT_ERRORS else code


def run_rules(args: argparse.Namespace) -> int:
    """``lrguard rules``: the catalogue."""
    rules = all_rules()
    if args.format == "json":
        import json  # on first use: a check of a YAML config needs no json

        records = [
            {
                "code": r.code,
                "name": r.name,
                "severity": r.severity.value,
                "summary": r.summary,
                "what": r.what,
                "why": r.why,
                "example": r.example,
                "fix": r.fix,
            }
            for r in rules
        ]
        print(json.dumps(records, indent=2))
        return EXIT_OK
    width = max(len(r.name) for r in rules)
    for r in rules:
        print(f"{r.code}  {r.name:<{width}}  {r.severity.value:<7}  {r.summary}")
    return EXIT_OK


def run_explain(args: argparse.Namespace) -> int:
    """``lrguard explain CODE``: one rule's documentation."""
    try:
        rule = get_rule(args.code)
    except KeyError as err:
        _error(str(err.args[0]))
        return EXIT_UNUSABLE
    print(rule.explain(), end="")
    return EXIT_OK


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return a.absolute() == b.absolute()


def plot_target_problem(plot: Path, inputs: Sequence[Path], force: bool = False) -> str | None:
    """Why ``--plot`` must not write ``plot`` (None: it may).

    Never an input file; an existing file only when it is a PNG image (its first bytes are
    the PNG signature) or with ``force``.

    Example:
        >>> plot_target_problem(Path("train.yaml"), [Path("train.yaml")])
        '--plot train.yaml is an input file: choose another name, e.g. lr.png'
    """
    if any(_same_file(plot, source) for source in inputs):
        return f"--plot {plot} is an input file: choose another name, e.g. lr.png"
    folder = plot.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        return f"--plot {plot}: the folder {folder} {what}: create it or name another file"
    if not os.access(folder, os.W_OK):
        return f"--plot {plot}: the folder {folder} is not writable: name another file"
    try:
        info = plot.stat()
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        return f"--plot {plot}: cannot use it: {getattr(err, 'strerror', None) or err}"
    if stat.S_ISDIR(info.st_mode):
        return f"--plot {plot} is a folder: name a file, e.g. {plot / 'lr.png'}"
    if not stat.S_ISREG(info.st_mode):
        return f"--plot {plot} is not a regular file: name a .png file"
    if force:
        return None
    try:
        with plot.open("rb") as fh:
            head = fh.read(len(PNG_SIGNATURE))
    except OSError as err:
        return f"--plot {plot}: cannot read it: {err.strerror or err}"
    if head != PNG_SIGNATURE:
        return (
            f"--plot {plot} exists and is not a PNG image: not overwriting it "
            "(choose another name, or pass --force to overwrite it)"
        )
    return None


def run_simulate(args: argparse.Namespace) -> int:
    """``lrguard simulate``: the schedule as a table, CSV, JSON and optionally a plot."""
    from lrguard.schedules.table import major_version
    from lrguard.simulate import SimulationError, simulate_file

    try:
        settings = _settings(args)
    except SettingsError as err:
        _error(str(err))
        return EXIT_UNUSABLE
    if args.plot is not None:
        problem = plot_target_problem(args.plot, [args.path], force=args.force)
        if problem is not None:
            _error(problem)
            return EXIT_UNUSABLE
    version = settings.transformers_version or installed_transformers()
    try:
        return simulate_file(
            args.path,
            kind=args.kind or settings.kind,
            steps=_step_options(args, settings),
            fmt=args.format,
            plot=args.plot,
            every=args.every,
            out=sys.stdout,
            transformers_major=major_version(version),
            resume_from=args.resume_from,
        )
    except SimulationError as err:
        _error(f"{args.path}: {err}")
        return EXIT_UNUSABLE
    except BrokenPipeError:
        raise
    except OSError as err:  # --plot: the folder vanished or refused the file meanwhile
        _error(f"--plot {args.plot}: cannot write it: {getattr(err, 'strerror', None) or err}")
        return EXIT_UNUSABLE


_COMMANDS = {
    "check": run_check,
    "rules": run_rules,
    "explain": run_explain,
    "simulate": run_simulate,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (never raises, never a traceback)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, usage errors (exit 2)
        return int(exit_.code or 0)
    try:
        with warnings.catch_warnings():  # numeric warnings (overflow, nan) are no user output
            warnings.simplefilter("ignore", RuntimeWarning)
            return _COMMANDS[args.command](args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as err:  # last resort: one line, never a traceback
        _error(f"internal error: {type(err).__name__}: {err}")
        return EXIT_UNUSABLE


if __name__ == "__main__":
    sys.exit(main())
