"""Keys that stop the belt from every window the app opens, and the remotes people use.

Shape::

    KEYS: tuple[StopKey, ...]        every key that stops, with what a person reads about it
    describe(key) -> str             what a press of ``key`` does, for the settings page
    StopKeyFilter(bridge, window)    installed on the QApplication
        key_seen(str)                every key press it saw, described (the remote test)
        resume_held(str)             a long press resumed the session (for the cues)

Which keys. Esc is the emergency stop and Space the stop, as on the STOP button. Cheap
Bluetooth remotes present themselves as keyboards: presenter clickers send Page Up / Page Down
(some B or "." to blank the screen, F5 to start a show), media remotes send play/pause,
next/previous and the volume keys. Every one of them stops a belt that may be moving.

When. A key that stops is taken from every widget of every window of the app (the main window,
the program editor, a dialog, the rear display) while a session runs or the treadmill reports
a moving belt: a text field never swallows a stop. With no session and a still belt, a key
keeps its ordinary meaning outside the main window (Space is a space in a description, Esc
closes a dialog); in the main window Esc and Space always stop (Space never clicks a button
there: Enter does).

Resuming needs a deliberate act: holding a remote key for ``LONG_PRESS_S`` while the session
is stopped (never the press that stopped it) asks the core to resume; the cues announce it and
the start countdown follows. A short press never resumes.

Why an application event filter and not QShortcut: a shortcut loses to a focused widget that
wants the key (a list view takes Space for selection, a button for a click), and the person on
the belt must not need to know where the focus is. The filter sees every key event first.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractButton, QWidget

from treadctl.core import SessionState
from treadctl.safety import STILL_KMH
from ui.bridge import Bridge

#: Held this long (real seconds) while the session is stopped, a remote key resumes it.
LONG_PRESS_S = 1.5


class Action(enum.Enum):
    ESTOP = "emergency stop"
    STOP = "stop"


@dataclass(frozen=True)
class StopKey:
    key: Qt.Key
    action: Action
    source: str  # where a person finds it
    resumes: bool  # a long press in a stopped session resumes


K = Qt.Key
KEYS: tuple[StopKey, ...] = (
    StopKey(K.Key_Escape, Action.ESTOP, "keyboard, presenter remotes", False),
    StopKey(K.Key_Space, Action.STOP, "keyboard", False),
    StopKey(K.Key_PageDown, Action.STOP, "presenter remote: next", True),
    StopKey(K.Key_PageUp, Action.STOP, "presenter remote: previous", True),
    StopKey(K.Key_B, Action.STOP, "presenter remote: black screen", False),
    StopKey(K.Key_Period, Action.STOP, "presenter remote: black screen", False),
    StopKey(K.Key_F5, Action.STOP, "presenter remote: start show", False),
    StopKey(K.Key_MediaTogglePlayPause, Action.STOP, "media remote: play/pause", True),
    StopKey(K.Key_MediaPlay, Action.STOP, "media remote: play", True),
    StopKey(K.Key_MediaPause, Action.STOP, "media remote: pause", True),
    StopKey(K.Key_MediaStop, Action.STOP, "media remote: stop", False),
    StopKey(K.Key_MediaNext, Action.STOP, "media remote: next", True),
    StopKey(K.Key_MediaPrevious, Action.STOP, "media remote: previous", True),
    StopKey(K.Key_VolumeUp, Action.STOP, "media remote: volume up", False),
    StopKey(K.Key_VolumeDown, Action.STOP, "media remote: volume down", False),
    StopKey(K.Key_VolumeMute, Action.STOP, "media remote: mute", False),
)
_BY_KEY = {k.key: k for k in KEYS}
#: The two the main window always takes (with no session too): its long-standing STOP keys.
_ALWAYS_IN_MAIN = (K.Key_Escape, K.Key_Space)


def key_name(key: int) -> str:
    return QKeySequence(key).toString() or f"key 0x{key:x}"


def describe(key: int) -> str:
    """What a press of ``key`` does, in the words the settings page shows."""
    entry = _BY_KEY.get(Qt.Key(key)) if key in _BY_KEY else None
    name = key_name(key)
    if entry is None:
        return f"{name}: does nothing on the belt"
    what = "EMERGENCY STOP" if entry.action is Action.ESTOP else "STOP"
    if entry.resumes:
        held = f"{LONG_PRESS_S:g} s"
        return f"{name} ({entry.source}): {what} · hold {held} in a stopped session: Resume"
    return f"{name} ({entry.source}): {what}"


class StopKeyFilter(QObject):
    """Stop keys from any window of the app. Install on the QApplication."""

    key_seen = Signal(str)
    resume_held = Signal(str)

    def __init__(self, bridge: Bridge, window: QWidget) -> None:
        super().__init__(window)
        self._bridge = bridge
        self._window = window
        self._held: Qt.Key | None = None  # the key down now, if it may resume
        self._long = QTimer(self)
        self._long.setSingleShot(True)
        self._long.setInterval(int(LONG_PRESS_S * 1000))
        self._long.timeout.connect(self._on_long_press)
        self._last_seen: tuple[int, int] | None = None
        #: Why Resume cannot work now (the window's controls know: the safety key out).
        self.resume_blocked: Callable[[], str | None] = lambda: None

    # -- what may be moving -----------------------------------------------------------------------

    def belt_may_move(self) -> bool:
        """A session runs (or waits to start), or the treadmill reports the belt moving."""
        b = self._bridge
        if b.session_active:
            return True
        sample = b.last_sample
        return sample is not None and (sample.speed_kmh or 0.0) > STILL_KMH

    def _stopped_session(self) -> bool:
        return self._bridge.session_active and self._bridge.session_state in (SessionState.STOPPED,)

    # -- the filter -------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (
            QEvent.Type.KeyPress,
            QEvent.Type.ShortcutOverride,
            QEvent.Type.KeyRelease,
        ):
            return False
        if not isinstance(watched, QWidget) or not isinstance(event, QKeyEvent):
            return False
        key = event.key()
        entry = _BY_KEY.get(Qt.Key(key)) if key in _BY_KEY else None
        in_main = watched.window() is self._window
        if entry is None:
            if kind is QEvent.Type.KeyPress and not event.isAutoRepeat():
                self._seen(event)  # for the remote test: what this key does (nothing)
            return self._enter_clicks(kind, watched, key, in_main)
        taken = self.belt_may_move() or (in_main and key in _ALWAYS_IN_MAIN)
        if not taken:
            if kind is QEvent.Type.KeyPress and not event.isAutoRepeat():
                self._seen(event)
            return False
        if kind is QEvent.Type.ShortcutOverride:
            # Claim the key so no shortcut or widget consumes it before the KeyPress.
            event.accept()
            return True
        if kind is QEvent.Type.KeyRelease:
            if not event.isAutoRepeat() and self._held == entry.key:
                self._held = None
                self._long.stop()
            return True
        if event.isAutoRepeat():
            return True  # a held key: one press, one stop (and the long-press timer runs)
        self._seen(event)
        if entry.resumes and self._stopped_session():
            # Already stopped: this press may become a long press that resumes. A stop sent
            # again would change nothing on a stopped belt, so none is sent.
            self._held = entry.key
            self._long.start()
            return True
        self._held = None
        self._long.stop()
        if entry.action is Action.ESTOP:
            self._bridge.estop()
        else:
            self._bridge.stop()
        return True

    def _seen(self, event: QKeyEvent) -> None:
        # An event a widget ignores goes on to its parents, through this filter again.
        stamp = (event.timestamp(), event.key())
        if stamp != self._last_seen:
            self._last_seen = stamp
            self.key_seen.emit(describe(event.key()))

    def _on_long_press(self) -> None:
        held, self._held = self._held, None
        if held is None or not self._stopped_session():
            return
        why = self.resume_blocked()
        if why is not None:
            self.key_seen.emit(f"Not resumed: {why}")
            return
        self.resume_held.emit(key_name(held))
        self._bridge.resume()

    def _enter_clicks(self, kind: QEvent.Type, watched: QWidget, key: int, in_main: bool) -> bool:
        # In the main window Space stops, so Enter is how a focused button is pressed.
        if (
            in_main
            and kind is QEvent.Type.KeyPress
            and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and isinstance(watched, QAbstractButton)
            and watched.isEnabled()
        ):
            watched.animateClick()
            return True
        return False
