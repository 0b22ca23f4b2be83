"""Feeding generated cases through the real entry points, and counting the handled ones.

A case is *handled* when the entry point either accepts it or refuses it with the project's
error for that input (ProgramError, SessionLogError, LogImportError, ExportError) in one
line that starts with the file's name and is short enough to read. Any other exception, a
message that does not name the file, or one that dumps the input back, is not handled.
Time is bounded only in the sense that every case ends: no timed asserts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tests.treadctl.hostile.generators import Case

__all__ = ["REPORTS", "Tally", "refusal_problem"]

REPORTS: list[str] = []
"""One "suite: N/N handled" line per suite run, for the terminal summary."""

# A person reads the message: a line of a few sentences at most, never the input echoed.
MAX_MESSAGE_CHARS = 600


def refusal_problem(error: BaseException, path: Path, families: tuple[type, ...]) -> str | None:
    """None when ``error`` is a proper refusal of the file at ``path``; else what is wrong."""
    text = str(error)
    if not isinstance(error, families):
        return f"{type(error).__name__}: {text[:200]}"
    if not text.startswith(str(path)):
        return f"message does not start with the file's name: {text[:200]}"
    if "\n" in text or len(text) > MAX_MESSAGE_CHARS:
        return f"message of {len(text)} characters over {text.count(chr(10)) + 1} line(s)"
    return None


@dataclass
class Tally:
    """The cases of one suite: how many, and the ones not handled (name, problem)."""

    suite: str
    total: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.total - len(self.failures)

    def run(self, cases: Iterable[Case], check: Callable[[int, Case], str | None]) -> None:
        for index, case in enumerate(cases):
            self.total += 1
            try:
                problem = check(index, case)
            except Exception as exc:  # noqa: BLE001 - the point: whatever escapes is counted
                problem = f"{type(exc).__name__} escaped: {str(exc)[:200]}"
            if problem is not None:
                self.failures.append((f"#{index} {case.name}", problem))

    def summary(self) -> str:
        line = f"{self.suite}: {self.handled}/{self.total} handled"
        REPORTS.append(line)
        print(line)
        return line

    def explain(self) -> str:
        return "\n".join(f"{name}: {problem}" for name, problem in self.failures[:20])
