"""``treadctl history [--profile P | --all | --guest] [--rebuild] [--log-dir D] [--data-dir D]``.

The sessions of a profile (default: the current one, the app's too; none chosen: every
session), its backward minutes per week and its next backward step. ``--guest`` (and Guest as
the current profile) lists the sessions of nobody in particular: Guest's and those recorded
under no profile, as the app's History page shows them; ``--all`` lists everybody's. A session
row the database cannot give back (a hand-edited database) is skipped with a line on stderr,
the rest listed, and the exit status is then 1. ``--rebuild`` makes the history again
from the session logs; otherwise logs it does not have yet (a run killed before its end, say)
are imported first.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from treadctl.cli.errors import EXIT_FAILED, EXIT_OK
from treadctl.cli.store_command import store_command

if TYPE_CHECKING:
    from treadctl.store import Store, StoredSession, WeekTotal
    from treadctl.upload import UploadState

__all__ = ["add_parser", "render_sessions"]


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _cut(text: str | None, width: int) -> str:
    text = text or "-"
    return text if len(text) <= width else text[: width - 1] + "…"


def _uploads(states: list[UploadState]) -> str:
    """A session's uploads in a few words: ``Strava ok, intervals.icu queued``."""
    from treadctl.upload import Service, State

    words = {
        State.DONE: "ok",
        State.DUPLICATE: "ok",
        State.PENDING: "queued",
        State.UPLOADING: "sending",
        State.FAILED: "failed",
    }
    order = list(Service)
    ordered = sorted(states, key=lambda s: order.index(s.service))
    return ", ".join(f"{s.service.label} {words[s.state]}" for s in ordered)


def render_sessions(
    sessions: list[StoredSession],
    out: TextIO,
    *,
    with_profile: bool,
    uploads: dict[str, list[UploadState]] | None = None,
) -> None:
    """The sessions as an aligned text table, oldest first; each one's uploads after its id
    (``treadctl upload --list`` says more of each)."""
    who = f"{'profile':<14} " if with_profile else ""
    uploads = uploads if uploads and any(uploads.values()) else None
    out.write(
        f"{'started (UTC)':<16}  {who}{'program':<24}  {'outcome':<22} {'time':>8} {'km':>6} "
        f"{'fwd min':>7} {'bwd min':>7} {'kcal':>5} {'max f/b km/h':>12} {'HR':>4}  id"
        f"{'  uploads' if uploads else ''}\n"
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
            f"{hr:>4}  {s.id}"
        )
        shared = _uploads(uploads.get(s.id, [])) if uploads else ""
        out.write(f"  {shared}\n" if shared else "\n")


@store_command
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
    from treadctl.profiles import Profiles
    from treadctl.store import weekly_totals_of

    profiles = Profiles(store)
    problems: list[str] = []
    profile = None
    if args.profile:
        profile = profiles.get(args.profile)
    elif not (args.all or args.guest):
        profile = profiles.current()  # the app's current person too
    if args.all or (profile is None and not args.guest):
        sessions = store.sessions(problems=problems)
        why = "" if args.all else "; no profile selected"
        out.write(f"All sessions ({len(sessions)}){why}\n")
        render_sessions(sessions, out, with_profile=True, uploads=_states(store, sessions))
    elif profile is None or profile.builtin:
        # Guest and nobody are one group: sessions of nobody in particular, as in the app.
        sessions = store.guest_sessions(problems)
        out.write(f"Sessions of Guest or no profile ({len(sessions)})\n")
        render_sessions(sessions, out, with_profile=True, uploads=_states(store, sessions))
        _weeks(weekly_totals_of(sessions), out)
        if any(not s.saved for s in sessions):
            out.write(
                "Guest sessions are not kept unless saved: "
                "treadctl profiles save-guest SESSION_ID NAME\n"
            )
    else:
        sessions = store.sessions(profile.name, problems=problems)
        out.write(f"Sessions of {profile.name} ({len(sessions)})\n")
        render_sessions(sessions, out, with_profile=False, uploads=_states(store, sessions))
        _weeks(weekly_totals_of(sessions), out)
        out.write(f"\n{profiles.next_backward_minutes(profile).describe()}\n")
    for problem in problems:
        print(f"treadctl: {problem}", file=sys.stderr)
    # Not 0 when something could not be shown: a script reading the table must know.
    return EXIT_FAILED if report.errors or problems else EXIT_OK


def _states(store: Store, sessions: list[StoredSession]) -> dict[str, list[UploadState]]:
    from treadctl.clock import SystemWallClock
    from treadctl.upload import UploadQueue

    return UploadQueue(store, SystemWallClock()).states(s.id for s in sessions)


def _weeks(weeks: list[WeekTotal], out: TextIO) -> None:
    if weeks:
        out.write("\nBackward minutes per week (weeks start on Monday, UTC):\n")
        for week in weeks:
            bar = "#" * min(60, round(week.backward_minutes))
            out.write(
                f"  {week.week_start:%Y-%m-%d}  {week.sessions:>2} session(s)  "
                f"{week.backward_minutes:>6.1f} min  {bar}\n"
            )


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``treadctl history`` on ``subparsers`` (see the module doc)."""
    history = subparsers.add_parser(
        "history", help="the sessions of a profile, with totals and the next backward step"
    )
    whose = history.add_mutually_exclusive_group()
    whose.add_argument("--profile", help="whose sessions (default: the current profile)")
    whose.add_argument("--all", action="store_true", help="every session, of everybody")
    whose.add_argument(
        "--guest",
        action="store_true",
        help="the sessions of Guest and those recorded under no profile",
    )
    history.add_argument(
        "--rebuild", action="store_true", help="rebuild the history from the session logs"
    )
    history.add_argument("--log-dir", type=Path, help="where the session logs are")
    history.add_argument(
        "--data-dir", type=Path, default=None, help="where the history database lives"
    )
    history.set_defaults(handler=cmd_history)
