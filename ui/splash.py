"""The window a person sees while the app loads: painted before anything heavy is imported.

Why: the full window pulls in pyqtgraph and numpy, Bleak, the engine and every page — about a
second. Someone who clicked the icon should see the app answer at once, so ``ui.app.run_app``
shows this first (where the main window will open, from the saved geometry), lets Qt paint it
once, and only then imports and builds the rest; the main window replaces it.

Only QtCore/QtGui/QtWidgets and ``ui.colors`` (no other project module) may be imported
here: everything this module imports is paid for before the first paint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# Not ``Qt`` (the namespace of enums): importing it alone costs ~14 ms. Text is centred by
# measuring it instead of with an alignment flag.
from PySide6.QtCore import QByteArray, QEventLoop, QSettings, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QWidget

from ui import colors

if TYPE_CHECKING:
    from PySide6.QtGui import QPaintEvent

DEFAULT_SIZE = (1600, 1000)
# A window the platform never paints (minimised, a headless session without a compositor)
# must not hold the app back: load anyway after this long.
PAINT_WAIT_MS = 500


class StartupScreen(QWidget):
    """The app's name and "starting…", in the theme's colours, where the window will be."""

    def __init__(self, settings: QSettings, *, simulate: bool) -> None:
        super().__init__()
        self.setObjectName("startupScreen")
        self.setWindowTitle("treadctl — simulated treadmill" if simulate else "treadctl")
        self._detail = "starting the virtual treadmill…" if simulate else "starting…"
        self._painted = False
        self._loop: QEventLoop | None = None
        geometry = settings.value("window/geometry")
        if not isinstance(geometry, QByteArray | bytes) or not self.restoreGeometry(geometry):
            self.resize(*DEFAULT_SIZE)

    @property
    def painted(self) -> bool:
        return self._painted

    def show_and_paint(self) -> None:
        """Show, and return once Qt has painted this window (or ``PAINT_WAIT_MS`` passed)."""
        self.show()
        if self._painted:
            return
        loop = QEventLoop()
        self._loop = loop
        QTimer.singleShot(PAINT_WAIT_MS, loop.quit)
        loop.exec()
        self._loop = None

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(colors.BACKGROUND))
        middle = self.height() // 2
        for text, pixels, bold, colour, baseline in (
            ("treadctl", 64, True, colors.TEXT, middle - 20),
            (self._detail, 24, False, colors.DIM, middle + 40),
        ):
            font = QFont(self.font())
            font.setPixelSize(pixels)
            font.setBold(bold)
            painter.setFont(font)
            painter.setPen(QColor(colour))
            left = (self.width() - QFontMetrics(font).horizontalAdvance(text)) // 2
            painter.drawText(left, baseline, text)
        painter.end()
        if not self._painted:
            self._painted = True
            if self._loop is not None:
                # Once this paint pass is flushed to the screen, not in the middle of it.
                QTimer.singleShot(0, self._loop.quit)
