"""The control bar (always on screen) and the keys that stop the belt from anywhere.

Shape::

    SessionControls(bridge)    STOP (large, red) · Pause / Resume · Skip · +1 min · End session
    StopKeyFilter(bridge, window)
        installed on the QApplication: Esc (E-stop) and Space (stop) in any widget of
        ``window`` reach the runner before the widget sees them; Enter/Return on a focused
        button clicks it (Space no longer can)

Why an application event filter and not QShortcut: a shortcut loses to a focused widget that
wants the key (a list view takes Space for selection, a button for a click), and the person on
the belt must not need to know where the focus is. The filter sees every key event first.
Resume has no key on purpose: starting a belt should take a deliberate press.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractButton, QHBoxLayout, QPushButton, QWidget

from treadctl.core import SessionInfo, SessionKind, SessionState, StateChanged
from ui.bridge import Bridge
from ui.styling import set_style_property

EXTEND_S = 60.0

_RUNNING = (SessionState.RUNNING, SessionState.TURNAROUND)


class SessionControls(QWidget):
    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sessionControls")
        self._bridge = bridge
        self._state: SessionState | None = None
        self.stop_button = QPushButton("STOP")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setToolTip("Stop the belt (Space). Esc is the emergency stop.")
        self.stop_button.setAccessibleName("Stop the belt")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("pauseButton")
        self.skip_button = QPushButton("Skip ▸")
        self.skip_button.setToolTip("Go to the next segment (ramps and turnarounds still apply)")
        self.extend_button = QPushButton("+1 min")
        self.extend_button.setToolTip("Make this segment one minute longer")
        self.finish_button = QPushButton("End session")
        self.finish_button.setToolTip("Stop the belt and close the session log")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(12)
        layout.addWidget(self.stop_button, 4)
        for button in (self.pause_button, self.skip_button, self.extend_button, self.finish_button):
            button.setObjectName(button.objectName() or "controlButton")
            layout.addWidget(button, 2)
        self.stop_button.clicked.connect(self.on_stop_clicked)
        self.pause_button.clicked.connect(self.on_pause_clicked)
        self.skip_button.clicked.connect(self.on_skip_clicked)
        self.extend_button.clicked.connect(self.on_extend_clicked)
        self.finish_button.clicked.connect(self.on_finish_clicked)
        bridge.session_started.connect(self.on_session_started)
        bridge.state_changed.connect(self.on_state_changed)
        bridge.session_finished.connect(self.on_session_finished)
        self._update()

    def on_session_started(self, info: SessionInfo) -> None:
        self._state = SessionState.READY
        self._update()

    def on_state_changed(self, event: StateChanged) -> None:
        self._state = event.state
        self._update()

    def on_session_finished(self, *_: object) -> None:
        self._state = None
        self._update()

    def _update(self) -> None:
        # None: no session (idle, or the last one has finished).
        in_session = self._state not in (None, SessionState.FINISHED)
        program = in_session and self._bridge.session_kind is SessionKind.PROGRAM
        running = self._state in _RUNNING
        self.pause_button.setText("Pause" if running else "Resume")  # Qt skips an unchanged text
        set_style_property(self.pause_button, "resume", not running)
        self.pause_button.setEnabled(in_session and self._state is not SessionState.READY)
        self.skip_button.setEnabled(program)
        self.extend_button.setEnabled(program)
        self.finish_button.setEnabled(in_session)

    # -- intents --------------------------------------------------------------------------------

    def on_stop_clicked(self) -> None:
        self._bridge.stop()

    def on_pause_clicked(self) -> None:
        if self._state in _RUNNING:
            self._bridge.pause()
        else:
            self._bridge.resume()

    def on_skip_clicked(self) -> None:
        self._bridge.skip()

    def on_extend_clicked(self) -> None:
        self._bridge.extend(EXTEND_S)

    def on_finish_clicked(self) -> None:
        self._bridge.finish_session()


class StopKeyFilter(QObject):
    """Esc and Space stop the belt from any widget of one window. Install on the QApplication."""

    def __init__(self, bridge: Bridge, window: QWidget) -> None:
        super().__init__(window)
        self._bridge = bridge
        self._window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self._window:
            return False
        assert isinstance(event, QKeyEvent)
        key = event.key()
        if key in (Qt.Key.Key_Escape, Qt.Key.Key_Space):
            if kind is QEvent.Type.ShortcutOverride:
                # Claim the key so no shortcut or widget consumes it before the KeyPress.
                event.accept()
                return True
            if not event.isAutoRepeat():
                if key == Qt.Key.Key_Escape:
                    self._bridge.estop()
                else:
                    self._bridge.stop()
            return True
        if (
            kind is QEvent.Type.KeyPress
            and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and isinstance(watched, QAbstractButton)
            and watched.isEnabled()
        ):
            watched.animateClick()
            return True
        return False
