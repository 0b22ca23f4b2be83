"""Backward progression: a profile's backward minutes per session grow with clean history.

Shape::

    next_progression(profile, sessions, now) -> Progression      pure: no store, no clock
    Progression(current, next, cap, due, due_after, reason)
     └── describe() -> "Next backward step: 10 min → 11.5 min, after 3 more completed
                        backward session(s)."          the one wording, app and command line

The rule, and why: the backward-minutes limit grows by :data:`PROGRESSION_RATE` (15 %, at
least :data:`PROGRESSION_MIN_STEP_MIN`), at most once per :data:`PROGRESSION_INTERVAL` (7 days,
counted from the last step or from the profile's creation), when the profile's last
:data:`PROGRESSION_SESSIONS` (3) sessions with backward minutes since the last step all
completed without a heart-rate or watchdog stop (end reason ``completed``, no
``heart_rate_high``/``watchdog`` notice, stop reason not ``watchdog``), and never beyond the
profile's admin-set cap (without one, the default, so nothing grows past the defaults unless
an admin allowed it). Forward-only sessions neither help nor hold it. Guests do not progress.

:class:`~treadctl.profiles.registry.Profiles` reads the profile and its sessions from the store,
asks :func:`next_progression`, and stores a step that is due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from treadctl.profiles.profile import Profile
from treadctl.store import StoredSession

__all__ = [
    "PROGRESSION_INTERVAL",
    "PROGRESSION_MIN_STEP_MIN",
    "PROGRESSION_RATE",
    "PROGRESSION_SESSIONS",
    "Progression",
    "next_progression",
]

PROGRESSION_RATE = 0.15
PROGRESSION_MIN_STEP_MIN = 0.5  # so a short limit still grows
PROGRESSION_INTERVAL = timedelta(days=7)
PROGRESSION_SESSIONS = 3
_STOP_NOTICES = frozenset({"heart_rate_high", "watchdog"})


@dataclass(frozen=True, slots=True)
class Progression:
    """The next backward-minutes step of a profile, and why it is (not) due."""

    current: float
    next: float  # == current when there is no step to take
    cap: float
    due: bool
    due_after: datetime | None  # when waiting only for the 7 days to pass
    reason: str

    def describe(self) -> str:
        """The next step in a sentence, as the app's pages and ``treadctl history`` show it."""
        now = f"{self.current:g} min"
        if self.due:
            return f"Backward minutes: {now} → {self.next:g} min at the next session."
        if self.next > self.current:
            return f"Next backward step: {now} → {self.next:g} min, {self.reason}."
        return f"Backward minutes stay at {now}: {self.reason}."


def _not_clean(session: StoredSession) -> str | None:
    """Why a session does not count towards a step, or None when it does."""
    if session.interrupted:
        return "was interrupted"
    if session.end_reason != "completed":
        return f"ended {session.outcome}"
    if session.stop_reason == "watchdog" or "watchdog" in session.notices:
        return "had a watchdog stop"
    if _STOP_NOTICES & set(session.notices):
        return "had a heart-rate stop"
    return None


def next_progression(
    profile: Profile, sessions: Sequence[StoredSession], now: datetime
) -> Progression:
    """The profile's next backward-minutes step and whether it is due at ``now``.

    ``sessions`` are the profile's sessions, oldest first (as ``Store.sessions`` lists them);
    only those with backward minutes since the last step count.
    """
    current = profile.limits.backward_minutes_per_session
    cap = profile.progression_cap
    step = max(round(current * (1 + PROGRESSION_RATE), 1), current + PROGRESSION_MIN_STEP_MIN)
    target = round(min(cap, step), 2)

    def hold(reason: str, due_after: datetime | None = None) -> Progression:
        return Progression(current, max(current, target), cap, False, due_after, reason)

    if profile.builtin:
        return Progression(current, current, cap, False, None, "guests do not progress")
    if current >= cap:
        return Progression(
            current, current, cap, False, None, f"at the cap of {cap:g}; an admin can raise it"
        )
    recent = [
        s
        for s in sessions
        if s.summary.backward_minutes > 0
        and (profile.progressed_at is None or s.started_at > profile.progressed_at)
    ][-PROGRESSION_SESSIONS:]
    for session in reversed(recent):
        problem = _not_clean(session)
        if problem:
            return hold(f"held: the session of {session.started_at:%Y-%m-%d} {problem}")
    if len(recent) < PROGRESSION_SESSIONS:
        more = PROGRESSION_SESSIONS - len(recent)
        return hold(f"after {more} more completed backward session(s)")
    due_after = (profile.progressed_at or profile.created_at) + PROGRESSION_INTERVAL
    if now < due_after:
        return hold(f"not before {due_after:%Y-%m-%d}", due_after)
    return Progression(current, target, cap, True, None, "due")
