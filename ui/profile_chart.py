"""A program's profile as bars: speed over time, backward shaded, rests grey.

Shape: ``ProfileChart(QWidget)`` with ``set_profile(points)`` (``Program.profile()``) and, when
used as the dashboard's segment timeline, ``set_position(seconds)`` for a cursor. Painted with
QPainter: a few dozen rectangles, cheaper and crisper at this size than a plot widget.

The scale (the fastest target, written where its bar tops out: ``scale_label()``) is in the
display unit, read from ``ui.format`` at each paint; ``set_speed_unit`` repaints. Bar heights
are proportional to speed in any unit, so only the text changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from treadctl.core import Direction
from treadctl.program import ProfilePoint
from ui import colors, format
from ui.format import SpeedUnit, clock


class ProfileChart(QWidget):
    """Bars of target speed per segment; the backward ones on an amber band."""

    def __init__(self, parent: QWidget | None = None, *, compact: bool = False) -> None:
        super().__init__(parent)
        self._points: list[ProfilePoint] = []
        self._position: float | None = None
        self._compact = compact  # the dashboard's timeline: no axis text
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(40 if compact else 140)

    def sizeHint(self) -> QSize:
        return QSize(600, 60 if self._compact else 220)

    def set_profile(self, points: Sequence[ProfilePoint]) -> None:
        self._points = list(points)
        self._position = None
        self.update()

    def set_position(self, seconds: float | None) -> None:
        self._position = seconds
        self.update()

    def set_speed_unit(self, unit: SpeedUnit) -> None:
        """The display unit changed: the scale's text with it (``unit`` is ``ui.format``'s)."""
        self.update()

    def scale_label(self) -> str:
        """The scale's text: the fastest target in the display unit ("4 km/h", "2.5 mph",
        "15:00 min/km"); empty without a program."""
        if not self._points:
            return ""
        fastest = max(p.speed_kmh for p in self._points)
        return format.speed_with_unit(fastest, compact=True)

    @property
    def total_s(self) -> float:
        return self._points[-1].end_s if self._points else 0.0

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, painter: QPainter) -> None:
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        painter.fillRect(rect, QColor(colors.PANEL))
        if not self._points or self.total_s <= 0:
            painter.setPen(QColor(colors.DIM))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "No program")
            return
        text_h = 0.0 if self._compact else 22.0
        plot = rect.adjusted(4, 6, -4, -(text_h + 2))
        total = self.total_s
        top = max(1.0, *(p.speed_kmh for p in self._points)) * 1.1

        def x_at(t: float) -> float:
            return plot.left() + plot.width() * t / total

        for p in self._points:
            x0, x1 = x_at(p.start_s), x_at(p.end_s)
            if p.direction is Direction.BACKWARD and not p.rest:
                # The band marks "facing the rear" for the whole height: easy to spot.
                painter.fillRect(
                    QRectF(x0, plot.top(), x1 - x0, plot.height()), QColor(colors.BACKWARD_BAND)
                )
            if p.rest:
                bar = QRectF(x0, plot.bottom() - 4, x1 - x0, 4)
                colour = QColor(colors.DIM)
            else:
                h = plot.height() * p.speed_kmh / top
                bar = QRectF(x0, plot.bottom() - h, max(1.0, x1 - x0 - 1), h)
                colour = QColor(
                    colors.BACKWARD if p.direction is Direction.BACKWARD else colors.FORWARD
                )
            painter.fillRect(bar, colour)
        if not self._compact:
            # A scale: the fastest target, written where its bar tops out.
            fastest = max(p.speed_kmh for p in self._points)
            y = plot.bottom() - plot.height() * fastest / top
            painter.setPen(QPen(QColor(colors.DIM), 1, Qt.PenStyle.DotLine))
            painter.drawLine(int(plot.left()), int(y), int(plot.right()), int(y))
            painter.setPen(QColor(colors.TEXT))
            painter.drawText(
                QRectF(plot.left() + 6, y - 24, 200, 22),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                self.scale_label(),
            )
        if self._position is not None:
            x = x_at(min(max(self._position, 0.0), total))
            painter.setPen(QPen(QColor(colors.TEXT), 2))
            painter.drawLine(int(x), int(rect.top()), int(x), int(rect.bottom()))
        if not self._compact:
            font = QFont(self.font())
            font.setPointSizeF(max(9.0, font.pointSizeF() * 0.9))
            painter.setFont(font)
            painter.setPen(QColor(colors.DIM))
            line = QRectF(plot.left(), plot.bottom() + 2, plot.width(), text_h)
            painter.drawText(
                line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "0:00"
            )
            painter.drawText(
                line, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, clock(total)
            )
            # Legend, centred: coloured squares name the colours.
            # The dark band over a backward bar is named too: no colour goes unexplained.
            items = [
                ("■ forward", colors.FORWARD),
                ("■ backward", colors.BACKWARD),
                ("■ band: facing the rear", colors.BACKWARD_BAND),
            ]
            if any(p.rest for p in self._points):
                items.append(("■ rest", colors.DIM))
            metrics = painter.fontMetrics()
            gap = 18
            widths = [metrics.horizontalAdvance(text) for text, _ in items]
            x = line.center().x() - (sum(widths) + gap * (len(items) - 1)) / 2
            square = metrics.horizontalAdvance("■ ")
            for (text, ink), width in zip(items, widths, strict=True):
                # The square in its colour, the words readable (the band's colour is dark).
                where = QRectF(x, line.top(), width + 2, line.height())
                align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
                painter.setPen(QColor(ink))
                painter.drawText(where, align, "■")
                painter.setPen(QColor(colors.DIM if ink == colors.BACKWARD_BAND else ink))
                painter.drawText(where.adjusted(square, 0, 0, 0), align, text[2:])
                x += width + gap
