"""Fonts for painted widgets: the largest size in which a text fits a box.

Painted cues (the direction block, the TURN AROUND overlay) size their text from the widget's
size so they fill it at any window size; this keeps them from overflowing.
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontMetrics

MIN_PX = 10


def fitted_font(base: QFont, text: str, width: float, max_px: float, *, step: int = 2) -> QFont:
    """The largest bold ``base`` (at most ``max_px`` pixels) in which ``text`` fits ``width``."""
    font = QFont(base)
    font.setBold(True)
    size = max(MIN_PX, int(max_px))
    while size > MIN_PX:
        font.setPixelSize(size)
        if QFontMetrics(font).horizontalAdvance(text) <= width:
            return font
        size -= step
    font.setPixelSize(MIN_PX)
    return font
