"""The main window: pages, the alarm banner, the TURN AROUND overlay and the STOP bar.

Shape::

    MainWindow(bridge, programs, settings, world=None, speaker=None, sounds=None)
     ├── top bar              page buttons (Ctrl+1..3) · link status
     ├── AlarmBanner          alarms until acknowledged
     ├── body                 QStackedWidget: ConnectView, ProgramView, Dashboard
     │    └── TurnaroundOverlay  over the pages only, so STOP stays visible and clickable
     ├── SessionControls      STOP · Pause/Resume · Skip · +1 min · End session
     ├── ConsolePanel         a dock, with --simulate only
     ├── StopKeyFilter        Esc / Space stop from any widget of this window
     └── Cues                 speech and sounds
    closed                    emitted once the belt is stopped and the log closed

Closing: the first close is refused while the bridge stops the belt (through the runner),
closes the session log and disconnects; then the window closes for real and ``closed`` fires.
Geometry, dock state and the page are kept in QSettings.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from treadctl.link import Reconnecting, TreadmillInfo
from treadctl.program import Program
from treadctl.session import SessionState
from treadctl.virtual.world import VirtualWorld
from ui.alarms import AlarmBanner
from ui.bridge import SHUTDOWN_TIMEOUT_S, Bridge, SessionInfo
from ui.connect_view import ConnectView
from ui.console_panel import ConsolePanel
from ui.controls import SessionControls, StopKeyFilter
from ui.cues import Cues, SoundPlayer, Speaker
from ui.dashboard import Dashboard
from ui.overlay import TurnaroundOverlay
from ui.program_view import ProgramView

logger = logging.getLogger(__name__)

PAGES = ("connect", "programs", "dashboard")


class _Body(QWidget):
    """Holds the pages and keeps the overlay exactly over them."""

    def __init__(self, pages: QStackedWidget, overlay: TurnaroundOverlay) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(pages)
        overlay.setParent(self)
        self._overlay = overlay

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._overlay.setGeometry(self.rect())


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(
        self,
        bridge: Bridge,
        *,
        programs: Sequence[Program],
        settings: QSettings,
        world: VirtualWorld | None = None,
        speaker: Speaker | None = None,
        sounds: SoundPlayer | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("treadctl — simulated treadmill" if world else "treadctl")
        self._bridge = bridge
        self._settings = settings
        self._shutting_down = False
        self._shutdown_done = False
        self._tasks: set[asyncio.Task[Any]] = set()

        self.connect_view = ConnectView(bridge, settings)
        self.program_view = ProgramView(bridge, programs)
        self.dashboard = Dashboard(bridge)
        self.pages = QStackedWidget()
        for page in (self.connect_view, self.program_view, self.dashboard):
            self.pages.addWidget(page)
        self.overlay = TurnaroundOverlay()
        body = _Body(self.pages, self.overlay)
        self.alarms = AlarmBanner(bridge)
        self.controls = SessionControls(bridge)

        top = QHBoxLayout()
        top.setContentsMargins(8, 6, 8, 0)
        self.nav = QButtonGroup(self)
        self.nav.setExclusive(True)
        self.nav_buttons: list[QPushButton] = []
        for index, text in enumerate(("Treadmill", "Programs", "Dashboard")):
            button = QPushButton(f"{text}")
            button.setObjectName("navButton")
            button.setCheckable(True)
            button.setToolTip(f"Ctrl+{index + 1}")
            self.nav.addButton(button, index)
            self.nav_buttons.append(button)
            top.addWidget(button)
            QShortcut(QKeySequence(f"Ctrl+{index + 1}"), self, lambda i=index: self.show_page(i))
        self.nav.idClicked.connect(self.show_page)
        top.addStretch(1)
        self.link_status = QLabel("● not connected")
        self.link_status.setObjectName("linkStatus")
        top.addWidget(self.link_status)

        central = QWidget()
        central.setObjectName("central")
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 0, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.alarms)
        layout.addWidget(body, 1)
        layout.addWidget(self.controls)
        self.setCentralWidget(central)
        keys = QLabel("Esc / Space = STOP   ·   P pause   ·   N skip   ·   + one minute")
        keys.setObjectName("keyHint")
        self.statusBar().addPermanentWidget(keys)

        self.console: ConsolePanel | None = None
        if world is not None:
            self.console = ConsolePanel(world)
            dock = QDockWidget("Treadmill console", self)
            dock.setObjectName("consoleDock")
            dock.setWidget(self.console)
            dock.setFeatures(
                QDockWidget.DockWidgetFeature.DockWidgetMovable
                | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            )
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)

        self.cues = Cues(
            bridge,
            self.overlay,
            self.alarms,
            speaker if speaker is not None else Speaker(),
            sounds if sounds is not None else SoundPlayer(),
            self,
        )
        self.key_filter = StopKeyFilter(bridge, self)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.key_filter)
        for key, slot in (("P", self.on_pause_key), ("N", bridge.skip), ("+", self.on_extend_key)):
            QShortcut(QKeySequence(key), self, slot)

        bridge.session_started.connect(self.on_session_started)
        bridge.connected.connect(self.on_connected)
        bridge.reconnected.connect(self.on_reconnected)
        bridge.link_down.connect(self.on_link_down)
        bridge.reconnecting.connect(self.on_reconnecting)
        bridge.message.connect(self.on_message)
        self._restore()

    # -- pages ----------------------------------------------------------------------------------

    @property
    def page(self) -> str:
        return PAGES[self.pages.currentIndex()]

    def show_page(self, index: int | str) -> None:
        if isinstance(index, str):
            index = PAGES.index(index)
        self.pages.setCurrentIndex(index)
        self.nav_buttons[index].setChecked(True)

    # -- bridge → window ------------------------------------------------------------------------

    def on_session_started(self, info: SessionInfo) -> None:
        self.show_page("dashboard")

    def on_connected(self, info: TreadmillInfo) -> None:
        self._set_link_status(f"● {info.name or info.address}", "connected")
        if self.page == "connect":
            self.show_page("programs")

    def on_reconnected(self, info: TreadmillInfo) -> None:
        self._set_link_status(f"● {info.name or info.address}", "connected")

    def on_link_down(self, expected: bool) -> None:
        if expected:
            self._set_link_status("● not connected", "down")
        else:
            self._set_link_status("● connection lost — reconnecting", "lost")

    def on_reconnecting(self, event: Reconnecting) -> None:
        self._set_link_status(f"● reconnecting (attempt {event.attempt})", "lost")

    def on_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 10_000)

    def _set_link_status(self, text: str, state: str) -> None:
        self.link_status.setText(text)
        self.link_status.setProperty("state", state)
        self.link_status.style().unpolish(self.link_status)
        self.link_status.style().polish(self.link_status)

    # -- keys -----------------------------------------------------------------------------------

    def on_pause_key(self) -> None:
        # P pauses only; resuming moves the belt, which takes a deliberate button press.
        if self._bridge.session_state in (SessionState.RUNNING, SessionState.TURNAROUND):
            self._bridge.pause()

    def on_extend_key(self) -> None:
        self.controls.on_extend_clicked()

    # -- state kept across runs -----------------------------------------------------------------

    def _restore(self) -> None:
        geometry = self._settings.value("window/geometry")
        if isinstance(geometry, QByteArray | bytes) and not self.restoreGeometry(geometry):
            logger.info("saved window geometry not usable")
        elif not isinstance(geometry, QByteArray | bytes):
            self.resize(1600, 1000)
        state = self._settings.value("window/state")
        if isinstance(state, QByteArray | bytes):
            self.restoreState(state)
        self.show_page("connect")

    def _save(self) -> None:
        self._settings.setValue("window/geometry", self.saveGeometry())
        self._settings.setValue("window/state", self.saveState())
        self._settings.sync()

    # -- closing --------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._shutdown_done:
            event.accept()
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self.key_filter)
            self.closed.emit()
            return
        event.ignore()
        if self._shutting_down:
            return
        self._shutting_down = True
        self._save()
        self.statusBar().showMessage("Stopping the belt and closing the session log…")
        task = asyncio.ensure_future(self._shutdown())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _shutdown(self) -> None:
        try:
            await asyncio.wait_for(self._bridge.shutdown(), SHUTDOWN_TIMEOUT_S + 2)
        except TimeoutError:
            logger.error("shutdown took too long; closing anyway")
        finally:
            self._shutdown_done = True
            self.close()

    @property
    def shut_down(self) -> bool:
        return self._shutdown_done
