"""The program editor: round trips, building a program with the buttons, inline validation,
the live preview, the structure operations, files and keys.

Every assertion on what a program *is* goes through ``parse_program``/``load_program``: the
editor must write what the file format reads, nothing of its own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from treadctl.limits import Direction, Limits
from treadctl.program import (
    BUILTIN_PROGRAMS_DIR,
    Block,
    Program,
    Segment,
    builtin_programs,
    load_program,
    parse_program,
)
from ui import format
from ui.format import SpeedUnit
from ui.program_editor import COL_SPEED, FIELDS, ProgramEditor

DOCS = Path(__file__).resolve().parents[2] / "docs" / "programs.md"


def docs_example() -> Program:
    """The example program at the top of docs/programs.md (the issue's format, by example)."""
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"```toml\n(.*?)```", text, re.DOTALL)
    assert match is not None
    return parse_program(match[1])


@pytest.fixture
def editor(qtbot: QtBot) -> ProgramEditor:
    widget = ProgramEditor()
    qtbot.addWidget(widget)
    return widget


def click(button: QPushButton) -> None:
    assert button.isEnabled(), button.text()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def cell_index(editor: ProgramEditor, path: str, field: str) -> QModelIndex:
    return editor.step_item(path).index().siblingAtColumn(FIELDS[field])


def cell_background(editor: ProgramEditor, path: str, field: str) -> QColor | None:
    brush = cell_index(editor, path, field).data(Qt.ItemDataRole.BackgroundRole)
    return None if brush is None else brush.color()


# -- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("builtin", builtin_programs(), ids=lambda p: Path(p.source or "").stem)
def test_builtin_round_trips_through_the_editor(
    editor: ProgramEditor, qtbot: QtBot, tmp_path: Path, builtin: Program
) -> None:
    editor.load(builtin)
    assert editor.error() is None
    assert editor.program() == builtin
    # A built-in is never a Save target: Save would ask for a name.
    assert editor.path() is None
    target = tmp_path / "copy.toml"
    with qtbot.waitSignal(editor.saved) as saved:
        assert editor.save_to(target)
    assert saved.args == [target]
    assert load_program(target) == builtin
    assert editor.path() == target
    assert not editor.is_modified()


def test_mph_pace_and_distances_are_read_as_in_a_file(
    editor: ProgramEditor, qtbot: QtBot, tmp_path: Path
) -> None:
    editor.load(None)
    editor.name_edit.setText("Units")
    click(editor.buttons["add_segment"])
    click(editor.buttons["add_segment"])
    click(editor.buttons["add_rest"])
    editor.set_field("steps[0]", "speed", "3 mph")
    editor.set_field("steps[0]", "length", "0.25 mi")
    editor.set_field("steps[1]", "speed", "13:20 /km")
    editor.set_field("steps[1]", "length", "1 h 10 min")
    editor.set_field("steps[1]", "incline", "−2 %")  # a typographic minus, as in files
    with qtbot.waitSignal(editor.changed):
        editor.set_field("steps[2]", "length", "90 s")
    program = editor.program()
    assert program is not None, editor.message.text()
    first, second, rest = program.steps
    assert isinstance(first, Segment) and isinstance(second, Segment)
    assert isinstance(rest, Segment)
    assert first.speed_kmh == 4.828032  # exactly 3 × 1.609344, as docs/programs.md says
    assert first.distance_m == pytest.approx(402.336)
    assert first.duration_s is None
    assert second.speed_kmh == 4.5
    assert second.duration_s == 4200
    assert second.incline_pct == -2
    assert rest.rest and rest.duration_s == 90
    assert editor.save_to(tmp_path / "units.toml")
    assert load_program(tmp_path / "units.toml") == program


# -- building from scratch ---------------------------------------------------------------------


def test_build_the_docs_example_with_the_buttons(
    editor: ProgramEditor, qtbot: QtBot, tmp_path: Path
) -> None:
    expected = docs_example()
    editor.load(None)
    assert editor.program() is None
    assert "Cannot save" not in editor.message.text()  # nothing typed yet: nothing wrong
    assert not editor.save_as_button.isEnabled()

    QTest.keyClicks(editor.name_edit, "Backward walking, week 1")
    QTest.keyClicks(editor.description_edit, "Short backward bouts with forward recovery.")
    assert "steps: expected one or more [[steps]] tables" in editor.message.text()

    click(editor.buttons["add_segment"])
    for field, text in (
        ("label", "Warm-up"),
        ("direction", "forward"),
        ("speed", "4.5 km/h"),
        ("incline", "1 %"),
        ("length", "5 min"),
        ("cue", "Hold the rails"),
    ):
        editor.set_field("steps[0]", field, text)

    click(editor.buttons["add_block"])  # after the selected warm-up, with one step
    editor.set_field("steps[1]", "repeat", "6")
    for field, text in (
        ("label", "Backward walk"),
        ("direction", "backward"),
        ("speed", "2.5 km/h"),
        ("length", "1 min"),
    ):
        editor.set_field("steps[1].steps[0]", field, text)
    editor.select_step("steps[1].steps[0]")
    click(editor.buttons["add_segment"])  # inside the block, after the backward walk
    for field, text in (
        ("label", "Forward recovery"),
        ("direction", "forward"),
        ("speed", "3.5 km/h"),
    ):
        editor.set_field("steps[1].steps[1]", field, text)

    assert editor.error() is None, editor.message.text()
    assert editor.program() == expected
    assert editor.figures["total"].text() == "17:00"  # "This runs 17 minutes" (the docs)
    assert editor.figures["backward"].text() == "6 min"
    assert editor.save_button.isEnabled()
    assert editor.save_to(tmp_path / "week1.toml")
    assert load_program(tmp_path / "week1.toml") == expected


# -- validation --------------------------------------------------------------------------------


def test_a_speed_that_does_not_read_is_shown_on_its_cell_and_blocks_save(
    editor: ProgramEditor, qtbot: QtBot, tmp_path: Path
) -> None:
    editor.load(builtin_programs()[0])
    with qtbot.waitSignal(editor.changed):
        editor.set_field("steps[1].steps[0]", "speed", "4,5")  # a decimal comma: not a number

    error = editor.error()
    assert error is not None
    assert (error.step, error.field, error.found) == ("steps[1].steps[0]", "speed", '"4,5"')
    message = editor.message.text()
    assert "steps[1].steps[0]: speed: expected a speed with a unit" in message
    assert 'found "4,5"' in message
    assert "01-backward-walk-week-1.toml" in message  # the file the program came from
    assert editor.message.property("invalid") is True
    # The faulty cell is red and says why; its row is tinted; other rows are not.
    assert cell_background(editor, "steps[1].steps[0]", "speed") == QColor("#6e1b20")
    assert "expected a speed with a unit" in cell_index(editor, "steps[1].steps[0]", "speed").data(
        Qt.ItemDataRole.ToolTipRole
    )
    assert cell_background(editor, "steps[1].steps[0]", "label") == QColor("#2a1215")
    assert cell_background(editor, "steps[0]", "speed") is None

    assert editor.program() is None
    assert not editor.save_button.isEnabled()
    assert not editor.save_as_button.isEnabled()
    target = tmp_path / "never.toml"
    with qtbot.assertNotEmitted(editor.saved):
        assert not editor.save_to(target)
        assert not editor.save()
    assert not target.exists()

    with qtbot.waitSignal(editor.changed):
        editor.set_field("steps[1].steps[0]", "speed", "4.5 km/h")
    assert editor.error() is None
    assert cell_background(editor, "steps[1].steps[0]", "speed") is None
    assert editor.save_button.isEnabled()


def test_typing_in_a_cell_validates_on_every_keystroke(editor: ProgramEditor, qtbot: QtBot) -> None:
    editor.load(builtin_programs()[0])
    index = cell_index(editor, "steps[0]", "speed")
    editor.view.setCurrentIndex(index)
    editor.view.edit(index)
    line = editor.view.findChild(QLineEdit)
    assert isinstance(line, QLineEdit)
    line.selectAll()
    with qtbot.waitSignal(editor.changed):
        QTest.keyClicks(line, "3")
    assert editor.program().steps[0].speed_kmh == 3  # type: ignore[union-attr]  # display unit
    with qtbot.waitSignal(editor.changed):
        QTest.keyClicks(line, "m")
    assert editor.error() is not None and editor.error().field == "speed"  # type: ignore[union-attr]
    with qtbot.waitSignal(editor.changed):
        QTest.keyClick(line, Qt.Key.Key_Backspace)
    with qtbot.waitSignal(editor.changed):
        QTest.keyClicks(line, " mph")
    program = editor.program()
    assert program is not None
    first = program.steps[0]
    assert isinstance(first, Segment)
    assert first.speed_kmh == pytest.approx(4.828032)
    assert line.text() == "3 mph"  # the editor keeps the text as typed, cursor and all
    assert line.cursorPosition() == len("3 mph")


def test_a_block_repeated_zero_times_is_rejected(editor: ProgramEditor, qtbot: QtBot) -> None:
    editor.load(builtin_programs()[0])
    with qtbot.waitSignal(editor.changed):
        editor.set_field("steps[2]", "repeat", "0")
    error = editor.error()
    assert error is not None
    assert (error.step, error.field) == ("steps[2]", "repeat")
    assert "steps[2]: repeat: expected a whole number from 1 to 100" in editor.message.text()
    assert cell_background(editor, "steps[2]", "repeat") == QColor("#6e1b20")
    assert not editor.save_button.isEnabled()
    # Words are refused the same way, and a quoted number is not mistaken for a number.
    editor.set_field("steps[2]", "repeat", "six")
    assert 'found "six"' in editor.message.text()
    editor.set_field("steps[2]", "repeat", "3")
    assert editor.error() is None


def test_an_emptied_block_and_a_missing_name_point_at_their_places(
    editor: ProgramEditor, qtbot: QtBot
) -> None:
    editor.load(builtin_programs()[0])
    editor.select_step("steps[1].steps[1]")
    click(editor.buttons["delete"])
    editor.select_step("steps[1].steps[0]")
    click(editor.buttons["delete"])
    error = editor.error()
    assert error is not None and (error.step, error.field) == ("steps[1]", "steps")
    assert cell_background(editor, "steps[1]", "label") == QColor("#6e1b20")
    # An emptied block is where Add goes: the selection fell back on it.
    click(editor.buttons["add_rest"])
    assert editor.error() is None
    block = editor.program().steps[1]  # type: ignore[union-attr]
    assert isinstance(block, Block) and block.steps[0].rest  # type: ignore[union-attr]

    editor.name_edit.clear()
    QTest.keyClicks(editor.name_edit, " ")
    QTest.keyClick(editor.name_edit, Qt.Key.Key_Backspace)
    assert editor.name_edit.property("invalid") is True
    assert "name: expected a non-empty string" in editor.message.text()


def test_values_beyond_the_limits_are_noticed_not_blocked(
    editor: ProgramEditor, qtbot: QtBot, tmp_path: Path
) -> None:
    editor.load(builtin_programs()[0])
    assert not editor.notices.isVisibleTo(editor)
    with qtbot.waitSignal(editor.changed):
        editor.set_field("steps[1].steps[0]", "speed", "7 km/h")
    assert editor.error() is None
    text = editor.notices.text()
    assert "steps[1].steps[0]: speed 7 km/h shown as 6 km/h (backward max speed 6 km/h)" in text
    assert editor.notices.isVisibleTo(editor)
    speed = cell_index(editor, "steps[1].steps[0]", "speed")
    assert "shown as 6 km/h" in speed.data(Qt.ItemDataRole.ToolTipRole)
    assert editor.save_button.isEnabled()
    assert editor.save_to(tmp_path / "fast.toml")
    saved = load_program(tmp_path / "fast.toml").steps[1]
    assert isinstance(saved, Block)
    assert saved.steps[0].speed_kmh == 7  # type: ignore[union-attr]  # the file keeps what was asked


def test_the_backward_budget_is_noticed() -> None:
    long_session = builtin_programs()[6]
    editor = ProgramEditor(limits=Limits())
    try:
        editor.load(long_session)
        assert "36 min backward asked for, 10 min allowed per session" in editor.notices.text()
        assert editor.error() is None
    finally:
        editor.deleteLater()


# -- preview -----------------------------------------------------------------------------------


def test_preview_totals_follow_the_edits(editor: ProgramEditor, qtbot: QtBot) -> None:
    editor.load(builtin_programs()[0])
    assert editor.figures["total"].text() == "30:00"
    assert editor.figures["backward"].text() == "8 min"
    assert editor.chart.total_s == 1800

    with qtbot.waitSignal(editor.changed):
        editor.set_field("steps[0]", "length", "10 min")
    assert editor.figures["total"].text() == "35:00"
    assert editor.chart.total_s == 2100

    with qtbot.waitSignal(editor.changed):
        editor.set_field("steps[1]", "repeat", "5")
    assert editor.figures["total"].text() == "38:00"
    assert editor.figures["backward"].text() == "9 min"
    assert editor.figures["segments"].text() == "16 · 7 back"

    # While invalid, the last valid preview stays, and says so.
    with qtbot.waitSignal(editor.changed):
        editor.set_field("steps[0]", "length", "10")
    assert editor.figures["total"].text() == "38:00"
    assert editor.preview_note.text() == "Preview: the last valid version"
    with qtbot.waitSignal(editor.changed):
        editor.set_field("steps[0]", "length", "1 km")  # a distance: timed at 4 km/h
    assert editor.figures["total"].text() == "43:00"
    assert editor.preview_note.text() == ""


# -- structure ---------------------------------------------------------------------------------


def shape(program: Program | None) -> list[object]:
    """Labels, with blocks as (repeat, [children])."""
    assert program is not None

    def walk(steps: tuple[Segment | Block, ...]) -> list[object]:
        return [(s.repeat, walk(s.steps)) if isinstance(s, Block) else s.label for s in steps]

    return walk(program.steps)


def test_move_indent_outdent_delete(editor: ProgramEditor, qtbot: QtBot) -> None:
    editor.load(builtin_programs()[0])
    warm, cool = "Warm-up", "Cool-down"
    bw, fr = "Backward walk", "Forward recovery"
    assert shape(editor.program()) == [warm, (4, [bw, fr]), (2, [bw, fr]), cool]
    assert not editor.buttons["move_up"].isEnabled()  # the first step is selected
    assert not editor.buttons["outdent"].isEnabled()

    click(editor.buttons["move_down"])
    assert shape(editor.program()) == [(4, [bw, fr]), warm, (2, [bw, fr]), cool]

    # The warm-up into the block above it, as its last step; out again, after the block.
    click(editor.buttons["move_up"])
    click(editor.buttons["move_down"])
    click(editor.buttons["indent"])
    assert shape(editor.program()) == [(4, [bw, fr, warm]), (2, [bw, fr]), cool]
    assert editor.current_step() is editor.step_item("steps[0].steps[2]")
    click(editor.buttons["outdent"])
    assert shape(editor.program()) == [(4, [bw, fr]), warm, (2, [bw, fr]), cool]

    # A step with no block above is wrapped in a new one (repeat 2): nested blocks work.
    editor.select_step("steps[2].steps[0]")
    click(editor.buttons["indent"])
    assert shape(editor.program()) == [(4, [bw, fr]), warm, (2, [(2, [bw]), fr]), cool]

    editor.select_step("steps[3]")
    click(editor.buttons["delete"])
    assert shape(editor.program()) == [(4, [bw, fr]), warm, (2, [(2, [bw]), fr])]
    assert editor.current_step() is editor.step_item("steps[2]")

    # Default labels follow a step around ("Step 2" wherever it is second).
    editor.load(None)
    editor.name_edit.setText("x")
    click(editor.buttons["add_segment"])
    click(editor.buttons["add_rest"])
    click(editor.buttons["add_segment"])
    assert shape(editor.program()) == ["Step 1", "Rest", "Step 3"]
    click(editor.buttons["move_up"])
    assert shape(editor.program()) == ["Step 1", "Step 2", "Rest"]


def test_keyboard(editor: ProgramEditor, qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    editor.load(builtin_programs()[0])
    editor.show()
    if not editor.isActiveWindow():
        with qtbot.waitSignal(app.focusWindowChanged):
            editor.activateWindow()
    editor.view.setFocus()
    editor.select_step("steps[3]")

    with qtbot.waitSignal(editor.changed):
        QTest.keyClick(editor.view, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert shape(editor.program())[2] == "Cool-down"
    with qtbot.waitSignal(editor.changed):
        QTest.keyClick(editor.view, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    assert shape(editor.program())[3] == "Step 4"  # a copy of the cool-down's values, unlabelled
    with qtbot.waitSignal(editor.changed):
        QTest.keyClick(editor.view, Qt.Key.Key_Delete)
    assert len(shape(editor.program())) == 4
    # F2 edits the current cell; Enter commits.
    editor.view.setCurrentIndex(cell_index(editor, "steps[0]", "cue"))
    QTest.keyClick(editor.view, Qt.Key.Key_F2)
    line = editor.view.findChild(QLineEdit)
    assert isinstance(line, QLineEdit)
    line.selectAll()
    QTest.keyClicks(line, "Shoulders down")
    QTest.keyClick(line, Qt.Key.Key_Return)
    assert editor.program().steps[0].cue == "Shoulders down"  # type: ignore[union-attr]


# -- files -------------------------------------------------------------------------------------


def test_open_a_file_then_save_writes_back_to_it(
    editor: ProgramEditor, qtbot: QtBot, tmp_path: Path
) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        'name = "Mine"\n[[steps]]\ndirection = "Backward"\nspeed = "12:00 /mi"\n'
        'distance = "0.5 km"\n',
        encoding="utf-8",
    )
    assert editor.open_file(path)
    assert editor.path() == path
    assert editor.program() == load_program(path)
    assert str(path) in editor.status.text()
    editor.set_field("steps[0]", "cue", "Look over your shoulder")
    assert editor.is_modified()
    assert "unsaved changes" in editor.status.text()
    with qtbot.waitSignal(editor.saved) as saved:
        assert editor.save()
    assert saved.args == [path]
    again = load_program(path)
    assert again.steps[0].cue == "Look over your shoulder"  # type: ignore[union-attr]
    assert again.steps[0].direction is Direction.BACKWARD  # type: ignore[union-attr]
    assert not editor.is_modified()


def test_a_broken_file_is_refused_and_the_editor_keeps_its_program(
    editor: ProgramEditor, tmp_path: Path
) -> None:
    editor.load(builtin_programs()[0])
    path = tmp_path / "broken.toml"
    path.write_text('name = "x"\n[[steps]]\nspede = "4 km/h"\n', encoding="utf-8")
    assert not editor.open_file(path)
    assert "broken.toml: steps[0]: spede: expected a step key" in editor.message.text()
    assert editor.program() == builtin_programs()[0]


def test_save_on_a_builtin_asks_for_a_new_file(editor: ProgramEditor) -> None:
    builtin = builtin_programs()[0]
    assert Path(builtin.source or "").parent == BUILTIN_PROGRAMS_DIR
    editor.load(builtin)
    assert "built-in" in editor.status.text()
    assert not editor.save()  # opens the Save-as dialog instead of writing
    dialog = editor._dialog
    assert dialog is not None and dialog.isVisible()
    dialog.reject()


def test_closing_with_unsaved_changes_asks(editor: ProgramEditor, qtbot: QtBot) -> None:
    editor.load(builtin_programs()[0])
    editor.show()
    editor.set_field("steps[0]", "speed", "5 km/h")
    assert not editor.close()  # refused: a Save / Discard / Cancel question opens
    box = editor.findChild(QMessageBox)
    assert isinstance(box, QMessageBox) and box.isVisible()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert editor.isVisible()
    assert not editor.close()
    box = editor._confirm
    assert box is not None
    box.button(QMessageBox.StandardButton.Discard).click()
    assert not editor.isVisible()


def test_cells_that_do_not_apply_are_read_only(editor: ProgramEditor) -> None:
    editor.load(builtin_programs()[6])  # has rests and blocks
    with pytest.raises(ValueError, match="a block has no speed"):
        editor.set_field("steps[0]", "speed", "4 km/h")
    rest_path = "steps[0].steps[1]"
    assert editor.step_item(rest_path).index().siblingAtColumn(1).data() == "rest"
    with pytest.raises(ValueError, match="a rest has no direction"):
        editor.set_field(rest_path, "direction", "backward")
    assert not editor.step_item(rest_path).index().siblingAtColumn(COL_SPEED).flags() & (
        Qt.ItemFlag.ItemIsEditable
    )


# -- issue 14: no error before input, numbers in the display unit, Close, Run now, the library --


def test_a_new_program_shows_no_error_until_typed_or_saved(
    editor: ProgramEditor, qtbot: QtBot
) -> None:
    editor.load(None)
    editor.show()
    assert editor.error() is not None  # not a program yet: nothing to save...
    assert editor.message.property("invalid") is not True  # ...but nothing is wrong either
    assert "Cannot save" not in editor.message.text()
    assert editor.name_edit.property("invalid") is not True
    assert not editor.run_button.isEnabled()
    # Trying to save is asking what is missing: now it says.
    with qtbot.waitSignal(editor.changed):
        click(editor.save_button)
    assert editor.message.property("invalid") is True
    assert "Cannot save" in editor.message.text()

    editor.load(None)
    assert editor.message.property("invalid") is not True
    with qtbot.waitSignal(editor.changed):
        QTest.keyClicks(editor.name_edit, "Mine")  # typed: an unfinished program says why
    assert editor.message.property("invalid") is True
    assert "steps" in editor.message.text()


@pytest.mark.parametrize(
    ("unit", "typed", "kmh"),
    [(SpeedUnit.KMH, "8", 8.0), (SpeedUnit.MPH, "3", 4.828032), (SpeedUnit.PACE_MI, "3", 4.828032)],
)
def test_a_plain_number_is_a_speed_in_the_display_unit(
    qtbot: QtBot, tmp_path: Path, unit: SpeedUnit, typed: str, kmh: float
) -> None:
    format.set_speed_unit(unit)
    try:
        editor = ProgramEditor()
        qtbot.addWidget(editor)
        editor.load(None)
        editor.name_edit.setText("Plain")
        click(editor.buttons["add_segment"])
        with qtbot.waitSignal(editor.changed):
            editor.set_field("steps[0]", "speed", typed)
        program = editor.program()
        assert program is not None, editor.message.text()
        assert program.steps[0].speed_kmh == kmh  # type: ignore[union-attr]
        assert cell_background(editor, "steps[0]", "speed") is None
        header = editor.model.headerData(COL_SPEED, Qt.Orientation.Horizontal)
        assert header == f"Speed ({unit.as_speed.value})"
        # The file names its unit: it means the same whatever the app shows.
        assert editor.save_to(tmp_path / "plain.toml")
        assert load_program(tmp_path / "plain.toml").steps[0].speed_kmh == kmh  # type: ignore[union-attr]
    finally:
        format.set_speed_unit(SpeedUnit.KMH)


def test_close_asks_before_throwing_away_changes(editor: ProgramEditor, qtbot: QtBot) -> None:
    editor.load(builtin_programs()[0])
    editor.show()
    click(editor.close_button)  # nothing changed: closes at once
    assert not editor.isVisible()

    editor.load(builtin_programs()[0])
    editor.show()
    editor.set_field("steps[0]", "speed", "5 km/h")
    click(editor.close_button)
    box = editor._confirm
    assert box is not None and box.isVisible()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert editor.isVisible() and editor.is_modified()
    click(editor.close_button)
    box = editor._confirm
    assert box is not None
    box.button(QMessageBox.StandardButton.Discard).click()
    assert not editor.isVisible()


def test_run_now_hands_over_the_program_saving_its_own_file_first(
    editor: ProgramEditor, qtbot: QtBot, tmp_path: Path
) -> None:
    editor.load(builtin_programs()[0])
    editor.set_field("steps[0]", "speed", "5")
    with qtbot.waitSignal(editor.run_requested) as handed, qtbot.assertNotEmitted(editor.saved):
        click(editor.run_button)  # a built-in's edit: used as edited, never written over
    (program,) = handed.args
    assert program == editor.program() and program.steps[0].speed_kmh == 5

    path = tmp_path / "mine.toml"
    assert editor.save_to(path)
    editor.set_field("steps[0]", "speed", "4")
    with qtbot.waitSignal(editor.saved), qtbot.waitSignal(editor.run_requested) as handed:
        click(editor.run_button)  # its own file: saved, then handed over
    assert handed.args[0] == load_program(path)
    assert load_program(path).steps[0].speed_kmh == 4  # type: ignore[union-attr]
    assert not editor.is_modified()


def test_save_offers_a_new_file_in_the_library(qtbot: QtBot, tmp_path: Path) -> None:
    library = tmp_path / "data" / "programs"
    editor = ProgramEditor(library=library)
    qtbot.addWidget(editor)
    editor.load(None)
    editor.name_edit.setText("Backward intervals")
    click(editor.buttons["add_segment"])
    assert editor.error() is None, editor.message.text()
    assert not editor.save()  # no file yet: the dialog asks where
    dialog = editor._dialog
    assert dialog is not None and dialog.isVisible()
    assert Path(dialog.directory().absolutePath()) == library
    (chosen,) = dialog.selectedFiles()
    assert Path(chosen) == library / "backward-intervals.toml"
    with qtbot.waitSignal(editor.saved) as saved:
        dialog.accept()
    assert saved.args == [library / "backward-intervals.toml"]
    assert load_program(library / "backward-intervals.toml") == editor.program()
