"""Stop first, screen second: after a stop the person asked for, the window's updates wait
until the treadmill has answered the stop (``ui.bridge``, ``STOP_FIRST_S`` at most)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from tests.ui.harness import AppHarness, with_app
from treadctl.safety import StopReason
from treadctl.session import SessionState, StateChanged


@with_app()
async def test_the_stop_is_written_before_the_window_hears_of_it(app: AppHarness) -> None:
    await app.running_program()
    order: list[str] = []

    def on_trace(record: dict[str, Any]) -> None:
        if record.get("kind") == "write" and record.get("op") == "stop":
            order.append("stop written")

    def on_state(event: StateChanged) -> None:
        order.append(f"window told: {event.state.value}")

    app.world.treadmill.add_trace_listener(on_trace)
    app.bridge.state_changed.connect(on_state)
    stopped = app.expect_state(SessionState.STOPPED)
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


@with_app()
async def test_a_stop_nobody_answers_still_reaches_the_window(app: AppHarness) -> None:
    await app.running_program()
    app.world.treadmill.faults.ignore_commands()  # written, never answered
    stopped = app.expect_state(SessionState.STOPPED)
    app.key(Qt.Key.Key_Space, app.window)
    assert not app.window.dashboard.state.text().startswith("STOPPED")  # held for now
    # No answer will come (the link waits seconds for one): the hold ends by itself,
    # after STOP_FIRST_S, well before the link gives up on the stop.
    (event,) = await stopped
    assert event.stop_reason is StopReason.APP_STOP
    # The window has heard; the belt, which ignores the stop, is shown as it is.
    assert app.window.controls.pause_button.text() == "Resume"
    assert app.window.dashboard.state.text() == "BELT MOVING"
