"""The dashboard: what a person on the belt reads from 2–3 m, often over a shoulder.

Shape::

    Dashboard(bridge)
     ├── DirectionIndicator     FORWARD (blue, ▲) / BACKWARD (amber, ▼) / TURNING → …
     ├── speed                  measured, very large; the commanded target under it
     ├── state pill + status    RUNNING / STOPPED — press Resume …; the latest engine notice
     ├── countdown              "Next segment in 3" / "TURN AROUND in 3"
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
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
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
)
from treadctl.program import PlannedSegment
from ui import colors, format
from ui.bridge import Bridge
from ui.fonts import fitted_font
from ui.format import SpeedUnit
from ui.plot import LivePlot
from ui.profile_chart import ProfileChart
from ui.styling import set_style_property

_STATE_TEXT = {
    SessionState.READY: "READY",
    SessionState.RUNNING: "RUNNING",
    SessionState.TURNAROUND: "TURNAROUND",
    SessionState.STOPPED: "STOPPED — press Resume to go on",
    SessionState.RESTING: "REST — belt stopped",
    SessionState.FINISHED: "FINISHED",
}


_PILL_PAD = 8  # the pill's vertical padding in resources/style.qss


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
        # The last values shown, kept to reword them when the display unit changes.
        self._sample: Sample | None = None
        self._progress: tuple[Progress, float] | None = None
        self._ended: SessionEnded | None = None
        self._manual_target: SetTarget | None = None
        self._status = ""  # the engine's words, in km/h
        self._build()
        self._connect_bridge()
        self._show_no_session()

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
        # Room for two lines ("STOPPED — press Resume to go on" wraps): when an alarm banner
        # and a two-line segment text squeeze the page, the pill must not be the one clipped.
        self.state.ensurePolished()
        self.state.setMinimumHeight(2 * self.state.fontMetrics().lineSpacing() + 2 * _PILL_PAD)
        self.countdown = QLabel("")
        self.countdown.setObjectName("countdown")
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status = QLabel("")
        self.status.setObjectName("statusLine")
        self.status.setWordWrap(True)
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        side = QVBoxLayout()
        side.addWidget(self.state)
        side.addWidget(self.countdown, 1)
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
        self.plot.setMinimumHeight(160)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(8)
        layout.addLayout(top, 5)
        layout.addLayout(tiles, 2)
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

    # -- slots: engine → screen -----------------------------------------------------------------

    def _show_no_session(self) -> None:
        self._set_state_pill("NO SESSION", "idle")
        self.segment_now.setText("No session running: pick a program, or start a manual session.")
        self.segment_next.setText("")
        self.cue.setText("")
        self.manual.setVisible(False)

    def set_speed_unit(self, unit: SpeedUnit) -> None:
        """The display unit changed (settings): the unit labels, the plot's axis, and every
        speed and distance showing, reworded from the last values received."""
        self.speed_unit_label.setText(unit.value)
        self.plot.set_speed_unit(unit)
        if self._sample is not None:
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

    def on_sample(self, sample: Sample) -> None:
        self._sample = sample
        self._show_speed(sample)
        self.incline.set_value(format.incline(sample.incline_pct))
        # Outside a session: the strap's reading while it is fresh, else the hand grip's. (In
        # a session the runner chooses, and Progress carries its choice.)
        strap_fresh = self._bridge.strap_bpm is not None
        if not self._bridge.in_session and sample.heart_rate_bpm is not None and not strap_fresh:
            self.heart_rate.set_value(f"{sample.heart_rate_bpm} bpm")

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
        self.progress_bar.setVisible(info.program is not None)
        self.manual.setVisible(info.kind is SessionKind.MANUAL)
        self.countdown.setText("")
        self._set_status("")
        self.cue.setText("")
        for tile in (self.distance, self.elapsed, self.remaining, self.energy, self.heart_rate):
            tile.set_value(format.DASH)
        if info.kind is SessionKind.MANUAL:
            self.segment_now.setText("Manual session")
            self.segment_next.setText("Speed and incline with the buttons below.")
        else:
            name = info.program.name if info.program is not None else ""
            self.segment_now.setText(name)
            self.segment_next.setText("")
        self._set_state_pill(_STATE_TEXT[SessionState.READY], SessionState.READY.value)

    def on_segment_started(self, event: SegmentStarted) -> None:
        self._segment_event = event
        self._show_segment(event)
        self.cue.setText(event.planned.segment.cue or "")
        self.countdown.setText("")
        self.plot.on_segment_started(event)

    def _show_segment(self, event: SegmentStarted) -> None:
        p = event.planned
        seg = p.segment
        where = f"  ·  {p.position}" if p.position else ""
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
        if event.turnaround:
            self.countdown.setText(f"TURN AROUND in {event.seconds}")
        else:
            self.countdown.setText(f"Next segment in {event.seconds}")
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
        self._set_state_pill(_STATE_TEXT[event.state], event.state.value)
        if event.state is not SessionState.TURNAROUND:
            self.direction.set_direction(self.direction.direction)
        if event.state in (SessionState.STOPPED, SessionState.FINISHED):
            self.countdown.setText("")

    def _set_state_pill(self, text: str, state: str) -> None:
        self.state.setText(text)
        set_style_property(self.state, "state", state)

    def on_notice(self, notice: Notice) -> None:
        if notice.kind is NoticeKind.TURNAROUND_COUNTDOWN:
            return  # the overlay counts; the status line keeps the turnaround's reason
        self._set_status(notice.message)

    def on_message(self, text: str) -> None:
        self._set_status(text)

    def _set_status(self, text: str) -> None:
        """The engine's words (in km/h), kept, and shown with speeds in the display unit."""
        self._status = text
        self.status.setText(format.speeds_in_text(text))

    def on_session_finished(self, ended: SessionEnded) -> None:
        event = ended.finished
        self._ended = ended
        self._kind = None
        self.manual.setVisible(False)
        self.countdown.setText("")
        self._set_state_pill(f"SESSION {event.reason.value.upper()}", "finished")
        self._show_summary(ended)

    def _show_summary(self, ended: SessionEnded) -> None:
        s, log_path = ended.finished.summary, ended.log_path
        self.segment_now.setText(
            f"{format.distance(s.distance_m)} in {format.clock(s.duration_s)}  ·  "
            f"backward {s.backward_minutes:.1f} min  ·  "
            f"{s.energy_kcal or 0:.0f} kcal"
        )
        self.segment_next.setText(f"Log: {log_path}" if log_path else "")
        self.cue.setText("")

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
