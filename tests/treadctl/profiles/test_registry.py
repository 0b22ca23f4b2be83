"""Tests for treadctl.profiles.registry: the profile rules over the store.

A shared laptop: profiles never see each other's limits or history, a newcomer starts at the
defaults, raising a limit above its default needs the admin PIN, lowering never does; Guest
sessions are kept only when saved; deleting a profile deletes its history for good.
"""

from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import timedelta
from pathlib import Path

import pytest

from tests.treadctl.profiles.support import PIN, Now
from tests.treadctl.test_store import START, write_log
from treadctl.limits import DEFAULT_LIMITS, Limits
from treadctl.profiles import (
    MORE_PERMISSIVE,
    PinError,
    PinRequired,
    ProfileError,
    Profiles,
    WrongPin,
)
from treadctl.store import Store


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
    with pytest.raises(ProfileError, match="from 40 to 250"):
        profiles.set_max_heart_rate("Ana", 400)
    assert profiles.set_max_heart_rate("Ana", None).max_heart_rate_bpm is None


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


def limits_for(name: str | None, *, data_dir: Path) -> Limits:
    """The limits as another process (``treadctl run --profile``) reads them: its own store."""
    with Store(data_dir) as store:
        return Profiles(store).limits_for(name)


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


def test_limits_round_trip_through_the_store(profiles: Profiles) -> None:
    profiles.create("Ana")
    wanted = replace(DEFAULT_LIMITS, backward_max_speed_kmh=4.5, min_incline_pct=0.5)
    assert profiles.set_limits("Ana", wanted).limits == wanted


def test_deleting_a_profile_deletes_its_accounts_file(profiles: Profiles, store: Store) -> None:
    """A gym's laptop keeps nothing of a person who is deleted: not their service tokens."""
    from treadctl.data_folder import DataFolder
    from treadctl.upload import Accounts, IntervalsAccount, ProfileAccounts

    folder = DataFolder.at(store.data_dir)
    ana, ben = profiles.create("Ana"), profiles.create("Ben")
    accounts = Accounts(folder)
    for who in (ana, ben):
        empty = ProfileAccounts.empty(who)
        accounts.save(replace(empty, intervals=IntervalsAccount(athlete_id="i1", api_key="k")))
    assert accounts.path(ana).exists()
    profiles.delete("Ana", confirm=True)
    assert not accounts.path(ana).exists()
    assert accounts.load(ben).intervals is not None  # another's stays
