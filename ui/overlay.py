"""The full-window "TURN AROUND" cue, for a person who may be facing away from the screen.

Shape: ``TurnaroundOverlay(QWidget)`` lies over the page area (the STOP bar stays uncovered and
clickable); ``show_cue(headline, detail, count, direction)`` and ``hide_cue()``; ``cue_text``
for tests. It paints itself (huge text in the new direction's colour) and lets the mouse through:
it informs, it never blocks a click.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from treadctl.core import Direction
from ui import colors
from ui.fonts import fitted_font


class TurnaroundOverlay(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("turnaroundOverlay")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._headline = ""
        self._detail = ""
        self._count: int | None = None
        self._direction = Direction.BACKWARD
        self.hide()

    @property
    def cue_text(self) -> str:
        parts = [self._headline, self._detail]
        if self._count is not None:
            parts.append(str(self._count))
        return " ".join(p for p in parts if p)

    def show_cue(self, headline: str, detail: str, count: int | None, direction: Direction) -> None:
        self._headline, self._detail, self._count = headline, detail, count
        self._direction = direction
        self.setAccessibleDescription(self.cue_text)
        self.raise_()
        self.show()
        self.update()

    def hide_cue(self) -> None:
        self._count = None
        self.hide()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            rect = QRectF(self.rect())
            background = QColor(colors.BACKGROUND)
            background.setAlpha(235)
            painter.fillRect(rect, background)
            accent = QColor(
                colors.BACKWARD if self._direction is Direction.BACKWARD else colors.FORWARD
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(accent)
            band = 18.0
            painter.drawRect(QRectF(rect.left(), rect.top(), rect.width(), band))
            painter.drawRect(QRectF(rect.left(), rect.bottom() - band, rect.width(), band))
            h = rect.height()
            big = fitted_font(self.font(), self._headline, rect.width() * 0.94, h * 0.2)
            painter.setFont(big)
            painter.setPen(accent)
            painter.drawText(
                QRectF(rect.left(), rect.top() + h * 0.08, rect.width(), h * 0.28),
                Qt.AlignmentFlag.AlignCenter,
                self._headline,
            )
            mid = fitted_font(self.font(), self._detail, rect.width() - 40, h * 0.07)
            painter.setFont(mid)
            painter.setPen(QColor(colors.TEXT))
            painter.drawText(
                QRectF(rect.left() + 20, rect.top() + h * 0.36, rect.width() - 40, h * 0.16),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self._detail,
            )
            if self._count is not None:
                huge = QFont(big)
                huge.setPixelSize(max(32, int(h * 0.36)))
                painter.setFont(huge)
                painter.setPen(accent)
                painter.drawText(
                    QRectF(rect.left(), rect.top() + h * 0.52, rect.width(), h * 0.42),
                    Qt.AlignmentFlag.AlignCenter,
                    str(self._count),
                )
        finally:
            painter.end()
