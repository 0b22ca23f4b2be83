"""Stop first, screen second: after a stop the person asked for, the window's updates wait
until the treadmill has answered the stop (``ui.bridge``, ``STOP_FIRST_S`` at most)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from tests.ui.harness import AppHarness, run
from treadctl.safety import StopReason
from treadctl.session import SessionState, StateChanged


def test_the_stop_is_written_before_the_window_hears_of_it(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with AppHarness(tmp_path) as app:
            await app.connect()
            await app.start_program_file()
            await app.belt_running()
            order: list[str] = []

            def on_trace(record: dict[str, Any]) -> None:
                if record.get("kind") == "write" and record.get("op") == "stop":
                    order.append("stop written")

            def on_state(event: StateChanged) -> None:
                order.append(f"window told: {event.state.value}")

            app.world.treadmill.add_trace_listener(on_trace)
            app.bridge.state_changed.connect(on_state)
            stopped = app.expect(
                app.bridge.state_changed, lambda e: e.state is SessionState.STOPPED
            )
            app.key(Qt.Key.Key_Escape, app.window)
            # The runner has decided (and its stop is on the way); the window has not heard.
            assert app.bridge.session_state is SessionState.STOPPED
            assert order == []
            assert not app.window.dashboard.state.text().startswith("STOPPED")
            (event,) = await stopped
            assert event.stop_reason is StopReason.ESTOP
            assert order == ["stop written", "window told: stopped"]
            assert app.window.controls.pause_button.text() == "Resume"
            await app.belt_stopped()

    run(loop, scenario())


def test_a_stop_nobody_answers_still_reaches_the_window(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with AppHarness(tmp_path) as app:
            await app.connect()
            await app.start_program_file()
            await app.belt_running()
            app.world.treadmill.faults.ignore_commands()  # written, never answered
            stopped = app.expect(
                app.bridge.state_changed, lambda e: e.state is SessionState.STOPPED
            )
            app.key(Qt.Key.Key_Space, app.window)
            assert not app.window.dashboard.state.text().startswith("STOPPED")  # held for now
            # No answer will come (the link waits seconds for one): the hold ends by itself,
            # after STOP_FIRST_S, well before the link gives up on the stop.
            (event,) = await stopped
            assert event.stop_reason is StopReason.APP_STOP
            assert app.window.dashboard.state.text().startswith("STOPPED")

    run(loop, scenario())
