"""The command line: ``treadctl`` and its subcommands, one module each.

Shape::

    main(argv, app=None) -> exit status     the console script's entry (ui.launcher passes the
     │                                      app window as ``app``: treadctl never imports ui)
     ├── no subcommand                      the app window, before any parser is built
     ├── parser.build_parser()              one subparser per module below; each leaf sets a
     │                                      ``handler(args, out) -> int``
     └── errors.exit_status(error)          the engine's error families → exit statuses

    scan.py      treadctl scan [--simulate]             treadmills and straps in range
    probe.py     treadctl probe [ADDRESS | --simulate]  what a treadmill offers, then every
                                                        record as JSON lines; --report FILE:
                                                        a device report (probe_report.py)
    run.py       treadctl run PROGRAM ...               a session headless: the application core
                                                        (treadctl.core) + a printer + the keyboard
    export.py    treadctl export SESSION|--all ...      CSV, TCX, FIT
    upload.py    treadctl upload SESSION|--pending      Strava, intervals.icu; the upload queue
    accounts.py  treadctl accounts ...                  accounts per profile, after-session
                                                        choices, the export folder
    import_command.py  treadctl import FILE ...         a .zwo or FIT workout into the programs
    export_program.py  treadctl export-program PROGRAM  a program as a FIT workout or TOML
    history.py   treadctl history ...                   sessions, weekly minutes, the next step
    profiles.py  treadctl profiles ...                  people, limits, the admin PIN
    output.py    JSON lines and clock texts; backends.py the Bleak backends (or the virtual world)

Exit statuses: 0 done (a run: completed with a whole log), 1 failed, refused or stopped (a
run: stopped, aborted, Ctrl-C, an incomplete log; a list that had to skip a damaged row), 2
usage (an invalid program, a bad option value), 3 no Bluetooth adapter; each command's are in
``docs/cli.md``. A person never sees a traceback for something the engine says no to (any
``TreadctlError``); a bug still shows one.

Light imports only at the top of every module here (asyncio, Bleak and the engine inside the
commands): the app window is opened through :func:`main`, and whatever is imported before it
paints delays it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from treadctl.cli.errors import (
    EXIT_FAILED,
    EXIT_NO_ADAPTER,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    exit_status,
)

__all__ = [
    "EXIT_FAILED",
    "EXIT_NO_ADAPTER",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "main",
]


def main(argv: Sequence[str] | None = None, *, app: Callable[..., int] | None = None) -> int:
    """Run the command line. ``app`` opens the window when no subcommand is given: the console
    script passes ``ui.app.run_app`` (see ``ui/launcher.py``)."""
    words = sys.argv[1:] if argv is None else list(argv)
    if app is not None and set(words) <= {"--simulate"}:
        # The app's own command line, opened before the parser of every subcommand is built:
        # until its window has painted, every millisecond here is one the person waits.
        return app(simulate=bool(words))
    from treadctl.cli.parser import build_parser

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        if app is None:
            print("treadctl: no app window in this build; see `treadctl --help`.", file=sys.stderr)
            return EXIT_USAGE
        if getattr(args, "device", None) is None:
            # Before anything else is imported: the window paints first, then loads the rest.
            return app(simulate=args.simulate)
        return _app_with_device(args, app)
    from treadctl.errors import TreadctlError

    try:
        status: int = args.handler(args, sys.stdout)
    except KeyboardInterrupt:
        # Ctrl-C outside a run's own handling (treadctl.cli.run stops the belt first): the
        # command did not finish, so not 0.
        print("treadctl: interrupted by Ctrl-C", file=sys.stderr)
        return EXIT_FAILED
    except TreadctlError as error:
        status, text = exit_status(error)
        print(f"treadctl: {text}", file=sys.stderr)
    return status


def _app_with_device(args: Any, app: Callable[..., int]) -> int:
    """``treadctl --simulate --device FILE``: the window on a device report's treadmill. The
    report is read first, so a bad one is one line naming the file and the field."""
    from treadctl.cli.backends import device_from
    from treadctl.errors import TreadctlError

    try:
        device = device_from(args)
    except TreadctlError as error:
        status, text = exit_status(error)
        print(f"treadctl: {text}", file=sys.stderr)
        return status
    return app(simulate=args.simulate, device=device)
