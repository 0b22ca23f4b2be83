"""A one-line label that never asks for more width than it gets: a long text ends in "…".

Why: a QLabel asks for the width of its whole text, and a top-level window grows to what its
widgets ask for — a long link state or a long name in the top bar once pushed the window (and
STOP) past a laptop's screen. The whole text stays in the tooltip and ``full_text()``.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QStyle, QStyleOption, QWidget

#: The least width it asks for (px): room for a word and the ellipsis.
MIN_WIDTH = 60


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def full_text(self) -> str:
        return self.text()

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), MIN_WIDTH), hint.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            # The style sheet's background and border first ([state="lost"] is a red pill).
            option = QStyleOption()
            option.initFrom(self)
            self.style().drawPrimitive(QStyle.PrimitiveElement.PE_Widget, option, painter, self)
            rect = self.contentsRect()
            elide = Qt.TextElideMode.ElideRight
            shown = self.fontMetrics().elidedText(self.text(), elide, rect.width())
            painter.setPen(self.palette().color(self.foregroundRole()))
            painter.drawText(rect, int(self.alignment()), shown)
        finally:
            painter.end()
