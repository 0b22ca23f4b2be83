"""A person's race paces in their profile (issue 15): stored in the profile row (migration 4),
set without the PIN, refused for Guest, kept by a rebuild and by an upgrade from schema 3."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from pathlib import Path

import pytest

from tests.treadctl.test_store import write_log
from treadctl.limits import DEFAULT_LIMITS
from treadctl.profiles import ProfileError, Profiles
from treadctl.program import PaceZone, RunPaces
from treadctl.store import DB_FILENAME, GUEST, MIGRATIONS, SCHEMA_VERSION, Store

PACES = RunPaces(mile=240.0, k5=270.0, marathon=330.0)


def test_paces_are_set_without_the_pin_and_read_back(profiles: Profiles) -> None:
    profiles.set_pin("482913")  # a PIN exists: setting paces still does not ask for it
    profiles.create("Ana")
    assert profiles.get("Ana").paces == RunPaces()
    saved = profiles.set_paces("Ana", PACES)
    assert saved.paces == PACES
    assert profiles.get("Ana").paces == PACES
    assert profiles.get("Ana").limits == DEFAULT_LIMITS  # paces are no limit
    assert profiles.set_paces("Ana", PACES.with_pace(PaceZone.K5, None)).paces == RunPaces(
        mile=240.0, marathon=330.0
    )
    # None left: the column goes back to NULL, as for a profile that never had paces.
    profiles.set_paces("Ana", RunPaces())
    assert profiles.store.execute("SELECT paces_json FROM profiles WHERE name = 'Ana'") == [(None,)]


def test_guest_keeps_no_paces(profiles: Profiles) -> None:
    with pytest.raises(ProfileError, match="Guest keeps no race paces"):
        profiles.set_paces(GUEST, PACES)
    assert profiles.guest().paces == RunPaces()


def test_unreadable_stored_paces_are_read_as_none_not_a_locked_out_profile(
    profiles: Profiles, caplog: pytest.LogCaptureFixture
) -> None:
    profiles.create("Ana")
    for bad in ('{"5k": "fast"}', "[1, 2]", "not json", '{"5k": 1e999}'):
        profiles.store.execute("UPDATE profiles SET paces_json = ? WHERE name = 'Ana'", (bad,))
        with caplog.at_level(logging.WARNING):
            assert profiles.get("Ana").paces == RunPaces()
        assert "stored race paces unreadable" in caplog.text
        caplog.clear()
    assert [p.name for p in profiles.list_all()] == [GUEST, "Ana"]


def test_a_rebuild_keeps_the_paces(tmp_path: Path) -> None:
    log_dir = tmp_path / "sessions"
    write_log(log_dir, "s1", profile="Ana")
    with Store(tmp_path / "data") as store:
        store.sync(log_dir)
        profiles = Profiles(store)
        profiles.set_paces("Ana", PACES)  # Ana came from her log
        report = store.rebuild(log_dir)
        assert report.ok and report.imported == ["s1"]
        assert profiles.get("Ana").paces == PACES


def test_a_schema_3_database_is_upgraded_and_its_profiles_get_paces(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with contextlib.closing(sqlite3.connect(data / DB_FILENAME, isolation_level=None)) as db:
        for migrate in MIGRATIONS[:3]:
            migrate(db)
        db.execute("PRAGMA user_version = 3")
        db.execute(
            "INSERT INTO profiles (name, limits_json, created_at) VALUES "
            "('Ana', '{\"forward_max_speed_kmh\": 10.0}', '2025-01-01T00:00:00.000Z')"
        )
        db.execute(
            "INSERT INTO profile_names (name, profile_id) SELECT name, id FROM profiles "
            "WHERE name = 'Ana'"
        )
    with Store(data) as store:
        assert store.schema_version == SCHEMA_VERSION == 4
        profiles = Profiles(store)
        ana = profiles.get("Ana")
        assert ana.paces == RunPaces() and ana.limits.forward_max_speed_kmh == 10.0
        profiles.set_paces("Ana", PACES)
    with Store(data) as store:  # and they stay
        assert Profiles(store).get("Ana").paces == PACES
