"""The rear display: a full-screen dashboard on the screen behind the treadmill, for a person
walking backward. The offscreen platform has two screens (tests/offscreen_screens.json): the
window on "laptop" (1280x720) and a "rear" TV (1920x1080) to its right.

Qt's offscreen platform cannot unplug a screen, so the unplugging test calls the controller's
``screenRemoved``/``screenAdded`` slots with the real "rear" QScreen, as Qt would.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QScreen
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.ui.harness import AppHarness, run, with_app
from treadctl.limits import Direction
from treadctl.link import Sample
from treadctl.safety import NoticeKind, StopReason
from treadctl.session import SessionState
from ui import colors, format
from ui.alarms import ALARMS
from ui.rear_display import RearDisplay, alarm_action


def screen(name: str) -> QScreen:
    (found,) = [s for s in QApplication.screens() if s.name() == name]
    return found


async def open_rear(app: AppHarness) -> RearDisplay:
    """ "rear" chosen on the Settings page, as a person does; returns the display once the
    focus is back on the window.

    The offscreen platform activates every window it shows, whatever its flags say: the focus
    leaves the window for a moment, and the controller gives it back.
    """
    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    await app.activate()
    app.window.show_page("settings")
    focus_back = app.expect(qapp.focusWindowChanged, lambda w: w is app.window.windowHandle())
    app.window.settings_view.set_rear_screen("rear")
    display = app.window.rear_display.display
    assert display is not None and display.isVisible()
    await focus_back
    return display


def test_every_alarm_says_what_happens_in_few_words() -> None:
    for text in ALARMS.values():
        action = alarm_action(text)
        assert action and len(action) <= 60
        assert not action.lower().startswith(text.title.lower())  # not the title twice
    stop = alarm_action(ALARMS[NoticeKind.STOP_NOT_CONFIRMED])
    assert stop == "Use its own stop or safety key."


@with_app()
async def test_choosing_the_rear_screen_opens_it_there_full_screen(app: AppHarness) -> None:
    view = app.window.settings_view
    app.window.show_page("settings")
    # Off, and every screen but the one the window is on.
    listed = [view.rear.itemData(i) for i in range(view.rear.count())]
    assert listed == ["", "rear"]
    assert view.rear.currentData() == ""
    assert app.window.rear_display.display is None

    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    await app.activate()
    # The offscreen platform activates every window it shows, whatever its flags: the focus
    # leaves the window for a moment and must come back to it.
    focus_back = app.expect(qapp.focusWindowChanged, lambda w: w is app.window.windowHandle())
    view.set_rear_screen("rear")
    display = app.window.rear_display.display
    assert display is not None and display.isVisible()
    assert display.screen() is screen("rear")
    assert display.geometry() == screen("rear").geometry()
    assert display.isFullScreen()
    flags = display.windowFlags()
    assert flags & Qt.WindowType.FramelessWindowHint
    assert flags & Qt.WindowType.WindowDoesNotAcceptFocus
    assert app.settings.value("display/rear_screen") == "rear"
    await focus_back
    assert QApplication.focusWindow() is app.window.windowHandle()
    assert app.window.isActiveWindow() and not display.isActiveWindow()

    # Nothing to show yet, and it says why rather than showing a number.
    assert display.speed_text == format.DASH
    assert display.status_text == "not connected"
    assert display.state_text == "NO SESSION"

    view.set_rear_screen("")
    assert app.window.rear_display.display is None
    assert not any(isinstance(w, RearDisplay) and w.isVisible() for w in qapp.topLevelWidgets())


@with_app()
async def test_a_program_on_the_rear_display(app: AppHarness) -> None:
    display = await open_rear(app)
    await app.running_program()
    assert app.window.rear_display.display is display

    # The measured speed, as the last record says, in the display unit.
    latest: list[Sample] = []
    app.bridge.sample.connect(latest.append)
    await app.until(lambda: bool(latest) and (latest[-1].speed_kmh or 0) > 0)
    assert display.speed_text == format.speed(latest[-1].speed_kmh)
    assert display.speed_text != format.DASH and display.status_text == ""
    assert display.facing is Direction.FORWARD
    assert display.state_text == "RUNNING"
    # Time left in the 20 s forward segment.
    await app.until(lambda: display.time_left_text != format.DASH, app.bridge.progress)
    assert display.time_caption == "LEFT IN SEGMENT"
    minutes, seconds = display.time_left_text.split(":")
    assert 0 < int(minutes) * 60 + int(seconds) <= 20

    # The turnaround: the window's own cue, word for word.
    await app.expect(app.bridge.countdown, lambda c: c.turnaround)
    assert display.overlay.isVisible()
    assert display.cue_text.startswith("TURN AROUND")
    assert display.cue_text == app.window.overlay.cue_text
    await app.expect_notice(NoticeKind.TURNAROUND_COUNTDOWN)
    assert "BACKWARD" in display.cue_text
    assert display.cue_text == app.window.overlay.cue_text
    await app.expect_notice(NoticeKind.DIRECTION_CHANGED)
    await app.until(lambda: display.facing is Direction.BACKWARD, app.bridge.progress)
    assert display.direction.text == "BACKWARD"


@with_app()
async def test_silence_and_a_lost_link_are_shown_as_they_are(app: AppHarness) -> None:
    display = await open_rear(app)
    await app.running_program()
    await app.samples(2)
    assert display.speed_text != format.DASH
    console = app.window.console
    assert console is not None

    # Silence: past the watchdog's 3 s the last speed is no longer shown as if true.
    watchdog = app.expect_notice(NoticeKind.WATCHDOG)
    stopped = app.expect_state(SessionState.STOPPED)
    console.silent.setChecked(True)
    await watchdog
    await stopped
    await app.until(lambda: display.speed_text == format.DASH, display.data_timer.timeout)
    match = re.fullmatch(r"no data for (\d+) s", display.status_text)
    assert match is not None and int(match.group(1)) >= 3
    # The alarm, in the window's words, on red.
    assert display.alarm_text == ALARMS[NoticeKind.WATCHDOG].title
    assert display.alarm_action_text == "Stopping."
    assert display.state_text == "STOPPED"
    display.repaint()
    image = display.grab().toImage()
    alarm = display._regions()["alarm"]
    corner = QPoint(int(alarm.left() + 30), int(alarm.top() + 4))
    assert image.pixelColor(corner) == QColor(colors.STOP)

    # Data again: a speed again (the stopped belt's), the alarm stays until someone resumes.
    console.silent.setChecked(False)
    await app.samples(2)
    assert display.status_text == "" and display.speed_text != format.DASH
    assert display.alarm_text == ALARMS[NoticeKind.WATCHDOG].title

    # The link drops: it says so, and shows no speed at all.
    lost = app.expect_notice(NoticeKind.LINK_LOST)
    app.click(console.buttons["drop_link"])
    await lost
    assert display.status_text.startswith("connection lost")
    assert display.speed_text == format.DASH
    assert display.alarm_text.startswith(ALARMS[NoticeKind.LINK_LOST].title)
    await app.expect(app.bridge.reconnected)
    await app.samples(2)
    assert display.status_text == "" and display.speed_text != format.DASH


@with_app()
async def test_pause_and_stop_differ_and_the_stop_keys_still_stop(app: AppHarness) -> None:
    display = await open_rear(app)
    await app.running_program()
    controls = app.window.controls

    paused = app.expect_state(SessionState.STOPPED)
    app.click(controls.pause_button)
    (event,) = await paused
    assert event.stop_reason is StopReason.USER_PAUSE
    assert display.state_text == "PAUSED"
    pause_look = display.state_look
    resumed = app.expect_state(SessionState.RUNNING)
    app.click(controls.pause_button)
    await resumed
    await app.belt_running()
    assert display.state_text == "RUNNING"

    # Esc on the laptop, the rear display open: the keys are still the window's.
    assert QApplication.focusWindow() is app.window.windowHandle()
    focus = QApplication.focusWidget()
    assert focus is None or focus.window() is app.window
    stopped = app.expect_state(SessionState.STOPPED)
    app.key(Qt.Key.Key_Escape)
    (event,) = await stopped
    assert event.stop_reason is StopReason.ESTOP
    await app.belt_stopped()
    await app.until(lambda: display.state_text == "STOPPED", app.bridge.sample)
    stop_look = display.state_look
    assert (stop_look.fill, stop_look.icon) != (pause_look.fill, pause_look.icon)

    # A key that reaches the rear display anyway is passed on: Space there stops too.
    resumed = app.expect_state(SessionState.RUNNING)
    app.click(controls.pause_button)
    await resumed
    await app.belt_running()
    stopped = app.expect_state(SessionState.STOPPED)
    QTest.keyClick(display, Qt.Key.Key_Space)
    (event,) = await stopped
    assert event.stop_reason is StopReason.APP_STOP
    await app.belt_stopped()


def test_unplugging_the_rear_screen_closes_it_and_the_choice_is_kept(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with AppHarness(tmp_path) as app:
            controller = app.window.rear_display
            display = await open_rear(app)
            status = app.window.statusBar()
            controller.on_screen_removed(screen("laptop"))  # not its screen: nothing to do
            assert controller.display is display

            controller.on_screen_removed(screen("rear"))
            assert controller.display is None
            assert "“rear” was disconnected" in status.currentMessage()
            assert app.settings.value("display/rear_screen") == "rear"  # still the choice

            controller.on_screen_added(screen("rear"))
            again = controller.display
            assert again is not None and again.isVisible()
            assert again.geometry() == screen("rear").geometry()
            assert "back on screen “rear”" in status.currentMessage()

            # The window dragged onto the rear screen: the rear display must not cover it.
            app.window.move(screen("rear").geometry().topLeft())
            await app.until(
                lambda: controller.display is None, app.window.windowHandle().screenChanged
            )
            assert "this window is on screen “rear”" in status.currentMessage()
            app.window.move(screen("laptop").geometry().topLeft())
            await app.until(
                lambda: controller.display is not None, app.window.windowHandle().screenChanged
            )

            # It closes with the window.
            await app.close_window()
            assert controller.display is None
            assert not any(
                isinstance(w, RearDisplay) and w.isVisible() for w in QApplication.topLevelWidgets()
            )
        # The next run: the same settings file; the rear display opens with the window.
        async with AppHarness(tmp_path) as app:
            display = app.window.rear_display.display
            assert display is not None and display.screen() is screen("rear")
            assert app.window.settings_view.rear.currentData() == "rear"

    run(loop, scenario())
