"""The app's main flows, end to end: widgets → bridge → real engine → virtual treadmill (GATT).

Each test opens the whole window on a ScaledClock and drives it as a person would (clicks,
keys, the simulated console's buttons), then checks the screen *and* the treadmill itself.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.harness import AppHarness, with_app
from treadctl import __version__
from treadctl.limits import Direction
from treadctl.recorder import read_session_log
from treadctl.safety import NoticeKind, StopReason
from treadctl.session import SessionState
from treadctl.virtual.treadmill import MachineState
from ui import format


@with_app()
async def test_connect_through_the_connect_page(app: AppHarness) -> None:
    view = app.window.connect_view
    assert app.window.page == "connect"
    await app.scan()
    texts = [view.devices.item(i).text() for i in range(view.devices.count())]
    assert any("Virtual Treadmill" in t and "dBm" in t for t in texts)
    connected = app.expect(app.bridge.connected)
    app.click(view.connect_button)
    (info,) = await connected
    assert info.address == app.world.treadmill_address
    assert "Connected to Virtual Treadmill" in view.status.text()
    assert not view.device_details.isHidden()  # the page itself has moved on to programs
    assert view.device_details.text() == (
        f"Manufacturer: treadctl   ·   Model: Virtual Treadmill   ·   Firmware: {__version__}"
    )
    assert "Virtual Treadmill" in app.window.link_status.text()
    assert app.window.page == "programs"  # next step: pick a program
    assert app.settings.value("link/last_address") == app.world.treadmill_address


@with_app(quirks="fitshow")
async def test_the_connect_page_says_why_the_treadmill_misbehaves(app: AppHarness) -> None:
    view = app.window.connect_view
    await app.connect()
    assert view.diagnostic.isHidden()
    told = app.expect(app.bridge.diagnostic)
    app.world.treadmill.pull_safety_key()
    text, cleared = await told
    assert text == "The treadmill reports: safety key removed." and not cleared
    assert view.diagnostic.text() == f"⚠ {text}" and not view.diagnostic.isHidden()
    told = app.expect(app.bridge.diagnostic)
    app.world.treadmill.insert_safety_key()
    text, cleared = await told
    assert cleared and view.diagnostic.text() == (
        "The treadmill no longer reports safety key removed."
    )
    assert view.diagnostic.property("cleared") == "true"


@with_app()
async def test_program_runs_through_a_turnaround(app: AppHarness) -> None:
    await app.connect()
    await app.start_program_file()
    dash = app.window.dashboard
    assert app.window.page == "dashboard"
    await app.belt_running()
    await app.until(lambda: dash.speed.text() not in (format.DASH, "0.0"))
    assert dash.direction.text == "FORWARD"
    assert dash.segment_now.text().startswith("Now 1/2: Forward walk")
    assert "Backward walk" in dash.segment_next.text()
    await app.until(lambda: dash.elapsed.value != format.DASH, app.bridge.progress)

    # Before the direction change: the countdown, then the full-window cue.
    await app.expect(app.bridge.countdown, lambda c: c.turnaround)
    assert app.window.overlay.isVisible()
    assert "TURN AROUND" in app.window.overlay.cue_text
    assert dash.countdown.text() == "TURN AROUND NEXT"
    assert "Get ready to turn around." in app.speaker.spoken
    # The governor slows the belt and holds it; the overlay counts the hold down.
    await app.expect_notice(NoticeKind.TURNAROUND_COUNTDOWN)
    assert app.window.overlay.isVisible()
    assert "BACKWARD" in app.window.overlay.cue_text
    await app.expect_notice(NoticeKind.DIRECTION_CHANGED)
    await app.until(lambda: dash.direction.direction is Direction.BACKWARD)
    assert dash.direction.text == "BACKWARD"
    assert dash.segment_now.text().startswith("Now 2/2: Backward walk")
    assert dash.cue.text() == "Hold the rails"
    assert dash.plot.sample_count > 0
    assert dash.progress_bar.value() > 0


@with_app()
async def test_stop_button_stops_the_belt(app: AppHarness) -> None:
    await app.running_program()
    stopped = app.expect_state(SessionState.STOPPED)
    app.click(app.window.controls.stop_button)
    (event,) = await stopped
    assert event.stop_reason is StopReason.APP_STOP
    await app.belt_stopped()
    # The pill follows the records: the one showing the belt still may be a moment behind.
    await app.until(lambda: app.window.dashboard.state.text() == "STOPPED", app.bridge.sample)
    assert app.window.controls.pause_button.text() == "Resume"


@with_app()
async def test_esc_and_space_stop_from_any_widget(app: AppHarness) -> None:
    await app.running_program()
    controls = app.window.controls

    # Esc with the focus on a list on another page: the emergency stop.
    app.window.program_view.list.setFocus()
    stopped = app.expect_state(SessionState.STOPPED)
    app.key(Qt.Key.Key_Escape, app.window.program_view.list)
    (event,) = await stopped
    assert event.stop_reason is StopReason.ESTOP
    await app.belt_stopped()

    # Resume is a deliberate press; then Space — on the focused Pause button, which
    # Space would otherwise click — stops again.
    resumed = app.expect_state(SessionState.RUNNING)
    app.click(controls.pause_button)
    await resumed
    await app.belt_running()
    assert controls.pause_button.text() == "Pause"
    stopped = app.expect_state(SessionState.STOPPED)
    app.key(Qt.Key.Key_Space, controls.pause_button)
    (event,) = await stopped
    assert event.stop_reason is StopReason.APP_STOP  # a stop, not a pause
    await app.belt_stopped()


@with_app()
async def test_console_stop_is_never_undone_by_the_app(app: AppHarness) -> None:
    await app.running_program()
    assert app.window.console is not None
    stopped = app.expect_state(SessionState.STOPPED)
    app.click(app.window.console.buttons["stop"])
    (event,) = await stopped
    assert event.stop_reason is StopReason.CONSOLE_STOP
    starts_before = app.trace.ops.count("start_or_resume")
    # Time passes (16 records = 4 simulated seconds, longer than a countdown):
    # nothing starts the belt again.
    await app.samples(16)
    assert app.world.model.state is MachineState.STOPPED
    assert app.bridge.session_state is SessionState.STOPPED
    assert app.trace.ops.count("start_or_resume") == starts_before
    assert "at the treadmill" in app.window.dashboard.status.text()


@with_app()
async def test_link_loss_alarm_stays_until_acknowledged(app: AppHarness) -> None:
    await app.running_program()
    banner = app.window.alarms
    assert app.window.console is not None
    lost = app.expect_notice(NoticeKind.LINK_LOST)
    app.click(app.window.console.buttons["drop_link"])
    await lost
    row = banner.row(NoticeKind.LINK_LOST)
    assert row is not None and banner.isVisible()
    assert "treadmill's own stop" in row.message.text()
    assert "lost" in app.window.link_status.text()
    # The link comes back by itself and the belt is told to stop; the alarm stays.
    await app.expect(app.bridge.reconnected)
    await app.samples(4)
    await app.belt_stopped()
    assert banner.isVisible() and banner.row(NoticeKind.LINK_LOST) is not None
    assert app.bridge.session_state is SessionState.STOPPED
    app.click(row.ack)
    assert not banner.isVisible()
    assert banner.active_kinds == []


@with_app()
async def test_closing_the_window_stops_the_belt_and_closes_the_log(app: AppHarness) -> None:
    await app.running_program()
    finished = app.expect(app.bridge.session_finished)
    await app.close_window()
    (ended,) = await finished
    finished_event, log_path = ended.finished, ended.log_path
    assert finished_event.reason.value == "stopped"
    assert app.world.model.state is MachineState.STOPPED
    assert "stop" in app.trace.ops
    log = read_session_log(log_path)
    assert log.end is not None
    assert log_path.parent == app.sessions_dir


@with_app()
async def test_p_pauses_but_never_resumes(app: AppHarness) -> None:
    await app.running_program()
    await app.activate()
    paused = app.expect_state(SessionState.STOPPED)
    app.key(Qt.Key.Key_P, app.window)
    (event,) = await paused
    assert event.stop_reason is StopReason.USER_PAUSE
    await app.until(lambda: app.world.model.state is MachineState.PAUSED)
    starts = app.trace.ops.count("start_or_resume")
    app.key(Qt.Key.Key_P, app.window)  # a second P is not a resume
    await app.samples(8)
    assert app.world.model.state is MachineState.PAUSED
    assert app.trace.ops.count("start_or_resume") == starts
