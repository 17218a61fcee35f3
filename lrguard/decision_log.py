"""Where decisions go: a logger, a JSON-lines file, and an in-memory list."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from lrguard.findings import Action, Decision

_LEVELS = {
    Action.RAISED: logging.ERROR,
    Action.WARNED: logging.WARNING,
    Action.ADJUSTED: logging.WARNING,
    Action.STOPPED: logging.WARNING,
    Action.ANNEALED: logging.INFO,
    Action.NOTED: logging.INFO,
}


class DecisionLog:
    """Emits every decision once: one log line, one JSON-lines record, one list entry.

    The file is always appended to, never truncated: a resumed or repeated run in the same
    folder adds its records after the earlier ones. When it cannot be written (a read-only
    folder, ``lrguard.jsonl`` being a folder, a full disk), one warning goes to ``logger``, the
    file is no longer tried, and the log line and ``records`` still work: logging never fails
    a run.

    A guarded run keeps its decisions in a ``lrguard.run_log.RunLog``, which writes through
    this class on the main process only.

    Args:
        framework: written into every record ('flair', 'hf').
        logger: where log lines go (the integration's logger; no handlers are configured).
        path: the ``lrguard.jsonl`` file, or None for no file (e.g. non-main processes).

    Example:
        >>> import logging
        >>> log = DecisionLog("flair", logging.getLogger("demo"))
        >>> from lrguard.findings import Decision
        >>> _ = log.emit(Decision(rule="LRG009", severity="info", action="annealed",
        ...                       message="lr 0.1 -> 0.05", epoch=5))
        >>> log.records[0]["epoch"]
        5
    """

    def __init__(self, framework: str, logger: logging.Logger, path: Path | None = None) -> None:
        self.framework = framework
        self.logger = logger
        self.path = path
        self.records: list[dict[str, Any]] = []
        self._warned: set[tuple[str, str]] = set()
        self._file_failed = False

    def announce(self, decision: Decision) -> None:
        """Log ``decision`` only (no record yet), e.g. a warning due before a run's files
        exist; a later ``emit(decision, echo=False)`` records it without a second line.

        A warning repeated for the same rule and location is logged at DEBUG level only.
        """
        level = _LEVELS[decision.action]
        key = (decision.rule, decision.location)
        if decision.action == Action.WARNED:
            if key in self._warned:
                level = logging.DEBUG
            self._warned.add(key)
        self.logger.log(level, decision.render())

    def emit(self, decision: Decision, *, echo: bool = True) -> dict[str, Any]:
        """Log ``decision`` (unless ``echo`` is False: announced already), append it to the
        file and to ``records``; return its record."""
        if not decision.framework:
            decision = decision._replace(framework=self.framework)
        if echo:
            self.announce(decision)
        record = decision.to_record()
        self.records.append(record)
        self._append(record)
        return record

    def _append(self, record: dict[str, Any]) -> None:
        if self.path is None or self._file_failed:
            return
        try:
            line = json.dumps(record, default=str) + "\n"
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)
        except (OSError, TypeError, ValueError) as err:
            self._file_failed = True
            reason = getattr(err, "strerror", None) or str(err)
            self.logger.warning(
                "lrguard: cannot write decisions to %s (%s); they are still logged here and "
                "kept in memory",
                self.path,
                reason,
            )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read an ``lrguard.jsonl`` file back (for tests, notebooks and tools)."""
    with Path(path).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
