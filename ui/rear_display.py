"""The rear display: a second, full-screen dashboard on a screen behind the treadmill.

Someone walking backward faces the back of the treadmill, away from the laptop; a TV or
monitor there shows them what they need, read from 3–4 m. The laptop keeps every control.

Shape::

    RearDisplay(bridge, keys_to=None)       a frameless full-screen window, painted:
     ├── state band                         RUNNING ▶ / PAUSED ❚❚ (grey) / STOPPED ■ (red) / …
     ├── DirectionIndicator                 the dashboard's FORWARD / BACKWARD block
     ├── speed                              measured, in the display unit (``ui.format``); a
     │                                      dash and "no data for N s" past the watchdog time,
     │                                      "connection lost…" while the link is down
     ├── time left                          in the current segment (the rest, the distance)
     ├── alarm band                         the newest alarm's words (``ui.alarms.ALARMS``), red
     └── TurnaroundOverlay                  the window's TURN AROUND cue (``ui.cues.TurnaroundCue``)
    RearDisplayController(bridge, settings, parent=main_window)
        apply()                             after a settings change: open, move or close it
        on_screen_added / on_screen_removed the chosen screen plugged in / unplugged
        display                             the RearDisplay while one is open

Reads only bridge signals (and ``bridge.now()``/``bridge.limits`` to age the data). The words
are the window's own: alarms from ``ui.alarms.ALARMS``, the cue from ``ui.cues.TurnaroundCue``.

Keys and focus: the window never takes the focus (``WindowDoesNotAcceptFocus``, shown without
activating; where a platform activates it anyway, the controller gives the focus back), so Esc
and Space keep reaching the main window and its stop-key filter. A key that reaches this
window all the same is passed on to the main window, where that filter sees it.

An alarm shows here until the person goes on (a resume, a new session): the acknowledgement
on the laptop is the banner's, which the bridge does not carry.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPolygonF,
    QResizeEvent,
    QScreen,
    QWindow,
)
from PySide6.QtWidgets import QMainWindow, QWidget

from treadctl.core import (
    Direction,
    Notice,
    NoticeKind,
    Progress,
    Reconnecting,
    Sample,
    SegmentStarted,
    SessionEnded,
    SessionInfo,
    SessionState,
    StateChanged,
    StopReason,
    TreadmillInfo,
)
from ui import colors, format
from ui.alarms import ALARMS, AlarmText
from ui.bridge import Bridge
from ui.cues import Cue, TurnaroundCue
from ui.dashboard import DirectionIndicator
from ui.fonts import fitted_font
from ui.overlay import TurnaroundOverlay
from ui.settings_view import AppSettings

#: How often (real ms) the age of the data is looked at: often enough that "no data for N s"
#: counts every second, rare enough to cost nothing.
DATA_CHECK_MS = 250

_PAUSES = (StopReason.USER_PAUSE, StopReason.CONSOLE_PAUSE)


class _Link(enum.Enum):
    DOWN = "down"  # not connected (at start, after our own disconnect)
    LOST = "lost"  # dropped: the link reconnects by itself
    UP = "up"


class _Icon(enum.Enum):
    NONE = "none"
    PLAY = "play"
    PAUSE = "pause"
    STOP = "stop"


@dataclass(frozen=True)
class Look:
    """How the state band looks: pause and stop differ in word, colour and symbol, so that
    neither is taken for the other from across a room."""

    key: str
    word: str
    hint: str
    fill: str
    ink: str
    icon: _Icon


_IDLE = Look("idle", "NO SESSION", "", colors.PANEL, colors.DIM, _Icon.NONE)
_LOOKS = {
    SessionState.READY: Look(
        "ready", "READY", "starting slowly", colors.PANEL, colors.TEXT, _Icon.PLAY
    ),
    SessionState.RUNNING: Look("running", "RUNNING", "", colors.PANEL, colors.OK, _Icon.PLAY),
    SessionState.TURNAROUND: Look(
        "turnaround", "TURNING AROUND", "", colors.PANEL, colors.BACKWARD, _Icon.PLAY
    ),
    SessionState.RESTING: Look(
        "resting", "REST", "belt stopped", colors.PANEL, colors.FORWARD, _Icon.PAUSE
    ),
    SessionState.FINISHED: Look("finished", "FINISHED", "", colors.PANEL, colors.TEXT, _Icon.STOP),
}
_PAUSED = Look("paused", "PAUSED", "Resume on the laptop", colors.BORDER, colors.TEXT, _Icon.PAUSE)
_STOPPED = Look("stopped", "STOPPED", "Resume on the laptop", colors.STOP, colors.TEXT, _Icon.STOP)


def alarm_action(text: AlarmText) -> str:
    """The alarm's second line: its short spoken words, without the title they may repeat
    ("The treadmill did not stop. Use its own stop…" → "Use its own stop…"). Its full ``todo``
    is too long to read from the belt; the laptop shows it."""
    spoken = text.spoken
    if spoken.lower().startswith(text.title.lower()):
        return spoken[len(text.title) :].lstrip(" .") or spoken
    return spoken


class RearDisplay(QWidget):
    """The rear screen's dashboard. ``keys_to``: the window that owns the keys (the main one)."""

    # A class default: Qt delivers events while ``__init__`` still runs.
    _keys_to: QWidget | None = None

    def __init__(self, bridge: Bridge, keys_to: QWidget | None = None) -> None:
        super().__init__(
            None,
            Qt.WindowType.Window
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowDoesNotAcceptFocus,
        )
        self.setObjectName("rearDisplay")
        self.setWindowTitle("treadctl — rear display")
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCursor(Qt.CursorShape.BlankCursor)  # a mouse parked on the TV is noise
        self._bridge = bridge
        self._keys_to = keys_to
        self._speed_kmh: float | None = None
        self._link = _Link.UP if bridge.is_connected else _Link.DOWN
        self._link_text = "" if bridge.is_connected else "not connected"
        # Clock time of the last record, or of the connection if none came since: the data's
        # age counts from there.
        self._data_since = bridge.now()
        self._look = _IDLE
        self._finished_word: str | None = None
        self._label = ""
        self._rest = False
        self._left_s: float | None = None
        self._left_m: float | None = None
        self._elapsed_s: float | None = None
        self._alarms: dict[NoticeKind, AlarmText] = {}  # by kind, oldest first
        self._fonts: dict[tuple[str, int, int], QFont] = {}
        self._shown: tuple[object, ...] = ()

        self.direction = DirectionIndicator(self)
        self.direction.setMinimumSize(0, 0)
        self.overlay = TurnaroundOverlay(self)
        self.cue = TurnaroundCue(bridge, self)
        self.cue.changed.connect(self.on_cue_changed)

        self.data_timer = QTimer(self)
        self.data_timer.setInterval(DATA_CHECK_MS)
        self.data_timer.timeout.connect(self.on_data_check)
        self.data_timer.start()

        b = bridge
        b.sample.connect(self.on_sample)
        b.connected.connect(self.on_connected)
        b.reconnected.connect(self.on_connected)
        b.link_down.connect(self.on_link_down)
        b.reconnecting.connect(self.on_reconnecting)
        b.session_started.connect(self.on_session_started)
        b.segment_started.connect(self.on_segment_started)
        b.progress.connect(self.on_progress)
        b.state_changed.connect(self.on_state_changed)
        b.notice.connect(self.on_notice)
        b.session_finished.connect(self.on_session_finished)
        state = b.session_state
        if state is not None and b.in_session:
            # Opened mid-session: the state as it is (a stop's reason came before; say stopped).
            self._look = _STOPPED if state is SessionState.STOPPED else _LOOKS.get(state, _IDLE)
        self.setAccessibleName("rear display")

    # -- what it shows, as text (tests, accessibility) -------------------------------------------

    @property
    def data_age(self) -> float | None:
        """Clock seconds since the last record (None: no link to have data from)."""
        if self._link is not _Link.UP:
            return None
        return max(0.0, self._bridge.now() - self._data_since)

    @property
    def stale(self) -> bool:
        """No record for longer than the watchdog allows: the last speed is no longer true."""
        age = self.data_age
        return age is not None and age > self._bridge.limits.watchdog_s

    @property
    def speed_text(self) -> str:
        if self._link is not _Link.UP or self.stale:
            return format.DASH
        return format.speed(self._speed_kmh)

    @property
    def status_text(self) -> str:
        """What is wrong with the data: the link, or how long it has been silent; "" if fine."""
        if self._link is not _Link.UP:
            return self._link_text
        age = self.data_age
        if self.stale and age is not None:
            return f"no data for {int(age)} s"
        return ""

    @property
    def facing(self) -> Direction:
        return self.direction.direction

    @property
    def time_caption(self) -> str:
        if self._finished_word is not None or self._look is _IDLE:
            return ""
        if self._left_s is None and self._left_m is None and self._elapsed_s is not None:
            return "ELAPSED"  # a manual session has no segments to count down
        return "REST LEFT" if self._rest else "LEFT IN SEGMENT"

    @property
    def time_left_text(self) -> str:
        if self._finished_word is not None:
            return format.DASH
        if self._left_s is not None:
            return format.clock(self._left_s)
        if self._left_m is not None:
            return format.distance(self._left_m)
        return format.clock(self._elapsed_s)

    @property
    def state_look(self) -> Look:
        return self._look

    @property
    def state_text(self) -> str:
        return self._finished_word or self._look.word

    @property
    def alarm_text(self) -> str:
        """The newest active alarm's title ("" when none)."""
        if not self._alarms:
            return ""
        newest = list(self._alarms.values())[-1]
        more = len(self._alarms) - 1
        return newest.title + (f"  (+{more} more)" if more else "")

    @property
    def alarm_action_text(self) -> str:
        return alarm_action(list(self._alarms.values())[-1]) if self._alarms else ""

    @property
    def cue_text(self) -> str:
        return self.overlay.cue_text if self.overlay.isVisible() else ""

    # -- slots: bridge → screen -------------------------------------------------------------------

    def on_sample(self, sample: Sample) -> None:
        self._speed_kmh = sample.speed_kmh
        self._data_since = sample.t
        self._refresh()

    def on_connected(self, info: TreadmillInfo) -> None:
        self._link, self._link_text = _Link.UP, ""
        self._data_since = self._bridge.now()
        self._refresh()

    def on_link_down(self, expected: bool) -> None:
        if expected:
            self._link, self._link_text = _Link.DOWN, "not connected"
        else:
            self._link, self._link_text = _Link.LOST, "connection lost — reconnecting"
        self._refresh()

    def on_reconnecting(self, event: Reconnecting) -> None:
        self._link = _Link.LOST
        self._link_text = f"connection lost — reconnecting (attempt {event.attempt})"
        self._refresh()

    def on_session_started(self, info: SessionInfo) -> None:
        self._look = _LOOKS[SessionState.READY]
        self._finished_word = None
        self._label, self._rest = "", False
        self._left_s = self._left_m = self._elapsed_s = None
        self._alarms.clear()  # a new session: what the last one raised is over
        self._refresh()

    def on_segment_started(self, event: SegmentStarted) -> None:
        segment = event.planned.segment
        self._label, self._rest = segment.label, segment.rest
        self._refresh()

    def on_progress(self, progress: Progress, distance_m: float) -> None:
        turning = None
        if progress.state is SessionState.TURNAROUND:
            turning = (
                Direction.BACKWARD if progress.direction is Direction.FORWARD else Direction.FORWARD
            )
        self.direction.set_direction(progress.direction, turning)
        if progress.segment_index is None:
            self._left_s = self._left_m = None
            self._elapsed_s = progress.t
        else:
            self._left_s = progress.segment_remaining_s
            self._left_m = None if self._left_s is not None else progress.segment_remaining_m
            self._elapsed_s = None
        self._refresh()

    def on_state_changed(self, event: StateChanged) -> None:
        previous = self._look
        if event.state is SessionState.STOPPED:
            self._look = _PAUSED if event.stop_reason in _PAUSES else _STOPPED
        else:
            self._look = _LOOKS.get(event.state, _IDLE)
        if event.state is not SessionState.TURNAROUND:
            self.direction.set_direction(self.direction.direction)
        if event.state is SessionState.RUNNING and previous in (_PAUSED, _STOPPED):
            # Resumed: someone at the laptop has seen the alarm and chosen to go on.
            self._alarms.clear()
        self._refresh()

    def on_notice(self, notice: Notice) -> None:
        text = ALARMS.get(notice.kind)
        if text is not None:
            self._alarms.pop(notice.kind, None)  # a repeat moves it to the newest
            self._alarms[notice.kind] = text
            self._refresh()

    def on_session_finished(self, ended: SessionEnded) -> None:
        self._look = _LOOKS[SessionState.FINISHED]
        self._finished_word = f"SESSION {ended.finished.reason.value.upper()}"
        self._label = ""
        self._refresh()

    def on_cue_changed(self, cue: Cue | None) -> None:
        if cue is None:
            self.overlay.hide_cue()
        else:
            self.overlay.show_cue(cue.headline, cue.detail, cue.count, cue.direction)

    def on_data_check(self) -> None:
        self._refresh()

    def on_unit_changed(self) -> None:
        """The display unit changed (settings): the speed's digits and unit follow."""
        self._fonts.clear()
        self.update()

    # -- keys: never this window's -----------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        keys_to = self._keys_to
        if keys_to is not None and event.type() in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            assert isinstance(event, QKeyEvent)
            # A copy to the main window's focus widget: the stop-key filter (on the
            # application) acts on keys of that window only, so Esc and Space still stop.
            copy = QKeyEvent(
                event.type(),
                event.key(),
                event.modifiers(),
                event.text(),
                event.isAutoRepeat(),
                event.count(),
            )
            QCoreApplication.sendEvent(keys_to.focusWidget() or keys_to, copy)
            return True
        return super().event(event)

    # -- painting ---------------------------------------------------------------------------------

    def _refresh(self) -> None:
        """Repaint only when something shown changed: samples come 4–10 times a second and a
        full-screen repaint is not free on the loop's thread."""
        shown = (
            self.speed_text,
            self.status_text,
            format.speed_unit(),
            self.time_caption,
            self.time_left_text,
            self._label,
            self.state_text,
            self._look,
            self.alarm_text,
        )
        if shown != self._shown:
            self._shown = shown
            self.update()

    def _regions(self) -> dict[str, QRectF]:
        """Where everything goes, as shares of the screen: the layout scales to any TV."""
        w, h = float(self.width()), float(self.height())
        m = round(h * 0.025)
        band = h * 0.13
        alarm = h * 0.17
        top = m + band + m
        bottom = h - m - alarm - m
        upper = (bottom - top) * 0.66
        split = w * 0.46
        return {
            "state": QRectF(m, m, w - 2 * m, band),
            "direction": QRectF(m, top, split - m, upper),
            "speed": QRectF(split + m, top, w - split - 2 * m, upper),
            "time": QRectF(m, top + upper + m, w - 2 * m, bottom - top - upper - m),
            "alarm": QRectF(m, h - m - alarm, w - 2 * m, alarm),
            "cue": QRectF(0, top - m, w, bottom - top + 2 * m),
        }

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fonts.clear()
        regions = self._regions()
        self.direction.setGeometry(regions["direction"].toRect())
        # Over the readouts only: the state and an alarm stay in view during a turnaround.
        self.overlay.setGeometry(regions["cue"].toRect())

    def _font(self, sample: str, width: float, max_px: float) -> QFont:
        """The largest font in which ``sample`` fits, kept until the next resize: finding it
        measures the text at every size, too slow to do at every repaint."""
        key = (sample, int(width), int(max_px))
        font = self._fonts.get(key)
        if font is None:
            font = fitted_font(self.font(), sample, width, max_px)
            self._fonts[key] = font
        return font

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.fillRect(self.rect(), QColor(colors.BACKGROUND))
            regions = self._regions()
            self._paint_state(painter, regions["state"])
            self._paint_speed(painter, regions["speed"])
            self._paint_time(painter, regions["time"])
            if self._alarms:
                self._paint_alarm(painter, regions["alarm"])
        finally:
            painter.end()

    def _paint_state(self, painter: QPainter, rect: QRectF) -> None:
        look = self._look
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(look.fill))
        painter.drawRoundedRect(rect, 14, 14)
        ink = QColor(look.ink)
        h = rect.height()
        size = h * 0.56
        icon = QRectF(rect.left() + h * 0.3, rect.center().y() - size / 2, size, size)
        painter.setBrush(ink)
        if look.icon is _Icon.PLAY:
            painter.drawPolygon(
                QPolygonF(
                    [icon.topLeft(), QPointF(icon.right(), icon.center().y()), icon.bottomLeft()]
                )
            )
        elif look.icon is _Icon.PAUSE:
            bar = size * 0.34
            painter.drawRect(QRectF(icon.left(), icon.top(), bar, size))
            painter.drawRect(QRectF(icon.right() - bar, icon.top(), bar, size))
        elif look.icon is _Icon.STOP:
            painter.drawRect(icon)
        left = icon.right() + h * 0.35 if look.icon is not _Icon.NONE else rect.left() + h * 0.3
        word_rect = QRectF(left, rect.top(), rect.width() * 0.62 - left, h)
        painter.setPen(ink)
        # Every word at the size of the longest, so the band does not jump between states.
        painter.setFont(self._font("SESSION COMPLETED", word_rect.width(), h * 0.62))
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(word_rect, align, self.state_text)
        if look.hint:
            hint_rect = QRectF(rect.left() + rect.width() * 0.62, rect.top(), 0, h)
            hint_rect.setRight(rect.right() - h * 0.3)
            painter.setFont(self._font(look.hint, hint_rect.width(), h * 0.34))
            right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(hint_rect, right, look.hint)

    def _paint_speed(self, painter: QPainter, rect: QRectF) -> None:
        h = rect.height()
        unit = format.speed_unit()
        number = QRectF(rect.left(), rect.top(), rect.width(), h * 0.66)
        # Sized for the widest reading of the unit, so the digits keep one size as they change.
        sample = "88:88" if unit.pace else "88.8"
        painter.setFont(self._font(sample, number.width() * 0.96, h * 0.62))
        status = self.status_text
        painter.setPen(QColor(colors.DIM if status else colors.TEXT))
        painter.drawText(number, Qt.AlignmentFlag.AlignCenter, self.speed_text)
        unit_rect = QRectF(rect.left(), number.bottom(), rect.width(), h * 0.16)
        painter.setFont(self._font("min/km", rect.width() * 0.5, h * 0.13))
        painter.setPen(QColor(colors.DIM))
        painter.drawText(unit_rect, Qt.AlignmentFlag.AlignCenter, unit.value)
        if status:
            status_rect = QRectF(rect.left(), unit_rect.bottom(), rect.width(), h * 0.18)
            # Sized for the longest text of its kind: the count of seconds must not resize it.
            longest = (
                "no data for 8888 s"
                if self._link is _Link.UP
                else "connection lost — reconnecting (attempt 10)"
            )
            painter.setFont(self._font(longest, rect.width(), h * 0.16))
            painter.setPen(QColor(colors.ALARM))
            painter.drawText(status_rect, Qt.AlignmentFlag.AlignCenter, status)

    def _paint_time(self, painter: QPainter, rect: QRectF) -> None:
        caption = self.time_caption
        if not caption:
            return
        h = rect.height()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colors.PANEL))
        painter.drawRoundedRect(rect, 14, 14)
        words = QRectF(rect.left() + h * 0.2, rect.top(), rect.width() * 0.42, h)
        painter.setPen(QColor(colors.DIM))
        painter.setFont(self._font("LEFT IN SEGMENT", words.width(), h * 0.22))
        top = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom
        painter.drawText(QRectF(words.left(), words.top(), words.width(), h * 0.48), top, caption)
        if self._label:
            painter.setPen(QColor(colors.TEXT))
            painter.setFont(self._font(self._label, words.width(), h * 0.26))
            under = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
            painter.drawText(
                QRectF(words.left(), words.top() + h * 0.52, words.width(), h * 0.48),
                under,
                self._label,
            )
        value = QRectF(words.right(), rect.top(), rect.right() - words.right() - h * 0.2, h)
        painter.setPen(QColor(colors.TEXT))
        painter.setFont(self._font("88:88", value.width() * 0.7, h * 0.86))
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(value, right, self.time_left_text)

    def _paint_alarm(self, painter: QPainter, rect: QRectF) -> None:
        newest = list(self._alarms.values())[-1]
        h = rect.height()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colors.STOP))
        painter.drawRoundedRect(rect, 14, 14)
        inner = rect.adjusted(h * 0.2, h * 0.08, -h * 0.2, -h * 0.08)
        title = self.alarm_text
        painter.setPen(QColor(colors.TEXT))
        painter.setFont(self._font(title, inner.width(), h * 0.42))
        painter.drawText(
            QRectF(inner.left(), inner.top(), inner.width(), inner.height() * 0.55),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            title,
        )
        action = alarm_action(newest)
        painter.setFont(self._font(action, inner.width(), h * 0.26))
        painter.drawText(
            QRectF(inner.left(), inner.top() + inner.height() * 0.55, inner.width(), 0).adjusted(
                0, 0, 0, inner.height() * 0.45
            ),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            action,
        )


class RearDisplayController(QObject):
    """Opens the rear display on the chosen screen, keeps it there, closes it when that screen
    goes or the main window closes. ``parent``: the main window (the keys and the status bar
    are its)."""

    def __init__(self, bridge: Bridge, settings: AppSettings, parent: QWidget) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._settings = settings
        self._main = parent
        self._display: RearDisplay | None = None
        self._watched_handle: QWindow | None = None
        app = QGuiApplication.instance()
        assert isinstance(app, QGuiApplication)
        app.screenAdded.connect(self.on_screen_added)
        app.screenRemoved.connect(self.on_screen_removed)
        app.focusWindowChanged.connect(self.on_focus_window_changed)
        parent.installEventFilter(self)

    @property
    def display(self) -> RearDisplay | None:
        return self._display

    # -- deciding ----------------------------------------------------------------------------------

    def _screen(self) -> tuple[QScreen | None, str]:
        """The chosen screen if it is connected and the main window is not on it (the rear
        display must never cover the controls); else why not, if that is news."""
        name = self._settings.rear_screen
        for screen in QGuiApplication.screens() if name else ():
            if screen.name() == name:
                if screen is self._main.screen():
                    return None, f"Rear display off: this window is on screen “{name}”."
                return screen, ""
        return None, ""

    def apply(self) -> None:
        """Show, move or close the display as the setting and the screens now say; the main
        window calls this after every settings change."""
        if not self._main.isVisible():
            return  # it opens when the window shows (see ``eventFilter``)
        screen, why = self._screen()
        display = self._display
        if screen is None:
            self._close()
            if why:
                self._say(why)
        elif display is None:
            self._open(screen)
        elif display.screen() is not screen:
            # Another screen chosen: a new window there (a full-screen one does not move well).
            self._close()
            self._open(screen)
        else:
            display.on_unit_changed()

    def _open(self, screen: QScreen) -> None:
        display = RearDisplay(self._bridge, keys_to=self._main)
        display.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._display = display
        display.setScreen(screen)
        display.setGeometry(screen.geometry())
        # Not showFullScreen(): that one activates the window, taking the keys from the laptop.
        display.setWindowState(Qt.WindowState.WindowFullScreen)
        display.show()

    def _close(self) -> None:
        display, self._display = self._display, None
        if display is not None:
            display.close()

    def _say(self, text: str) -> None:
        if isinstance(self._main, QMainWindow):
            # No timeout: an unplugged screen is news until something newer replaces it.
            self._main.statusBar().showMessage(text)

    # -- slots -------------------------------------------------------------------------------------

    def on_screen_added(self, screen: QScreen) -> None:
        if self._display is None and screen.name() == self._settings.rear_screen:
            self.apply()
            if self._display is not None:
                self._say(f"Rear display back on screen “{screen.name()}”.")

    def on_screen_removed(self, screen: QScreen) -> None:
        display = self._display
        if display is None or display.screen() is not screen:
            return
        # Now, in this signal: Qt moves the windows of a removed screen to the primary one
        # right after it, where a full-screen rear display would cover the controls.
        self._close()
        self._say(
            f"Rear display closed: screen “{screen.name()}” was disconnected. It opens again "
            "when that screen is back."
        )

    def on_focus_window_changed(self, window: QWindow | None) -> None:
        display = self._display
        if display is not None and window is not None and window is display.windowHandle():
            # Some platforms (Qt's offscreen one, some window managers) activate every shown
            # window whatever its flags say: the keys belong to the laptop's window.
            self._main.activateWindow()

    def on_main_screen_changed(self, _screen: QScreen) -> None:
        self.apply()  # moved onto the rear screen: the rear display must not cover it

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._main:
            kind = event.type()
            if kind is QEvent.Type.Show:
                handle = self._main.windowHandle()
                if handle is not None and handle is not self._watched_handle:
                    self._watched_handle = handle
                    handle.screenChanged.connect(self.on_main_screen_changed)
                self.apply()  # the setting was read before there was a window to show it by
            elif kind is QEvent.Type.Hide and not event.spontaneous():
                # Closed (a minimised window's hide is spontaneous: the TV stays on).
                self._close()
        return False
