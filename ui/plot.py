"""The live plot: measured speed against the commanded target over the session.

Shape: ``LivePlot(QWidget)`` wrapping one pyqtgraph ``PlotWidget``. Slots ``on_session_started``,
``on_progress`` (appends to preallocated numpy buffers) and ``on_segment_started`` (a boundary
line); ``set_speed_unit`` (km/h or mph; in a pace unit the speed axis is written in paces, see
``ui.speed_axis``). The legend names every colour: target, measured, backward, segment change.
A ``QTimer`` ticks ``REDRAW_HZ`` times a second and ``redraw()``s only when
something changed and the new samples would show: at most once per pixel column of session
time (over 6 hours a column is 18 s), and at least once every ``MAX_REDRAW_INTERVAL_S``, so
"now" never trails by more than that. A new segment, a new session, a resize or a unit change
redraws at the next tick.

Why it is built this way: a 6-hour session at 10 Hz is 216 000 samples, and every millisecond
spent drawing on the Qt thread is a millisecond the E-stop waits (tests/bench/bench_app.py
measured it). So: buffers that double instead of Python lists re-converted per frame; our own
min/max envelope of about two points per pixel column, computed with numpy ``reduceat`` (pyqtgraph's
per-curve downsampling and finite checks cost more than the drawing); pen width 1, no
antialiasing, no grid; all backward stretches as ONE bar item and all segment boundaries as ONE
line item — a pyqtgraph item per stretch recomputed its bounds in Python on every repaint (51
stretches cost ~15 ms); and the view matrix updated at once, so a redraw paints once, not twice.
A redraw of a long session costs 5-8 ms wherever the time goes (axes, text, painting); at 5 Hz
that was half the app's CPU at 10 Hz of data, for changes narrower than a pixel.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from treadctl.core import Direction, Progress, SegmentStarted
from ui import colors, format
from ui.format import SpeedUnit
from ui.speed_axis import SpeedAxis, plain_axis

REDRAW_HZ = 5
MAX_REDRAW_INTERVAL_S = 1.0
#: Samples further apart than the watchdog's time are not joined: the line breaks there.
GAP_S = 3.0
_INITIAL_CAPACITY = 4096

pg.setConfigOptions(antialias=False, background=colors.BACKGROUND, foreground=colors.DIM)


class LivePlot(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._axis = SpeedAxis("left")
        self._widget = pg.PlotWidget(
            axisItems={"left": self._axis, "bottom": plain_axis(pg.AxisItem("bottom"))}
        )
        item = self._widget.getPlotItem()
        item.showGrid(x=False, y=False)
        item.setMenuEnabled(False)
        item.hideButtons()
        # A bumped touchpad must not zoom the plot away from "now".
        item.setMouseEnabled(x=False, y=False)
        item.setLabel("bottom", "session time (s)")
        legend = item.addLegend(
            offset=(-10, 5), labelTextColor=colors.TEXT, brush=colors.LEGEND_BACK
        )
        self._target = item.plot(name="target", pen=pg.mkPen(colors.FORWARD, width=1))
        self._measured = item.plot(name="measured", pen=pg.mkPen(colors.TEXT, width=1))
        for curve in (self._target, self._measured):
            curve.setDownsampling(auto=False)
            curve.setClipToView(False)
            curve.setSkipFiniteCheck(True)
        self._bands = pg.BarGraphItem(
            x0=[], x1=[], y0=[], y1=[], brush=pg.mkBrush(colors.BACKWARD_BAND), pen=pg.mkPen(None)
        )
        self._bands.setZValue(-10)
        item.addItem(self._bands)
        self._lines = pg.PlotDataItem(pen=pg.mkPen(colors.BORDER, width=1), connect="pairs")
        self._lines.setZValue(-5)
        item.addItem(self._lines)
        # Every colour on the plot explained: the amber band and the grey lines too.
        legend.addItem(self._bands, "backward")
        legend.addItem(self._lines, "segment change")
        self._legend = legend
        self._item = item
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._widget)
        self._t = np.empty(_INITIAL_CAPACITY)
        self._v = np.empty(_INITIAL_CAPACITY)
        self._goal = np.empty(_INITIAL_CAPACITY)
        self._n = 0
        self._gaps = 0
        self._checking = False
        self._top = 4.0
        self._dirty = False  # new samples since the last redraw
        self._stale = True  # something else changed: redraw at the next tick
        self._last_redraw = -math.inf
        self.redraws = 0  # how many times it has drawn (for tests and the benchmark)
        self._unit = self._axis.unit
        self._spans: list[tuple[float, float]] = []  # backward stretches, closed ones
        self._region_start: float | None = None
        self._boundaries: list[float] = []
        self._timer = QTimer(self)
        self._timer.setInterval(1000 // REDRAW_HZ)
        self._timer.timeout.connect(self.on_redraw_timer)
        self._timer.start()

    @property
    def sample_count(self) -> int:
        return self._n

    def clear(self) -> None:
        self._n = 0
        self._gaps = 0
        self._set_finite_check(False)
        self._top = 4.0
        self._region_start = None
        self._spans.clear()
        self._boundaries.clear()
        self._stale = True

    def on_session_started(self) -> None:
        self.clear()

    def on_segment_started(self, event: SegmentStarted) -> None:
        self._boundaries.append(event.t)
        self._stale = True

    def _set_finite_check(self, on: bool) -> None:
        if on == self._checking:
            return
        self._checking = on
        for curve in (self._target, self._measured):
            curve.setSkipFiniteCheck(not on)
            curve.opts["connect"] = "finite" if on else "all"

    @property
    def plot_item(self) -> pg.PlotItem:
        return self._item

    @property
    def speed_unit(self) -> SpeedUnit:
        return self._unit

    def set_speed_unit(self, unit: SpeedUnit) -> None:
        """Plot in ``unit``: mph for the imperial units, km/h otherwise, and the speed axis
        written in paces for a pace unit."""
        self._unit = unit
        self._axis.set_unit(unit)
        self._stale = True

    def set_compact(self, compact: bool) -> None:
        """On a laptop the plot is a strip a few lines high: the legend (which would cover the
        curves) and the time axis's title go; the timeline above names the colours too."""
        self._legend.setVisible(not compact)
        self._item.showLabel("bottom", not compact)

    @property
    def compact(self) -> bool:
        return not self._legend.isVisible()

    def legend_names(self) -> list[str]:
        """What the legend names, in order (every colour the plot draws has an entry)."""
        return [label.text for _, label in self._legend.items]

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._stale = True  # the envelope has as many columns as the plot is wide

    def on_progress(self, progress: Progress) -> None:
        self.append(
            progress.t,
            progress.sample.speed_kmh or 0.0,
            progress.target_speed_kmh,
            progress.direction,
        )

    def append(self, t: float, kmh: float, target_kmh: float, direction: Direction) -> None:
        if self._n and t - float(self._t[self._n - 1]) > GAP_S:
            # No data for longer than the watchdog: a gap, not a smooth ramp across it (what
            # the belt did then is not known). A NaN point breaks both lines there.
            self._add(float(self._t[self._n - 1]) + GAP_S / 2, math.nan, math.nan)
            self._gaps += 1
        self._add(t, kmh, target_kmh)
        self._top = max(self._top, kmh * 1.15, target_kmh * 1.15)
        backward = direction is Direction.BACKWARD
        if backward and self._region_start is None:
            self._region_start = t
        elif not backward and self._region_start is not None:
            self._spans.append((self._region_start, t))
            self._region_start = None
        self._dirty = True

    @property
    def gaps(self) -> int:
        """How many gaps in the data the lines break at."""
        return self._gaps

    def _add(self, t: float, kmh: float, target_kmh: float) -> None:
        if self._n == len(self._t):
            size = len(self._t) * 2
            self._t = np.resize(self._t, size)
            self._v = np.resize(self._v, size)
            self._goal = np.resize(self._goal, size)
        self._t[self._n], self._v[self._n], self._goal[self._n] = t, kmh, target_kmh
        self._n += 1

    def on_redraw_timer(self) -> None:
        if not (self._dirty or self._stale) or not self.isVisible():
            return
        now = time.monotonic()
        if not self._stale and now - self._last_redraw < self.redraw_interval_s():
            return
        self.redraw()

    def redraw_interval_s(self) -> float:
        """How long new samples may wait: one pixel column of session time, within
        [1 / REDRAW_HZ, MAX_REDRAW_INTERVAL_S]."""
        span = float(self._t[self._n - 1]) if self._n else 0.0
        columns = max(64, int(self._widget.width()))
        per_column = max(60.0, span) / columns
        return min(MAX_REDRAW_INTERVAL_S, max(1.0 / REDRAW_HZ, per_column))

    def redraw(self) -> None:
        """Draw what the buffers hold now (the timer calls this when it is due)."""
        self._dirty = self._stale = False
        self._last_redraw = time.monotonic()
        self.redraws += 1
        n = self._n
        if self._gaps:
            self._set_finite_check(True)  # only then: the check costs on every redraw
        columns = max(64, self._widget.width())
        scale = format.chart_scale(self._unit)
        xs, ys = _envelope(self._t[:n], self._v[:n], columns)
        self._measured.setData(xs, ys * scale)
        xs, ys = _envelope(self._t[:n], self._goal[:n], columns)
        self._target.setData(xs, ys * scale)
        top = self._top * scale
        spans = list(self._spans)
        if self._region_start is not None and n:
            spans.append((self._region_start, float(self._t[n - 1])))
        self._bands.setOpts(
            x0=[a for a, _ in spans],
            x1=[b for _, b in spans],
            y0=[0.0] * len(spans),
            y1=[top] * len(spans),
        )
        xs = np.repeat(np.asarray(self._boundaries, dtype=float), 2)
        ys = np.tile([0.0, top], len(self._boundaries))
        self._lines.setData(xs, ys)
        self._item.setYRange(0, top, padding=0)
        if n:
            self._item.setXRange(0, max(60.0, float(self._t[n - 1])), padding=0.01)
        # Apply the new range now, so this redraw paints once (not once stale, once right).
        self._item.getViewBox().updateMatrix()


def _envelope(t: np.ndarray, v: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ~2 points per pixel column: each column's min and max, in time order, so
    peaks survive (a spike in speed must stay visible however long the session)."""
    n = len(t)
    if n <= 2 * columns:
        return t, v
    edges = np.linspace(0, n, columns + 1).astype(np.intp)[:-1]
    lows = np.minimum.reduceat(v, edges)
    highs = np.maximum.reduceat(v, edges)
    xs = np.repeat(t[edges], 2)
    ys = np.empty(2 * len(edges))
    ys[0::2], ys[1::2] = lows, highs
    return xs, ys
