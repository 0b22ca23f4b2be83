"""Workouts from where people already have them, in the app (issue 15): Import… of a Zwift run
workout or a FIT workout opens the import preview (every step, what it converts to, what the
limits change, what is missing), the paces typed there are kept in the profile, the Profiles
page shows and edits them, and Export… writes a FIT workout a watch can follow.

The files are written here: .zwo as Zwift writes them, FIT with Garmin's own SDK ``Encoder``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from garmin_fit_sdk import Decoder, Encoder, Profile, Stream
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from tests.ui.harness import AppHarness, until, with_app
from tests.ui.test_units import choose_unit
from treadctl.program import (
    Block,
    PaceZone,
    RunPaces,
    Segment,
    builtin_programs,
    load_program,
    read_fit_workout,
)
from ui.format import SpeedUnit
from ui.import_preview import COLUMNS, MAX_ROWS, ImportPreview
from ui.program_view import EXPORT_FILTERS, IMPORT_FILTERS

SPEED = COLUMNS.index("Speed")
STATUS = COLUMNS.index("Status")
SOURCE = COLUMNS.index("In the file")
MESG = {name: num for num, name in Profile["types"]["mesg_num"].items()}

# Against the 5 km pace (pace="1"): 95 % steady, then 3 × (1 min at 105 %, 90 s at 70 %).
TEMPO_ZWO = b"""<?xml version="1.0" encoding="UTF-8"?>
<workout_file>
  <name>Tempo 5 k</name>
  <sportType>run</sportType>
  <durationType>time</durationType>
  <workout>
    <SteadyState Duration="600" Power="0.95" pace="1"/>
    <IntervalsT Repeat="3" OnDuration="60" OffDuration="90" OnPower="1.05" OffPower="0.7"
                pace="1"/>
  </workout>
</workout_file>
"""


def fit_workout(steps: list[dict[str, Any]], name: str = "Garmin tempo") -> bytes:
    """A FIT workout written with Garmin's SDK, as a watch app writes one."""
    encoder = Encoder()
    encoder.write_mesg(
        {
            "mesg_num": MESG["file_id"],
            "type": "workout",
            "manufacturer": "garmin",
            "product": 1,
            "serial_number": 1234,
            "time_created": 1_000_000_000,
        }
    )
    encoder.write_mesg(
        {
            "mesg_num": MESG["workout"],
            "wkt_name": name,
            "sport": "running",
            "num_valid_steps": len(steps),
        }
    )
    for index, step in enumerate(steps):
        encoder.write_mesg({"mesg_num": MESG["workout_step"], "message_index": index, **step})
    return encoder.close()


def speed_step(seconds: int, mm_per_s: int, **more: Any) -> dict[str, Any]:
    return {
        "duration_type": "time",
        "duration_value": seconds * 1000,
        "target_type": "speed",
        "target_value": 0,
        "custom_target_value_low": mm_per_s,
        "custom_target_value_high": mm_per_s,
        **more,
    }


async def open_preview(app: AppHarness, path: Path) -> ImportPreview:
    view = app.window.program_view
    preview = await view.preview_workout(path)
    assert preview is not None and preview.isVisible() and view.import_preview is preview
    await settled(preview)
    return preview


async def settled(preview: ImportPreview) -> None:
    """Until the table shows what the fields hold (the conversion runs in a worker thread)."""
    await until(lambda: preview.idle, preview.converted)


def speeds(program_path: Path) -> list[float]:
    return [p.segment.speed_kmh for p in load_program(program_path).segments()]


@with_app()
async def test_a_zwo_asks_for_the_missing_5k_pace_then_imports_it_and_keeps_the_pace(
    app: AppHarness, tmp_path: Path
) -> None:
    app.add_people("Ana")
    await app.choose_person("Ana")
    app.window.show_page("programs")
    source = tmp_path / "tempo.zwo"
    source.write_bytes(TEMPO_ZWO)
    view = app.window.program_view
    # Through the Import… dialog, as a person does: one filter for all, then each kind.
    app.click(view.import_button)
    dialog = view._dialog
    assert dialog is not None and dialog.nameFilters() == list(IMPORT_FILTERS)
    dialog.selectFile(str(source))
    opened = app.expect(view.preview_opened)
    dialog.accept()
    (preview,) = await opened
    assert isinstance(preview, ImportPreview) and preview.isVisible()
    await settled(preview)
    assert preview.geometry().width() <= 1280 and preview.geometry().height() <= 720

    # No 5 km pace anywhere yet: both steps refused, asking for it; nothing to import.
    assert list(preview.pace_fields) == [PaceZone.K5]
    field = preview.pace_fields[PaceZone.K5]
    assert field.text() == "" and preview.pace_units[PaceZone.K5].text() == "min/km"
    assert preview.cell(0, STATUS) == "Refused: needs your 5 km pace (type it above)"
    assert preview.cell(1, STATUS) == "Refused: needs your 5 km pace (type it above)"
    assert preview.cell(0, SOURCE) == "95 % of 5 km pace (not given), 10 min"
    assert not preview.import_button.isEnabled()
    assert preview.message.text() == "2 steps refused: give your 5 km pace."
    assert preview.save_paces.isChecked() and preview.save_paces.isEnabled()
    assert preview.save_paces.text() == "Save these paces to Ana's profile"

    # A typo says what a pace is; the pace itself converts every step as it is typed.
    QTest.keyClicks(field, "5.00")
    await settled(preview)
    assert not preview.import_button.isEnabled()
    assert "5 km pace: expected a pace" in preview.message.text()
    field.clear()
    QTest.keyClicks(field, "5:00")
    assert not preview.import_button.isEnabled()  # not before the table shows it
    await settled(preview)
    assert preview.import_button.isEnabled()
    # 5:00 /km = 12 km/h: 95 % = 11.4, 105 % = 12.6 (over the default 12 km/h cap), 70 % = 8.4
    assert preview.column(SPEED) == ["11.4 km/h", "", "12.6 km/h", "8.4 km/h"]
    assert preview.cell(2, STATUS) == "Changed by your limits: 12.6 → 12 km/h (forward maximum)"
    assert preview.cell(3, STATUS) == "OK"
    assert preview.cell(0, SOURCE) == "95 % of 5 km pace (5:00 /km), 10 min"
    assert "facing forward" in preview.notes.text() and "Edit…" in preview.notes.text()
    preview.name_edit.setText("Tuesday tempo")

    app.click(preview.import_button)
    saved = tmp_path / "programs" / "tuesday-tempo.toml"
    program = load_program(saved)
    assert program.name == "Tuesday tempo"
    # Saved as the file asks (the limits fit it at run time, as shown).
    assert speeds(saved) == [11.4, 12.6, 8.4, 12.6, 8.4, 12.6, 8.4]
    steady, block = program.steps
    assert isinstance(steady, Segment) and steady.duration_s == 600
    assert isinstance(block, Block) and block.repeat == 3
    assert not preview.isVisible()
    assert view.selected_program() == program  # selected in the list, ready to Edit or Start
    assert "Paces saved to Ana's profile." in view.notices.text()
    assert app.window.profiles.profiles.get("Ana").paces == RunPaces(k5=300.0)

    # The next import takes the stored pace: nothing is asked; the same name asks first.
    again = await open_preview(app, source)
    assert again.pace_fields[PaceZone.K5].text() == "5:00"
    assert again.import_button.isEnabled()
    again.name_edit.setText("Tuesday tempo")
    again.pace_fields[PaceZone.K5].setText("4:00")  # 15 km/h: 95 % = 14.25 km/h
    again.save_paces.setChecked(False)
    await settled(again)
    app.click(again.import_button)
    box = again._confirm
    assert box is not None and box.isVisible()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert speeds(saved)[0] == 11.4  # kept
    assert "is kept as it was" in again.message.text()
    app.click(again.import_button)
    box = again._confirm
    assert box is not None
    (replace,) = [b for b in box.buttons() if b.text() == "Replace"]
    replace.click()
    assert speeds(saved)[0] == 14.25
    assert app.window.profiles.profiles.get("Ana").paces == RunPaces(k5=300.0)  # not ticked


@with_app()
async def test_a_fit_workout_over_the_profiles_cap_shows_the_change_and_asks_for_open_steps(
    app: AppHarness, tmp_path: Path
) -> None:
    app.add_people("Ana")
    # Lowering a limit needs no PIN: Ana runs at most 10 km/h forward.
    app.window.profiles.profiles.set_limit("Ana", "forward_max_speed_kmh", 10.0)
    await app.choose_person("Ana")
    source = tmp_path / "garmin.fit"
    source.write_bytes(
        fit_workout(
            [
                # 3.333 m/s × 3.6 = 11.9988 → 12.0 km/h, above Ana's 10
                speed_step(600, 3333, wkt_step_name="Tempo"),
                # no target: the runner's own speed
                {"duration_type": "time", "duration_value": 300_000, "target_type": "open"},
                # until the lap key, at 2.5 m/s = 9 km/h: the length is the runner's
                {**speed_step(0, 2500), "duration_type": "open", "duration_value": None},
            ]
        )
    )
    preview = await open_preview(app, source)
    assert preview.pace_fields == {}  # a FIT file is in speeds: no paces asked
    assert not preview.save_paces.isVisible()
    assert preview.speed_field.isVisibleTo(preview)
    assert preview.limits_line.text() == "limits: Ana's"
    assert preview.cell(0, SOURCE) == "3.333 m/s (5:00 /km), 10 min"
    assert preview.cell(0, SPEED) == "12 km/h"
    assert preview.cell(0, STATUS) == "Changed by your limits: 12 → 10 km/h (forward maximum)"
    assert preview.cell(1, STATUS) == "Refused: needs a speed for steps with no target (above)"
    assert preview.cell(2, STATUS) == (
        "Refused: needs a length for steps that end at the lap key (above)"
    )
    assert preview.message.text() == (
        "2 steps refused: give a speed for the steps with no target, a length for the steps "
        "ended by the lap key."
    )
    assert not preview.import_button.isEnabled()

    QTest.keyClicks(preview.speed_field, "8")  # in the display unit: km/h
    await settled(preview)
    assert preview.cell(1, SPEED) == "8 km/h" and preview.cell(1, STATUS) == "OK"
    assert not preview.import_button.isEnabled()
    QTest.keyClicks(preview.duration_field, "4")  # minutes
    await settled(preview)
    assert preview.cell(2, SPEED) == "9 km/h" and preview.cell(2, STATUS) == "OK"
    assert preview.cell(2, COLUMNS.index("Length")) == "4 min"
    assert preview.import_button.isEnabled()
    # Another person chosen meanwhile: the preview follows their limits (Guest's defaults).
    app.window.profiles.select("Guest")
    assert preview.limits_line.text() == "limits: Guest's"
    await settled(preview)
    assert preview.cell(0, STATUS) == "OK"  # the default cap is 12 km/h
    app.click(preview.import_button)
    saved = load_program(tmp_path / "programs" / "garmin-tempo.toml")
    assert [p.segment.speed_kmh for p in saved.segments()] == [12.0, 8.0, 9.0]
    assert [p.segment.duration_s for p in saved.segments()] == [600.0, 300.0, 240.0]


@with_app()
async def test_in_mph_the_preview_asks_paces_per_mile_and_shows_mph_and_guest_keeps_none(
    app: AppHarness, tmp_path: Path
) -> None:
    choose_unit(app.window, SpeedUnit.MPH)
    await app.choose_person("Guest")
    source = tmp_path / "easy.zwo"
    source.write_bytes(
        TEMPO_ZWO.replace(b"Tempo 5 k", b"Easy")
        .replace(b'Power="0.95"', b'Power="1.0"')
        .replace(b'Repeat="3"', b'Repeat="1"')
        .replace(b'OnPower="1.05"', b'OnPower="0.8"')
    )
    preview = await open_preview(app, source)
    assert preview.pace_units[PaceZone.K5].text() == "min/mi"
    assert not preview.save_paces.isEnabled() and not preview.save_paces.isChecked()
    assert preview.save_paces.text() == "Used for this import only (Guest keeps no paces)"
    QTest.keyClicks(preview.pace_fields[PaceZone.K5], "8:00")
    await settled(preview)
    # 8:00 /mi is 7.5 mph: 12.07008 km/h, to 0.01 → 12.07 km/h = 7.4999 mph → "7.5 mph";
    # 80 % → 9.66 km/h = 6.0024 mph → "6 mph"; 70 % → 8.45 km/h = 5.2506 mph → "5.25 mph"
    assert preview.column(SPEED) == ["7.5 mph", "", "6 mph", "5.25 mph"]
    assert preview.cell(0, SOURCE) == "100 % of 5 km pace (8:00 /mi), 10 min"
    # Back in km/h, the pace typed is rewritten per km (480 s / 1.609344 = 298 s = 4:58).
    choose_unit(app.window, SpeedUnit.KMH)
    await settled(preview)
    assert preview.pace_fields[PaceZone.K5].text() == "4:58"
    assert preview.column(SPEED)[0] == "12.07 km/h"
    choose_unit(app.window, SpeedUnit.MPH)
    await settled(preview)
    assert preview.pace_fields[PaceZone.K5].text() == "8:00"
    app.click(preview.import_button)
    assert speeds(tmp_path / "programs" / "easy.toml") == [12.07, 9.66, 8.45]
    assert app.window.profiles.profiles.guest().paces == RunPaces()


@with_app()
async def test_a_file_that_is_no_workout_is_refused_in_one_sentence(
    app: AppHarness, tmp_path: Path
) -> None:
    view = app.window.program_view
    bike = tmp_path / "bike.zwo"
    bike.write_bytes(TEMPO_ZWO.replace(b"<sportType>run", b"<sportType>bike"))
    assert await view.preview_workout(bike) is None
    assert view.import_preview is None
    assert view.notices.text().startswith(f'Not imported: {bike}: sportType: expected "run"')
    damaged = tmp_path / "damaged.fit"
    data = bytearray(fit_workout([speed_step(60, 2000)]))
    data[-3] ^= 0xFF
    damaged.write_bytes(bytes(data))
    assert await view.preview_workout(damaged) is None
    assert "expected a FIT file whose CRC matches its contents" in view.notices.text()


@with_app()
async def test_a_workout_of_a_thousand_steps_converts_in_a_worker_and_is_summed_up(
    app: AppHarness, tmp_path: Path
) -> None:
    # Even steps at 110 % of the 5 km pace (13.2 km/h: over the 12 km/h cap), odd at 80 %.
    steps = "".join(
        f'<SteadyState Duration="30" Power="{1.1 if i % 2 == 0 else 0.8}" pace="1"/>'
        for i in range(1000)
    )
    source = tmp_path / "long.zwo"
    source.write_bytes(
        TEMPO_ZWO.replace(
            TEMPO_ZWO[TEMPO_ZWO.index(b"<SteadyState") : TEMPO_ZWO.index(b"</workout>")],
            steps.encode(),
        )
    )
    preview = await open_preview(app, source)
    QTest.keyClicks(preview.pace_fields[PaceZone.K5], "5:00")
    # Not converted on the Qt thread, where the stop keys are handled: Import waits for it.
    assert not preview.idle and preview.message.text() == "Converting…"
    assert not preview.import_button.isEnabled()
    await settled(preview)
    assert preview.table.rowCount() == MAX_ROWS + 1
    assert preview.cell(0, SPEED) == "13.2 km/h" and preview.cell(1, SPEED) == "9.6 km/h"
    assert preview.cell(MAX_ROWS, 0) == f"… {1000 - MAX_ROWS} more steps"
    # Steps 300 … 999 are hidden: the 350 even ones are over the cap.
    assert preview.cell(MAX_ROWS, STATUS) == "0 refused, 350 changed by your limits"
    app.click(preview.import_button)
    assert len(speeds(tmp_path / "programs" / "tempo-5-k.toml")) == 1000


@with_app()
async def test_export_as_a_fit_workout_decodes_to_the_programs_steps(
    app: AppHarness, tmp_path: Path
) -> None:
    view = app.window.program_view
    builtin = builtin_programs()[0]
    view.list.setCurrentRow(0)
    assert view.selected_program() == builtin
    app.click(view.export_button)
    dialog = view._dialog
    assert dialog is not None and dialog.nameFilters() == list(EXPORT_FILTERS)
    (fit_filter,) = [f for f in EXPORT_FILTERS if EXPORT_FILTERS[f] == "fit"]
    dialog.selectNameFilter(fit_filter)
    dialog.filterSelected.emit(fit_filter)  # as the dialog does when a person picks it
    assert dialog.defaultSuffix() == "fit"
    (suggested,) = dialog.selectedFiles()
    assert Path(suggested).name == Path(builtin.source or "").with_suffix(".fit").name
    target = tmp_path / "watch" / "for-my-watch.fit"
    target.parent.mkdir()
    dialog.selectFile(str(target))
    dialog.accept()
    assert view.notices.text() == f"Exported to {target} as a FIT workout"
    assert app.window.app_settings.program_folder == target.parent

    data = target.read_bytes()
    decoder = Decoder(Stream.from_byte_array(bytearray(data)))
    assert decoder.is_fit() and decoder.check_integrity()
    # Raw values, as a watch reads them: speeds in mm/s, times in ms.
    decoded, errors = Decoder(Stream.from_byte_array(bytearray(data))).read(
        apply_scale_and_offset=False,
        expand_sub_fields=False,
        expand_components=False,
        merge_heart_rates=False,
    )
    assert errors == []
    # The SDK's stubs type the messages for its default (converted) mode; raw values differ.
    messages: dict[str, Any] = {**decoded}
    assert messages["file_id_mesgs"][0]["type"] == "workout"
    assert messages["workout_mesgs"][0]["wkt_name"] == builtin.name
    steps = messages["workout_step_mesgs"]
    written = [s for s in steps if s["duration_type"] != "repeat_until_steps_cmplt"]
    segments = _segments_in_file_order(builtin.steps)
    assert len(written) == len(segments) > 0  # one FIT step per segment of the file
    for step, segment in zip(written, segments, strict=True):
        assert step["wkt_step_name"].endswith(segment.label)
        assert step["wkt_step_name"].startswith("Backward · ") == (
            segment.direction.value == "backward" and not segment.rest
        )
        if segment.duration_s is not None:
            assert step["duration_value"] == round(segment.duration_s * 1000)
        if segment.rest:
            assert step["target_type"] == "open"
        else:
            # km/h ÷ 3.6 × 1000 = mm/s: the low end of the range is the step's speed.
            assert step["custom_target_value_low"] == round(segment.speed_kmh / 3.6 * 1000)
    # And treadctl reads it back as the same program.
    assert read_fit_workout(data, str(target)).require_program().steps == builtin.steps


def _segments_in_file_order(steps: tuple[object, ...]) -> list[Segment]:
    found: list[Segment] = []
    for step in steps:
        if isinstance(step, Block):
            found += _segments_in_file_order(step.steps)
        else:
            assert isinstance(step, Segment)
            found.append(step)
    return found


@with_app()
async def test_the_profiles_page_shows_and_saves_the_persons_paces(app: AppHarness) -> None:
    app.add_people("Ana")
    page = app.window.profiles_view
    await app.choose_person("Guest")
    assert not page.paces_button.isEnabled()  # Guest keeps none
    await app.choose_person("Ana")
    app.window.profiles.profiles.set_paces("Ana", RunPaces(k5=300.0))
    app.click(page.paces_button)
    dialog = page.paces_button.dialog
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    assert dialog.width() <= 1280 and dialog.height() <= 720
    panel = dialog.panel
    assert panel.title.text() == "Race paces — Ana"
    assert panel.fields[PaceZone.K5].text() == "5:00"
    assert panel.speeds[PaceZone.K5].text() == "= 12.0 km/h"
    QTest.keyClicks(panel.fields[PaceZone.HALF], "6:4O")  # a letter O, not a zero
    app.click(panel.save_button)
    assert panel.message.text().startswith("Not saved: half marathon pace: expected a pace")
    assert app.window.profiles.profiles.get("Ana").paces == RunPaces(k5=300.0)
    panel.fields[PaceZone.HALF].setText("6:40")
    panel.fields[PaceZone.K5].clear()  # cleared: not given
    app.click(panel.save_button)
    assert panel.message.text() == "Saved for Ana."
    assert app.window.profiles.profiles.get("Ana").paces == RunPaces(half=400.0)
    # In mph the panel speaks per mile: 400 s/km × 1.609344 = 643.7 s → 10:44 /mi.
    choose_unit(app.window, SpeedUnit.MPH)
    assert panel.fields[PaceZone.HALF].text() == "10:44"
    assert panel.units[PaceZone.HALF].text() == "min/mi"
    assert panel.speeds[PaceZone.HALF].text() == "= 5.6 mph"
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert page.paces_button.dialog is None
