"""The device report's error: a report file that cannot be used, naming the file and the field."""

from __future__ import annotations

from pathlib import Path

from treadctl.errors import TreadctlError

__all__ = ["ReportError"]


class ReportError(TreadctlError, ValueError):
    """A device report that cannot be read or used: ``path``, the ``field`` (a dotted path
    such as ``gatt.services[2].characteristics[0].value``; empty for the whole file) and
    what is wrong, in one line."""

    def __init__(self, path: Path | str, field: str, problem: str) -> None:
        where = f"{path}: {field}: " if field else f"{path}: "
        super().__init__(f"{where}{problem}")
        self.path = Path(path)
        self.field = field
        self.problem = problem
