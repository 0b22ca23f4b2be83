"""The command line's exit statuses, and which error family gets which.

The engine raises one family per kind of trouble (``treadctl.errors``); the command line only
maps them. A plain ``ValueError`` or any other exception is a bug, not a usage error: it is
not caught here.
"""

from __future__ import annotations

from treadctl.errors import TreadctlError

__all__ = [
    "EXIT_FAILED",
    "EXIT_NO_ADAPTER",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "exit_status",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NO_ADAPTER = 3


class UsageError(TreadctlError, ValueError):
    """An option value the command cannot use (``--sim-fault`` that names no fault, …)."""


def exit_status(error: TreadctlError) -> tuple[int, str]:
    """The exit status for ``error`` and the line that says why."""
    # Imported here: each family's module is loaded only by the commands that raise it.
    from treadctl.link import LinkError, NoAdapterError
    from treadctl.program import ProgramError
    from treadctl.report import ReportError

    if isinstance(error, NoAdapterError):
        return EXIT_NO_ADAPTER, f"{error}. Try --simulate to use the virtual treadmill."
    if isinstance(error, ProgramError):
        return EXIT_USAGE, f"invalid program: {error}"
    if isinstance(error, UsageError):
        return EXIT_USAGE, str(error)
    if isinstance(error, ReportError):
        return EXIT_USAGE, f"unusable device report: {error}"
    if isinstance(error, LinkError):
        return EXIT_FAILED, str(error)
    return EXIT_FAILED, str(error)
