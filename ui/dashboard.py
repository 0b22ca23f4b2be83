"""The dashboard: what a person on the belt reads from 2–3 m, often over a shoulder.

Shape::

    Dashboard(bridge)
     ├── DirectionIndicator     FORWARD (blue, ▲) / BACKWARD (amber, ▼) / TURNING → …
     ├── speed                  measured, very large; the commanded target under it
     ├── state pill + status    RUNNING / PAUSED / STOPPED — what to do; the latest notice
     ├── segment left           the time left in this segment, very large ("NEXT SEGMENT IN 3"
     │                          over it in the last seconds; a turnaround counts on the overlay)
     ├── Readout tiles          incline, distance, elapsed, remaining, heart rate, energy
     ├── segment lines          now / next / the step's cue
     ├── progress bar + timeline (ProfileChart with a cursor)
     ├── manual row             speed −/+, incline −/+, turn around (manual sessions only)
     └── LivePlot

Only renders bridge signals; its buttons call bridge intents (which call the runner). Every
speed and distance is worded by ``ui.format`` in the display unit, the engine's sentences too
(``format.speeds_in_text``); ``set_speed_unit`` rewords what is showing from the last values
received, so nothing stays in the old unit until the next sample.

The session's remaining time adds the plan's estimated durations of the segments still to come
to what the runner says is left of the current one: display arithmetic, nothing the belt obeys.

Honest readouts: what is shown is what the treadmill last said, and for how long that holds.
With no record for longer than the watchdog (``STALE_S``), the speed and incline show "–" and
the status says "No data from the treadmill for N s"; with the link down they say so. The
state pill follows the measured belt: a belt moving while the session is stopped (started at
the console) shows as moving, in red. Pause and stop look different.

Room: ``set_room(height)`` (the main window calls it as its page area resizes) picks a size
class — compact under ``COMPACT_BELOW`` pixels (a 1280x720 laptop), large from
``LARGE_FROM`` (1920x1080) — and the style sheet sizes the type for it.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPolygonF
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from treadctl.core import (
    Countdown,
    Direction,
    EndReason,
    Notice,
    NoticeKind,
    Progress,
    Sample,
    SegmentStarted,
    SessionEnded,
    SessionInfo,
    SessionKind,
    SessionState,
    SetTarget,
    StateChanged,
    StopReason,
)
from treadctl.program import PlannedSegment
from treadctl.safety import STILL_KMH
from ui import colors, format
from ui.bridge import Bridge
from ui.fonts import fitted_font
from ui.format import SpeedUnit
from ui.plot import LivePlot
from ui.profile_chart import ProfileChart
from ui.styling import set_style_property

#: The pill's word for each state (short: one line on a laptop) and what to do, if anything.
_STATE_TEXT = {
    SessionState.READY: ("READY", ""),
    SessionState.RUNNING: ("RUNNING", ""),
    SessionState.TURNAROUND: ("TURNAROUND", ""),
    SessionState.STOPPED: ("STOPPED", "Press Resume to go on."),
    SessionState.RESTING: ("REST", "Belt stopped: rest."),
    SessionState.FINISHED: ("FINISHED", ""),
}
#: The pill once a session is over: "STOPPED" would read as a stopped belt in a session.
_ENDED_TEXT = {
    EndReason.COMPLETED: "COMPLETED",
    EndReason.STOPPED: "SESSION ENDED",
    EndReason.ABORTED: "ENDED BY A FAULT",
}
#: A stopped session's pill by why it stopped: (word, look, what to do).
_STOPPED_BY = {
    StopReason.USER_PAUSE: ("PAUSED", "paused", "Paused. Press Resume to go on."),
    StopReason.CONSOLE_PAUSE: (
        "PAUSED",
        "paused",
        "Paused at the treadmill. Press Resume (here or there) to go on.",
    ),
    StopReason.CONSOLE_STOP: (
        "STOPPED",
        "stopped",
        "Stopped at the treadmill. Press Resume to go on.",
    ),
    StopReason.SAFETY_KEY: (
        "KEY OUT",
        "stopped",
        "Safety key out. Put it back, then Resume.",
    ),
    StopReason.ESTOP: ("E-STOP", "stopped", "Emergency stop. Press Resume to go on."),
}
#: With no treadmill record for this long (the watchdog's time), the readouts are not live.
STALE_S = 3.0
#: Notices that say what just happened: they leave the status line after this long.
TRANSIENT_MS = 8000
_TRANSIENT = frozenset(
    {
        NoticeKind.STARTED,
        NoticeKind.SPEED_CLAMPED,
        NoticeKind.INCLINE_CLAMPED,
        NoticeKind.DIRECTION_CHANGED,
        NoticeKind.LINK_RESTORED,
        NoticeKind.REST_OVER,
    }
)
#: Page heights (px) below which the type is compact, from which it is large.
COMPACT_BELOW = 560
LARGE_FROM = 800


class DirectionIndicator(QWidget):
    """Which way the person faces, as a coloured block with an arrow: readable at a glance."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._direction = Direction.FORWARD
        self._turning_to: Direction | None = None
        self.setMinimumSize(300, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("direction")

    def sizeHint(self) -> QSize:
        return QSize(460, 220)

    @property
    def direction(self) -> Direction:
        return self._direction

    @property
    def text(self) -> str:
        if self._turning_to is not None:
            return f"TURN → {self._turning_to.value.upper()}"
        return self._direction.value.upper()

    def set_direction(self, direction: Direction, turning_to: Direction | None = None) -> None:
        if (direction, turning_to) == (self._direction, self._turning_to):
            return
        self._direction, self._turning_to = direction, turning_to
        self.setAccessibleDescription(self.text)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            shown = self._turning_to or self._direction
            fill = QColor(colors.BACKWARD if shown is Direction.BACKWARD else colors.FORWARD)
            rect = QRectF(self.rect()).adjusted(2, 2, -2, -2)
            painter.setPen(Qt.PenStyle.NoPen)
            if self._turning_to is not None:
                # Striped while turning: the new direction's colour on the panel colour.
                painter.setBrush(QColor(colors.PANEL))
                painter.drawRoundedRect(rect, 14, 14)
                painter.setBrush(fill)
                painter.drawRoundedRect(rect.adjusted(8, 8, -8, -8), 10, 10)
            else:
                painter.setBrush(fill)
                painter.drawRoundedRect(rect, 14, 14)
            ink = QColor(colors.BACKGROUND)
            h = rect.height()
            arrow_w = min(h * 0.55, rect.width() * 0.28)
            cx = rect.left() + 20 + arrow_w / 2
            top, bottom = rect.top() + h * 0.18, rect.bottom() - h * 0.18
            half = arrow_w / 2
            shaft = arrow_w * 0.18
            head = (bottom - top) * 0.45
            if shown is Direction.FORWARD:
                points = [
                    (cx, top), (cx + half, top + head), (cx + shaft, top + head),
                    (cx + shaft, bottom), (cx - shaft, bottom), (cx - shaft, top + head),
                    (cx - half, top + head),
                ]  # fmt: skip
            else:
                points = [
                    (cx, bottom), (cx + half, bottom - head), (cx + shaft, bottom - head),
                    (cx + shaft, top), (cx - shaft, top), (cx - shaft, bottom - head),
                    (cx - half, bottom - head),
                ]  # fmt: skip
            painter.setBrush(ink)
            painter.drawPolygon(QPolygonF([QPointF(x, y) for x, y in points]))
            text_rect = rect.adjusted(arrow_w + 36, 0, -14, 0)
            word = shown.value.upper()
            # Both words at the size of the longer one: FORWARD and BACKWARD look alike.
            font = fitted_font(self.font(), "BACKWARD", text_rect.width(), h * 0.36)
            painter.setPen(ink)
            if self._turning_to is not None:
                small = QFont(font)
                small.setPixelSize(max(10, font.pixelSize() // 2))
                painter.setFont(small)
                painter.drawText(
                    text_rect.adjusted(0, 0, 0, -h * 0.5),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                    "TURN TO FACE",
                )
                painter.setFont(font)
                painter.drawText(
                    text_rect.adjusted(0, h * 0.5, 0, 0),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                    word,
                )
            else:
                painter.setFont(font)
                painter.drawText(
                    text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, word
                )
        finally:
            painter.end()


class Readout(QFrame):
    """A caption over a large value."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("readout")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 10)
        layout.setSpacing(0)
        self._caption = QLabel(caption)
        self._caption.setObjectName("readoutCaption")
        self._value = QLabel(format.DASH)
        self._value.setObjectName("readoutValue")
        layout.addWidget(self._caption)
        layout.addWidget(self._value)
        self.setAccessibleName(caption)

    @property
    def value(self) -> str:
        return self._value.text()

    @property
    def value_label(self) -> QLabel:
        return self._value

    def set_value(self, text: str) -> None:
        self._value.setText(text)


class Dashboard(QWidget):
    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dashboard")
        self._bridge = bridge
        self._plan: tuple[PlannedSegment, ...] = ()
        self._estimates: list[float] = []
        self._segment_event: SegmentStarted | None = None
        self._kind: SessionKind | None = None
        self._state_event: StateChanged | None = None
        self._session_pill = ("NO SESSION", "idle")  # what the pill says of the session
        self._belt_moving = False
        self._belt_said = False  # the status line has said why the belt moves
        self._stale = False
        self._room = ""
        # The last values shown, kept to reword them when the display unit changes.
        self._sample: Sample | None = None
        self._progress: tuple[Progress, float] | None = None
        self._ended: SessionEnded | None = None
        self._manual_target: SetTarget | None = None
        self._status = ""  # the engine's words, in km/h
        self._build()
        self._connect_bridge()
        self._show_no_session()
        self._status_timer = QTimer(self)
        self._status_timer.setSingleShot(True)
        self._status_timer.setInterval(TRANSIENT_MS)
        self._status_timer.timeout.connect(lambda: self._set_status(""))
        # Real time is fine here: it only decides how often the age of the data is looked at;
        # the age itself is on the core's clock.
        self._freshness = QTimer(self)
        self._freshness.setInterval(250)
        self._freshness.timeout.connect(self.check_freshness)
        self._freshness.start()
        self.set_room(700)

    # -- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.direction = DirectionIndicator()
        self.speed = QLabel(format.DASH)
        self.speed.setObjectName("speedValue")
        self.speed.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.speed.setAccessibleName("speed")
        unit = QLabel(format.speed_unit().value)
        unit.setObjectName("speedUnit")
        self.speed_unit_label = unit
        self.target = QLabel("")
        self.target.setObjectName("targetValue")
        speed_box = QGridLayout()
        speed_box.setSpacing(0)
        speed_box.addWidget(self.speed, 0, 0, 2, 1)
        speed_box.addWidget(unit, 0, 1, Qt.AlignmentFlag.AlignBottom)
        speed_box.addWidget(self.target, 1, 1, Qt.AlignmentFlag.AlignTop)

        self.state = QLabel("")
        self.state.setObjectName("statePill")
        self.state.setWordWrap(True)
        self.state.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # Short words (what to do is the status line's): one line, even on a laptop.
        # The caption over the big segment figure; in the last seconds "NEXT SEGMENT IN".
        self.countdown = QLabel("")
        self.countdown.setObjectName("countdown")
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.segment_left = QLabel("")
        self.segment_left.setObjectName("segmentLeft")
        self.segment_left.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.segment_left.setAccessibleName("time left in this segment")
        self.status = QLabel("")
        self.status.setObjectName("statusLine")
        self.status.setWordWrap(True)
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        side = QVBoxLayout()
        side.setSpacing(2)
        side.addWidget(self.state)
        side.addWidget(self.countdown)
        side.addWidget(self.segment_left, 1)
        side.addWidget(self.status)

        top = QHBoxLayout()
        top.addWidget(self.direction, 5)
        top.addLayout(speed_box, 5)
        top.addLayout(side, 4)

        self.incline = Readout("INCLINE")
        self.distance = Readout("DISTANCE")
        self.elapsed = Readout("ELAPSED")
        self.remaining = Readout("REMAINING")
        self.heart_rate = Readout("HEART RATE")
        self.energy = Readout("ENERGY")
        tiles = QHBoxLayout()
        for tile in (
            self.incline,
            self.distance,
            self.elapsed,
            self.remaining,
            self.heart_rate,
            self.energy,
        ):
            tiles.addWidget(tile)

        # Wrapped, not elided or clipped: a long label must neither widen the window nor lose
        # the words that say what comes next.
        self.segment_now = QLabel("")
        self.segment_now.setObjectName("segmentNow")
        self.segment_now.setWordWrap(True)
        self.segment_next = QLabel("")
        self.segment_next.setObjectName("segmentNext")
        self.segment_next.setWordWrap(True)
        self.cue = QLabel("")
        self.cue.setObjectName("cueLine")
        self.cue.setWordWrap(True)
        self.cue.setVisible(False)

        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("sessionProgress")
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedHeight(14)
        self.timeline = ProfileChart(compact=True)
        self.timeline.setFixedHeight(46)

        self.manual = QWidget()
        manual = QHBoxLayout(self.manual)
        manual.setContentsMargins(0, 0, 0, 0)
        self.manual_label = QLabel("")
        self.manual_label.setObjectName("manualTarget")
        self.manual_label.setWordWrap(True)
        manual.addWidget(self.manual_label, 1)
        self.manual_buttons: dict[str, QPushButton] = {}
        for key, text, slot in (
            ("speed_down", "Speed −", self.on_speed_down),
            ("speed_up", "Speed +", self.on_speed_up),
            ("incline_down", "Incline −", self.on_incline_down),
            ("incline_up", "Incline +", self.on_incline_up),
            ("turn", "Turn around", self.on_turn),
        ):
            button = QPushButton(text)
            button.setObjectName("manualButton")
            button.clicked.connect(slot)
            manual.addWidget(button)
            self.manual_buttons[key] = button

        self.plot = LivePlot()
        self.plot.setMinimumHeight(80)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(top, 3)
        layout.addLayout(tiles, 0)
        layout.addWidget(self.segment_now)
        layout.addWidget(self.segment_next)
        layout.addWidget(self.cue)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.timeline)
        layout.addWidget(self.manual)
        layout.addWidget(self.plot, 4)

    def _connect_bridge(self) -> None:
        b = self._bridge
        b.sample.connect(self.on_sample)
        b.strap_reading.connect(self.on_strap_reading)
        b.session_started.connect(self.on_session_started)
        b.segment_started.connect(self.on_segment_started)
        b.countdown.connect(self.on_countdown)
        b.progress.connect(self.on_progress)
        b.state_changed.connect(self.on_state_changed)
        b.notice.connect(self.on_notice)
        b.session_finished.connect(self.on_session_finished)
        b.manual_target_changed.connect(self.on_manual_target_changed)
        b.message.connect(self.on_message)
        b.link_down.connect(lambda *_: self.check_freshness())

    # -- slots: engine → screen -----------------------------------------------------------------

    def _show_no_session(self) -> None:
        self._set_state_pill("NO SESSION", "idle")
        self.countdown.setText("")
        self.segment_left.setText("")
        self.segment_now.setText("No session running: pick a program, or start a manual session.")
        self.segment_next.setText("")
        self._set_cue("")
        self.manual.setVisible(False)

    def _set_cue(self, text: str) -> None:
        # Hidden when empty: an empty line still takes a line's height a laptop lacks.
        self.cue.setText(text)
        self.cue.setVisible(bool(text))

    def set_speed_unit(self, unit: SpeedUnit) -> None:
        """The display unit changed (settings): the unit labels, the plot's axis, and every
        speed and distance showing, reworded from the last values received."""
        self.speed_unit_label.setText(unit.value)
        self.plot.set_speed_unit(unit)
        if self._sample is not None and not self._stale:
            self._show_speed(self._sample)
        if self._progress is not None:
            self._show_progress(*self._progress)  # the tiles keep the last values after the end
        if self._ended is not None:
            self._show_summary(self._ended)  # where the segment lines were
        elif self._segment_event is not None and self._bridge.in_session:
            self._show_segment(self._segment_event)  # its speeds, in the new unit
        if self._manual_target is not None:
            self.on_manual_target_changed(self._manual_target)
        self.status.setText(format.speeds_in_text(self._status))

    # -- honest readouts ---------------------------------------------------------------------------

    def check_freshness(self) -> None:
        """Readouts older than the watchdog, or from before the link went, are not shown live."""
        b = self._bridge
        age = b.data_age_s()
        if not b.is_connected:
            # Never connected (nothing shown that could go stale) is not a stale readout.
            shown = self.speed.text() not in ("", format.DASH) or self._stale
            stale = "No connection to the treadmill: readings are not live" if shown else ""
        elif age is not None and age > STALE_S:
            stale = f"No data from the treadmill for {age:.0f}\u00a0s"  # "10 s" on one line
        else:
            stale = ""
        if stale:
            self._show_stale(stale)
        elif self._stale:
            self._stale = False
            self._set_stale_look(False)
            self._set_status("")
            self._show_belt(self._belt_moving)

    def _show_stale(self, text: str) -> None:
        if not self._stale:
            self._stale = True
            self._set_stale_look(True)
            self.speed.setText(format.DASH)
            self.incline.set_value(format.DASH)
            self.target.setText("")
            # Whether the belt moves is not known: the last record says nothing about now.
            self._paint_pill("NO DATA", "moving")
        self._set_status(text)
        self._status_timer.stop()

    def _set_stale_look(self, stale: bool) -> None:
        for widget in (
            self.speed,
            self.target,
            self.incline.value_label,
            self.distance.value_label,
        ):
            set_style_property(widget, "stale", stale)

    @property
    def stale(self) -> bool:
        return self._stale

    def on_sample(self, sample: Sample) -> None:
        self._sample = sample
        if self._stale:
            self._stale = False
            self._set_stale_look(False)
            self._set_status("")  # the pill is set from this record below
        self._show_speed(sample)
        self.incline.set_value(format.incline(sample.incline_pct))
        self._show_belt((sample.speed_kmh or 0.0) > STILL_KMH)
        # Outside a session: the strap's reading while it is fresh, else the hand grip's. (In
        # a session the runner chooses, and Progress carries its choice.)
        strap_fresh = self._bridge.strap_bpm is not None
        if not self._bridge.in_session and sample.heart_rate_bpm is not None and not strap_fresh:
            self.heart_rate.set_value(f"{sample.heart_rate_bpm} bpm")

    def _show_belt(self, moving: bool) -> None:
        """The pill says what the session is, unless the measured belt says otherwise."""
        self._belt_moving = moving
        state = self._state_event.state if self._state_event is not None else None
        running = state in (SessionState.RUNNING, SessionState.TURNAROUND)
        if moving and not running and state is not SessionState.READY:
            # A belt slowing under a stop, or one started at the treadmill's console: either
            # way the person stands on a moving belt, whatever the session's state.
            if not self._belt_said:
                self._belt_said = True
                self._set_status(
                    "The belt moves while the session is stopped: if it does not slow down, "
                    "use the treadmill's own stop."
                    if self._bridge.session_active
                    else "The belt was started at the treadmill: press STOP, or stop it there."
                )
                self._status_timer.stop()
            self._paint_pill("BELT MOVING", "moving")
        else:
            self._belt_said = False
            self._paint_pill(*self._session_pill)

    def _show_speed(self, sample: Sample) -> None:
        text = format.speed(sample.speed_kmh)
        self.speed.setText(text)
        # No value (a stopped belt has no pace) is shown dim: at this size a white dash reads
        # as a bar, as if it were a value.
        set_style_property(self.speed, "empty", text == format.DASH)

    def on_strap_reading(self, bpm: int) -> None:
        if not self._bridge.in_session:
            self.heart_rate.set_value(f"{bpm} bpm")

    def on_session_started(self, info: SessionInfo) -> None:
        self._kind = info.kind
        self._plan = info.plan
        self._segment_event = None
        self._progress = None
        self._ended = None
        self._manual_target = None
        self._estimates = [p.segment.estimated_duration_s() for p in info.plan]
        self.plot.on_session_started()
        self.timeline.set_profile(info.program.profile() if info.program is not None else [])
        self.timeline.setVisible(info.program is not None)
        self.progress_bar.setValue(0)
        self.progress_bar.setVisible(info.program is not None and self._room != "compact")
        self.manual.setVisible(info.kind is SessionKind.MANUAL)
        self.countdown.setText("")
        self.segment_left.setText("")
        self._set_status("")
        self._set_cue("")
        self._state_event = None
        for tile in (self.distance, self.elapsed, self.remaining, self.energy, self.heart_rate):
            tile.set_value(format.DASH)
        if info.kind is SessionKind.MANUAL:
            self.segment_now.setText("Manual session")
            self.segment_next.setText("Speed and incline with the buttons below.")
        else:
            name = info.program.name if info.program is not None else ""
            self.segment_now.setText(name)
            self.segment_next.setText("")
        self._set_state_pill(_STATE_TEXT[SessionState.READY][0], SessionState.READY.value)

    def on_segment_started(self, event: SegmentStarted) -> None:
        self._segment_event = event
        self._show_segment(event)
        self._set_cue(event.planned.segment.cue or "")
        self.countdown.setText("")
        self.plot.on_segment_started(event)

    def _show_segment(self, event: SegmentStarted) -> None:
        p = event.planned
        seg = p.segment
        # The block's position ("First bouts 1/4") only where a line has room for it.
        where = f"  ·  {p.position}" if p.position and self._room != "compact" else ""
        self.segment_now.setText(
            f"Now {p.index + 1}/{p.total}: {seg.label}{where}  —  {self._describe(p)}"
        )
        nxt = event.next
        self.segment_next.setText(
            f"Next: {nxt.segment.label}  —  {self._describe(nxt)}" if nxt else "Next: finish"
        )

    @staticmethod
    def _describe(p: PlannedSegment) -> str:
        seg = p.segment
        if seg.rest:
            return f"rest {format.clock(seg.duration_s)}"
        span = (
            format.clock(seg.duration_s)
            if seg.duration_s is not None
            else format.distance(seg.distance_m)
        )
        speed = format.speed_with_unit(seg.speed_kmh, compact=True)
        return f"{seg.direction.value} {speed}, {seg.incline_pct:g} %, {span}"

    def on_countdown(self, event: Countdown) -> None:
        # A turnaround's count is the overlay's (one count, one set of words); here the caption
        # only says what comes.
        if event.turnaround:
            self.countdown.setText("TURN AROUND NEXT")
        else:
            self.countdown.setText(f"NEXT SEGMENT IN {event.seconds}")
        set_style_property(self.countdown, "turnaround", event.turnaround)

    def on_progress(self, progress: Progress, distance_m: float) -> None:
        self._progress = (progress, distance_m)
        self.plot.on_progress(progress)
        turning = self._turning_to(progress)
        self.direction.set_direction(progress.direction, turning)
        self._show_progress(progress, distance_m)
        self.elapsed.set_value(format.clock(progress.t))
        self.energy.set_value(f"{progress.energy_kcal:.0f} kcal")
        hr = progress.heart_rate_bpm
        self.heart_rate.set_value(format.DASH if hr is None else f"{hr} bpm")
        index = progress.segment_index
        if index is None or not self._plan:
            self.remaining.set_value(format.DASH)
            return
        seg = self._plan[index].segment
        left = progress.segment_remaining_s
        if left is None and progress.segment_remaining_m is not None and seg.speed_kmh > 0:
            left = progress.segment_remaining_m / (seg.speed_kmh / 3.6)
        left = left or 0.0
        if progress.segment_remaining_s is None and progress.segment_remaining_m is not None:
            self.segment_left.setText(format.distance(progress.segment_remaining_m))
        else:
            self.segment_left.setText(format.clock(left))
        if not self.countdown.text().startswith(("NEXT", "TURN")):
            self.countdown.setText("REST LEFT" if seg.rest else "LEFT IN SEGMENT")
        later = sum(self._estimates[index + 1 :])
        done = sum(self._estimates[:index]) + progress.segment_elapsed_s
        self.remaining.set_value(format.clock(left + later))
        total = done + left + later
        if total > 0:
            self.progress_bar.setValue(int(1000 * done / total))
        self.timeline.set_position(done)

    def _show_progress(self, progress: Progress, distance_m: float) -> None:
        """The readouts of ``progress`` that have a unit."""
        self.target.setText(f"target {format.speed(progress.target_speed_kmh)}")
        self.distance.set_value(format.distance(distance_m))

    def _turning_to(self, progress: Progress) -> Direction | None:
        if progress.state is not SessionState.TURNAROUND:
            return None
        return Direction.BACKWARD if progress.direction is Direction.FORWARD else Direction.FORWARD

    def on_state_changed(self, event: StateChanged) -> None:
        self._state_event = event
        text, todo = _STATE_TEXT[event.state]
        look = event.state.value
        if event.state is SessionState.STOPPED and event.stop_reason in _STOPPED_BY:
            text, look, todo = _STOPPED_BY[event.stop_reason]
        self._set_state_pill(text, look)
        if todo and not self._stale:
            self._set_status(todo)
            self._status_timer.stop()
        if event.state is not SessionState.TURNAROUND:
            self.direction.set_direction(self.direction.direction)
        if event.state in (SessionState.STOPPED, SessionState.FINISHED):
            self.countdown.setText("")
        else:
            self.countdown.setText("LEFT IN SEGMENT" if self._plan else "")

    def _set_state_pill(self, text: str, state: str) -> None:
        self._session_pill = (text, state)
        if not self._stale:
            self._show_belt(self._belt_moving)

    def _paint_pill(self, text: str, state: str) -> None:
        self.state.setText(text)
        set_style_property(self.state, "state", state)

    @property
    def pill_state(self) -> str:
        return str(self.state.property("state"))

    def on_notice(self, notice: Notice) -> None:
        if notice.kind is NoticeKind.TURNAROUND_COUNTDOWN:
            return  # the overlay counts; the status line keeps the turnaround's reason
        if self._stale:
            return  # "no data for N s" is what matters until data comes back
        self._set_status(notice.message)
        if notice.kind in _TRANSIENT:
            self._status_timer.start()
        else:
            self._status_timer.stop()

    def on_message(self, text: str) -> None:
        self._set_status(text)
        self._status_timer.start()

    def _set_status(self, text: str) -> None:
        """The engine's words (in km/h), kept, and shown with speeds in the display unit."""
        self._status = text
        self.status.setText(format.speeds_in_text(text))

    # -- room -----------------------------------------------------------------------------------

    def set_room(self, height: int) -> None:
        """The height the page area has: the type's size class follows it."""
        room = "compact" if height < COMPACT_BELOW else "large" if height >= LARGE_FROM else ""
        if room == self._room:
            return
        self._room = room
        self.timeline.setFixedHeight(34 if room == "compact" else 46)
        self.plot.setMinimumHeight(60 if room == "compact" else 120)
        self.plot.set_compact(room == "compact")
        self.direction.setMinimumSize(220 if room == "compact" else 300, 110 if room else 150)
        # On a laptop the live plot gets what the arrow does not need, and the timeline's
        # cursor is the progress (the bar would take a plot's worth of lines).
        self.direction.setMaximumHeight(150 if room == "compact" else 16777215)
        self.progress_bar.setVisible(room != "compact" and bool(self._plan))
        self.setProperty("room", room)
        # The type is the style sheet's; a property it selects on needs a re-polish to apply.
        style = self.style()
        for widget in (self, *self.findChildren(QWidget)):
            style.unpolish(widget)
            style.polish(widget)
        self.updateGeometry()

    @property
    def room(self) -> str:
        return self._room

    def on_session_finished(self, ended: SessionEnded) -> None:
        event = ended.finished
        self._ended = ended
        self._kind = None
        self.manual.setVisible(False)
        self.segment_left.setText("")
        self.countdown.setText("")
        self._state_event = None
        self._set_state_pill(_ENDED_TEXT[event.reason], "finished")
        self._show_summary(ended)

    def _show_summary(self, ended: SessionEnded) -> None:
        s, log_path = ended.finished.summary, ended.log_path
        self.segment_now.setText(
            f"{format.distance(s.distance_m)} in {format.clock(s.duration_s)}  ·  "
            f"backward {s.backward_minutes:.1f} min  ·  "
            f"{s.energy_kcal or 0:.0f} kcal"
        )
        self.segment_next.setText(f"Log: {log_path}" if log_path else "")
        self._set_cue("")

    def on_manual_target_changed(self, target: SetTarget) -> None:
        self._manual_target = target
        self.manual_label.setText(
            f"Manual target: {format.speed_with_unit(target.speed_kmh)}  ·  "
            f"{target.incline_pct:g} %  ·  "
            f"{target.direction.value}"
        )

    # -- slots: buttons → intents ---------------------------------------------------------------

    def on_speed_up(self) -> None:
        self._bridge.manual_speed(+1)

    def on_speed_down(self) -> None:
        self._bridge.manual_speed(-1)

    def on_incline_up(self) -> None:
        self._bridge.manual_incline(+1)

    def on_incline_down(self) -> None:
        self._bridge.manual_incline(-1)

    def on_turn(self) -> None:
        self._bridge.manual_turn()
