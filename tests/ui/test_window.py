"""The window itself: state kept across runs, keyboard operation, STOP with no treadmill."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDockWidget

from tests.ui.harness import AppHarness, run, settings_file, with_app


def test_window_state_is_remembered(loop: asyncio.AbstractEventLoop, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with AppHarness(tmp_path) as app:
            dock = app.window.findChild(QDockWidget, "consoleDock")
            assert dock is not None
            app.window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        again = settings_file(tmp_path)  # what the next run reads
        assert again.value("window/geometry") is not None
        async with AppHarness(tmp_path, settings=again, size=None) as app:
            dock = app.window.findChild(QDockWidget, "consoleDock")
            assert dock is not None
            assert app.window.dockWidgetArea(dock) is Qt.DockWidgetArea.LeftDockWidgetArea

    run(loop, scenario())


@with_app()
async def test_enter_clicks_the_focused_button(app: AppHarness) -> None:
    scan = app.window.connect_view.scan_button
    scan.setFocus()
    scanned = app.expect(app.bridge.scan_finished)
    app.key(Qt.Key.Key_Return, scan)
    (found,) = await scanned
    assert [d.address for d in found if d.kind == "treadmill"] == [app.world.treadmill_address]


@with_app()
async def test_pages_by_keyboard(app: AppHarness) -> None:
    await app.activate()
    for key, page in (
        (Qt.Key.Key_2, "programs"),
        (Qt.Key.Key_3, "dashboard"),
        (Qt.Key.Key_1, "connect"),
    ):
        QTest.keyClick(app.window, key, Qt.KeyboardModifier.ControlModifier)
        assert app.window.page == page


@with_app()
async def test_stop_without_a_treadmill_says_what_to_do(app: AppHarness) -> None:
    said = app.expect(app.bridge.message)
    app.click(app.window.controls.stop_button)
    (text,) = await said
    assert "own stop" in text
    assert "own stop" in app.window.statusBar().currentMessage()
    assert not app.window.program_view.start_button.isEnabled()
