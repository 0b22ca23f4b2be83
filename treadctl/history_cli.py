"""The ``treadctl profiles …`` and ``treadctl history`` commands.

Wiring (``treadctl/cli.py`` does it)::

    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_profile_commands(sub)          # treadctl profiles list|add|remove|rename|set-limit|...
    add_history_commands(sub)          # treadctl history [--profile P] [--rebuild] ...
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is not None:
        return args.handler(args, sys.stdout)

Every leaf parser sets ``handler`` with ``set_defaults``. A handler is a plain synchronous
function ``handler(args: argparse.Namespace, out: TextIO) -> int``: it writes its result to
``out``, reports a refusal or an error as one line on stderr (``treadctl: …``, no traceback)
and returns the exit status (0 done, 1 refused or failed). It never raises for a user's
mistake, a wrong PIN, a corrupt database or a corrupt log.

Commands::

    profiles list
    profiles add NAME
    profiles remove NAME [--yes]
    profiles rename OLD NEW
    profiles select NAME
    profiles set-limit NAME FIELD VALUE [--pin PIN]
    profiles set-max-hr NAME BPM|none
    profiles set-cap NAME MINUTES|none [--pin PIN]     the backward-minutes progression cap
    profiles set-pin [--old PIN] [--new PIN]
    profiles save-guest SESSION_ID NAME                keep a guest session as NAME's
    history [--profile P] [--rebuild] [--log-dir DIR]

All take ``--data-dir DIR`` (default: the platform's data directory; logs default to its
``sessions`` folder, where ``treadctl run`` writes them). A PIN not given on the command line
is asked for (without echo) when stdin is a terminal and the change needs one.

For ``treadctl run --profile P``: ``treadctl.profiles.limits_for`` (the profile's limits,
with a due backward-minutes step applied) and :func:`import_session_log` (index the finished
log).
"""

from __future__ import annotations

import argparse
import functools
import getpass
import sys
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from treadctl.limits import Limits

if TYPE_CHECKING:
    # Imported by the commands when they run: the command line's parser is built at every
    # start, the app's too, and the store (sqlite, the recorder, asyncio) costs ~60 ms there.
    from treadctl.profiles import Profile, Profiles
    from treadctl.store import Store, StoredSession

__all__ = [
    "add_history_commands",
    "add_profile_commands",
    "import_session_log",
]

EXIT_OK = 0
EXIT_FAILED = 1

Handler = Callable[[argparse.Namespace, TextIO], int]


def import_session_log(path: Path, *, data_dir: Path | None = None) -> StoredSession | None:
    """Index a session log (e.g. right after ``treadctl run``); see ``Store.import_log``."""
    from treadctl.store import Store

    with Store(data_dir) as store:
        return store.import_log(path)


def _fail(message: object) -> int:
    print(f"treadctl: {message}", file=sys.stderr)
    return EXIT_FAILED


def _handler(function: Callable[[argparse.Namespace, TextIO, Store], int]) -> Handler:
    """Open the store for a command and turn every expected error into one line."""

    @functools.wraps(function)
    def run(args: argparse.Namespace, out: TextIO) -> int:
        from treadctl.profiles import ProfileError
        from treadctl.store import Store, StoreError

        try:
            with Store(args.data_dir) as store:
                return function(args, out, store)
        except (ProfileError, StoreError) as exc:
            return _fail(exc)
        except EOFError:
            return _fail("no PIN was entered")

    return run


def _terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _with_pin[T](pin: str | None, action: Callable[[str | None], T], prompt: str) -> T:
    """``action(pin)``; if it needs a PIN none was given for, ask on a terminal and retry."""
    from treadctl.profiles import PinRequired

    try:
        return action(pin)
    except PinRequired:
        if pin is not None or not _terminal():
            raise
    return action(getpass.getpass(prompt))


# --- profiles -----------------------------------------------------------------------------


def _profiles(store: Store) -> Profiles:
    from treadctl.profiles import Profiles

    return Profiles(store)


def _number_or_none(text: str) -> float | None:
    if text.strip().lower() in ("none", "off", "-"):
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'none', got {text!r}") from None


def _limits_text(profile: Profile) -> str:
    limits = profile.limits
    return (
        f"fwd {limits.forward_max_speed_kmh:g} km/h, bwd {limits.backward_max_speed_kmh:g} km/h, "
        f"bwd {limits.backward_minutes_per_session:g} min"
    )


@_handler
def cmd_profiles_list(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    profiles = _profiles(store)
    current = profiles.current()
    counts = {
        row[0]: row[1]
        for row in store.execute("SELECT profile_id, count(*) FROM sessions GROUP BY profile_id")
    }
    out.write(f"  {'name':<20} {'sessions':>8}  {'max HR':>6}  {'bwd cap':>7}  limits\n")
    for profile in profiles.list_all():
        mark = "*" if current is not None and current.id == profile.id else " "
        hr = "-" if profile.max_heart_rate_bpm is None else str(profile.max_heart_rate_bpm)
        cap = f"{profile.progression_cap:g}"
        out.write(
            f"{mark} {profile.name:<20} {counts.get(profile.id, 0):>8}  {hr:>6}  {cap:>7}  "
            f"{_limits_text(profile)}\n"
        )
    out.write(f"admin PIN: {'set' if profiles.has_pin() else 'not set'}\n")
    return EXIT_OK


@_handler
def cmd_profiles_add(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    profile = _profiles(store).create(args.name)
    out.write(f"profile {profile.name!r} added, at the default limits\n")
    return EXIT_OK


@_handler
def cmd_profiles_remove(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    count = _profiles(store).delete(args.name, confirm=args.yes)
    out.write(f"profile {args.name!r} removed with {count} session(s)\n")
    return EXIT_OK


@_handler
def cmd_profiles_rename(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    profile = _profiles(store).rename(args.old, args.new)
    out.write(f"profile {args.old!r} is now {profile.name!r}\n")
    return EXIT_OK


@_handler
def cmd_profiles_select(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    profile = _profiles(store).select(args.name)
    out.write(f"current profile: {profile.name}\n")
    return EXIT_OK


@_handler
def cmd_profiles_set_limit(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    profiles = _profiles(store)
    profile = _with_pin(
        args.pin,
        lambda pin: profiles.set_limit(args.name, args.field, args.value, pin=pin),
        "Admin PIN: ",
    )
    out.write(f"{profile.name}: {args.field} = {getattr(profile.limits, args.field):g}\n")
    return EXIT_OK


@_handler
def cmd_profiles_set_max_hr(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    bpm = None if args.bpm is None else round(args.bpm)
    profile = _profiles(store).set_max_heart_rate(args.name, bpm)
    shown = "none" if profile.max_heart_rate_bpm is None else f"{profile.max_heart_rate_bpm} bpm"
    out.write(f"{profile.name}: maximum heart rate {shown}\n")
    return EXIT_OK


@_handler
def cmd_profiles_set_cap(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    profiles = _profiles(store)
    profile = _with_pin(
        args.pin,
        lambda pin: profiles.set_progression_cap(args.name, args.minutes, pin=pin),
        "Admin PIN: ",
    )
    out.write(f"{profile.name}: backward minutes may grow up to {profile.progression_cap:g}\n")
    return EXIT_OK


@_handler
def cmd_profiles_set_pin(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    profiles = _profiles(store)
    interactive = _terminal()
    old = args.old
    if old is None and profiles.has_pin() and interactive:
        old = getpass.getpass("Old admin PIN: ")
    new = args.new
    if new is None:
        if not interactive:
            return _fail("give the new PIN with --new (no terminal to ask on)")
        new = getpass.getpass("New admin PIN: ")
        if getpass.getpass("New admin PIN again: ") != new:
            return _fail("the two PINs differ; the PIN was not changed")
    changed = profiles.has_pin()
    profiles.set_pin(new, old=old)
    out.write(f"admin PIN {'changed' if changed else 'set'}\n")
    return EXIT_OK


@_handler
def cmd_profiles_save_guest(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    session = _profiles(store).save_guest_session(args.session_id, args.name)
    out.write(f"session {session.id} saved to {session.profile}\n")
    return EXIT_OK


def add_profile_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``treadctl profiles …`` on ``subparsers`` (see the module doc)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", type=Path, default=None, help="where the history database lives"
    )
    pin = argparse.ArgumentParser(add_help=False)
    pin.add_argument("--pin", help="the admin PIN (asked for on a terminal when needed)")

    profiles = subparsers.add_parser(
        "profiles", help="people's profiles: limits, maximum heart rate, the admin PIN"
    )
    sub = profiles.add_subparsers(dest="profiles_command", metavar="ACTION", required=True)

    def leaf(name: str, handler: Handler, help: str, *parents: argparse.ArgumentParser) -> Any:
        parser = sub.add_parser(name, help=help, parents=[common, *parents])
        parser.set_defaults(handler=handler)
        return parser

    leaf("list", cmd_profiles_list, "list profiles (* marks the current one)")
    leaf("add", cmd_profiles_add, "add a profile at the default limits").add_argument("name")
    remove = leaf("remove", cmd_profiles_remove, "remove a profile with its history")
    remove.add_argument("name")
    remove.add_argument("--yes", action="store_true", help="confirm: its sessions go too")
    rename = leaf("rename", cmd_profiles_rename, "rename a profile")
    rename.add_argument("old")
    rename.add_argument("new")
    leaf("select", cmd_profiles_select, "make a profile the current one").add_argument("name")
    limit_fields = sorted(f.name for f in fields(Limits) if f.name != "max_heart_rate_bpm")
    set_limit = leaf(
        "set-limit",
        cmd_profiles_set_limit,
        "set one limit; above its default needs the admin PIN",
        pin,
    )
    set_limit.add_argument("name")
    set_limit.add_argument("field", choices=limit_fields, metavar="FIELD")
    set_limit.add_argument("value", type=float)
    max_hr = leaf("set-max-hr", cmd_profiles_set_max_hr, "set the maximum heart rate")
    max_hr.add_argument("name")
    max_hr.add_argument("bpm", type=_number_or_none, metavar="BPM|none")
    cap = leaf(
        "set-cap",
        cmd_profiles_set_cap,
        "set how far backward minutes may grow; above the default needs the admin PIN",
        pin,
    )
    cap.add_argument("name")
    cap.add_argument("minutes", type=_number_or_none, metavar="MINUTES|none")
    set_pin = leaf("set-pin", cmd_profiles_set_pin, "set or change the admin PIN")
    set_pin.add_argument("--old", help="the current admin PIN (to change it)")
    set_pin.add_argument("--new", help="the new admin PIN")
    save = leaf("save-guest", cmd_profiles_save_guest, "keep a guest session as a profile's")
    save.add_argument("session_id")
    save.add_argument("name")


# --- history ------------------------------------------------------------------------------


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _cut(text: str | None, width: int) -> str:
    text = text or "-"
    return text if len(text) <= width else text[: width - 1] + "…"


def render_sessions(sessions: list[StoredSession], out: TextIO, *, with_profile: bool) -> None:
    """The sessions as an aligned text table, oldest first."""
    who = f"{'profile':<14} " if with_profile else ""
    out.write(
        f"{'started (UTC)':<16}  {who}{'program':<24}  {'outcome':<22} {'time':>8} {'km':>6} "
        f"{'fwd min':>7} {'bwd min':>7} {'kcal':>5} {'max f/b km/h':>12} {'HR':>4}  id\n"
    )
    for s in sessions:
        m = s.summary
        outcome = s.outcome if s.saved else f"{s.outcome}, unsaved"
        kcal = "-" if m.energy_kcal is None else f"{m.energy_kcal:.0f}"
        hr = "-" if m.avg_heart_rate_bpm is None else str(m.avg_heart_rate_bpm)
        who = f"{_cut(s.profile, 14):<14} " if with_profile else ""
        speeds = f"{m.max_forward_kmh:.1f}/{m.max_backward_kmh:.1f}"
        out.write(
            f"{s.started_at:%Y-%m-%d %H:%M}  {who}{_cut(s.program, 24):<24}  "
            f"{_cut(outcome, 22):<22} {_duration(m.duration_s):>8} {m.distance_m / 1000:>6.2f} "
            f"{m.forward_minutes:>7.1f} {m.backward_minutes:>7.1f} {kcal:>5} {speeds:>12} "
            f"{hr:>4}  {s.id}\n"
        )


@_handler
def cmd_history(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    from treadctl.data_folder import DataFolder

    log_dir = DataFolder.at(args.data_dir, sessions=args.log_dir).sessions
    report = store.rebuild(log_dir) if args.rebuild else store.sync(log_dir)
    for error in report.errors:
        print(f"treadctl: skipped a log: {error}", file=sys.stderr)
    if args.rebuild:
        out.write(
            f"rebuilt from {log_dir}: {len(report.imported)} session(s), "
            f"{len(report.errors)} unreadable log(s)\n"
        )
    profiles = _profiles(store)
    profile = profiles.get(args.profile) if args.profile else profiles.current()
    if profile is None:
        sessions = store.sessions()
        out.write(f"All sessions ({len(sessions)}); no profile selected\n")
        render_sessions(sessions, out, with_profile=True)
    else:
        sessions = store.sessions(profile.name)
        out.write(f"Sessions of {profile.name} ({len(sessions)})\n")
        render_sessions(sessions, out, with_profile=False)
        weeks = store.weekly_totals(profile.name)
        if weeks:
            out.write("\nBackward minutes per week (weeks start on Monday, UTC):\n")
            for week in weeks:
                bar = "#" * min(60, round(week.backward_minutes))
                out.write(
                    f"  {week.week_start:%Y-%m-%d}  {week.sessions:>2} session(s)  "
                    f"{week.backward_minutes:>6.1f} min  {bar}\n"
                )
        out.write(f"\n{profiles.next_backward_minutes(profile).describe()}\n")
        if any(not s.saved for s in sessions):
            out.write(
                "Guest sessions are not kept unless saved: "
                "treadctl profiles save-guest SESSION_ID NAME\n"
            )
    return EXIT_FAILED if report.errors else EXIT_OK


def add_history_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``treadctl history`` on ``subparsers`` (see the module doc)."""
    history = subparsers.add_parser(
        "history", help="the sessions of a profile, with totals and the next backward step"
    )
    history.add_argument("--profile", help="whose sessions (default: the current profile)")
    history.add_argument(
        "--rebuild", action="store_true", help="rebuild the history from the session logs"
    )
    history.add_argument("--log-dir", type=Path, help="where the session logs are")
    history.add_argument(
        "--data-dir", type=Path, default=None, help="where the history database lives"
    )
    history.set_defaults(handler=cmd_history)
