"""After a kept session, the core hands it to ``share`` (the front ends give it
``treadctl.upload.after_session``) off the loop, and reports ``SessionShared``.

Real core, real GATT to the virtual treadmill; the export folder is a real folder. Uploads
themselves are tested in ``tests/treadctl/upload`` against stand-ins for the services.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from tests.helpers.core import core_scenario
from tests.helpers.ftms_client import run
from tests.helpers.session import program
from treadctl.core import DataFolder, Message, SessionEnded, SessionShared
from treadctl.upload import Accounts, AfterSessionReport, ExportFolder, after_session
from treadctl.upload.connect import set_export_folder

WALK = program(
    """
name = "Short walk"

[[steps]]
direction = "forward"
speed = "3 km/h"
duration = "20 s"
"""
)


def test_a_kept_session_goes_to_the_export_folder_off_the_loop(tmp_path: Path) -> None:
    watch = tmp_path / "watch"
    watch.mkdir()
    folder = DataFolder.at(tmp_path / "data")
    threads: list[str] = []

    def share(session_id: str) -> AfterSessionReport:
        threads.append(threading.current_thread().name)
        return after_session(session_id, folder=folder)

    async def scenario() -> None:
        async with core_scenario(tmp_path / "data", share=share) as scn:
            ann = scn.core.people.profiles.create("Ann")
            set_export_folder(Accounts(folder), ann, ExportFolder(watch, ("fit", "csv")))
            assert scn.core.choose("Ann")
            task = asyncio.ensure_future(scn.core.run_program(WALK))
            await scn.until(task.done, 120.0, "the program's end")
            ended = task.result()
            assert ended.stored is not None
            await scn.core.sessions_shared()
            (shared,) = scn.events.of(SessionShared)
            report = shared.report
            assert report.session_id == ended.stored.id
            assert report.export is not None and report.export.problems == []
            assert sorted(p.suffix for p in report.export.written) == [".csv", ".fit"]
            assert sorted(watch.iterdir()) == sorted(report.export.written)
            # After the session's end, not in its place: SessionEnded came first.
            ends = (SessionEnded, SessionShared)
            assert [type(e) for e in scn.events.items if isinstance(e, ends)] == list(ends)

    run(scenario)
    assert threads == ["treadctl-after-session"]  # never on the loop's thread


def test_a_share_that_fails_is_a_message_and_the_next_session_runs(tmp_path: Path) -> None:
    def share(session_id: str) -> AfterSessionReport:
        raise OSError(f"broken share for {session_id}")

    async def scenario() -> None:
        async with core_scenario(tmp_path, share=share) as scn:
            task = asyncio.ensure_future(scn.core.run_program(WALK))
            await scn.until(task.done, 120.0, "the first program's end")
            await scn.core.sessions_shared()
            stored = task.result().stored
            assert stored is not None
            assert [m.text for m in scn.events.of(Message)] == [
                f"Session {stored.id} was not exported or uploaded: an error."
            ]
            assert not scn.events.of(SessionShared)
            again = asyncio.ensure_future(scn.core.run_program(WALK))
            await scn.until(again.done, 120.0, "the second program's end")
            assert again.result().stored is not None

    run(scenario)


def test_without_share_nothing_is_done_after_a_session(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            task = asyncio.ensure_future(scn.core.run_program(WALK))
            await scn.until(task.done, 120.0, "the program's end")
            await scn.core.sessions_shared()  # nothing to wait for
            assert not scn.events.of(SessionShared) and not scn.events.of(Message)

    run(scenario)
