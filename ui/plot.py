"""The live plot: measured speed against the commanded target over the session.

Shape: ``LivePlot(QWidget)`` wrapping one pyqtgraph ``PlotWidget``. Slots ``on_session_started``,
``on_progress`` (appends to preallocated numpy buffers) and ``on_segment_started`` (a boundary
line); a ``QTimer`` redraws at most ``REDRAW_HZ`` times a second and only when something changed.

Why it is built this way: a 6-hour session at 10 Hz is 216 000 samples, and every millisecond
spent drawing on the Qt thread is a millisecond the E-stop waits. So: buffers that double instead
of Python lists re-converted per frame; peak downsampling and clip-to-view (pyqtgraph draws about
one point per pixel column); pen width 1, no antialiasing, no grid (the costly parts); backward
stretches as a few region items, not per-sample fills.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from treadctl.limits import Direction
from treadctl.session import Progress, SegmentStarted
from ui import colors

REDRAW_HZ = 5
_INITIAL_CAPACITY = 4096

pg.setConfigOptions(antialias=False, background=colors.BACKGROUND, foreground=colors.DIM)


class LivePlot(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._widget = pg.PlotWidget()
        item = self._widget.getPlotItem()
        item.showGrid(x=False, y=False)
        item.setMenuEnabled(False)
        item.hideButtons()
        # A bumped touchpad must not zoom the plot away from "now".
        item.setMouseEnabled(x=False, y=False)
        item.setLabel("left", "km/h")
        item.setLabel("bottom", "session time (s)")
        item.addLegend(offset=(-10, 5), labelTextColor=colors.TEXT)
        self._target = item.plot(name="target", pen=pg.mkPen(colors.FORWARD, width=1))
        self._measured = item.plot(name="measured", pen=pg.mkPen(colors.TEXT, width=1))
        for curve in (self._target, self._measured):
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
        self._item = item
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._widget)
        self._t = np.empty(_INITIAL_CAPACITY)
        self._v = np.empty(_INITIAL_CAPACITY)
        self._goal = np.empty(_INITIAL_CAPACITY)
        self._n = 0
        self._top = 4.0
        self._dirty = False
        self._regions: list[pg.LinearRegionItem] = []
        self._region_start: float | None = None
        self._boundaries: list[pg.InfiniteLine] = []
        self._timer = QTimer(self)
        self._timer.setInterval(1000 // REDRAW_HZ)
        self._timer.timeout.connect(self.on_redraw_timer)
        self._timer.start()

    @property
    def sample_count(self) -> int:
        return self._n

    def clear(self) -> None:
        self._n = 0
        self._top = 4.0
        self._region_start = None
        for region in self._regions:
            self._item.removeItem(region)
        for line in self._boundaries:
            self._item.removeItem(line)
        self._regions.clear()
        self._boundaries.clear()
        self._dirty = True

    def on_session_started(self) -> None:
        self.clear()

    def on_segment_started(self, event: SegmentStarted) -> None:
        line = pg.InfiniteLine(
            pos=event.t, angle=90, movable=False, pen=pg.mkPen(colors.BORDER, width=1)
        )
        self._item.addItem(line)
        self._boundaries.append(line)

    def on_progress(self, progress: Progress) -> None:
        self.append(
            progress.t,
            progress.sample.speed_kmh or 0.0,
            progress.target_speed_kmh,
            progress.direction,
        )

    def append(self, t: float, kmh: float, target_kmh: float, direction: Direction) -> None:
        if self._n == len(self._t):
            size = len(self._t) * 2
            self._t = np.resize(self._t, size)
            self._v = np.resize(self._v, size)
            self._goal = np.resize(self._goal, size)
        self._t[self._n], self._v[self._n], self._goal[self._n] = t, kmh, target_kmh
        self._n += 1
        self._top = max(self._top, kmh * 1.15, target_kmh * 1.15)
        backward = direction is Direction.BACKWARD
        if backward and self._region_start is None:
            self._region_start = t
            region = pg.LinearRegionItem(
                values=(t, t),
                movable=False,
                brush=pg.mkBrush(colors.BACKWARD_BAND),
                pen=pg.mkPen(None),
            )
            region.setZValue(-10)
            self._item.addItem(region)
            self._regions.append(region)
        elif not backward and self._region_start is not None:
            self._regions[-1].setRegion((self._region_start, t))
            self._region_start = None
        self._dirty = True

    def on_redraw_timer(self) -> None:
        if not self._dirty or not self.isVisible():
            return
        self._dirty = False
        n = self._n
        self._measured.setData(self._t[:n], self._v[:n])
        self._target.setData(self._t[:n], self._goal[:n])
        if self._region_start is not None and n:
            self._regions[-1].setRegion((self._region_start, self._t[n - 1]))
        self._item.setYRange(0, self._top, padding=0)
        if n:
            self._item.setXRange(0, max(60.0, float(self._t[n - 1])), padding=0.01)
