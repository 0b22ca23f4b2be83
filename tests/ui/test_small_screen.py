"""The app on a gym's laptop: every page, STOP always on the screen, the window never past it.

The tests' offscreen screen is 1280x720 (tests/offscreen_screens.json), the smallest the app
must fit; the harness asks for 1600x1000 first, as a first start on a big screen would.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QPoint, QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QScrollArea

from tests.ui.harness import AppHarness, run, settings_file, with_app
from treadctl.core import Notice, NoticeKind, StopReason
from ui.alarms import ALARMS
from ui.main_window import PAGES, MainWindow, fitted


def _screen(window: MainWindow) -> QRect:
    screen = window.screen() or QGuiApplication.primaryScreen()
    assert screen is not None
    return screen.availableGeometry()


def _on_screen(window: MainWindow) -> list[str]:
    """What is not on the window's screen: the window itself, STOP, the session buttons
    (after the layouts have done what the last change asked of them)."""
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    room = _screen(window)
    out = []
    if not room.contains(window.frameGeometry()):
        out.append(f"window {window.frameGeometry().getRect()} outside {room.getRect()}")
    c = window.controls
    for button in (c.stop_button, c.pause_button, c.skip_button, c.finish_button):
        corners = (button.rect().topLeft(), button.rect().bottomRight())
        where = [button.mapToGlobal(p) for p in corners]
        if not button.isVisible() or not all(room.contains(p) for p in where):
            out.append(f"{button.text()!r} at {[p.toTuple() for p in where]}")
    return out


@with_app()
async def test_every_page_keeps_stop_on_a_1280x720_screen(app: AppHarness) -> None:
    window = app.window
    assert _screen(window).size().toTuple() == (1280, 720)
    await app.connect()
    for page in PAGES:
        window.show_page(page)
        assert _on_screen(window) == [], page
    await app.start_program_file()
    await app.belt_running()
    # The worst case: a session running with an alarm banner over the page.
    window.console.silent.setChecked(True)  # type: ignore[union-attr]
    await app.expect_notice(NoticeKind.WATCHDOG)
    for page in PAGES:
        window.show_page(page)
        assert _on_screen(window) == [], f"{page} with an alarm"
    assert window.dashboard.room == "compact"
    assert window.dashboard.plot.compact  # no legend over a strip of a plot


@with_app()
async def test_long_texts_never_grow_the_window_past_the_screen(app: AppHarness) -> None:
    window = app.window
    await app.connect()
    long = "A very long text that no laptop has room for " * 12
    window.on_message(long)
    window._set_link_status(f"● {long}", "lost")
    window.dashboard.on_message(long)
    window.dashboard.segment_now.setText(long)
    window.profile_badge.setText(long)
    # Every alarm at once, each with its title in large type and the time.
    for kind in ALARMS:
        if isinstance(kind, StopReason):
            window.alarms.on_notice(Notice(NoticeKind.STOPPED, long, {"reason": kind.value}))
        else:
            window.alarms.on_notice(Notice(kind, long))
    assert len(window.alarms.active_kinds) == len(ALARMS)
    for page in PAGES:
        window.show_page(page)
        assert _on_screen(window) == [], page
        assert window.width() <= 1280, page


def test_a_geometry_saved_on_a_bigger_screen_comes_back_inside_this_one(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with AppHarness(tmp_path, size=(1900, 1180)) as app:
            app.window.move(200, 150)
            # Saved as it would be on a 1920x1200 screen (the offscreen one would have fitted
            # the window already: the bytes are what another screen left behind).
            app.window.setGeometry(200, 150, 1900, 1180)
            saved = app.window.saveGeometry()
        again = settings_file(tmp_path)
        again.setValue("window/geometry", QByteArray(saved))
        async with AppHarness(tmp_path, settings=again, size=None) as app:
            assert _on_screen(app.window) == []
            assert app.window.width() <= 1280 and app.window.height() <= 720

    run(loop, scenario())


def test_fitted_moves_then_shrinks_into_the_room() -> None:
    room = QRect(0, 0, 1280, 720)
    assert fitted(QRect(200, 150, 1900, 1180), room) == room
    assert fitted(QRect(1000, 600, 800, 400), room) == QRect(480, 320, 800, 400)
    assert fitted(QRect(-50, -20, 300, 200), room).topLeft() == QPoint(0, 0)
    assert fitted(QRect(100, 100, 300, 200), room) == QRect(100, 100, 300, 200)


@with_app()
async def test_no_page_scrolls_sideways_beside_the_simulated_console(app: AppHarness) -> None:
    """At 1280x720 with the simulated treadmill's console docked beside the pages, each page
    fits the width left to it: a sideways scroll bar hid the History's export buttons and
    squeezed its weekly chart to a strip (a long program name in the plot's title)."""
    window = app.window
    assert window.console is not None
    await app.connect()
    await app.short_session(
        'name = "Backward walking, week 1: long intervals with rests"\n'
        '[[steps]]\ndirection = "backward"\nspeed = "2 km/h"\nduration = "1 min"\n'
    )
    window.history_view.refresh()
    window.history_view.table.selectRow(0)
    for page in PAGES:
        window.show_page(page)
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        area = window.pages.currentWidget()
        assert isinstance(area, QScrollArea)
        bar = area.horizontalScrollBar()
        assert bar.maximum() == 0, f"{page}: scrolls {bar.maximum()} px sideways"
