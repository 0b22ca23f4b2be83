"""The last guard of the ``treadctl`` console script: a bug is a sentence and a file, never a
traceback on the person's screen.

Every error the engine expects is already a sentence (``treadctl.cli.errors``). What reaches
this guard is a bug: its traceback is written to a report file for an issue, and the person
reads one line saying so and where the file is. Only the console script is guarded
(``ui/launcher.py``, ``python -m treadctl.cli``): tests call :func:`treadctl.cli.main`
directly, so a bug still fails them with its traceback.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from treadctl.cli.errors import EXIT_FAILED

__all__ = ["REPORTS", "guarded"]

#: The data folder's subfolder for bug reports.
REPORTS = "error-reports"


def _report_folder() -> Path:
    from treadctl.data_folder import DataFolder

    return DataFolder.at().root / REPORTS


def _write_report(text: str, folder: Path | None) -> Path | None:
    """The report file written, or None when no folder took it (then the text is shown)."""
    import tempfile

    name = f"treadctl-error-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}.txt"
    for where in (folder, Path(tempfile.gettempdir())):
        if where is None:
            continue
        try:
            where.mkdir(parents=True, exist_ok=True)
            path = where / name
            path.write_text(text, encoding="utf-8")
        except OSError:
            continue
        return path
    return None


def guarded(run: Callable[[], int], *, folder: Path | None = None) -> int:
    """``run()``'s exit status; a bug in it becomes a report file and one line on stderr.

    ``folder``: where reports go (default: the data folder's ``error-reports``, else the
    system's temporary folder). Ctrl-C and ``sys.exit`` pass through as they are."""
    try:
        return run()
    except Exception as error:  # noqa: BLE001 - the one place every bug ends: see the docstring
        text = "".join(traceback.format_exception(error))
        try:
            where = folder if folder is not None else _report_folder()
        except Exception:  # noqa: BLE001 - the platform's folder unknown: the temporary one
            where = None
        path = _write_report(f"treadctl {' '.join(sys.argv[1:])}\n\n{text}", where)
        what = f"{type(error).__name__}: {str(error)[:200]}"
        if path is None:
            print(text, file=sys.stderr)  # nowhere to keep it: better seen than lost
            print(f"treadctl: an internal error stopped this command ({what}).", file=sys.stderr)
        else:
            print(
                f"treadctl: an internal error stopped this command ({what}). This is a bug in "
                f"treadctl: its details are in {path}; please attach that file to an issue.",
                file=sys.stderr,
            )
        return EXIT_FAILED
