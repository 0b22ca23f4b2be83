"""The display unit on every page: km/h, mph and the two paces, chosen in the settings.

Expected values are worked out by hand here, from 1 mph = 1.609344 km/h (a mile is 1609.344 m)
and a pace = 3600 s / speed: 3 km/h is 1.86 mph, 20:00 min/km, 32:11 min/mi. The engine works
in km/h throughout; what is checked is what each page shows, and that a limit typed in mph is
stored in km/h exactly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from tests.treadctl.test_store import write_log
from tests.ui.harness import AppHarness, run, with_app
from treadctl.core import DEFAULT_LIMITS, Progress, Sample
from ui import format
from ui.bridge import Bridge
from ui.format import SpeedUnit
from ui.history_view import COLUMNS
from ui.main_window import MainWindow

MPH = 1.609344  # km/h per mph, by definition

#: Forward 4 km/h, then backward 7 km/h: past the default backward cap (6 km/h), so the
#: programs page fits it and says so.
FAST_BACKWARD = """\
name = "Test: fast backward"

[[steps]]
label = "Forward walk"
direction = "forward"
speed = "4 km/h"
duration = "20 s"

[[steps]]
label = "Backward jog"
direction = "backward"
speed = "7 km/h"
duration = "20 s"
"""


@pytest.fixture(autouse=True)
def km_h_after() -> Iterator[None]:
    """The display unit is app-wide: put it back for the tests that follow."""
    yield
    format.set_speed_unit(SpeedUnit.KMH)


def choose_unit(window: MainWindow, unit: SpeedUnit) -> None:
    """``unit`` chosen on the settings page, as a person does (applied at once)."""
    window.settings_view.set_speed_unit(unit)
    assert format.speed_unit() is unit


def pace_text(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def as_shown(kmh: float, unit: SpeedUnit) -> str:
    """A speed readout worked out here, independently of ``ui.format``."""
    if unit is SpeedUnit.KMH:
        return f"{kmh:.1f}"
    if unit is SpeedUnit.MPH:
        return f"{kmh / MPH:.1f}"
    if kmh < 0.5:
        return "—"
    return pace_text(3600 / kmh * (MPH if unit is SpeedUnit.PACE_MI else 1))


def distance_shown(metres: float, unit: SpeedUnit) -> str:
    if unit.imperial:
        return f"{metres / 1609.344:.2f} mi"
    return f"{metres:.0f} m" if metres < 1000 else f"{metres / 1000:.2f} km"


# -- the conversions -----------------------------------------------------------------------------


def test_speeds_in_the_engines_sentences_and_typed_mph() -> None:
    said = "Belt at 7.0 km/h is over the 6.0 km/h limit: slowing down."
    assert format.speeds_in_text(said, SpeedUnit.KMH) == said
    assert format.speeds_in_text(said, SpeedUnit.PACE_KM) == said  # a limit is a speed
    assert (
        format.speeds_in_text(said, SpeedUnit.MPH)
        == "Belt at 4.3 mph is over the 3.7 mph limit: slowing down."
    )
    assert format.speeds_in_text(said, SpeedUnit.PACE_MI) == format.speeds_in_text(
        said, SpeedUnit.MPH
    )
    # As many decimals as the engine wrote, at least one; rates too; other words untouched.
    assert (
        format.speeds_in_text("speed 7 km/h shown as 6 km/h; ramp 0.25 km/h/s", SpeedUnit.MPH)
        == "speed 4.3 mph shown as 3.7 mph; ramp 0.16 mph/s"
    )
    assert format.speeds_in_text("400 m at 5 %", SpeedUnit.MPH) == "400 m at 5 %"
    # Typed mph, exactly: 3.7 × 1.609344 = 5.9545728 (float arithmetic gives 5.954572800000001).
    assert format.kmh_from(3.7, SpeedUnit.MPH) == 5.9545728
    assert format.kmh_from(3.5, SpeedUnit.PACE_MI) == 5.632704
    assert format.kmh_from(3.7, SpeedUnit.KMH) == 3.7
    assert [u.axis_label for u in SpeedUnit] == ["km/h", "mph", "pace (min/km)", "pace (min/mi)"]
    assert [u.as_speed for u in SpeedUnit] == [
        SpeedUnit.KMH,
        SpeedUnit.MPH,
        SpeedUnit.KMH,
        SpeedUnit.MPH,
    ]


# -- the dashboard -------------------------------------------------------------------------------

#: The harness's program (forward 3 km/h, backward 2 km/h), as its segment lines say it.
SEGMENT_SPEEDS = {
    SpeedUnit.KMH: ("forward 3 km/h", "backward 2 km/h"),
    SpeedUnit.MPH: ("forward 1.9 mph", "backward 1.2 mph"),
    SpeedUnit.PACE_KM: ("forward 20:00 min/km", "backward 30:00 min/km"),
    SpeedUnit.PACE_MI: ("forward 32:11 min/mi", "backward 48:17 min/mi"),
}


class Latest:
    """The last sample and progress the window was told of. Connected after the dashboard, so
    between two records it holds what the dashboard shows, whenever the test looks."""

    def __init__(self, bridge: Bridge) -> None:
        self.sample: Sample | None = None
        self.progress: Progress | None = None
        self.metres = 0.0
        bridge.sample.connect(self.on_sample)
        bridge.progress.connect(self.on_progress)

    def on_sample(self, sample: Sample) -> None:
        self.sample = sample

    def on_progress(self, progress: Progress, metres: float) -> None:
        self.progress, self.metres = progress, metres

    @property
    def kmh(self) -> float:
        assert self.sample is not None and self.sample.speed_kmh is not None
        return self.sample.speed_kmh


@with_app()
async def test_the_dashboard_in_every_unit(app: AppHarness) -> None:
    latest = Latest(app.bridge)
    await app.running_program()
    dash = app.window.dashboard
    for unit in (SpeedUnit.MPH, SpeedUnit.PACE_KM, SpeedUnit.PACE_MI, SpeedUnit.KMH):
        await app.expect(app.bridge.progress, lambda p, _: (p.sample.speed_kmh or 0) >= 0.5)
        choose_unit(app.window, unit)
        # At once, before the next record: the unit, the segment lines, the readouts.
        now, following = SEGMENT_SPEEDS[unit]
        assert dash.speed_unit_label.text() == unit.value
        assert now in dash.segment_now.text() and following in dash.segment_next.text()
        assert dash.speed.text() == as_shown(latest.kmh, unit)
        assert dash.distance.value == distance_shown(latest.metres, unit)
        axis = dash.plot.plot_item.getAxis("left")
        assert axis.labelText == unit.axis_label

        # The next records: in the new unit too, and the plot's curve with them.
        await app.expect(app.bridge.progress)
        assert dash.speed.text() == as_shown(latest.kmh, unit)
        assert dash.distance.value == distance_shown(latest.metres, unit)
        assert latest.progress is not None
        plotted = latest.progress.sample.speed_kmh or 0.0
        dash.plot.redraw()
        (measured,) = [c for c in dash.plot.plot_item.listDataItems() if c.name() == "measured"]
        _, ys = measured.getData()
        assert ys[-1] == pytest.approx(plotted / MPH if unit.imperial else plotted)

    ended = await app.finish_session()
    metres = ended.finished.summary.distance_m
    assert dash.segment_now.text().startswith(f"{distance_shown(metres, SpeedUnit.KMH)} in ")
    choose_unit(app.window, SpeedUnit.MPH)  # the summary is reworded too
    assert dash.segment_now.text().startswith(f"{distance_shown(metres, SpeedUnit.MPH)} in ")


@with_app()
async def test_a_stopped_belt_in_pace_shows_a_dash(app: AppHarness) -> None:
    latest = Latest(app.bridge)
    dash = app.window.dashboard
    await app.connect()
    choose_unit(app.window, SpeedUnit.MPH)
    await app.expect(app.bridge.sample, lambda s: s.speed_kmh == 0)
    assert dash.speed.text() == "0.0"  # a speed of a stopped belt is 0
    assert not dash.speed.property("empty")

    choose_unit(app.window, SpeedUnit.PACE_KM)
    assert dash.speed.text() == "—"  # a pace of a stopped belt is none: at once
    assert dash.speed.property("empty")  # shown dim: not a white bar
    await app.expect(app.bridge.sample, lambda s: s.speed_kmh == 0)
    assert dash.speed.text() == "—" and dash.speed.property("empty")

    await app.start_manual()  # the belt starts at the slow-start speed, 1 km/h: 60:00 min/km
    await app.expect(app.bridge.sample, lambda s: (s.speed_kmh or 0) >= 0.5)
    assert latest.kmh >= 0.5  # nor has a later record stopped it yet: no stop was asked for
    assert dash.speed.text() == as_shown(latest.kmh, SpeedUnit.PACE_KM) != "—"
    assert not dash.speed.property("empty")

    stopped = app.expect(app.bridge.sample, lambda s: s.speed_kmh == 0)
    app.click(app.window.controls.stop_button)
    await stopped
    assert latest.kmh == 0  # stopped is stopped: a later record is 0 too
    assert dash.speed.text() == "—" and dash.speed.property("empty")


@with_app()
async def test_the_treadmills_range_and_console_in_mph(app: AppHarness) -> None:
    choose_unit(app.window, SpeedUnit.MPH)
    await app.connect()
    # The virtual treadmill's 0.5-16 km/h: 0.31-9.94 mph. A range is a speed range even in a
    # pace unit (a pace range would run backwards).
    assert "Connected to Virtual Treadmill (0.3–9.9 mph)." in app.window.connect_view.status.text()
    console = app.window.console
    assert console is not None
    console.on_refresh()
    assert "belt 0.0 mph" in console.readout.text()
    choose_unit(app.window, SpeedUnit.PACE_KM)
    console.on_refresh()
    assert "belt 0.0 km/h" in console.readout.text()


# -- the programs page ---------------------------------------------------------------------------


@with_app()
async def test_the_programs_page_in_every_unit(app: AppHarness, tmp_path: Path) -> None:
    path = tmp_path / "fast.toml"
    path.write_text(FAST_BACKWARD, encoding="utf-8")
    view = app.window.program_view
    assert view.open_file(str(path)) is not None
    figures = {key: label.text() for key, label in view.figures.values.items()}
    expected = {
        # The chart's scale: the fastest step as it will run (7 km/h fitted to 6 km/h).
        SpeedUnit.KMH: ("6 km/h", "speed 7 km/h shown as 6 km/h (backward max speed 6 km/h)"),
        SpeedUnit.MPH: ("3.7 mph", "speed 4.3 mph shown as 3.7 mph (backward max speed 3.7 mph)"),
        SpeedUnit.PACE_KM: (
            "10:00 min/km",
            "speed 7 km/h shown as 6 km/h (backward max speed 6 km/h)",
        ),
        SpeedUnit.PACE_MI: (
            "16:06 min/mi",
            "speed 4.3 mph shown as 3.7 mph (backward max speed 3.7 mph)",
        ),
    }
    for unit in (SpeedUnit.MPH, SpeedUnit.PACE_KM, SpeedUnit.PACE_MI, SpeedUnit.KMH):
        choose_unit(app.window, unit)
        scale, notice = expected[unit]
        assert view.chart.scale_label() == scale
        assert f"steps[1]: {notice}" in view.notices.text()
        # The figures are times and counts: the same in every unit.
        assert {key: label.text() for key, label in view.figures.values.items()} == figures


# -- the profiles page ---------------------------------------------------------------------------


@with_app()
async def test_limits_in_mph_are_stored_in_km_h_exactly(app: AppHarness) -> None:
    await app.choose_new_person("Ana")
    view = app.window.profiles_view
    table = view.table
    speed = "backward_max_speed_kmh"
    choose_unit(app.window, SpeedUnit.MPH)
    # 6 km/h is 3.728 mph: shown with two decimals, so that 0.1 km/h still shows.
    assert table.unit_of(speed) == "mph"
    assert table.shown(speed) == 3.73
    assert table.defaults[speed].text() == "3.73 mph"
    assert table.defaults["forward_max_speed_kmh"].text() == "7.46 mph"  # 12 km/h
    assert table.defaults["backward_accel_kmh_per_s"].text() == "0.155 mph/s"  # 0.25 km/h/s
    spin = table.spins[speed]
    assert spin.suffix() == " mph"
    # The km/h range (0.5 to 30 km/h), inside it in mph: 0.311 up to 0.32, 18.641 down to 18.64.
    assert (spin.minimum(), spin.maximum()) == (0.32, 18.64)
    assert table.value(speed) == 6.0  # shown as 3.73 mph, still exactly 6 km/h
    assert not table.dirty

    table.set_value(speed, 3.5)  # typed in mph
    assert table.value(speed) == 5.632704  # 3.5 × 1.609344, exactly
    assert table.markers[speed].text() == "edited"
    saved = app.expect(app.window.profiles.limits_saved)
    app.click(view.apply_button)
    (profile, changes) = await saved
    assert profile.limits.backward_max_speed_kmh == 5.632704
    # Rows not typed in keep their stored values exactly, not 7.46 mph's 12.0056 km/h.
    assert profile.limits == replace(DEFAULT_LIMITS, backward_max_speed_kmh=5.632704)
    assert changes == "backward max speed 3.5 mph (was 3.73 mph)"
    assert "Saved for Ana: backward max speed 3.5 mph (was 3.73 mph)." in (
        view.limits_message.text()
    )

    choose_unit(app.window, SpeedUnit.KMH)
    assert table.unit_of(speed) == "km/h" and table.shown(speed) == 5.6
    assert table.value(speed) == 5.632704 and not table.dirty  # as stored, not 5.6

    # An edit in progress keeps its value across a unit change.
    table.set_value(speed, 5.0)
    choose_unit(app.window, SpeedUnit.MPH)
    assert table.shown(speed) == 3.11  # 5 / 1.609344 = 3.107
    assert table.value(speed) == 5.0 and table.markers[speed].text() == "edited"
    choose_unit(app.window, SpeedUnit.KMH)
    assert table.shown(speed) == 5.0 and table.value(speed) == 5.0

    # Typing the default as it is shown gives the default itself, not just above it.
    table.revert()
    choose_unit(app.window, SpeedUnit.MPH)
    table.set_value(speed, 3.73)  # stored: 5.632704 km/h; the default, 6 km/h, shows so
    assert table.value(speed) == 6.0  # not 3.73 × 1.609344 = 6.0028531
    assert table.markers[speed].text() == "edited"  # not "above default"
    table.set_value(speed, 3.74)
    assert table.value(speed) == 6.01894656  # 3.74 × 1.609344
    assert table.markers[speed].text() == "above default  ·  edited"
    table.revert()

    # A pace unit shows limits in the speed it is a pace of: "at most 10:00 min/km" reads
    # backwards.
    choose_unit(app.window, SpeedUnit.PACE_MI)
    assert table.unit_of(speed) == "mph"
    choose_unit(app.window, SpeedUnit.PACE_KM)
    assert table.unit_of(speed) == "km/h"
    assert table.unit_of("turnaround_hold_s") == "s"  # not a speed: never converted


# -- the last session and the history ------------------------------------------------------------


def test_the_last_session_and_the_history_in_every_unit(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    # Forward 600 s at 4 km/h, then backward 120 s at 2.5 km/h: 666.7 m + 83.3 m = 750 m, of
    # which the treadmill's whole-metre counter (as written by write_log) says 749.
    write_log(sessions, "long", started=datetime(2025, 3, 3, 9, 0, tzinfo=UTC), forward_s=600)

    async def scenario() -> None:
        async with AppHarness(tmp_path) as app:
            await app.choose_person("Ana")
            app.window.show_page("history")
            history = app.window.history_view
            (stored,) = history.sessions
            assert stored.summary.distance_m == 749.0
            # What the window says after a session, for this one.
            app.window.profiles_view.show_last_session(stored)
            last = app.window.profiles_view.last_text
            plot = history.plot
            distance_cell = history.table.item(0, COLUMNS.index("Distance"))
            assert distance_cell is not None
            expected = {  # distance; the two speeds as plotted; a tick at 4 (km/h or mph)
                SpeedUnit.KMH: ("749 m", (4.0, 2.5), "4"),
                # 749 / 1609.344 = 0.465 mi; 4 / 1.609344 = 2.4854848; 2.5 / 1.609344 = 1.553428
                SpeedUnit.MPH: ("0.47 mi", (2.485485, 1.553428), "4"),
                SpeedUnit.PACE_KM: ("749 m", (4.0, 2.5), "15:00"),
                SpeedUnit.PACE_MI: ("0.47 mi", (2.485485, 1.553428), "15:00"),
            }
            for unit in (SpeedUnit.MPH, SpeedUnit.PACE_KM, SpeedUnit.PACE_MI, SpeedUnit.KMH):
                choose_unit(app.window, unit)
                distance, (forward, backward), tick = expected[unit]
                assert last.text().startswith(f"Last session: 12:00, {distance}, 2.0 min ")
                assert distance_cell.text() == distance
                axis = plot.plot_item.getAxis("left")
                assert axis.labelText == unit.axis_label
                # 4 km/h is 15:00 min/km; 4 mph is 3600 / 4 = 900 s a mile, 15:00 min/mi.
                assert axis.tickStrings([4.0], 1.0, 1.0) == [tick]
                _, speeds = plot.measured_data()
                assert plot.session_id == "long"  # redrawn, not another session
                assert set(np.round(speeds, 6)) == {forward, backward}
                top = plot.plot_item.viewRange()[1][1]
                assert top == pytest.approx(forward * 1.15)

    run(loop, scenario())
