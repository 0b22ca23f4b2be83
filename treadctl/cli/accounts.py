"""``treadctl accounts …``: each profile's Strava and intervals.icu accounts, what happens
after a session, and the export folder.

Commands (all take ``--profile P``, default the current profile, and ``--data-dir DIR``)::

    accounts                                      the same as ``accounts list``
    accounts list                                 every profile's (or --profile's) settings
    accounts connect strava --client-id ID [--open-browser] [--port N] [--wait S]
                                                  the client secret is read from the terminal
                                                  (or stdin); prints the address to approve
                                                  on, waits for the browser to come back
    accounts connect intervals [--athlete-id ID]  the API key is read from the terminal (or
                                                  stdin); athlete id 0: the key's own
    accounts disconnect strava|intervals
    accounts after-session strava|intervals auto|ask|never
    accounts export-folder PATH|none [--format fit|tcx|csv …]

Secrets never go on the command line (other users see it in the process list, shells keep it
in their history): the client secret and the API key are asked for without echo on a
terminal, else read as one line from stdin (``treadctl accounts connect intervals <
key.txt``). Nothing prints them. The files are described in ``docs/uploads.md``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from treadctl.cli.errors import EXIT_OK, UsageError
from treadctl.cli.store_command import Handler, fail, store_command, terminal
from treadctl.data_folder import DataFolder

if TYPE_CHECKING:
    from treadctl.profiles import Profile
    from treadctl.store import Store
    from treadctl.upload import Accounts, ProfileAccounts

__all__ = ["add_parser"]


def _accounts(args: argparse.Namespace) -> Accounts:
    from treadctl.upload import Accounts

    return Accounts(DataFolder.at(args.data_dir))


def _profile(args: argparse.Namespace, store: Store) -> Profile:
    from treadctl.profiles import Profiles

    profiles = Profiles(store)
    if args.profile:
        return profiles.get(args.profile)
    current = profiles.current()
    if current is None:
        raise UsageError(
            "no profile is selected: give --profile NAME, or choose one with "
            "`treadctl profiles select NAME`"
        )
    return current


def _secret(prompt: str) -> str:
    """A secret from the terminal without echo, else one line of stdin."""
    if terminal():
        return getpass.getpass(prompt)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.strip()


def _describe(accounts: ProfileAccounts, out: TextIO) -> None:
    from treadctl.upload import Service

    strava, intervals = accounts.strava, accounts.intervals
    if strava is not None:
        who = strava.tokens.athlete_name or "athlete"
        if strava.tokens.athlete_id:
            who += f" ({strava.tokens.athlete_id})"
        text = f"connected: {who}, API application {strava.client_id}"
    else:
        text = "not connected"
    out.write(f"  {'Strava':<14} {text}")
    out.write(f"; after a session: {accounts.preference(Service.STRAVA)}\n" if strava else "\n")
    if intervals is not None:
        athlete = "the key's own athlete" if intervals.athlete_id == "0" else intervals.athlete_id
        text = f"connected: {athlete}"
    else:
        text = "not connected"
    out.write(f"  {'intervals.icu':<14} {text}")
    out.write(
        f"; after a session: {accounts.preference(Service.INTERVALS)}\n" if intervals else "\n"
    )
    folder = accounts.export_folder
    text = "none" if folder is None else f"{folder.path} ({', '.join(folder.formats)})"
    out.write(f"  {'export folder':<14} {text}\n")


@store_command
def cmd_list(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    from treadctl.profiles import Profiles

    profiles = Profiles(store)
    accounts = _accounts(args)
    chosen = [profiles.get(args.profile)] if args.profile else profiles.list_all()
    current = profiles.current()
    for profile in chosen:
        mark = " (current)" if current is not None and current.id == profile.id else ""
        out.write(f"{profile.name}{mark}\n")
        if profile.builtin:
            folder = accounts.load(profile).export_folder
            text = "none" if folder is None else f"{folder.path} ({', '.join(folder.formats)})"
            out.write(f"  {'export folder':<14} {text}; shared, so no accounts\n")
            continue
        _describe(accounts.load(profile), out)
    return EXIT_OK


@store_command
def cmd_connect_strava(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    from treadctl.cli.upload import service_config, wall_clock
    from treadctl.upload import Service, UploadQueue, connect_strava
    from treadctl.upload.http import Http
    from treadctl.upload.strava import StravaClient

    profile = _profile(args, store)
    if profile.builtin:
        return fail(f"{profile.name} is shared by everybody who drops in, so it has no accounts")
    config = service_config()
    clock = wall_clock()
    secret = _secret("Strava client secret: ")
    if not secret:
        return fail("no client secret was given; nothing was connected")

    def show(url: str) -> None:
        out.write(
            "Open this address in a browser, sign in to Strava and allow treadctl to upload "
            f"your activities:\n\n  {url}\n\n"
        )
        if args.open_browser:
            import webbrowser

            webbrowser.open(url)
        out.write(f"Waiting for the browser to come back (at most {args.wait:g} s)…\n")
        out.flush()

    connected = connect_strava(
        _accounts(args),
        profile,
        args.client_id,
        secret,
        strava=StravaClient(config, Http(timeout_s=config.timeout_s), clock),
        show_url=show,
        timeout_s=args.wait,
        port=args.port,
    )
    woken = UploadQueue(store, clock).wake(Service.STRAVA)
    tokens = connected.strava.tokens if connected.strava else None
    who = f" as {tokens.athlete_name}" if tokens and tokens.athlete_name else ""
    out.write(f"{profile.name}: Strava connected{who}\n")
    if woken:
        out.write(f"{woken} upload(s) waiting for it: `treadctl upload --pending`\n")
    return EXIT_OK


@store_command
def cmd_connect_intervals(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    from treadctl.cli.upload import wall_clock
    from treadctl.upload import Service, UploadQueue, connect_intervals

    profile = _profile(args, store)
    if profile.builtin:
        return fail(f"{profile.name} is shared by everybody who drops in, so it has no accounts")
    key = _secret("intervals.icu API key: ")
    connect_intervals(_accounts(args), profile, args.athlete_id, key)
    woken = UploadQueue(store, wall_clock()).wake(Service.INTERVALS)
    out.write(f"{profile.name}: intervals.icu connected (athlete {args.athlete_id})\n")
    if woken:
        out.write(f"{woken} upload(s) waiting for it: `treadctl upload --pending`\n")
    return EXIT_OK


@store_command
def cmd_disconnect(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    from treadctl.upload import Service, disconnect

    profile = _profile(args, store)
    service = Service(args.service)
    if not disconnect(_accounts(args), profile, service):
        return fail(f"{profile.name} has no {service.label} account connected")
    out.write(f"{profile.name}: {service.label} disconnected")
    if service is Service.STRAVA:
        out.write(" (to revoke treadctl's access on Strava too: strava.com, Settings, My Apps)")
    out.write("\n")
    return EXIT_OK


@store_command
def cmd_after_session(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    from treadctl.upload import AfterSession, Service, set_after_session

    profile = _profile(args, store)
    service = Service(args.service)
    updated = set_after_session(_accounts(args), profile, service, AfterSession(args.choice))
    out.write(f"{profile.name}: after a session, {service.label}: {args.choice}")
    if not updated.is_connected(service):
        out.write(f" (not connected yet: `treadctl accounts connect {service.value}`)")
    out.write("\n")
    return EXIT_OK


@store_command
def cmd_export_folder(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    from treadctl.upload import ExportFolder, set_export_folder

    profile = _profile(args, store)
    if args.path.strip().lower() == "none":
        set_export_folder(_accounts(args), profile, None)
        out.write(f"{profile.name}: no export folder\n")
        return EXIT_OK
    path = Path(args.path).expanduser().absolute()
    if not path.is_dir():
        return fail(f"{path} is not a folder; make it first (it is never made for you)")
    formats = tuple(dict.fromkeys(args.format or ["fit"]))
    set_export_folder(_accounts(args), profile, ExportFolder(path, formats))
    out.write(f"{profile.name}: after each session, {', '.join(formats)} into {path}\n")
    return EXIT_OK


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``treadctl accounts …`` on ``subparsers`` (see the module doc)."""
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a leaf's own default must not undo `accounts --data-dir DIR ACTION`.
    common.add_argument(
        "--data-dir", type=Path, default=argparse.SUPPRESS, help="where the data folder is"
    )
    common.add_argument(
        "--profile", default=argparse.SUPPRESS, help="whose (default: the current profile)"
    )
    accounts = subparsers.add_parser(
        "accounts",
        help="Strava and intervals.icu accounts, what happens after a session, export folder",
    )
    accounts.set_defaults(handler=cmd_list, data_dir=None, profile=None)
    accounts.add_argument("--data-dir", type=Path, default=None, help="where the data folder is")
    accounts.add_argument("--profile", default=None, help="whose (default: every profile)")
    sub = accounts.add_subparsers(dest="accounts_command", metavar="ACTION")

    def leaf(parent: Any, name: str, handler: Handler, help: str) -> Any:
        parser = parent.add_parser(name, help=help, parents=[common])
        parser.set_defaults(handler=handler)
        return parser

    leaf(sub, "list", cmd_list, "every profile's accounts and choices")
    connect = sub.add_parser("connect", help="connect an account to a profile")
    services = connect.add_subparsers(dest="service", metavar="SERVICE", required=True)
    strava = leaf(
        services,
        "strava",
        cmd_connect_strava,
        "your own Strava API application; the client secret is asked for",
    )
    strava.add_argument(
        "--client-id", required=True, help="the Client ID of your Strava API application"
    )
    strava.add_argument(
        "--open-browser", action="store_true", help="open the address in the browser too"
    )
    strava.add_argument(
        "--port", type=int, default=0, help="the local port the browser comes back to (any)"
    )
    strava.add_argument(
        "--wait", type=float, default=300.0, help="seconds to wait for the browser (300)"
    )
    intervals = leaf(
        services, "intervals", cmd_connect_intervals, "an intervals.icu API key (asked for)"
    )
    intervals.add_argument(
        "--athlete-id", default="0", help="your athlete id, e.g. i12345 (0: the key's own)"
    )
    disconnect = leaf(sub, "disconnect", cmd_disconnect, "forget an account's tokens or key")
    disconnect.add_argument("service", choices=("strava", "intervals"))
    after = leaf(sub, "after-session", cmd_after_session, "upload after a session: auto/ask/never")
    after.add_argument("service", choices=("strava", "intervals"))
    after.add_argument("choice", choices=("auto", "ask", "never"))
    folder = leaf(
        sub, "export-folder", cmd_export_folder, "write each session into a folder (none: stop)"
    )
    folder.add_argument("path", metavar="PATH|none")
    folder.add_argument(
        "--format",
        action="append",
        choices=("fit", "tcx", "csv"),
        help="a format to write (repeat for several; default fit)",
    )
