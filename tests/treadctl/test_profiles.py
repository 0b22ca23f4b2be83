"""Tests for treadctl.profiles and the `profiles`/`history` commands (treadctl.history_cli).

A shared laptop: profiles never see each other's limits or history, a newcomer starts at the
defaults, raising a limit above its default needs the admin PIN (stored only as a scrypt hash),
lowering never does; Guest sessions are kept only when saved; deleting a profile deletes its
history for good; backward minutes grow with clean history, up to the admin's cap. Sessions
come from real session logs (``write_log`` from test_store).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import fields, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.treadctl.test_store import START, write_log
from treadctl import history_cli
from treadctl.limits import DEFAULT_LIMITS, Limits
from treadctl.profiles import (
    MORE_PERMISSIVE,
    PIN_MAX_DELAY_S,
    PROGRESSION_INTERVAL,
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    PinError,
    PinNotSet,
    PinRequired,
    PinThrottled,
    PinTooShort,
    ProfileError,
    Profiles,
    WrongPin,
    describe_wait,
    limits_for,
    pin_delay_s,
)
from treadctl.store import DB_FILENAME, Store

PIN = "482913"


class Now:
    """An adjustable "now" for the profile rules (profile creation, progression dates)."""

    def __init__(self, start: datetime) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value


class Ticks:
    """An adjustable monotonic clock (seconds) for the wrong-PIN waits."""

    def __init__(self, start: float = 1000.0) -> None:
        self.value = start

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def now() -> Now:
    return Now(START - timedelta(days=1))


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path / "sessions"


@pytest.fixture
def store(data_dir: Path) -> Any:
    with Store(data_dir) as store:
        yield store


@pytest.fixture
def profiles(store: Store, now: Now, ticks: Ticks) -> Profiles:
    return Profiles(store, now=now, monotonic=ticks)


# --- isolation ----------------------------------------------------------------------------


def test_a_newcomer_starts_at_the_defaults(profiles: Profiles) -> None:
    ana = profiles.create("Ana")
    assert ana.limits == DEFAULT_LIMITS
    assert ana.max_heart_rate_bpm is None
    assert ana.backward_minutes_cap is None
    assert [p.name for p in profiles.list_all()] == ["Guest", "Ana"]


def test_profiles_never_share_limits_or_history(
    profiles: Profiles, store: Store, log_dir: Path
) -> None:
    profiles.create("Ana")
    profiles.set_pin(PIN)
    profiles.set_limit("Ana", "backward_max_speed_kmh", 7.5, pin=PIN)
    profiles.set_limit("Ana", "backward_minutes_per_session", 6)
    profiles.set_max_heart_rate("Ana", 172)
    for i in range(3):
        write_log(log_dir, f"ana{i}", profile="Ana", started=START + timedelta(days=i))
    store.sync(log_dir)

    ben = profiles.create("Ben")  # a newcomer after Ana has history and raised limits
    assert ben.limits == DEFAULT_LIMITS
    assert store.sessions("Ben") == []
    write_log(log_dir, "ben0", profile="Ben", started=START + timedelta(days=5))
    store.rebuild(log_dir)
    assert [s.id for s in store.sessions("Ben")] == ["ben0"]
    assert [s.id for s in store.sessions("Ana")] == ["ana0", "ana1", "ana2"]
    ana = profiles.get("Ana")
    assert (ana.limits.backward_max_speed_kmh, ana.limits.backward_minutes_per_session) == (7.5, 6)
    assert ana.max_heart_rate_bpm == 172
    assert profiles.get("Ben").limits == DEFAULT_LIMITS
    assert profiles.limits_for("Ben") == DEFAULT_LIMITS
    assert profiles.limits_for("Ana") == ana.limits


def test_names_are_unique_and_case_insensitive(profiles: Profiles) -> None:
    profiles.create("Ana")
    with pytest.raises(ProfileError, match="a profile called 'Ana' already exists"):
        profiles.create("  ana ")
    with pytest.raises(ProfileError, match="already exists"):
        profiles.create("guest")
    with pytest.raises(ProfileError, match="cannot be empty"):
        profiles.create("   ")
    assert profiles.get("ANA").name == "Ana"
    with pytest.raises(ProfileError, match=r"no profile 'Zoe' \(see `treadctl profiles list`\)"):
        profiles.get("Zoe")


def test_a_log_naming_an_unknown_profile_creates_it_at_the_defaults(
    profiles: Profiles, store: Store, log_dir: Path
) -> None:
    # The log's header carries the limits it ran with; they must not come back without a PIN.
    path = write_log(log_dir, "s1", profile="Newcomer")
    raw = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert raw["limits"] == DEFAULT_LIMITS.to_dict()
    store.import_log(path)
    assert profiles.get("Newcomer").limits == DEFAULT_LIMITS


# --- limits and the PIN -------------------------------------------------------------------


def nudged(field: str, permissive: bool) -> float:
    """The default of ``field`` moved a little, more permissive or stricter."""
    default: float = getattr(DEFAULT_LIMITS, field)
    sign = MORE_PERMISSIVE[field] if permissive else -MORE_PERMISSIVE[field]
    return default + sign * 0.1 * max(1.0, abs(default))


def test_every_limit_has_a_permissive_direction() -> None:
    assert set(MORE_PERMISSIVE) == {f.name for f in fields(Limits)} - {"max_heart_rate_bpm"}
    assert MORE_PERMISSIVE["min_incline_pct"] == -1
    assert MORE_PERMISSIVE["turnaround_hold_s"] == -1


@pytest.mark.parametrize("field", sorted(MORE_PERMISSIVE))
def test_raising_a_limit_above_its_default_needs_the_pin(profiles: Profiles, field: str) -> None:
    profiles.create("Ana")
    profiles.set_pin(PIN)
    value = nudged(field, permissive=True)
    with pytest.raises(PinRequired) as refused:
        profiles.set_limit("Ana", field, value)
    assert str(refused.value) == (
        f"raising {field} {value:g} (default {getattr(DEFAULT_LIMITS, field):g}) for 'Ana' "
        "needs the admin PIN (--pin)"
    )
    with pytest.raises(PinError, match="wrong admin PIN"):
        profiles.set_limit("Ana", field, value, pin="000000")
    assert profiles.get("Ana").limits == DEFAULT_LIMITS
    assert getattr(profiles.set_limit("Ana", field, value, pin=PIN).limits, field) == value


@pytest.mark.parametrize("field", sorted(MORE_PERMISSIVE))
def test_lowering_a_limit_never_needs_the_pin(profiles: Profiles, field: str) -> None:
    profiles.create("Ana")
    profiles.set_pin(PIN)
    value = nudged(field, permissive=False)
    assert getattr(profiles.set_limit("Ana", field, value).limits, field) == value


def test_lowering_a_raised_limit_and_raising_up_to_the_default_need_no_pin(
    profiles: Profiles,
) -> None:
    profiles.create("Ana")
    profiles.set_limit("Ana", "forward_max_speed_kmh", 14, pin=PIN)  # sets the PIN: first use
    assert profiles.has_pin()
    assert profiles.set_limit("Ana", "forward_max_speed_kmh", 13).limits.forward_max_speed_kmh == 13
    profiles.set_limit("Ana", "backward_max_speed_kmh", 4)
    assert profiles.set_limit("Ana", "backward_max_speed_kmh", 6).limits.backward_max_speed_kmh == 6
    with pytest.raises(PinRequired):
        profiles.set_limit("Ana", "backward_max_speed_kmh", 6.5)


def test_the_first_raise_without_any_pin_explains_how_to_set_one(profiles: Profiles) -> None:
    profiles.create("Ana")
    with pytest.raises(PinRequired, match="none is set yet: give one"):
        profiles.set_limit("Ana", "watchdog_s", 5)
    assert not profiles.has_pin()


def test_invalid_limits_and_fields_are_refused_clearly(profiles: Profiles) -> None:
    profiles.create("Ana")
    with pytest.raises(ProfileError, match="unknown limit 'speed'"):
        profiles.set_limit("Ana", "speed", 3)
    with pytest.raises(ProfileError, match="set-max-hr"):
        profiles.set_limit("Ana", "max_heart_rate_bpm", 150)
    with pytest.raises(ProfileError, match="turnaround_speed_kmh must be at least start_speed"):
        profiles.set_limit("Ana", "turnaround_speed_kmh", 0.5)
    with pytest.raises(ProfileError, match="not plausible"):
        profiles.set_max_heart_rate("Ana", 400)
    assert profiles.set_max_heart_rate("Ana", None).max_heart_rate_bpm is None


def test_pin_set_verify_and_change(profiles: Profiles) -> None:
    assert not profiles.has_pin()
    with pytest.raises(PinError, match="at least 4"):
        profiles.set_pin("12")
    profiles.set_pin(PIN)
    profiles.verify_pin(PIN)
    with pytest.raises(PinError, match=r"^wrong admin PIN$"):
        profiles.verify_pin("999999")
    with pytest.raises(PinRequired, match="needs the old one"):
        profiles.set_pin("1111")
    with pytest.raises(PinError, match="wrong old admin PIN: the PIN was not changed"):
        profiles.set_pin("1111", old="999999")
    profiles.verify_pin(PIN)
    profiles.set_pin("1111", old=PIN)
    profiles.verify_pin("1111")
    with pytest.raises(PinError):
        profiles.verify_pin(PIN)


def test_the_pin_is_stored_only_as_a_salted_scrypt_hash(
    profiles: Profiles, store: Store, data_dir: Path
) -> None:
    profiles.set_pin(PIN)
    stored = json.loads(store.execute("SELECT value FROM settings WHERE key = 'admin_pin'")[0][0])
    assert set(stored) == {"scheme", "n", "r", "p", "dklen", "salt", "hash"}
    assert (stored["scheme"], stored["n"], stored["r"], stored["p"]) == (
        "scrypt",
        SCRYPT_N,
        SCRYPT_R,
        SCRYPT_P,
    )
    expected = hashlib.scrypt(
        PIN.encode(),
        salt=bytes.fromhex(stored["salt"]),
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        dklen=stored["dklen"],
        maxmem=64 * 1024 * 1024,
    )
    assert stored["hash"] == expected.hex()
    # Nowhere on disk in clear: the database, its WAL and shared memory.
    for path in data_dir.iterdir():
        content = path.read_bytes()
        assert PIN.encode() not in content
        assert PIN.encode("utf-16-le") not in content
    # A random salt: the same PIN set again hashes differently.
    profiles.set_pin(PIN, old=PIN)
    again = json.loads(store.execute("SELECT value FROM settings WHERE key = 'admin_pin'")[0][0])
    assert again["salt"] != stored["salt"] and again["hash"] != stored["hash"]


def test_the_progression_cap_above_the_default_needs_the_pin(profiles: Profiles) -> None:
    profiles.create("Ana")
    profiles.set_pin(PIN)
    with pytest.raises(PinRequired, match="backward-minutes cap of 20"):
        profiles.set_progression_cap("Ana", 20)
    assert profiles.set_progression_cap("Ana", 20, pin=PIN).progression_cap == 20
    assert profiles.set_progression_cap("Ana", 15).progression_cap == 15  # lowering
    assert profiles.set_progression_cap("Ana", 8).progression_cap == 8
    assert profiles.set_progression_cap("Ana", None).progression_cap == 10  # back to default


def test_limits_and_cap_together_need_one_pin_and_are_all_or_nothing(profiles: Profiles) -> None:
    profiles.create("Ana")
    profiles.set_pin(PIN)
    faster = replace(DEFAULT_LIMITS, backward_max_speed_kmh=7.0)
    with pytest.raises(PinRequired) as refused:
        profiles.set_limits_and_cap("Ana", faster, 20)
    assert str(refused.value) == (
        "raising backward_max_speed_kmh 7 (default 6) and a backward-minutes cap of 20 for "
        "'Ana' needs the admin PIN (--pin)"
    )
    # A lowered limit beside a raised cap: refused as a whole, so the lowering is not kept.
    gentler = replace(DEFAULT_LIMITS, forward_max_speed_kmh=9.0)
    with pytest.raises(WrongPin):
        profiles.set_limits_and_cap("Ana", gentler, 20, pin="000000")
    ana = profiles.get("Ana")
    assert (ana.limits, ana.backward_minutes_cap) == (DEFAULT_LIMITS, None)

    ana = profiles.set_limits_and_cap("Ana", faster, 20, pin=PIN)
    assert (ana.limits.backward_max_speed_kmh, ana.progression_cap) == (7.0, 20)
    # Lowering either needs no PIN; None is the default cap again.
    ana = profiles.set_limits_and_cap("Ana", DEFAULT_LIMITS, 12)
    assert (ana.limits, ana.progression_cap) == (DEFAULT_LIMITS, 12)
    assert profiles.set_limits_and_cap("Ana", DEFAULT_LIMITS, None).backward_minutes_cap is None
    with pytest.raises(ProfileError, match="a progression cap must be 0 minutes or more"):
        profiles.set_limits_and_cap("Ana", DEFAULT_LIMITS, -1)


# --- wrong PINs ---------------------------------------------------------------------------


def test_pin_errors_are_typed(profiles: Profiles) -> None:
    profiles.create("Ana")
    with pytest.raises(PinNotSet, match="no admin PIN is set yet"):
        profiles.verify_pin(PIN)
    with pytest.raises(PinTooShort, match="at least 4") as short:
        profiles.set_pin("123")
    assert short.value.minimum == 4 and not profiles.has_pin()
    profiles.set_pin(PIN)
    with pytest.raises(PinRequired):
        profiles.verify_pin(None)
    with pytest.raises(WrongPin) as wrong:
        profiles.verify_pin("000000")
    assert (wrong.value.failures, wrong.value.wait_s) == (1, 0)
    # Each is a PinError, and none is another's kind.
    kinds = (PinNotSet, PinTooShort, PinRequired, WrongPin, PinThrottled)
    assert all(issubclass(kind, PinError) for kind in kinds)
    assert not any(issubclass(a, b) for a in kinds for b in kinds if a is not b)


def test_delays_double_from_5_s_up_to_5_min() -> None:
    assert [pin_delay_s(n) for n in range(11)] == [
        0, 0, 0, 5, 10, 20, 40, 80, 160, 300, 300,
    ]  # fmt: skip
    assert pin_delay_s(10_000) == PIN_MAX_DELAY_S
    assert [describe_wait(s) for s in (0.2, 5, 59.5, 60, 80, 300)] == [
        "1 s", "5 s", "1 min", "1 min", "1 min 20 s", "5 min",
    ]  # fmt: skip


def test_three_wrong_pins_start_a_growing_wait_and_a_right_pin_ends_it(
    profiles: Profiles, ticks: Ticks
) -> None:
    profiles.set_pin(PIN)
    for failures in (1, 2):
        with pytest.raises(WrongPin, match=r"^wrong admin PIN$") as wrong:
            profiles.verify_pin("000000")
        assert (wrong.value.failures, wrong.value.wait_s) == (failures, 0)
    assert profiles.pin_wait_s() == 0
    with pytest.raises(WrongPin) as wrong:
        profiles.verify_pin("000000")
    assert str(wrong.value) == (
        "wrong admin PIN (3 wrong PINs in a row: the next try is possible in 5 s)"
    )
    assert (wrong.value.failures, wrong.value.wait_s) == (3, 5)

    # Refused while the wait runs, even the right PIN, and the refusals count nothing.
    ticks.value += 4
    for pin in ("000000", PIN):
        with pytest.raises(PinThrottled) as throttled:
            profiles.verify_pin(pin)
        assert str(throttled.value) == "3 wrong admin PINs in a row: try again in 1 s"
        assert throttled.value.seconds_left == pytest.approx(1)
        assert throttled.value.failures == 3
    assert profiles.pin_wait_s() == pytest.approx(1)

    # Each further wrong PIN doubles the wait, up to 5 minutes.
    waits = []
    for _ in range(8):
        ticks.value += profiles.pin_wait_s()
        with pytest.raises(WrongPin) as wrong:
            profiles.verify_pin("000000")
        waits.append(wrong.value.wait_s)
    assert waits == [10, 20, 40, 80, 160, 300, 300, 300]
    ticks.value += 299
    with pytest.raises(PinThrottled, match="try again in 1 s"):
        profiles.verify_pin(PIN)

    # After the wait the right PIN is checked, and it starts the count again.
    ticks.value += 1
    profiles.verify_pin(PIN)
    assert profiles.pin_wait_s() == 0
    with pytest.raises(WrongPin) as wrong:
        profiles.verify_pin("000000")
    assert (wrong.value.failures, wrong.value.wait_s) == (1, 0)


def test_the_wait_holds_across_connections_and_restarts_after_a_reboot(
    profiles: Profiles, data_dir: Path, now: Now
) -> None:
    profiles.set_pin(PIN)
    for _ in range(3):
        with pytest.raises(WrongPin):
            profiles.verify_pin("000000")
    # Another process (the app's worker thread, `treadctl profiles`): its own connection.
    with Store(data_dir) as other_store:
        other = Profiles(other_store, now=now, monotonic=Ticks(1002.0))
        with pytest.raises(PinThrottled, match="try again in 3 s"):
            other.verify_pin(PIN)
    # After a reboot the clock starts low again: the wait restarts from now, it is not endless.
    with Store(data_dir) as other_store:
        rebooted = Ticks(20.0)
        other = Profiles(other_store, now=now, monotonic=rebooted)
        with pytest.raises(PinThrottled, match="try again in 5 s"):
            other.verify_pin(PIN)
        rebooted.value += 5
        other.verify_pin(PIN)


def test_changing_the_pin_and_raising_limits_are_throttled_too(
    profiles: Profiles, ticks: Ticks
) -> None:
    profiles.create("Ana")
    profiles.set_pin(PIN)
    with pytest.raises(PinTooShort):
        profiles.set_pin("12", old="000000")  # refused before the old PIN is checked
    for _ in range(2):
        with pytest.raises(WrongPin, match="wrong old admin PIN: the PIN was not changed"):
            profiles.set_pin("1111", old="000000")
    with pytest.raises(WrongPin) as wrong:
        profiles.set_limit("Ana", "forward_max_speed_kmh", 14, pin="000000")
    assert str(wrong.value) == (
        "wrong admin PIN: raising forward_max_speed_kmh 14 (default 12) for 'Ana' was refused "
        "(3 wrong PINs in a row: the next try is possible in 5 s)"
    )
    with pytest.raises(PinThrottled) as throttled:
        profiles.set_limit("Ana", "forward_max_speed_kmh", 14, pin=PIN)
    assert str(throttled.value) == (
        "3 wrong admin PINs in a row: try again in 5 s (raising forward_max_speed_kmh 14 "
        "(default 12) for 'Ana' was refused)"
    )
    with pytest.raises(PinThrottled, match=r"try again in 5 s \(the PIN was not changed\)"):
        profiles.set_pin("1111", old=PIN)
    with pytest.raises(PinThrottled):
        profiles.set_progression_cap("Ana", 20, pin=PIN)
    assert profiles.get("Ana").limits == DEFAULT_LIMITS
    # Lowering needs no PIN, so no wait either.
    assert profiles.set_limit("Ana", "forward_max_speed_kmh", 9).limits.forward_max_speed_kmh == 9
    ticks.value += 5
    profiles.set_pin("1111", old=PIN)
    profiles.verify_pin("1111")


# --- selecting, renaming, deleting --------------------------------------------------------


def test_select_and_current(profiles: Profiles, data_dir: Path) -> None:
    assert profiles.current() is None
    assert limits_for(None, data_dir=data_dir) == DEFAULT_LIMITS
    profiles.create("Ana")
    profiles.set_limit("Ana", "backward_max_speed_kmh", 4.0)
    profiles.select("ana")
    current = profiles.current()
    assert current is not None and current.name == "Ana"
    assert limits_for(None, data_dir=data_dir).backward_max_speed_kmh == 4.0
    assert limits_for("Guest", data_dir=data_dir) == DEFAULT_LIMITS
    with pytest.raises(ProfileError, match="no profile 'Zoe'"):
        limits_for("Zoe", data_dir=data_dir)


def test_rename_keeps_the_history_also_after_a_rebuild(
    profiles: Profiles, store: Store, log_dir: Path
) -> None:
    profiles.create("Ana")
    store.import_log(write_log(log_dir, "old", profile="Ana"))
    profiles.rename("Ana", "Ana B")
    store.import_log(write_log(log_dir, "new", profile="Ana B", started=START + timedelta(1)))
    store.rebuild(log_dir)
    assert [s.id for s in store.sessions("Ana B")] == ["old", "new"]
    assert {s.profile for s in store.sessions()} == {"Ana B"}
    with pytest.raises(ProfileError, match="former name of profile 'Ana B'"):
        profiles.create("Ana")
    with pytest.raises(ProfileError, match="built in and cannot be renamed"):
        profiles.rename("Guest", "Visitor")


def test_delete_needs_confirmation_and_takes_the_history_for_good(
    profiles: Profiles, store: Store, log_dir: Path, now: Now
) -> None:
    profiles.create("Ana")
    profiles.create("Ben")
    profiles.select("Ana")
    ana_logs = [
        write_log(log_dir, f"ana{i}", profile="Ana", started=START + timedelta(days=i))
        for i in range(2)
    ]
    ben_log = write_log(log_dir, "ben", profile="Ben")
    store.sync(log_dir)
    with pytest.raises(
        ProfileError,
        match=r"also deletes its 2 session\(s\) and their log files; confirm to go ahead",
    ):
        profiles.delete("Ana")
    assert len(store.sessions("Ana")) == 2

    now.value = START + timedelta(days=3)
    stray = log_dir.parent / "copy.jsonl"  # a copy of one of her logs put back later
    stray.write_bytes(ana_logs[0].read_bytes())
    assert profiles.delete("Ana", confirm=True) == 2
    assert not any(p.exists() for p in ana_logs)
    assert ben_log.exists()
    assert profiles.current() is None
    assert profiles.find("Ana") is None

    # A newcomer called Ana inherits nothing, even from a stray copy of the old logs.
    profiles.create("Ana")
    stray.rename(ana_logs[0])
    report = store.rebuild(log_dir)
    assert report.imported == ["ben"] and report.skipped == [ana_logs[0]]
    assert store.sessions("Ana") == []
    assert profiles.get("Ana").limits == DEFAULT_LIMITS
    # Her own sessions are hers.
    write_log(log_dir, "ana-new", profile="Ana", started=START + timedelta(days=4))
    assert store.sync(log_dir).imported == ["ana-new"]
    with pytest.raises(ProfileError, match="built in and cannot be deleted"):
        profiles.delete("Guest", confirm=True)


# --- Guest --------------------------------------------------------------------------------


def test_guest_sessions_are_not_kept_unless_saved(
    profiles: Profiles, store: Store, log_dir: Path
) -> None:
    profiles.create("Ana")
    first = write_log(log_dir, "g1", profile="Guest", started=START)
    store.import_log(first)
    session = store.session("g1")
    assert session is not None and not session.saved and session.profile == "Guest"
    # The next guest's session replaces the unsaved one: rows and log file.
    second = write_log(log_dir, "g2", profile="Guest", started=START + timedelta(hours=1))
    store.import_log(second)
    assert [s.id for s in store.sessions("Guest")] == ["g2"]
    assert not first.exists()

    saved = profiles.save_guest_session("g2", "Ana")
    assert saved.saved and saved.profile == "Ana"
    third = write_log(log_dir, "g3", profile="Guest", started=START + timedelta(hours=2))
    store.import_log(third)
    assert second.exists()
    store.rebuild(log_dir)  # saving is remembered: the log still says "Guest"
    assert [s.id for s in store.sessions("Ana")] == ["g2"]
    assert [s.id for s in store.sessions("Guest")] == ["g3"]
    assert store.discard_guest_sessions() == ["g3"]
    assert not third.exists()
    store.rebuild(log_dir)
    assert store.sessions("Guest") == []

    with pytest.raises(ProfileError, match="no unsaved guest session 'g2'"):
        profiles.save_guest_session("g2", "Ana")
    with pytest.raises(ProfileError, match="not to Guest"):
        profiles.save_guest_session("g3", "Guest")


# --- backward progression -----------------------------------------------------------------


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
        "backward minutes per session: 10; next step 11.5 "
        "(after 3 more completed backward session(s))"
    )
    run_sessions(store, log_dir, START, 3)
    now.value = START + timedelta(days=3)  # three sessions, but the profile is 4 days old
    progression = profiles.next_backward_minutes("Ana")
    assert not progression.due and progression.due_after == START + timedelta(days=6)
    assert progression.reason == "not before 2025-03-09"

    now.value = START + timedelta(days=6)
    progression = profiles.next_backward_minutes("Ana")
    assert (progression.due, progression.current, progression.next) == (True, 10, 11.5)
    assert progression.describe() == (
        "backward minutes per session: 10 -> 11.5 (due: applied at the next run)"
    )
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


# --- the commands -------------------------------------------------------------------------


def cli(data_dir: Path, *argv: str, log_dir: Path | None = None) -> int:
    parser = argparse.ArgumentParser(prog="treadctl")
    sub = parser.add_subparsers(dest="command")
    history_cli.add_profile_commands(sub)
    history_cli.add_history_commands(sub)
    extra = ["--data-dir", str(data_dir)]
    if log_dir is not None:
        extra += ["--log-dir", str(log_dir)]
    args = parser.parse_args([*argv, *extra])
    result: int = args.handler(args, sys.stdout)
    return result


def test_profile_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    assert cli(data, "profiles", "add", "Ana") == 0
    assert cli(data, "profiles", "set-limit", "Ana", "backward_max_speed_kmh", "7") == 1
    out, err = capsys.readouterr()
    assert err == (
        "treadctl: raising backward_max_speed_kmh 7 (default 6) for 'Ana' needs the admin "
        "PIN, and none is set yet: give one (--pin) to set it now; from then on it guards "
        "every raise above the defaults\n"
    )
    assert cli(data, "profiles", "set-pin", "--new", PIN) == 0
    assert cli(data, "profiles", "set-limit", "Ana", "backward_max_speed_kmh", "7") == 1
    assert (
        cli(data, "profiles", "set-limit", "Ana", "backward_max_speed_kmh", "7", "--pin", "0000")
        == 1
    )
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "treadctl: raising backward_max_speed_kmh 7 (default 6) for 'Ana' needs the admin PIN "
        "(--pin)",
        "treadctl: wrong admin PIN: raising backward_max_speed_kmh 7 (default 6) for 'Ana' was "
        "refused",
    ]
    assert (
        cli(data, "profiles", "set-limit", "Ana", "backward_max_speed_kmh", "7", "--pin", PIN) == 0
    )
    assert cli(data, "profiles", "set-limit", "Ana", "forward_max_speed_kmh", "9") == 0
    assert cli(data, "profiles", "set-max-hr", "Ana", "168") == 0
    assert cli(data, "profiles", "set-cap", "Ana", "15", "--pin", PIN) == 0
    assert cli(data, "profiles", "select", "Ana") == 0
    assert cli(data, "profiles", "rename", "Ana", "Ana B") == 0
    assert cli(data, "profiles", "set-pin", "--old", PIN, "--new", "5678") == 0
    capsys.readouterr()
    assert cli(data, "profiles", "list") == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "  name                 sessions  max HR  bwd cap  limits",
        "  Guest                       0       -       10  fwd 12 km/h, bwd 6 km/h, bwd 10 min",
        "* Ana B                       0     168       15  fwd 9 km/h, bwd 7 km/h, bwd 10 min",
        "admin PIN: set",
    ]
    assert cli(data, "profiles", "remove", "Ana B") == 1
    assert cli(data, "profiles", "remove", "Ana B", "--yes") == 0
    assert cli(data, "profiles", "remove", "Ana B", "--yes") == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "treadctl: deleting profile 'Ana B' also deletes its 0 session(s) and their log files; "
        "confirm to go ahead (--yes)",
        "treadctl: no profile 'Ana B' (see `treadctl profiles list`)",
    ]
    assert "Traceback" not in out + err


def test_history_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, logs = tmp_path / "data", tmp_path / "logs"
    assert cli(data, "profiles", "add", "Ana") == 0
    write_log(logs, "abc123", profile="Ana", notices=["heart_rate_high"])
    crashed = write_log(logs, "def456", profile="Ana", started=START + timedelta(days=1))
    crashed.write_bytes(b"".join(crashed.read_bytes().splitlines(keepends=True)[:-1]))
    write_log(logs, "guest1", profile="Guest", started=START + timedelta(days=2))
    capsys.readouterr()
    assert cli(data, "history", "--profile", "Ana", log_dir=logs) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == "Sessions of Ana (2)"
    assert lines[1].split() == [
        "started", "(UTC)", "program", "outcome", "time", "km", "fwd", "min", "bwd", "min",
        "kcal", "max", "f/b", "km/h", "HR", "id",
    ]  # fmt: skip
    assert lines[2].split() == [
        "2025-03-03", "09:00", "Backward", "walking,", "week", "1", "completed", "0:03:00",
        "0.15", "1.0", "2.0", "9", "4.0/2.5", "120", "abc123",
    ]  # fmt: skip
    assert "interrupted" in lines[3] and lines[3].endswith("def456")
    assert "  2025-03-03   2 session(s)     4.0 min  ####" in lines
    assert lines[-1] == (
        "Next step: backward minutes per session: 10 (at the cap of 10; an admin can raise it)"
    )
    assert cli(data, "history", "--profile", "Guest", log_dir=logs) == 0
    out, _ = capsys.readouterr()
    assert "completed, unsaved" in out and "save-guest SESSION_ID NAME" in out

    # Without a selected profile: every session, with its profile.
    assert cli(data, "history", log_dir=logs) == 0
    out, _ = capsys.readouterr()
    assert out.splitlines()[0] == "All sessions (3); no profile selected"

    # A corrupt log: one line naming it, the rest still shown, a non-zero exit.
    (logs / "20250310T000000Z_bad.jsonl").write_text('{"kind": "header"}\n', encoding="utf-8")
    assert cli(data, "history", "--rebuild", log_dir=logs) == 1
    out, err = capsys.readouterr()
    assert err.startswith(f"treadctl: skipped a log: {logs / '20250310T000000Z_bad.jsonl'}:1: ")
    assert len(err.splitlines()) == 1
    assert out.startswith(f"rebuilt from {logs}: 3 session(s), 1 unreadable log(s)\n")


def test_a_corrupt_database_is_one_line_from_the_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / DB_FILENAME).write_bytes(b"garbage" * 1000)
    assert cli(data, "profiles", "list") == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"treadctl: {data / DB_FILENAME}: the history database is corrupt")
    assert len(err.splitlines()) == 1


def test_limits_round_trip_through_the_store(profiles: Profiles) -> None:
    profiles.create("Ana")
    wanted = replace(DEFAULT_LIMITS, backward_max_speed_kmh=4.5, min_incline_pct=0.5)
    assert profiles.set_limits("Ana", wanted).limits == wanted
