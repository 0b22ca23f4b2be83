"""The control bar, always on screen.

Shape::

    SessionControls(bridge)    STOP (large, red) · Pause / Resume · Skip · +1 min · … · End
        block_resume(why) / unblock_resume()    Resume off while the treadmill cannot start
                                                (the safety key out): says why in its tooltip

Ending a session is two presses: the first turns the button into "Press again to end" for
``CONFIRM_S``; only a second press inside that ends it. It sits at the far end of the bar,
away from "+1 min", so a hand reaching for more time does not end the session.

The keys that stop the belt from anywhere are ``ui.stop_keys``. Resume has no keyboard key on
purpose: starting a belt should take a deliberate press (a remote's long press, see there).
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from treadctl.core import SessionInfo, SessionKind, SessionState, StateChanged
from ui.bridge import Bridge
from ui.styling import set_style_property

EXTEND_S = 60.0
#: How long (real seconds) "End session" waits for the confirming second press.
CONFIRM_S = 4.0

_RUNNING = (SessionState.RUNNING, SessionState.TURNAROUND)
_END = "End session…"


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
        self.finish_button = QPushButton(_END)
        self.finish_button.setObjectName("finishButton")
        self.finish_button.setToolTip(
            "Stop the belt and close the session log (press twice: once, then again to confirm)"
        )
        self._confirm = QTimer(self)
        self._confirm.setSingleShot(True)
        self._confirm.setInterval(int(CONFIRM_S * 1000))
        self._confirm.timeout.connect(self._end_unconfirmed)
        self._resume_blocked: str | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(12)
        layout.addWidget(self.stop_button, 4)
        for button in (self.pause_button, self.skip_button, self.extend_button):
            button.setObjectName(button.objectName() or "controlButton")
            layout.addWidget(button, 2)
        layout.addSpacing(48)
        layout.addWidget(self.finish_button, 2)
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
        self._resume_blocked = None
        self._end_unconfirmed()
        self._update()

    def block_resume(self, why: str) -> None:
        """Resume cannot work now (the treadmill refuses to start): off, with the reason."""
        self._resume_blocked = why
        self._update()

    def unblock_resume(self) -> None:
        self._resume_blocked = None
        self._update()

    @property
    def resume_blocked(self) -> str | None:
        return self._resume_blocked

    def _update(self) -> None:
        # None: no session (idle, or the last one has finished).
        in_session = self._state not in (None, SessionState.FINISHED)
        program = in_session and self._bridge.session_kind is SessionKind.PROGRAM
        running = self._state in _RUNNING
        self.pause_button.setText("Pause" if running else "Resume")  # Qt skips an unchanged text
        set_style_property(self.pause_button, "resume", not running)
        blocked = not running and self._resume_blocked is not None
        self.pause_button.setEnabled(
            in_session and self._state is not SessionState.READY and not blocked
        )
        self.pause_button.setToolTip(
            self._resume_blocked or "" if blocked else "Pause (P)" if running else ""
        )
        self.skip_button.setEnabled(program)
        self.extend_button.setEnabled(program)
        self.finish_button.setEnabled(in_session)
        if not in_session:
            self._end_unconfirmed()

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
        if not self._confirm.isActive():
            self._confirm.start()
            self.finish_button.setText("Press again to end")
            set_style_property(self.finish_button, "confirming", True)
            return
        self._end_unconfirmed()
        self._bridge.finish_session()

    @property
    def confirming_end(self) -> bool:
        return self._confirm.isActive()

    def _end_unconfirmed(self) -> None:
        self._confirm.stop()
        self.finish_button.setText(_END)
        set_style_property(self.finish_button, "confirming", False)
