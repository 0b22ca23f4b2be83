"""A chart's speed axis in the display unit, and the axis settings every chart here shares.

Shape::

    SpeedAxis("left")          a pyqtgraph AxisItem: its title is the unit's axis label
     ├── set_unit(unit)        km/h, mph, or a pace (min/km, min/mi)
     └── tickStrings(...)      the tick texts: numbers, or paces for a pace unit
    plain_axis(axis)           no SI-prefix scaling (see below)

The chart plots km/h times ``format.chart_scale``: km/h, or mph for the imperial units. In a
pace unit it still plots that speed, and only the tick texts are paces: a speed of 6 km/h is
written "10:00". Plotting the pace itself would put a stopped belt at infinity and turn
"faster" into "lower"; a speed axis written in paces keeps fast at the top and a stopped belt at
the bottom.

Why ``plain_axis``: pyqtgraph scales an axis without units by an SI prefix when its range lies
within 0..1, and writes the factor into the title ("week of (x0.001)" on a one-week chart).
Our axes hold minutes, speeds and week indices, never SI quantities: no prefix, ever.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtGui import QFont

from ui import format
from ui.format import SpeedUnit

#: Tick and title sizes (px) a person reads from the belt, 2 m away (pyqtgraph's are ~11 px).
TICK_PX = 15
TITLE_PX = 16


def plain_axis(axis: pg.AxisItem) -> pg.AxisItem:
    """``axis`` without SI-prefix scaling (its title never gains "(x0.001)"), its ticks and
    title large enough to read from the belt; returns it."""
    axis.enableAutoSIPrefix(False)
    font = QFont()
    font.setPixelSize(TICK_PX)
    axis.setStyle(tickFont=font)
    axis.labelStyle = {"font-size": f"{TITLE_PX}px"}
    return axis


class SpeedAxis(pg.AxisItem):  # type: ignore[misc]  # pyqtgraph has no type hints
    """A speed axis titled and written in a display unit (the app's unit to begin with)."""

    def __init__(self, orientation: str = "left") -> None:
        super().__init__(orientation)
        plain_axis(self)
        self._unit = format.speed_unit()
        self.setLabel(self._unit.axis_label)

    @property
    def unit(self) -> SpeedUnit:
        return self._unit

    def set_unit(self, unit: SpeedUnit) -> None:
        """Title and ticks in ``unit``; the chart converts its values (``format.chart_scale``)."""
        self._unit = unit
        self.setLabel(unit.axis_label)
        self.picture = None  # pyqtgraph caches the drawn ticks: drop them, the texts changed
        self.update()

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        if not self._unit.pace:
            return list(super().tickStrings(values, scale, spacing))
        # A value here is a chart speed (km/h, or mph for min/mi): back to km/h for the pace.
        # The bottom tick, a stopped belt, has no pace: left blank rather than "—".
        kmh_per_value = format.KM_PER_MILE if self._unit.imperial else 1.0
        texts = [format.pace(v * scale * kmh_per_value, self._unit) for v in values]
        return ["" if text == format.DASH else text for text in texts]
