"""Who is on the treadmill (treadctl.core.people): choosing a person and their limits, following
edits, importing a finished session, sync, guest sessions, closing; and a history that cannot be
used, which leaves a People that still works — nobody chosen, the base limits, ``error`` set.

A real store in a temporary data folder, with logs written by the real recorder
(``tests.treadctl.test_store.write_log``). How a session's end takes a backward step that came
due is the application core's test (``test_app_core``), over the same call.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.treadctl.test_store import write_log
from treadctl.core.people import People
from treadctl.data_folder import DataFolder
from treadctl.limits import DEFAULT_LIMITS, Limits
from treadctl.profiles import ProfileError
from treadctl.store import DB_FILENAME, StoreError

BASE = Limits(forward_max_speed_kmh=8.0)


@pytest.fixture
def folder(tmp_path: Path) -> DataFolder:
    return DataFolder.at(tmp_path / "data")


@pytest.fixture
def people(folder: DataFolder) -> Iterator[People]:
    people = People(folder, base_limits=BASE)
    yield people
    people.close()


# --- choosing -----------------------------------------------------------------------------------


def test_nobody_is_chosen_at_first_and_the_base_limits_apply(people: People) -> None:
    assert people.available and people.error is None
    assert people.current is None and people.name is None
    assert people.limits == BASE


def test_the_default_base_limits_are_the_engines(folder: DataFolder) -> None:
    people = People(folder)
    try:
        assert people.limits == DEFAULT_LIMITS
    finally:
        people.close()


def test_choose_makes_a_person_current_with_their_own_limits(people: People) -> None:
    people.profiles.create("Ana")
    people.profiles.set_limit("Ana", "forward_max_speed_kmh", 9.0)
    chosen = people.choose("Ana")
    assert chosen is not None and chosen == people.current
    assert people.name == "Ana"
    assert people.limits.forward_max_speed_kmh == 9.0  # the person's, not the base limits
    assert people.profiles.current() == chosen  # remembered for the next start
    assert people.choose(None) is None
    assert people.current is None and people.limits == BASE


def test_choosing_nobody_is_kept_for_every_front_end(people: People) -> None:
    # One notion of who runs (issue 14): after the app's "next person" (nobody chosen), a
    # `treadctl run` without --profile must not run as the person who left.
    people.profiles.create("Ana")
    people.choose("Ana")
    assert people.profiles.current() is not None
    people.choose(None)
    assert people.profiles.current() is None


def test_choosing_nobody_known_raises_and_keeps_the_choice(people: People) -> None:
    people.profiles.create("Ana")
    people.choose("Ana")
    with pytest.raises(ProfileError, match="no profile 'Ben'"):
        people.choose("Ben")
    assert people.name == "Ana"


def test_refresh_follows_an_edit_a_rename_and_a_deletion(people: People) -> None:
    assert people.refresh() is None  # nobody chosen: nothing to re-read
    people.profiles.create("Ana")
    people.choose("Ana")
    people.profiles.set_limit("Ana", "forward_max_speed_kmh", 9.5)
    assert people.limits.forward_max_speed_kmh != 9.5  # not until refreshed
    refreshed = people.refresh()
    assert refreshed is not None and people.limits.forward_max_speed_kmh == 9.5
    people.profiles.rename("Ana", "Ana B")
    people.refresh()
    assert people.name == "Ana B"
    people.profiles.delete("Ana B", confirm=True)
    assert people.refresh() is None
    assert people.current is None and people.limits == BASE


# --- history ------------------------------------------------------------------------------------


def test_a_finished_session_is_imported_under_its_person(
    people: People, folder: DataFolder
) -> None:
    people.profiles.create("Ana")
    people.choose("Ana")
    log = write_log(folder.sessions, "s1", profile="Ana")
    stored = people.session_ended(log)
    assert stored is not None and stored.id == "s1" and stored.profile == "Ana"
    assert [s.id for s in people.store.sessions()] == ["s1"]
    assert people.name == "Ana"  # the same person goes on


def test_a_session_log_that_cannot_be_imported_is_left_for_the_next_sync(
    people: People, folder: DataFolder, caplog: pytest.LogCaptureFixture
) -> None:
    log = write_log(folder.sessions, "s1", profile=None)
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text(lines[0] + "{not json\n" + "".join(lines[1:]), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="treadctl.core.people"):
        assert people.session_ended(log) is None
    assert "finished session not imported" in caplog.text
    assert log.exists() and people.store.sessions() == []


def test_a_person_deleted_during_their_session_is_let_go_at_its_end(
    people: People, folder: DataFolder, caplog: pytest.LogCaptureFixture
) -> None:
    people.profiles.create("Ana")
    people.choose("Ana")
    people.profiles.delete("Ana", confirm=True)
    log = write_log(folder.sessions, "s1", profile=None)
    with caplog.at_level(logging.WARNING, logger="treadctl.core.people"):
        stored = people.session_ended(log)
    assert stored is not None and stored.id == "s1"
    assert "limits not brought up to date" in caplog.text
    assert people.current is None and people.limits == BASE


def test_sync_imports_the_logs_the_history_lacks(people: People, folder: DataFolder) -> None:
    people.profiles.create("Ana")
    write_log(folder.sessions, "s1")
    write_log(folder.sessions, "s2")
    report = people.sync()
    assert report is not None and report.ok and sorted(report.imported) == ["s1", "s2"]
    again = people.sync()
    assert again is not None and again.imported == []


def test_discard_guest_lets_go_of_unsaved_guest_sessions(
    people: People, folder: DataFolder
) -> None:
    guest = write_log(folder.sessions, "g1", profile="Guest")
    stored = people.session_ended(guest)
    assert stored is not None and not stored.saved
    assert people.discard_guest() == ["g1"]
    assert people.store.sessions() == [] and not guest.exists()
    assert people.discard_guest() == []


def test_close_leaves_a_people_without_a_history(folder: DataFolder) -> None:
    people = People(folder, base_limits=BASE)
    people.close()
    assert not people.available and people.error == "closed"
    with pytest.raises(StoreError, match="closed"):
        _ = people.store
    people.close()  # twice: harmless


# --- an unusable history ------------------------------------------------------------------------


@pytest.fixture
def corrupt(tmp_path: Path) -> DataFolder:
    folder = DataFolder.at(tmp_path / "corrupt")
    folder.root.mkdir()
    folder.history.write_bytes(b"garbage" * 1000)
    return folder


def test_an_unusable_database_leaves_a_working_people_with_the_error(
    corrupt: DataFolder, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="treadctl.core.people"):
        people = People(corrupt, base_limits=BASE)
    assert people.error is not None and "the history database is corrupt" in people.error
    assert str(corrupt.root / DB_FILENAME) in people.error
    assert "no profiles or history" in caplog.text
    assert not people.available
    assert people.current is None and people.limits == BASE
    assert people.choose(None) is None and people.limits == BASE
    assert people.refresh() is None
    with pytest.raises(StoreError, match="the history database is corrupt"):
        _ = people.store
    with pytest.raises(StoreError, match="the history database is corrupt"):
        _ = people.profiles
    with pytest.raises(StoreError):
        people.choose("Ana")
    # The session's log is safe on disk: nothing to import it into, nothing raised.
    log = write_log(corrupt.sessions, "s1", profile=None)
    assert people.session_ended(log) is None and log.exists()
    assert people.sync() is None
    assert people.discard_guest() == []
    people.close()
    assert corrupt.history.read_bytes() == b"garbage" * 1000  # nothing deleted
