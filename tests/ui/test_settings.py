"""Settings: the display unit on the dashboard, cue switches, home or gym, and that they are
kept across runs. Plus the unit conversions themselves (``ui.format``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel

from tests.ui.harness import AppHarness, run, with_app
from treadctl.link import Sample
from ui import format
from ui.format import SpeedUnit
from ui.usage import Usage


@pytest.fixture
def km_h_after() -> Iterator[None]:
    """The display unit is app-wide: put it back for the tests that follow."""
    yield
    format.set_speed_unit(SpeedUnit.KMH)


def test_conversions(km_h_after: None) -> None:
    assert format.speed(10.0, SpeedUnit.KMH) == "10.0"
    assert format.speed(16.09344, SpeedUnit.MPH) == "10.0"
    assert format.speed(12.0, SpeedUnit.PACE_KM) == "5:00"
    assert format.speed(9.656064, SpeedUnit.PACE_MI) == "10:00"
    assert format.speed(0.2, SpeedUnit.PACE_KM) == format.DASH  # a stopped belt has no pace
    assert format.speed(0.8, SpeedUnit.PACE_KM) == "75:00"
    assert format.speed(None, SpeedUnit.MPH) == format.DASH
    assert format.distance(1609.344, SpeedUnit.MPH) == "1.00 mi"
    assert format.distance(1609.344, SpeedUnit.PACE_MI) == "1.00 mi"
    assert format.distance(1500.0, SpeedUnit.PACE_KM) == "1.50 km"
    assert format.speed_with_unit(5.0, SpeedUnit.KMH) == "5.0 km/h"
    assert format.speed_with_unit(6.0, SpeedUnit.PACE_KM) == "10:00 min/km"
    assert format.speed_with_unit(2.0, SpeedUnit.KMH, compact=True) == "2 km/h"
    assert format.speed_with_unit(2.5, SpeedUnit.KMH, compact=True) == "2.5 km/h"
    assert format.speed_with_unit(16.09344, SpeedUnit.MPH, compact=True) == "10 mph"
    assert format.speed_with_unit(6.0, SpeedUnit.PACE_KM, compact=True) == "10:00 min/km"
    assert format.set_speed_unit("furlongs per fortnight") is SpeedUnit.KMH
    format.set_speed_unit("mph")
    assert format.speed(16.09344) == "10.0"
    assert format.distance(804.672) == "0.50 mi"


@with_app()
async def test_mph_changes_the_speed_readout(app: AppHarness, km_h_after: None) -> None:
    dash = app.window.dashboard
    unit = dash.findChild(QLabel, "speedUnit")
    assert unit is not None and unit.text() == "km/h"
    await app.running_program()

    moving = app.expect(app.bridge.sample, lambda s: (s.speed_kmh or 0) > 0)
    (sample,) = await moving
    assert dash.speed.text() == f"{sample.speed_kmh:.1f}"

    app.window.show_page("settings")
    app.window.settings_view.set_speed_unit(SpeedUnit.MPH)
    assert unit.text() == "mph"
    assert app.settings.value("display/speed_unit") == "mph"
    moving = app.expect(app.bridge.sample, lambda s: (s.speed_kmh or 0) > 0)
    (sample,) = await moving
    assert isinstance(sample, Sample) and sample.speed_kmh is not None
    assert dash.speed.text() == f"{sample.speed_kmh / 1.609344:.1f}"
    await app.expect(app.bridge.progress)
    assert dash.distance.value.endswith(" mi")
    assert dash.target.text().startswith("target ")
    assert dash.plot.plot_item.getAxis("left").labelText == "mph"
    assert "km/h" not in dash.segment_now.text() + dash.segment_next.text()

    app.window.settings_view.set_speed_unit(SpeedUnit.PACE_KM)
    assert unit.text() == "min/km"
    moving = app.expect(app.bridge.sample, lambda s: (s.speed_kmh or 0) >= 1)
    (sample,) = await moving
    minutes, seconds = dash.speed.text().split(":")
    assert abs(int(minutes) * 60 + int(seconds) - 3600 / sample.speed_kmh) <= 1


def test_settings_are_kept_and_applied_at_start(
    loop: asyncio.AbstractEventLoop, tmp_path: Path, km_h_after: None
) -> None:
    async def scenario() -> None:
        async with AppHarness(tmp_path) as app:
            view = app.window.settings_view
            app.window.show_page("settings")  # a click lands where a person would see it
            view.set_speed_unit(SpeedUnit.MPH)
            app.click(view.sounds)
            app.click(view.speech)
            assert view.gym.isChecked()  # as the harness answered the first start's question
            app.click(view.home)
        format.set_speed_unit(SpeedUnit.KMH)
        # The next run: the same folder, so the same settings file (harness.settings_file).
        async with AppHarness(tmp_path) as app:
            view = app.window.settings_view
            assert view.unit.currentData() == "mph"
            assert format.speed_unit() is SpeedUnit.MPH
            assert not view.sounds.isChecked() and not app.window.sounds.enabled
            assert not view.speech.isChecked() and not app.window.speaker.enabled
            assert view.home.isChecked() and not view.gym.isChecked()
            assert app.window.app_settings.usage is Usage.HOME
            assert not app.window.app_settings.return_to_chooser
            assert app.window.usage_question is None  # answered: not asked again

    run(loop, scenario())


@with_app()
async def test_speech_and_sounds_switch_off_and_on(app: AppHarness) -> None:
    view = app.window.settings_view
    app.window.show_page("settings")
    app.click(view.speech)  # off
    app.window.speaker.say("Turn around in 3")
    assert app.speaker.spoken == []
    app.click(view.speech)  # on again
    app.window.speaker.say("Turn around in 3")
    assert app.speaker.spoken == ["Turn around in 3"]
    app.click(view.sounds)
    app.window.sounds.play("alarm")
    assert app.window.sounds.inner.played == []
    app.click(view.sounds)
    app.window.sounds.play("alarm")
    assert app.window.sounds.inner.played == ["alarm"]


@with_app()
async def test_switched_to_home_the_profile_stays(app: AppHarness) -> None:
    app.add_people("Ana")
    app.window.show_page("settings")
    app.click(app.window.settings_view.home)  # from gym: a household's laptop
    await app.connect()
    await app.choose_person("Ana")
    app.window.show_page("programs")
    await app.short_session()
    assert app.window.page == "summary"
    assert not app.window.summary.next_button.isVisibleTo(app.window)
    assert app.bridge.profile_name == "Ana"
    assert "Ana" in app.window.profiles_view.last_text.text()


@with_app()
async def test_the_new_pages_by_keyboard(app: AppHarness) -> None:
    await app.activate()
    for key, page in (
        (Qt.Key.Key_4, "profiles"),
        (Qt.Key.Key_5, "history"),
        (Qt.Key.Key_6, "settings"),
    ):
        QTest.keyClick(app.window, key, Qt.KeyboardModifier.ControlModifier)
        assert app.window.page == page
    # A mnemonic on the settings page: Alt+S goes to the unit list.
    QTest.keyClick(app.window, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is app.window.settings_view.unit
    # Tab goes on to the next setting: the rear display's screen, then the sounds.
    QTest.keyClick(app.window.settings_view.unit, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is app.window.settings_view.rear
    QTest.keyClick(app.window.settings_view.rear, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is app.window.settings_view.sounds
    # Enter on a focused check box switches it (Space is the STOP key).
    app.key(Qt.Key.Key_Return, app.window.settings_view.sounds)
    await app.until(
        lambda: not app.window.settings_view.sounds.isChecked(),
        app.window.settings_view.changed,
    )


@with_app()
async def test_the_settings_page_says_where_the_admin_pin_is_changed(app: AppHarness) -> None:
    note = app.window.settings_view.limits_note.text()
    button = app.window.profiles_view.pin_button
    # Named as the Profiles page labels it once a PIN is set.
    app.set_pin("4321")
    app.window.profiles_view.on_selected(None)
    assert "admin PIN is set and changed on the Profiles page" in note
    assert f"({button.text().replace('&', '')}, under the limits)" in note
    assert "progression cap" in note
