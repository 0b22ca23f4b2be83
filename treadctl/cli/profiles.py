"""``treadctl profiles …``: people's profiles, their limits, the admin PIN.

Commands (all take ``--data-dir DIR``, default: the platform's data folder)::

    profiles                                           the same as ``profiles list``
    profiles list
    profiles add NAME
    profiles remove NAME [--yes]
    profiles rename OLD NEW
    profiles select NAME
    profiles set-limit NAME FIELD VALUE [--pin PIN]
    profiles set-max-hr NAME BPM|none
    profiles set-cap NAME MINUTES|none [--pin PIN]     the backward-minutes progression cap
    profiles set-pin [--old PIN] [--new PIN]
    profiles paces NAME [--unit km|mi]                 the race paces kept for importing
    profiles set-paces NAME ZONE=PACE|ZONE=none ...    e.g. 5k=4:30/km marathon=none
    profiles save-guest SESSION_ID NAME                keep a guest session as NAME's

The rules (who may raise what, the PIN) are the engine's, ``treadctl.profiles``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from treadctl.cli.errors import EXIT_FAILED, EXIT_OK
from treadctl.cli.store_command import Handler, fail, store_command, terminal, with_pin
from treadctl.limits import Limits

if TYPE_CHECKING:
    from treadctl.profiles import Profile, Profiles
    from treadctl.store import Store

__all__ = ["add_parser"]


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


@store_command
def cmd_profiles_list(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    from treadctl.store import StoreError

    profiles = _profiles(store)
    problems: list[str] = []
    try:
        current = profiles.current()
    except StoreError as error:  # the current profile's row is damaged: listed as a problem
        current = None
        problems.append(str(error))
    counts = {
        row[0]: row[1]
        for row in store.execute("SELECT profile_id, count(*) FROM sessions GROUP BY profile_id")
    }
    out.write(f"  {'name':<20} {'sessions':>8}  {'max HR':>6}  {'bwd cap':>7}  limits\n")
    for profile in profiles.list_all(problems):
        mark = "*" if current is not None and current.id == profile.id else " "
        hr = "-" if profile.max_heart_rate_bpm is None else str(profile.max_heart_rate_bpm)
        cap = f"{profile.progression_cap:g}"
        out.write(
            f"{mark} {profile.name:<20} {counts.get(profile.id, 0):>8}  {hr:>6}  {cap:>7}  "
            f"{_limits_text(profile)}\n"
        )
    out.write(f"admin PIN: {'set' if profiles.has_pin() else 'not set'}\n")
    for problem in dict.fromkeys(problems):  # the current one may be named twice
        print(f"treadctl: skipped: {problem}", file=sys.stderr)
    # Not 0 when a profile could not be shown: a script reading the list must know.
    return EXIT_FAILED if problems else EXIT_OK


@store_command
def cmd_profiles_add(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    profile = _profiles(store).create(args.name)
    out.write(f"profile {profile.name!r} added, at the default limits\n")
    return EXIT_OK


@store_command
def cmd_profiles_remove(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    count = _profiles(store).delete(args.name, confirm=args.yes)
    out.write(f"profile {args.name!r} removed with {count} session(s)\n")
    return EXIT_OK


@store_command
def cmd_profiles_rename(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    profile = _profiles(store).rename(args.old, args.new)
    out.write(f"profile {args.old!r} is now {profile.name!r}\n")
    return EXIT_OK


@store_command
def cmd_profiles_select(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    profile = _profiles(store).select(args.name)
    out.write(f"current profile: {profile.name}\n")
    return EXIT_OK


@store_command
def cmd_profiles_set_limit(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    profiles = _profiles(store)
    profile = with_pin(
        args.pin,
        lambda pin: profiles.set_limit(args.name, args.field, args.value, pin=pin),
        "Admin PIN: ",
    )
    out.write(f"{profile.name}: {args.field} = {getattr(profile.limits, args.field):g}\n")
    return EXIT_OK


@store_command
def cmd_profiles_set_max_hr(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    # Checked (finite, 40-250) and rounded by the engine: `nan` or `1e400` is a sentence there.
    profile = _profiles(store).set_max_heart_rate(args.name, args.bpm)
    shown = "none" if profile.max_heart_rate_bpm is None else f"{profile.max_heart_rate_bpm} bpm"
    out.write(f"{profile.name}: maximum heart rate {shown}\n")
    return EXIT_OK


@store_command
def cmd_profiles_set_cap(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    profiles = _profiles(store)
    profile = with_pin(
        args.pin,
        lambda pin: profiles.set_progression_cap(args.name, args.minutes, pin=pin),
        "Admin PIN: ",
    )
    out.write(f"{profile.name}: backward minutes may grow up to {profile.progression_cap:g}\n")
    return EXIT_OK


@store_command
def cmd_profiles_set_pin(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    profiles = _profiles(store)
    interactive = terminal()
    old = args.old
    if old is None and profiles.has_pin() and interactive:
        old = getpass.getpass("Old admin PIN: ")
    new = args.new
    if new is None:
        if not interactive:
            return fail("give the new PIN with --new (no terminal to ask on)")
        new = getpass.getpass("New admin PIN: ")
        if getpass.getpass("New admin PIN again: ") != new:
            return fail("the two PINs differ; the PIN was not changed")
    changed = profiles.has_pin()
    profiles.set_pin(new, old=old)
    out.write(f"admin PIN {'changed' if changed else 'set'}\n")
    return EXIT_OK


def _paces_lines(profile: Profile, unit: str) -> str:
    from treadctl.program import PaceZone, format_pace

    lines = []
    for zone in PaceZone:
        value = profile.paces.get(zone)
        shown = "-" if value is None else format_pace(value, unit)
        lines.append(f"  {zone.key:<9} {zone.describe:<19} {shown}\n")
    return "".join(lines)


@store_command
def cmd_profiles_paces(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    profile = _profiles(store).get(args.name)
    out.write(f"{profile.name}'s race paces (for importing Zwift run workouts):\n")
    out.write(_paces_lines(profile, args.unit))
    return EXIT_OK


@store_command
def cmd_profiles_set_paces(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    from treadctl.program import PaceZone, RunPaces

    profiles = _profiles(store)
    profile = profiles.get(args.name)
    paces = profile.paces
    try:
        cleared = [item for item in args.paces if item.partition("=")[2].strip().lower() == "none"]
        given = RunPaces.parse(item for item in args.paces if item not in cleared)
        gone = [PaceZone.parse(item.partition("=")[0]) for item in cleared]
    except ValueError as error:
        return fail(f"profiles set-paces: {error}")
    if set(gone) & given.given:
        return fail("profiles set-paces: a zone is both given and cleared")
    for zone in gone:
        paces = paces.with_pace(zone, None)
    profile = profiles.set_paces(profile.name, paces.merged(given))
    out.write(f"{profile.name}'s race paces:\n")
    out.write(_paces_lines(profile, args.unit))
    return EXIT_OK


@store_command
def cmd_profiles_save_guest(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    session = _profiles(store).save_guest_session(args.session_id, args.name)
    out.write(f"session {session.id} saved to {session.profile}\n")
    return EXIT_OK


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``treadctl profiles …`` on ``subparsers`` (see the module doc)."""
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a leaf's own default must not undo `profiles --data-dir DIR ACTION`.
    common.add_argument(
        "--data-dir", type=Path, default=argparse.SUPPRESS, help="where the history database lives"
    )
    pin = argparse.ArgumentParser(add_help=False)
    pin.add_argument("--pin", help="the admin PIN (asked for on a terminal when needed)")

    profiles = subparsers.add_parser(
        "profiles", help="people's profiles: limits, maximum heart rate, the admin PIN"
    )
    # `treadctl profiles` alone lists them, as `profiles list` does.
    profiles.set_defaults(handler=cmd_profiles_list, data_dir=None)
    profiles.add_argument(
        "--data-dir", type=Path, default=None, help="where the history database lives"
    )
    sub = profiles.add_subparsers(dest="profiles_command", metavar="ACTION")

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
    unit = argparse.ArgumentParser(add_help=False)
    unit.add_argument(
        "--unit", choices=("km", "mi"), default="km", help="show paces per km (default) or mile"
    )
    paces = leaf("paces", cmd_profiles_paces, "show a profile's race paces (for importing)", unit)
    paces.add_argument("name")
    set_paces = leaf(
        "set-paces",
        cmd_profiles_set_paces,
        "set race paces: mile, 5k, 10k, half, marathon (no PIN: they are not a limit)",
        unit,
    )
    set_paces.add_argument("name")
    set_paces.add_argument(
        "paces",
        nargs="+",
        metavar="ZONE=PACE",
        help="e.g. 5k=4:30/km half=8:10/mi; ZONE=none clears one",
    )
    save = leaf("save-guest", cmd_profiles_save_guest, "keep a guest session as a profile's")
    save.add_argument("session_id")
    save.add_argument("name")
