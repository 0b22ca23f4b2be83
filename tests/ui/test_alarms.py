"""Alarms other than link loss, each raised by a real fault of the virtual treadmill: no data,
heart rate over the maximum, a refused command. Each explains itself and stays until
acknowledged; each is also spoken."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.ui.harness import AppHarness, run
from treadctl.limits import Limits
from treadctl.safety import NoticeKind, StopReason
from treadctl.session import SessionState


def test_silent_treadmill_raises_the_no_data_alarm(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with AppHarness(tmp_path) as app:
            await app.connect()
            await app.start_program_file()
            await app.belt_running()
            assert app.window.console is not None
            watchdog = app.expect(app.bridge.notice, lambda n: n.kind is NoticeKind.WATCHDOG)
            stopped = app.expect(
                app.bridge.state_changed, lambda e: e.state is SessionState.STOPPED
            )
            app.window.console.silent.setChecked(True)
            await watchdog
            (event,) = await stopped
            assert event.stop_reason is StopReason.WATCHDOG
            row = app.window.alarms.row(NoticeKind.WATCHDOG)
            assert row is not None and app.window.alarms.isVisible()
            assert "told to stop" in row.message.text()
            assert "No data" in row.details.text()
            assert any("No data" in s for s in app.speaker.spoken)
            app.window.console.silent.setChecked(False)
            await app.belt_stopped()
            await app.samples(4)  # data flows again; the alarm waits for a person
            assert app.window.alarms.row(NoticeKind.WATCHDOG) is not None
            app.click(row.ack)
            assert not app.window.alarms.isVisible()

    run(loop, scenario())


def test_heart_rate_over_the_maximum(loop: asyncio.AbstractEventLoop, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with AppHarness(tmp_path, limits=Limits(max_heart_rate_bpm=150)) as app:
            await app.connect()
            await app.start_program_file()
            await app.belt_running()
            console = app.window.console
            assert console is not None
            high = app.expect(app.bridge.notice, lambda n: n.kind is NoticeKind.HEART_RATE_HIGH)
            console.heart_rate.setValue(170)  # the hand grips report 170 bpm
            await high
            await app.until(lambda: app.window.dashboard.heart_rate.value == "170 bpm")
            row = app.window.alarms.row(NoticeKind.HEART_RATE_HIGH)
            assert row is not None
            assert "170" in row.details.text() and "150" in row.details.text()
            assert "Resume" in row.message.text()

    run(loop, scenario())


def test_refused_command_raises_the_command_failed_alarm(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with AppHarness(tmp_path) as app:
            await app.connect()
            started = app.expect(app.bridge.session_started)
            app.click(app.window.program_view.manual_button)
            await started
            await app.belt_running()
            console = app.window.console
            assert console is not None
            failed = app.expect(app.bridge.notice, lambda n: n.kind is NoticeKind.COMMAND_FAILED)
            console.refuse.setChecked(True)
            app.click(app.window.dashboard.manual_buttons["speed_up"])
            (_notice,) = await failed
            row = app.window.alarms.row(NoticeKind.COMMAND_FAILED)
            assert row is not None and app.window.alarms.isVisible()
            assert "refused" in row.details.text() or "failed" in row.details.text()
            assert "own stop" in row.message.text()
            console.refuse.setChecked(False)

    run(loop, scenario())
