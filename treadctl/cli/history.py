"""``treadctl history [--profile P] [--rebuild] [--log-dir DIR] [--data-dir DIR]``.

The sessions of a profile (default: the current one; none chosen: every session), its
backward minutes per week and its next backward step. ``--rebuild`` makes the history again
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
    from treadctl.store import Store, StoredSession

__all__ = ["add_parser", "render_sessions"]


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

    profiles = Profiles(store)
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


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
