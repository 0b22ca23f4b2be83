"""``treadctl import FILE``: a Zwift run workout or a FIT workout, into the person's programs.

Shape::

    treadctl import FILE [--pace ZONE=PACE ...] [--save-paces] [--free-speed SPEED]
                         [--open-duration D] [--name NAME] [--force] [--dry-run]
                         [--unit km/h|mph] [--profile P] [--data-dir D]

It prints the preview — every step of the file, its source value, and each segment it became
with its speed in the display unit — then what the profile's limits change, then saves the
program into the library (``<data folder>/programs``, ``ProgramLibrary.save``). A program of
that file name is replaced only with ``--force``. Any refusal (a pace not given, a free run
without ``--free-speed``, a target that is not a speed …) is one line each on stderr, with
what to give; nothing is saved.

The display unit: ``--unit``, else the app's own choice (``settings.ini``, Settings → "Speed
shown as"; a pace unit shows its system's speed), else km/h. The profile: ``--profile P``, else
the current one, else none (the default limits, no stored paces). Its limits are only read.

Race paces: the profile's stored ones (``Profile.paces``), with every ``--pace`` given in their
place for this import. ``--save-paces`` also stores the ``--pace`` values in the profile, when
the program is saved (not with ``--dry-run``, nor when a step is refused). Not by default: a
pace typed for one file (a friend's, a guess to see the preview) would otherwise silently
change the speeds of every later import; the app asks with a checkbox, which a person sees.

Exit status: 0 saved (or, with ``--dry-run``, convertible); 1 a file that cannot be imported,
a refused step, a name taken without ``--force``, a library that cannot be written, no such
profile, ``--save-paces`` without a person's profile; 2 a bad option value
(``--pace 5k=fast``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from treadctl.cli.errors import EXIT_FAILED, EXIT_OK, UsageError
from treadctl.cli.output import clock_text, speed_unit
from treadctl.data_folder import DataFolder

if TYPE_CHECKING:
    from treadctl.profiles import Profile
    from treadctl.program import ImportResult, OpenStepChoices, PaceZone, RunPaces, Segment

__all__ = ["add_parser", "render_preview"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser(
        "import",
        help="import a Zwift run workout (.zwo) or a FIT workout into your programs",
        description="Convert a Zwift run workout (.zwo) or a FIT workout file into a program, "
        "show how every step converts, and save it among your programs. Nothing is guessed: "
        "a step that needs a pace or a speed you have not given is refused, and nothing is "
        "saved. See docs/importing.md.",
    )
    command.add_argument("file", type=Path, help="the workout file (.zwo or .fit)")
    command.add_argument(
        "--pace",
        action="append",
        default=[],
        metavar="ZONE=PACE",
        help="your race pace for a zone a .zwo file uses: mile, 5k, 10k, half, marathon; "
        "e.g. --pace 5k=4:30/km --pace marathon=8:00/mi (repeat for several); default: "
        "the paces stored in the profile (treadctl profiles set-paces)",
    )
    command.add_argument(
        "--save-paces",
        action="store_true",
        help="also store the --pace values in the profile (with the program, not in a dry run)",
    )
    command.add_argument(
        "--free-speed",
        metavar="SPEED",
        help='the speed of steps with no target (a free run): "8 km/h", "5 mph", "7:30 /km"',
    )
    command.add_argument(
        "--open-duration",
        metavar="DURATION",
        help='the length of FIT steps that end at the lap key: "5 min", "90 s"',
    )
    command.add_argument("--name", help="the program's name (default: the workout's own)")
    command.add_argument(
        "--force", action="store_true", help="replace your program of the same file name"
    )
    command.add_argument("--dry-run", action="store_true", help="show the preview and save nothing")
    command.add_argument(
        "--unit",
        choices=("km/h", "mph"),
        help="show speeds in this unit (default: the app's setting, else km/h)",
    )
    command.add_argument(
        "--profile",
        help="use this profile's paces and show the program fitted to its limits (default: "
        "the current profile)",
    )
    command.add_argument(
        "--data-dir", type=Path, default=None, help="the data folder (programs, history)"
    )
    command.set_defaults(handler=run)


def _paces(items: list[str]) -> RunPaces:
    from treadctl.program import RunPaces

    try:
        return RunPaces.parse(items)
    except ValueError as error:
        raise UsageError(f"--pace {error}") from None


def _choices(args: argparse.Namespace) -> OpenStepChoices:
    from treadctl.program import OpenStepChoices, parse_duration, parse_speed

    return OpenStepChoices(
        speed_kmh=_option(args.free_speed, "--free-speed", parse_speed),
        duration_s=_option(args.open_duration, "--open-duration", parse_duration),
    )


def _option(text: str | None, option: str, parse: Callable[[str], float]) -> float | None:
    if text is None:
        return None
    try:
        return parse(text)
    except ValueError as error:
        # The units module's errors say what they expected; a plain ValueError, its text.
        expected = getattr(error, "expected", str(error))
        raise UsageError(f"{option}: expected {expected}, found {text!r}") from None


def _profile(args: argparse.Namespace, folder: DataFolder) -> Profile | None:
    """``--profile``'s, else the current one, else None; the database is not made for this
    when there is none yet. ProfileError (no such profile) or StoreError."""
    from treadctl.profiles import Profiles
    from treadctl.store import Store

    if args.profile is None and not folder.history.exists():
        return None
    with Store.of(folder) as store:
        profiles = Profiles(store)
        return profiles.get(args.profile) if args.profile else profiles.current()


def _whose_limits(args: argparse.Namespace, folder: DataFolder, profile: Profile | None) -> str:
    if profile is not None:
        return f"limits: {profile.name}'s\n"
    if args.profile is None and not folder.history.exists():
        return "limits: the defaults (no profiles yet)\n"
    return "limits: the defaults (no profile chosen: --profile P)\n"


def _save_paces(folder: DataFolder, profile: Profile, given: RunPaces) -> Profile:
    """The ``--pace`` values stored in ``profile`` over its others (read again: the profile may
    have changed since it was read)."""
    from treadctl.profiles import Profiles
    from treadctl.store import Store

    with Store.of(folder) as store:
        profiles = Profiles(store)
        current = profiles.get(profile.name)
        return profiles.set_paces(current.name, current.paces.merged(given))


def _measure(segment: Segment) -> str:
    from treadctl.program import format_distance, format_duration

    if segment.distance_m is not None:
        return format_distance(segment.distance_m)
    assert segment.duration_s is not None
    return format_duration(segment.duration_s)


def render_preview(result: ImportResult, unit: str, out: TextIO) -> None:
    """Every source step, its source value, and each segment it became, speeds in ``unit``."""
    from treadctl.program import display_speed

    program = result.program
    if program is not None:
        total = program.estimated_duration_s()
        out.write(
            f"{result.name!r} from {result.source}: {len(program.segments())} segments, "
            f"about {clock_text(total)}\n"
        )
    else:
        out.write(f"{result.name!r} from {result.source}: not convertible as it is\n")
    for row in result.rows:
        out.write(f"  {row.source_path}  {row.source_value}\n")
        for converted in row.converted:
            seg = converted.segment
            target = "rest (the belt stops)" if seg.rest else display_speed(seg.speed_kmh, unit)
            out.write(
                f"      {seg.label}  {_measure(seg)}  {converted.source_value}  →  {target}\n"
            )
        if row.refusal is not None:
            error = row.refusal.error
            out.write(f"      refused: {error.field or 'step'}: expected {error.expected}\n")
    for note in result.notes:
        out.write(f"  note: {note}\n")


def _zones(zones: Iterable[PaceZone]) -> str:
    """``"1 mile pace, 5 km pace"``, in the zones' order."""
    return ", ".join(z.describe for z in sorted(zones, key=lambda z: z.zwo_index))


def _hints(result: ImportResult, profile: Profile | None) -> list[str]:
    keep = ""
    if profile is not None and not profile.builtin:
        keep = f" (add --save-paces to keep it in {profile.name}'s profile)"
    hints = [
        f"give your {zone.describe} with --pace {zone.key}=M:SS/km (or /mi){keep}"
        for zone in sorted(result.needed_zones, key=lambda z: z.zwo_index)
    ]
    if result.needs_speed:
        hints.append('give a speed for the steps with no target with --free-speed "8 km/h"')
    if result.needs_duration:
        hints.append('give a length for the open steps with --open-duration "5 min"')
    return hints


def _say(text: str) -> None:
    print(f"treadctl: import: {text}", file=sys.stderr)


def run(args: argparse.Namespace, out: TextIO) -> int:
    from dataclasses import replace

    from treadctl.limits import DEFAULT_LIMITS
    from treadctl.profiles import ProfileError
    from treadctl.program import (
        ProgramError,
        ProgramExistsError,
        ProgramLibrary,
        display_speed,
        format_pace,
        load_workout,
    )
    from treadctl.store import StoreError

    given = _paces(args.pace)
    choices = _choices(args)
    if args.save_paces and not given.given:
        raise UsageError("--save-paces: give the paces to save with --pace ZONE=PACE")
    folder = DataFolder.at(args.data_dir)
    unit = speed_unit(folder.settings, args.unit)
    try:
        profile = _profile(args, folder)
    except (ProfileError, StoreError) as error:
        _say(str(error))
        return EXIT_FAILED
    if args.save_paces and (profile is None or profile.builtin):
        _say(
            "--save-paces: choose a person's profile to keep the paces in (--profile P); "
            f"{'Guest keeps none' if profile is not None else 'none is chosen'}"
        )
        return EXIT_FAILED
    paces = given
    if profile is not None:
        paces = profile.paces.merged(given)
        if from_profile := profile.paces.given - given.given:
            per = "mi" if unit == "mph" else "km"
            stored = ", ".join(
                f"{zone.describe} {format_pace(value, per)}"
                for zone in sorted(from_profile, key=lambda z: z.zwo_index)
                if (value := profile.paces.get(zone)) is not None
            )
            out.write(f"paces: from {profile.name}'s profile: {stored}\n")
    try:
        result = load_workout(args.file, paces=paces, choices=choices)
    except ProgramError as error:
        _say(str(error))
        return EXIT_FAILED
    render_preview(result, unit, out)
    if result.program is None:
        for refusal in result.refusals:
            _say(str(refusal))
        for hint in _hints(result, profile):
            _say(hint)
        _say("nothing was saved")
        return EXIT_FAILED
    program = result.program
    if args.name is not None:
        if not args.name.strip() or len(args.name) > 200:
            raise UsageError("--name: expected a name of 1 to 200 characters")
        program = replace(program, name=args.name.strip())
    out.write(_whose_limits(args, folder, profile))
    limits = profile.limits if profile is not None else DEFAULT_LIMITS
    from treadctl.program import clamp

    _, notices = clamp(program, limits)
    for notice in notices:
        if notice.field == "speed":
            out.write(
                f"  limits: {notice.path}: {display_speed(notice.requested, unit)} runs as "
                f"{display_speed(notice.allowed, unit)} ({notice.reason.split(' max')[0]} "
                "maximum)\n"
            )
        else:
            out.write(f"  limits: {notice}\n")
    if args.dry_run:
        out.write("dry run: nothing saved\n")
        return EXIT_OK
    library = ProgramLibrary(folder.programs)
    try:
        path = library.save(program, replace=args.force)
    except ProgramExistsError as error:
        _say(
            f"{error.path} is already one of your programs; use --force to replace it, or "
            "--name to save this one under another name"
        )
        return EXIT_FAILED
    except OSError as error:
        _say(f"cannot write {library.folder} ({error.strerror or error}); nothing was saved")
        return EXIT_FAILED
    out.write(f"saved as {path}\n")
    if args.save_paces and profile is not None:
        try:
            _save_paces(folder, profile, given)
        except (ProfileError, StoreError) as error:
            _say(f"the paces were not saved to {profile.name}'s profile: {error}")
            return EXIT_FAILED
        out.write(f"saved to {profile.name}'s profile: {_zones(given.given)}\n")
    return EXIT_OK
