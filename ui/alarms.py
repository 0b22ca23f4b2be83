"""Alarms: what happened and what to do, on screen until someone acknowledges it.

Shape::

    ALARMS: {AlarmKind: AlarmText}      which engine notices are alarms, and their words
    alarm_kind(notice) -> AlarmKind | None
    AlarmBanner(bridge)                  one row per active alarm kind, newest on top
        alarm_raised(Alarm)              for the cues (sound, speech)
        resume_blocked(str) / resume_unblocked()   while an alarm that forbids Resume shows
        active_kinds / acknowledge(kind)

A stop at the treadmill is an alarm when going on needs something done there first: the
safety key out (``StopReason.SAFETY_KEY``) says to put it back, and Resume stays off until the
person says it is back (its button) — the treadmill would refuse a start until then, and a
refusal that says "press Resume to try again" is the wrong advice.

An alarm of a kind already showing updates its row (the time and message) rather than
stacking: a flapping link must not bury the STOP button under identical banners. Rows leave
only by their Acknowledge button (Enter on it works too: see ``ui.stop_keys``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from treadctl.core import Notice, NoticeKind, StopReason
from ui import format
from ui.bridge import Bridge

#: An engine notice kind, or for the treadmill's own stops the reason it gave.
AlarmKind = NoticeKind | StopReason


@dataclass(frozen=True)
class AlarmText:
    title: str
    todo: str  # what the person should do now
    spoken: str  # short, for speech
    details: bool = True  # show the engine's message too (False: it only repeats the title)
    ack: str = "Acknowledge"  # the button's words
    blocks_resume: str | None = None  # while shown, Resume is off; this says why


ALARMS: dict[AlarmKind, AlarmText] = {
    NoticeKind.LINK_LOST: AlarmText(
        "Connection to the treadmill lost",
        "The app cannot stop the belt now: use the treadmill's own stop button or safety key. "
        "The app reconnects by itself and then stops the belt; press Resume to go on.",
        "Connection lost. Use the treadmill's own stop.",
        details=False,
    ),
    NoticeKind.WATCHDOG: AlarmText(
        "No data from the treadmill",
        "The belt was told to stop. If it still moves, use the treadmill's own stop or safety "
        "key. Check the treadmill, then press Resume.",
        "No data from the treadmill. Stopping.",
    ),
    NoticeKind.HEART_RATE_HIGH: AlarmText(
        "Heart rate over your maximum",
        "The belt slows to walking. Slow your breathing; press Resume when you are ready, or "
        "End session.",
        "Heart rate high. Slowing down.",
    ),
    NoticeKind.COMMAND_FAILED: AlarmText(
        "The treadmill refused a command",
        "The belt was told to stop. If it still moves, use the treadmill's own stop or safety "
        "key. Press Resume to try again.",
        "Command failed. Stopping.",
    ),
    NoticeKind.STOP_NOT_CONFIRMED: AlarmText(
        "The treadmill did not stop",
        "The stop was sent several times and the belt did not slow down. Use the treadmill's "
        "own stop button or safety key now.",
        "The treadmill did not stop. Use its own stop or safety key.",
        details=False,
    ),
    NoticeKind.BELT_NOT_FOLLOWING: AlarmText(
        "The belt does not follow the app",
        "The belt was told to stop. Check the treadmill's console (its speed unit, a speed set "
        "there); if it still moves, use its own stop or safety key.",
        "The belt does not follow. Stopping.",
    ),
    NoticeKind.TREADMILL_ERROR: AlarmText(
        "The treadmill reports an error",
        "The belt was told to stop. Look at the treadmill's console for the error code; if "
        "the belt still moves, use its own stop or safety key. Resume once it is cleared.",
        "Treadmill error. Stopping.",
        ack="It is cleared",
        blocks_resume="Check the treadmill's error first (then \u201cIt is cleared\u201d above).",
    ),
    StopReason.SAFETY_KEY: AlarmText(
        "Safety key out: the treadmill stopped",
        "Put the safety key back on the treadmill, then press \u201cThe key is back\u201d and "
        "Resume to go on.",
        "Safety key out. Put the key back, then press Resume.",
        details=False,
        ack="The key is back",
        blocks_resume="Put the safety key back first (then \u201cThe key is back\u201d above).",
    ),
    NoticeKind.LOG_FAILED: AlarmText(
        "The session log cannot be written",
        "The session goes on, but is not being saved. Check the disk space.",
        "Session log failed.",
    ),
}


#: STOP_NOT_CONFIRMED when no record came since the stop: "did not slow down" would be a
#: guess; what is known is that nobody can see the belt.
UNSEEN_STOP = AlarmText(
    "The app cannot see the belt stop",
    "The treadmill sends no data, so the app cannot tell whether the belt stopped. Look at "
    "the belt: if it moves, use the treadmill's own stop button or safety key now.",
    "No data: the app cannot see the belt stop. Use the treadmill's own stop.",
    details=False,
)


def alarm_text(kind: AlarmKind, notice: Notice) -> AlarmText:
    if kind is NoticeKind.STOP_NOT_CONFIRMED and notice.data.get("measured") is False:
        return UNSEEN_STOP
    return ALARMS[kind]


def alarm_kind(notice: Notice) -> AlarmKind | None:
    """The alarm ``notice`` raises, if any."""
    if notice.kind is NoticeKind.STOPPED:
        reason = notice.data.get("reason")
        if reason == StopReason.SAFETY_KEY.value:
            return StopReason.SAFETY_KEY
        return None
    return notice.kind if notice.kind in ALARMS else None


@dataclass(frozen=True)
class Alarm:
    kind: AlarmKind
    text: AlarmText
    message: str  # the engine's own words about what happened
    at: str  # wall-clock time, so "since when" is answerable


class _AlarmRow(QFrame):
    def __init__(self, banner: AlarmBanner, alarm: Alarm) -> None:
        super().__init__()
        self.setObjectName("alarmRow")
        self.kind = alarm.kind
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 10, 8)
        icon = QLabel("⚠")
        icon.setObjectName("alarmIcon")
        texts = QVBoxLayout()
        texts.setSpacing(2)
        self.title = QLabel()
        self.title.setObjectName("alarmTitle")
        # Large type and the time: one line is wider than a laptop's page (1280x720 with the
        # console dock: the safety key's title grew the window past the screen).
        self.title.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("alarmMessage")
        self.message.setWordWrap(True)
        self.details = QLabel()
        self.details.setObjectName("alarmDetails")
        self.details.setWordWrap(True)
        texts.addWidget(self.title)
        texts.addWidget(self.message)
        texts.addWidget(self.details)
        self.ack = QPushButton(alarm.text.ack)
        self.ack.setObjectName("ackButton")
        self.ack.clicked.connect(lambda: banner.acknowledge(self.kind))
        layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(texts, 1)
        layout.addWidget(self.ack, 0, Qt.AlignmentFlag.AlignVCenter)
        self.set_alarm(alarm)

    def set_alarm(self, alarm: Alarm) -> None:
        self.title.setText(f"{alarm.text.title}  ({alarm.at})")
        self.message.setText(alarm.text.todo)
        # The engine's words are in km/h: speeds in them in the display unit.
        self.details.setText(format.speeds_in_text(alarm.message))
        self.details.setVisible(alarm.text.details)
        self.setAccessibleName(f"Alarm: {alarm.text.title}")


class AlarmBanner(QWidget):
    alarm_raised = Signal(object)  # Alarm
    resume_blocked = Signal(str)  # why
    resume_unblocked = Signal()

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alarmBanner")
        self._rows: dict[AlarmKind, _AlarmRow] = {}
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        bridge.notice.connect(self.on_notice)
        self.hide()

    @property
    def active_kinds(self) -> list[AlarmKind]:
        return list(self._rows)

    def row(self, kind: AlarmKind) -> _AlarmRow | None:
        return self._rows.get(kind)

    def on_notice(self, notice: Notice) -> None:
        kind = alarm_kind(notice)
        if kind is None:
            return
        if (
            kind is NoticeKind.STOP_NOT_CONFIRMED
            and notice.data.get("measured") is False
            and NoticeKind.WATCHDOG in self._rows
        ):
            # The no-data alarm already says the belt was told to stop and what to do if it
            # still moves: a second one saying the same would only crowd the page.
            return
        text = alarm_text(kind, notice)
        alarm = Alarm(kind, text, notice.message, time.strftime("%H:%M:%S"))
        row = self._rows.get(kind)
        if row is None:
            row = _AlarmRow(self, alarm)
            self._rows[kind] = row
            self._layout.insertWidget(0, row)
        else:
            row.set_alarm(alarm)
        self.show()
        self.alarm_raised.emit(alarm)
        self._say_resume()

    def acknowledge(self, kind: AlarmKind) -> None:
        row = self._rows.pop(kind, None)
        if row is not None:
            row.hide()
            row.deleteLater()
        if not self._rows:
            self.hide()
        self._say_resume()

    def _say_resume(self) -> None:
        blocking = [ALARMS[k].blocks_resume for k in self._rows if ALARMS[k].blocks_resume]
        if blocking:
            self.resume_blocked.emit(blocking[0])
        else:
            self.resume_unblocked.emit()
