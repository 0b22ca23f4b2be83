"""Accounts files: private, written whole, a deleted profile's never read by a newcomer."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from tests.treadctl.upload.support import World
from treadctl.profiles import Profiles
from treadctl.upload import (
    Accounts,
    AccountsError,
    AfterSession,
    AuthorizationError,
    ExportFolder,
    Service,
    connect_intervals,
    disconnect,
    set_after_session,
    set_export_folder,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_are_owner_only_whatever_the_umask(world: World) -> None:
    old = os.umask(0o000)
    try:
        connect_intervals(Accounts(world.folder), world.ana(), "0", "k3y")
    finally:
        os.umask(old)
    path = Accounts(world.folder).path(world.ana())
    assert mode(path) == 0o600 and mode(path.parent) == 0o700


def test_a_file_made_readable_by_others_is_tightened_when_read(world: World) -> None:
    connect_intervals(Accounts(world.folder), world.ana(), "0", "k3y")
    path = Accounts(world.folder).path(world.ana())
    path.chmod(0o644)
    assert Accounts(world.folder).load(world.ana()).intervals is not None
    assert mode(path) == 0o600


def test_the_secrets_are_in_no_repr(world: World) -> None:
    world.connect_strava()
    connect_intervals(Accounts(world.folder), world.ana(), "0", "k3y-secret")
    text = repr(Accounts(world.folder).load(world.ana()))
    assert "s3cret" not in text and "k3y-secret" not in text
    assert "access-" not in text and "refresh-" not in text
    assert "client_id='12345'" in text


def test_choices_and_the_export_folder_round_trip(world: World, tmp_path: Path) -> None:
    accounts = Accounts(world.folder)
    set_after_session(accounts, world.ana(), Service.STRAVA, AfterSession.AUTO)
    set_export_folder(accounts, world.ana(), ExportFolder(tmp_path, ("fit", "tcx")))
    loaded = Accounts(world.folder).load(world.ana())
    assert loaded.preference(Service.STRAVA) is AfterSession.AUTO
    assert loaded.preference(Service.INTERVALS) is AfterSession.ASK  # the default
    assert loaded.export_folder == ExportFolder(tmp_path, ("fit", "tcx"))
    assert loaded.connected == ()


def test_a_reused_profile_id_does_not_inherit_the_accounts(world: World) -> None:
    profiles = Profiles(world.store)
    bea = profiles.create("Bea")
    connect_intervals(Accounts(world.folder), bea, "0", "beas-key")
    profiles.delete("Bea", confirm=True)
    cem = profiles.create("Cem")
    assert cem.id == bea.id  # SQLite gives the freed id to the next profile …
    assert Accounts(world.folder).load(cem).intervals is None  # … but not Bea's accounts


def test_disconnecting_forgets_only_that_account(world: World) -> None:
    world.connect_strava()
    world.connect_intervals()
    accounts = Accounts(world.folder)
    assert disconnect(accounts, world.ana(), Service.STRAVA) is True
    assert disconnect(accounts, world.ana(), Service.STRAVA) is False
    loaded = accounts.load(world.ana())
    assert loaded.strava is None and loaded.intervals is not None
    assert "s3cret" not in accounts.path(world.ana()).read_text()


def test_guest_connects_no_account_but_may_export(world: World, tmp_path: Path) -> None:
    guest = Profiles(world.store).guest()
    with pytest.raises(AuthorizationError, match="Guest is shared by everybody"):
        connect_intervals(Accounts(world.folder), guest, "0", "k3y")
    set_export_folder(Accounts(world.folder), guest, ExportFolder(tmp_path))
    assert Accounts(world.folder).load(guest).export_folder == ExportFolder(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a treadctl accounts file (not JSON)"),
        ('{"format": "x"}', "is not a treadctl accounts file"),
        ('{"format": "treadctl-accounts", "version": 9}', "is version 9, this treadctl reads 1"),
        (
            '{"format": "treadctl-accounts", "version": 1, "profile": {"id": 2, "name": "Ana",'
            ' "created_at": "x"}, "intervals": {"athlete_id": "0", "api_key": 7}}',
            "its intervals.api_key is missing or not text",
        ),
        (
            '{"format": "treadctl-accounts", "version": 1, "profile": {"id": 2, "name": "Ana",'
            ' "created_at": "x"}, "after_session": {"strava": "sometimes"}}',
            "its after_session.strava is not one of auto, ask, never",
        ),
    ],
)
def test_a_damaged_file_is_named_without_its_secrets(
    world: World, content: str, message: str
) -> None:
    accounts = Accounts(world.folder)
    path = accounts.path(world.ana())
    path.parent.mkdir(mode=0o700)
    path.write_text(content)
    with pytest.raises(AccountsError) as caught:
        accounts.load(world.ana())
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = Accounts(world.folder)
    connect_intervals(accounts, world.ana(), "0", "first-key")
    path = accounts.path(world.ana())
    before = path.read_bytes()

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(AccountsError, match="cannot write: No space left on device"):
        accounts.save(replace(accounts.load(world.ana()), intervals=None))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert json.loads(before)["intervals"]["api_key"] == "first-key"
