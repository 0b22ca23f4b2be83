"""``treadctl export SESSION|--all --format csv|tcx|fit [-o PATH] [--force]``: sessions as files.

Without ``-o`` a file goes to the current folder, named ``<date>_<time>_<program>.<format>``
(``treadctl.export.export_file_name``). Nothing is written over silently: an existing file is
replaced only with ``--force``, and a session log or the history database never. Each file
written is printed on stdout; each refusal is one line on stderr. Exit status: 0 every file
written, 1 any refused or failed, 2 no SESSION and no ``--all``.
"""

from __future__ import annotations

import argparse
import glob
import stat
import sys
from pathlib import Path
from typing import TextIO

from treadctl.cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from treadctl.data_folder import DataFolder

__all__ = ["add_parser", "find_session_log"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser(
        "export",
        help="write a session as CSV, TCX or FIT",
        description="Write sessions as CSV, TCX or FIT. An existing file is replaced only with "
        "--force; a session log or the history database never.",
    )
    export.add_argument(
        "session", nargs="?", help="a session log (.jsonl) or a session id (from `history`)"
    )
    export.add_argument("--format", required=True, choices=("csv", "tcx", "fit"))
    export.add_argument(
        "-o",
        "--output",
        type=Path,
        help="output file or folder (default: the current folder, a file named "
        "<date>_<time>_<program>.<format>)",
    )
    export.add_argument(
        "--force",
        action="store_true",
        help="replace an existing output file (never a session log or the history database)",
    )
    export.add_argument(
        "--all", action="store_true", help="every session (of --profile, if given) into -o"
    )
    export.add_argument("--profile", help="with --all: only this profile's sessions")
    export.add_argument("--log-dir", type=Path, help="where session logs are")
    export.add_argument(
        "--data-dir", type=Path, default=None, help="where the history database lives"
    )
    export.set_defaults(handler=run)


def find_session_log(session: str, log_dir: Path) -> Path:
    """A session log path, or the log in ``log_dir`` whose file name ends with ``_<id>``.

    Raises :class:`~treadctl.export.ExportSourceError` for a folder, a missing file, or an id
    with no log."""
    from treadctl.export import ExportSourceError

    path = Path(session)
    try:
        mode: int | None = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None
    except OSError as error:  # a name too long, a symlink loop: Path.exists lets these through
        raise ExportSourceError(
            f"{path} cannot be read ({error.strerror}); give a session log file or a session id",
            path=path,
        ) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise ExportSourceError(
            f"{path} is a folder, not a session log; give a log file (.jsonl) or a session id",
            path=path,
        )
    if path.suffix == ".jsonl" or mode is not None:
        return path
    # Escaped: an id is a name, and `*` must not export whichever log it happens to match.
    matches = sorted(log_dir.glob(f"*_{glob.escape(session)}.jsonl"))
    if not matches:
        raise ExportSourceError(
            f"no session log for {session!r} in {log_dir}; `treadctl history` lists the ids",
            path=path,
        )
    return matches[-1]


def _sentence(error: Exception) -> str:
    """What the person reads for ``error``: the engine's sentence, with the command line's own
    way to agree to a replacement."""
    from treadctl.export import OutputExistsError

    if isinstance(error, OutputExistsError):
        return f"{error.path} already exists; use --force to replace it"
    return str(error)


def _say(text: str) -> None:
    print(f"export: {text}", file=sys.stderr)


def run(args: argparse.Namespace, out: TextIO) -> int:
    from treadctl.export import ExportError, export_session
    from treadctl.recorder import SessionLogError

    folder = DataFolder.at(args.data_dir, sessions=args.log_dir)
    try:
        if args.all:
            return _run_all(args, folder, out)
        if not args.session:
            _say("give a SESSION (log file or id), or --all")
            return EXIT_USAGE
        path = find_session_log(args.session, folder.sessions)
        written = export_session(
            path, args.format, args.output, overwrite=args.force, data_folder=folder
        )
    except (ExportError, SessionLogError) as error:
        _say(_sentence(error))
        return EXIT_FAILED
    out.write(f"{written}\n")
    return EXIT_OK


def _run_all(args: argparse.Namespace, folder: DataFolder, out: TextIO) -> int:
    from treadctl.export import ExportError, export_all, read_log
    from treadctl.recorder import SessionLogError

    logs = sorted(folder.sessions.glob("*.jsonl"))
    refused = 0
    if args.profile is not None:
        chosen = []
        for path in logs:
            try:
                profile = read_log(path, skip_bad_lines=True).header.get("profile")
            except (ExportError, SessionLogError) as error:
                _say(f"skipped {path.name}: {_sentence(error)}")
                refused += 1
                continue
            if profile == args.profile:
                chosen.append(path)
        logs = chosen
    if not logs:
        _say(f"no sessions in {folder.sessions}")
        return EXIT_FAILED
    try:
        written = export_all(
            logs,
            args.format,
            args.output,
            overwrite=args.force,
            data_folder=folder,
        )
    except ExportError as error:
        if not error.failures:
            raise  # the folder itself: nothing could be written, one sentence from run()
        written = list(error.written)
        for path, failure in error.failures:
            _say(f"skipped {path.name}: {_sentence(failure)}")
            refused += 1
    for path in written:
        out.write(f"{path}\n")
    return EXIT_FAILED if refused else EXIT_OK
