"""``treadctl export SESSION|--all --format csv|tcx|fit [-o PATH]``: sessions as files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from treadctl.cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from treadctl.data_folder import DataFolder

__all__ = ["add_parser", "find_session_log"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser("export", help="write a session as CSV, TCX or FIT")
    export.add_argument(
        "session", nargs="?", help="a session log (.jsonl) or a session id (from `history`)"
    )
    export.add_argument("--format", required=True, choices=("csv", "tcx", "fit"))
    export.add_argument("-o", "--output", type=Path, help="output file or folder")
    export.add_argument(
        "--all", action="store_true", help="every session (of --profile, if given) into -o"
    )
    export.add_argument("--profile", help="with --all: only this profile's sessions")
    export.add_argument("--log-dir", type=Path, help="where session logs are")
    export.set_defaults(handler=run)


def find_session_log(session: str, log_dir: Path) -> Path:
    """A session log path, or the log in ``log_dir`` whose file name ends with ``_<id>``."""
    path = Path(session)
    if path.suffix == ".jsonl" or path.exists():
        return path
    matches = sorted(log_dir.glob(f"*_{session}.jsonl"))
    if not matches:
        raise FileNotFoundError(f"no session log for {session!r} in {log_dir}")
    return matches[-1]


def run(args: argparse.Namespace, out: TextIO) -> int:
    from treadctl.export import ExportError, export_all, export_session
    from treadctl.recorder import SessionLogError, read_session_log

    log_dir = DataFolder.at(sessions=args.log_dir).sessions
    try:
        if args.all:
            logs = sorted(log_dir.glob("*.jsonl"))
            if args.profile is not None:
                logs = [
                    p
                    for p in logs
                    if read_session_log(p, skip_bad_lines=True).header.get("profile")
                    == args.profile
                ]
            if not logs:
                out.write(f"export: no sessions in {log_dir}\n")
                return EXIT_FAILED
            written = export_all(logs, args.format, args.output or Path.cwd())
        else:
            if not args.session:
                out.write("export: give a SESSION (log file or id), or --all\n")
                return EXIT_USAGE
            path = find_session_log(args.session, log_dir)
            written = [export_session(path, args.format, args.output)]
    except (ExportError, SessionLogError, FileNotFoundError) as error:
        out.write(f"export: {error}\n")
        return EXIT_FAILED
    for path in written:
        out.write(f"{path}\n")
    return EXIT_OK
