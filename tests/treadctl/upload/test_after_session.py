"""after_session: the export folder and the uploads, by the profile's choices."""

from __future__ import annotations

from pathlib import Path

from tests.treadctl.upload.support import World
from treadctl.profiles import Profiles
from treadctl.upload import (
    Accounts,
    AfterSession,
    ExportFolder,
    Service,
    State,
    after_session,
    set_after_session,
    set_export_folder,
)


def run(world: World, session_id: str = "s1") -> object:
    return after_session(
        session_id, folder=world.folder, store=world.store, config=world.config, clock=world.clock
    )


def test_auto_uploads_ask_asks_and_the_folder_gets_its_files(world: World, tmp_path: Path) -> None:
    world.connect_strava()
    world.connect_intervals()
    accounts = Accounts(world.folder)
    set_after_session(accounts, world.ana(), Service.STRAVA, AfterSession.AUTO)
    set_export_folder(accounts, world.ana(), ExportFolder(tmp_path, ("fit",)))
    report = after_session(
        "s1", folder=world.folder, store=world.store, config=world.config, clock=world.clock
    )
    assert report.problems == []
    assert report.export is not None and len(report.export.written) == 1
    assert [(u.service, u.state) for u in report.uploads] == [(Service.STRAVA, State.DONE)]
    assert report.to_ask == [Service.INTERVALS]
    assert world.intervals.requests == []  # asked, not sent
    lines = report.sentences()
    assert lines[0] == f"exported {report.export.written[0]}"
    assert lines[1].startswith("Strava: uploaded, http://127.0.0.1:")
    assert lines[2] == "intervals.icu: upload this session? (asks)"


def test_never_means_never_and_an_uploaded_session_is_not_asked_again(world: World) -> None:
    world.connect_strava()
    world.connect_intervals()
    accounts = Accounts(world.folder)
    set_after_session(accounts, world.ana(), Service.INTERVALS, AfterSession.NEVER)
    world.uploader().upload("s1", Service.STRAVA)
    report = after_session(
        "s1", folder=world.folder, store=world.store, config=world.config, clock=world.clock
    )
    assert report.uploads == [] and report.to_ask == []
    assert world.intervals.requests == []


def test_a_failed_auto_upload_is_queued_and_said(world: World) -> None:
    world.connect_intervals()
    set_after_session(Accounts(world.folder), world.ana(), Service.INTERVALS, AfterSession.AUTO)
    world.intervals.close()  # no network
    report = after_session(
        "s1", folder=world.folder, store=world.store, config=world.config, clock=world.clock
    )
    (state,) = report.uploads
    assert state.state is State.FAILED and state.failure == "retry"
    assert report.sentences()[0].startswith("intervals.icu: failed after 1 try (intervals.icu")
    assert world.uploader().queue.get("s1", Service.INTERVALS) == state


def test_a_guest_session_is_exported_with_guests_folder_and_never_uploaded(
    world: World, tmp_path: Path
) -> None:
    world.connect_strava()
    set_after_session(Accounts(world.folder), world.ana(), Service.STRAVA, AfterSession.AUTO)
    guest = Profiles(world.store).guest()
    set_export_folder(Accounts(world.folder), guest, ExportFolder(tmp_path, ("csv",)))
    world.add_session("g1", profile="Guest")
    report = after_session(
        "g1", folder=world.folder, store=world.store, config=world.config, clock=world.clock
    )
    assert report.export is not None and [p.suffix for p in report.export.written] == [".csv"]
    assert report.uploads == [] and report.to_ask == []
    assert world.strava.requests == []


def test_a_log_not_imported_yet_is_imported_and_an_unknown_session_said(world: World) -> None:
    from tests.treadctl.export.support import PROGRAM, write_log

    write_log(world.folder.sessions, PROGRAM, session_id="late")
    report = after_session("late", folder=world.folder, clock=world.clock)  # its own store
    assert report.problems == []
    assert world.store.session("late") is not None
    report = after_session("nope", folder=world.folder, clock=world.clock)
    assert report.problems == [
        f"nothing was exported or uploaded: no session nope in the history or in "
        f"{world.folder.sessions}"
    ]
