"""Backward progression: backward minutes grow with clean history, up to the admin's cap;
a heart-rate or watchdog stop, or an interrupted session, holds them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.treadctl.profiles.support import PIN, Now
from tests.treadctl.test_store import START, write_log
from treadctl.limits import DEFAULT_LIMITS
from treadctl.profiles import PROGRESSION_INTERVAL, Profile, Profiles, Progression, next_progression
from treadctl.session import SessionSummary as Summary
from treadctl.store import Store, StoredSession


def run_sessions(store: Store, log_dir: Path, start: datetime, count: int, **kwargs: Any) -> None:
    for i in range(count):
        started = start + timedelta(days=i)
        write_log(log_dir, f"p{started:%Y%m%d%H%M}", started=started, **kwargs)
    assert store.sync(log_dir).ok


def test_backward_minutes_grow_with_clean_sessions_up_to_the_cap(
    profiles: Profiles, store: Store, log_dir: Path, now: Now
) -> None:
    profiles.create("Ana")
    assert "at the cap of 10" in profiles.next_backward_minutes("Ana").reason
    profiles.set_progression_cap("Ana", 13, pin=PIN)

    progression = profiles.next_backward_minutes("Ana")
    assert not progression.due
    assert progression.reason == "after 3 more completed backward session(s)"
    assert progression.describe() == (
        "Next backward step: 10 min → 11.5 min, after 3 more completed backward session(s)."
    )
    run_sessions(store, log_dir, START, 3)
    now.value = START + timedelta(days=3)  # three sessions, but the profile is 4 days old
    progression = profiles.next_backward_minutes("Ana")
    assert not progression.due and progression.due_after == START + timedelta(days=6)
    assert progression.reason == "not before 2025-03-09"

    now.value = START + timedelta(days=6)
    progression = profiles.next_backward_minutes("Ana")
    assert (progression.due, progression.current, progression.next) == (True, 10, 11.5)
    assert progression.describe() == "Backward minutes: 10 min → 11.5 min at the next session."
    assert profiles.limits_for("Ana").backward_minutes_per_session == 11.5
    assert profiles.limits_for("Ana").backward_minutes_per_session == 11.5  # once, not twice

    # The next step needs three new sessions and another week, and stops at the cap.
    run_sessions(store, log_dir, START + timedelta(days=7), 3)
    now.value += PROGRESSION_INTERVAL
    progression = profiles.apply_progression("Ana")
    assert (progression.due, progression.next) == (True, 13)
    assert profiles.get("Ana").limits.backward_minutes_per_session == 13
    run_sessions(store, log_dir, START + timedelta(days=14), 3)
    now.value += PROGRESSION_INTERVAL
    progression = profiles.next_backward_minutes("Ana")
    assert not progression.due and "at the cap of 13" in progression.reason


@pytest.mark.parametrize(
    ("last", "why"),
    [
        ({"notices": ["heart_rate_high"]}, "had a heart-rate stop"),
        ({"notices": ["watchdog"]}, "had a watchdog stop"),
        ({"reason": "aborted", "stop_reason": "watchdog"}, "ended aborted (watchdog)"),
        ({"reason": "stopped", "stop_reason": "app_stop"}, "ended stopped (app_stop)"),
    ],
)
def test_a_heart_rate_or_watchdog_stop_holds_progression(
    profiles: Profiles, store: Store, log_dir: Path, now: Now, last: dict[str, Any], why: str
) -> None:
    profiles.create("Ana")
    profiles.set_progression_cap("Ana", 20, pin=PIN)
    run_sessions(store, log_dir, START, 2)
    run_sessions(store, log_dir, START + timedelta(days=2), 1, **last)
    now.value = START + timedelta(days=30)
    progression = profiles.next_backward_minutes("Ana")
    assert not progression.due
    assert progression.reason == f"held: the session of 2025-03-05 {why}"
    assert profiles.limits_for("Ana").backward_minutes_per_session == 10


def test_an_interrupted_session_holds_progression_and_forward_ones_do_not_count(
    profiles: Profiles, store: Store, log_dir: Path, now: Now
) -> None:
    profiles.create("Ana")
    profiles.set_progression_cap("Ana", 20, pin=PIN)
    run_sessions(store, log_dir, START, 3)
    path = write_log(log_dir, "crashed", started=START + timedelta(days=3))
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]))
    store.sync(log_dir)
    now.value = START + timedelta(days=30)
    assert "was interrupted" in profiles.next_backward_minutes("Ana").reason
    run_sessions(store, log_dir, START + timedelta(days=4), 3)
    run_sessions(store, log_dir, START + timedelta(days=9), 2, backward_s=0, notices=["watchdog"])
    assert profiles.next_backward_minutes("Ana").due


def test_guests_do_not_progress(profiles: Profiles) -> None:
    assert profiles.next_backward_minutes("Guest").reason == "guests do not progress"


def _profile(**changes: Any) -> Profile:
    ana = Profile(1, "Ana", DEFAULT_LIMITS, 20.0, None, START - timedelta(days=30), False)
    return replace(ana, **changes)


def _session(day: int, **changes: Any) -> StoredSession:
    session = StoredSession(
        id=f"s{day}",
        profile="Ana",
        log_path=Path(f"s{day}.jsonl"),
        started_at=START + timedelta(days=day),
        program=None,
        end_reason="completed",
        stop_reason=None,
        interrupted=False,
        notices=(),
        summary=Summary(backward_minutes=4.0),
    )
    return replace(session, **changes)


def test_the_next_step_is_computed_from_the_profile_its_sessions_and_now() -> None:
    now = START + timedelta(days=10)
    clean = [_session(day) for day in range(3)]
    assert next_progression(_profile(), clean, now) == Progression(10, 11.5, 20, True, None, "due")
    assert next_progression(_profile(), clean[:2], now).reason == (
        "after 1 more completed backward session(s)"
    )
    forward = _session(3, summary=Summary(forward_minutes=20.0))
    assert next_progression(_profile(), [*clean, forward], now).due
    stopped = _session(3, notices=("heart_rate_high",))
    assert next_progression(_profile(), [*clean, stopped], now).reason == (
        "held: the session of 2025-03-06 had a heart-rate stop"
    )
    stepped = _profile(progressed_at=START + timedelta(days=1))
    assert next_progression(stepped, clean, now).reason == (
        "after 2 more completed backward session(s)"
    )
    guest = _profile(name="Guest", builtin=True)
    assert next_progression(guest, clean, now).reason == "guests do not progress"


def test_progression_in_words() -> None:
    def words(current: float, nxt: float, due: bool, reason: str) -> str:
        return Progression(current, nxt, 20, due, None, reason).describe()

    assert words(10, 11.5, True, "due") == (
        "Backward minutes: 10 min → 11.5 min at the next session."
    )
    assert words(10, 11.5, False, "not before 2025-03-09") == (
        "Next backward step: 10 min → 11.5 min, not before 2025-03-09."
    )
    assert words(20, 20, False, "at the cap of 20; an admin can raise it") == (
        "Backward minutes stay at 20 min: at the cap of 20; an admin can raise it."
    )
