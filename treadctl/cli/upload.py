"""``treadctl upload``: a session to Strava or intervals.icu, the queue retried, the queue shown.

Commands (all take ``--data-dir DIR``; SESSION also ``--log-dir DIR``)::

    upload SESSION [--service strava|intervals]   now; default: every service the session's
                                                  profile has connected
    upload --pending                              every queued upload a retry can help, now
                                                  (whatever its next try said)
    upload --list                                 every upload the queue knows, and its state

SESSION is a session id (``treadctl history`` lists them) or a session log file. An upload
that fails is queued, never lost: the line says why (the service, the HTTP status and its
message) and when it is tried again. Exit status: 0 every upload asked for is on the service
(made now or already there), 1 any failed or is still being processed (queued), 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from treadctl.cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError
from treadctl.cli.store_command import fail, store_command
from treadctl.data_folder import DataFolder

if TYPE_CHECKING:
    from treadctl.clock import WallClock
    from treadctl.store import Store, StoredSession
    from treadctl.upload import ServiceConfig, Uploader, UploadState

__all__ = ["add_parser", "service_config", "wall_clock"]


def wall_clock() -> WallClock:
    """The clock uploads run on (the tests' stands still)."""
    from treadctl.clock import SystemWallClock

    return SystemWallClock()


def service_config() -> ServiceConfig:
    """Where the services are: their own addresses, unless ``TREADCTL_STRAVA_URL`` or
    ``TREADCTL_INTERVALS_URL`` say otherwise (a proxy; the tests' stand-ins)."""
    from treadctl.upload import ServiceConfig

    try:
        return ServiceConfig.from_environment()
    except ValueError as error:
        raise UsageError(str(error)) from None


def _uploader(args: argparse.Namespace, store: Store) -> Uploader:
    from treadctl.upload import Uploader

    folder = DataFolder.at(args.data_dir, sessions=getattr(args, "log_dir", None))
    return Uploader(folder, store, config=service_config(), clock=wall_clock())


def _session(args: argparse.Namespace, store: Store) -> StoredSession:
    """SESSION as the history knows it: by id, else its log (imported if need be)."""
    from treadctl.cli.export import find_session_log

    found = store.session(args.session)
    if found is not None:
        return found
    folder = DataFolder.at(args.data_dir, sessions=args.log_dir)
    path = find_session_log(args.session, folder.sessions)
    imported = store.import_log(path)
    if imported is None:
        raise UsageError(f"session {args.session} was deleted from the history; not uploaded")
    return imported


def _report(states: list[UploadState], out: TextIO) -> int:
    from treadctl.upload import State

    status = EXIT_OK
    for state in states:
        if state.finished:
            out.write(f"{state.session_id}: {state.describe()}\n")
        else:
            status = EXIT_FAILED
            if state.state is State.FAILED:
                print(f"treadctl: {state.session_id}: {state.describe()}", file=sys.stderr)
            else:
                out.write(f"{state.session_id}: {state.describe()}\n")
    return status


@store_command
def cmd_upload(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    from treadctl.export import ExportError
    from treadctl.profiles import Profiles
    from treadctl.recorder import SessionLogError
    from treadctl.store import LogImportError
    from treadctl.upload import Service

    uploader = _uploader(args, store)
    if args.list:
        states = uploader.queue.all()
        if not states:
            out.write("no uploads queued or made\n")
        for state in states:
            out.write(f"{state.session_id}: {state.describe()}\n")
        return EXIT_OK
    if args.pending:
        states = uploader.retry_waiting()
        if not states:
            out.write("nothing to retry\n")
        return _report(states, out)
    if not args.session:
        print("treadctl: give a SESSION (id or log file), --pending or --list", file=sys.stderr)
        return EXIT_USAGE
    try:
        session = _session(args, store)
    except (ExportError, SessionLogError, LogImportError) as error:
        return fail(error)
    if args.service is not None:
        services = [Service(args.service)]
    else:
        profile = Profiles(store).find(session.profile) if session.profile else None
        if profile is None or profile.builtin:
            return fail(
                f"session {session.id} belongs to no profile with accounts; "
                "give --service to queue it anyway, or save it to a profile first"
            )
        services = list(uploader.accounts.load(profile).connected)
        if not services:
            return fail(
                f"{profile.name} has no account connected; see `treadctl accounts` "
                f"(`treadctl accounts connect strava|intervals --profile {profile.name}`)"
            )
    return _report([uploader.upload(session.id, service) for service in services], out)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``treadctl upload`` on ``subparsers`` (see the module doc)."""
    upload = subparsers.add_parser(
        "upload",
        help="upload a session to Strava or intervals.icu; retry the queue",
        description="Upload a session to Strava or intervals.icu. A failed upload is queued "
        "and retried; it is never sent twice.",
    )
    what = upload.add_mutually_exclusive_group()
    what.add_argument(
        "session", nargs="?", help="a session id (from `history`) or a session log (.jsonl)"
    )
    what.add_argument("--pending", action="store_true", help="retry every queued upload now")
    what.add_argument("--list", action="store_true", help="show the queue")
    upload.add_argument(
        "--service",
        choices=("strava", "intervals"),
        help="only this service (default: every one the session's profile has connected)",
    )
    upload.add_argument("--log-dir", type=Path, help="where the session logs are")
    upload.add_argument(
        "--data-dir", type=Path, default=None, help="where the history database lives"
    )
    upload.set_defaults(handler=cmd_upload)
