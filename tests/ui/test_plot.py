"""The live plot: its envelope (bounded point count, peaks kept), when it redraws, its unit."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from treadctl.limits import Direction
from treadctl.program import PlannedSegment, Segment
from treadctl.safety import SetTarget
from treadctl.session import SegmentStarted
from ui.format import KM_PER_MILE, SpeedUnit
from ui.plot import MAX_REDRAW_INTERVAL_S, REDRAW_HZ, LivePlot, _envelope


def test_envelope_bounds_points_and_keeps_peaks() -> None:
    t = np.arange(216_000) / 10.0
    v = np.full_like(t, 3.0)
    v[123_456] = 9.5  # one spike in six hours
    xs, ys = _envelope(t, v, 800)
    assert len(xs) == len(ys) <= 1600
    assert ys.max() == 9.5 and ys.min() == 3.0
    assert np.all(np.diff(xs) >= 0)


def test_short_series_is_drawn_as_is() -> None:
    t = np.arange(100.0)
    xs, ys = _envelope(t, t * 2, 800)
    assert xs is t and np.array_equal(ys, t * 2)


def _shown_plot(qapp: QApplication, width: int = 1200) -> LivePlot:
    plot = LivePlot()
    plot.resize(width, 300)
    plot.show()
    qapp.processEvents()
    return plot


def test_redraws_follow_the_pixel_columns_within_bounds(qapp: QApplication) -> None:
    plot = _shown_plot(qapp)
    try:
        assert plot.redraw_interval_s() == pytest.approx(1 / REDRAW_HZ)  # empty: 60 s wide
        for i in range(600):  # one minute at 10 Hz: a column is 0.05 s
            plot.append(i / 10, 3.0, 3.0, Direction.FORWARD)
        assert plot.redraw_interval_s() == pytest.approx(1 / REDRAW_HZ)
        plot.append(21_600.0, 3.0, 3.0, Direction.FORWARD)  # six hours: a column is 18 s
        assert plot.redraw_interval_s() == MAX_REDRAW_INTERVAL_S
    finally:
        plot.close()


def test_new_samples_wait_for_their_turn_other_changes_do_not(qapp: QApplication) -> None:
    plot = _shown_plot(qapp)
    try:
        for i in range(216_000):
            plot.append(i / 10, 3.0, 3.0, Direction.FORWARD)
        plot.on_redraw_timer()  # stale (new, resized): drawn at once
        drawn = plot.redraws
        assert drawn >= 1
        plot.append(21_600.1, 3.0, 3.0, Direction.FORWARD)
        plot.on_redraw_timer()  # a tenth of a second later, 18 s per column: not yet
        assert plot.redraws == drawn
        step = Segment("walk", Direction.FORWARD, 2.0, duration_s=60.0)
        planned = PlannedSegment(index=1, total=2, segment=step)
        plot.on_segment_started(SegmentStarted(21_600.1, planned, None, SetTarget(2.0)))
        plot.on_redraw_timer()  # a boundary to show: now
        assert plot.redraws == drawn + 1
        plot.on_redraw_timer()  # nothing new: nothing drawn
        assert plot.redraws == drawn + 1
    finally:
        plot.close()


def test_the_axis_follows_the_display_unit(qapp: QApplication) -> None:
    plot = _shown_plot(qapp)
    try:
        for i in range(100):
            plot.append(i / 10, 8.0, 8.0, Direction.FORWARD)
        plot.redraw()
        top_kmh = plot.plot_item.viewRange()[1][1]
        assert top_kmh == pytest.approx(8.0 * 1.15)
        plot.set_speed_unit(SpeedUnit.MPH)
        plot.on_redraw_timer()
        assert plot.plot_item.getAxis("left").labelText == "mph"
        assert plot.plot_item.viewRange()[1][1] == pytest.approx(8.0 * 1.15 / KM_PER_MILE)
        plot.set_speed_unit(SpeedUnit.PACE_KM)  # plotted as the speed it is a pace of
        plot.on_redraw_timer()
        axis = plot.plot_item.getAxis("left")
        assert axis.labelText == "pace (min/km)"
        assert plot.plot_item.viewRange()[1][1] == pytest.approx(top_kmh)
        # ... its ticks written as paces: 6 km/h is 10 min per km; a stopped belt has none.
        assert axis.tickStrings([0.0, 6.0, 8.0], 1.0, 2.0) == ["", "10:00", "7:30"]
        plot.set_speed_unit(SpeedUnit.PACE_MI)  # mph, written as min per mile
        plot.on_redraw_timer()
        assert axis.labelText == "pace (min/mi)"
        assert plot.plot_item.viewRange()[1][1] == pytest.approx(8.0 * 1.15 / KM_PER_MILE)
        assert axis.tickStrings([4.0, 5.0], 1.0, 1.0) == ["15:00", "12:00"]
        plot.set_speed_unit(SpeedUnit.KMH)
        assert axis.tickStrings([6.0], 1.0, 2.0) == ["6"]
    finally:
        plot.close()
