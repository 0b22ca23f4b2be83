"""The person's own programs on the Programs page (issue 14): saved from the editor into the data
folder and still listed after a restart, an unusable file listed with its reason, import and
export of program files, and the editor's Run now landing on Start without starting anything.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from tests.ui.harness import AppHarness, run, with_app
from treadctl.program import builtin_programs, load_program
from treadctl.virtual.treadmill import MachineState
from ui.program_view import Origin

GOOD = (
    'name = "Imported intervals"\n[[steps]]\ndirection = "backward"\nspeed = "2 km/h"\n'
    'duration = "1 min"\n'
)


def test_a_program_saved_from_the_editor_is_listed_after_a_restart(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    library = tmp_path / "programs"

    async def first_run() -> None:
        async with AppHarness(tmp_path) as app:
            app.window.show_page("programs")
            app.click(app.window.new_program_button)
            editor = app.window.editor
            assert editor is not None
            editor.name_edit.setText("Backward intervals")
            app.click(editor.buttons["add_segment"])
            editor.set_field("steps[0]", "speed", "3")
            app.click(editor.save_button)  # a new program: the dialog asks where
            dialog = editor._dialog
            assert dialog is not None and dialog.isVisible()
            assert Path(dialog.directory().absolutePath()) == library  # in the library
            saved = app.expect(editor.saved)
            dialog.accept()
            (path,) = await saved
            assert path == library / "backward-intervals.toml"
            view = app.window.program_view
            assert view.selected_program() == load_program(path)
            assert view.entry_text(view.list.currentRow()).endswith("yours")
            app.click(editor.close_button)

    async def second_run() -> None:
        async with AppHarness(tmp_path) as app:
            view = app.window.program_view
            mine = [e for e in view.entries() if e.origin is Origin.LIBRARY]
            assert [e.path for e in mine] == [library / "backward-intervals.toml"]
            row = len(builtin_programs())  # after the built-ins
            assert view.entry_text(row).startswith("Backward intervals\n")
            assert view.entry_text(row).endswith("·  yours")
            view.list.setCurrentRow(row)
            program = view.selected_program()
            assert program is not None and program.steps[0].speed_kmh == 3  # type: ignore[union-attr]

    run(loop, first_run())
    run(loop, second_run())


def test_an_unusable_file_in_the_library_is_listed_with_its_reason(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    library = tmp_path / "programs"
    library.mkdir()
    (library / "a-broken.toml").write_text('name = "x"\n[[steps]]\nspede = 1\n', "utf-8")
    (library / "b-good.toml").write_text(GOOD, encoding="utf-8")

    async def scenario() -> None:
        async with AppHarness(tmp_path) as app:
            await app.connect()
            view = app.window.program_view
            builtins = len(builtin_programs())
            assert view.entry_text(builtins).startswith("a-broken.toml\nUnusable: expected a ")
            assert view.entry_text(builtins + 1).startswith("Imported intervals\n")
            view.list.setCurrentRow(builtins)
            assert view.selected_program() is None
            assert "steps[0]: spede: expected" in view.description.text()
            assert not view.start_button.isEnabled()  # nothing to start
            view.list.setCurrentRow(builtins + 1)
            assert view.start_button.isEnabled()

    run(loop, scenario())


@with_app()
async def test_import_refuses_a_bad_file_and_asks_before_replacing(
    app: AppHarness, tmp_path: Path
) -> None:
    view = app.window.program_view
    library = tmp_path / "programs"
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[[steps]]\nspeed = "4,5"\n', encoding="utf-8")
    assert view.import_file(bad) is None
    assert "Not imported: " in view.notices.text() and "bad.toml: steps[0]" in view.notices.text()
    assert not (library / "bad.toml").exists()

    source = tmp_path / "mine.toml"
    source.write_text(GOOD, encoding="utf-8")
    target = view.import_file(source)
    assert target == library / "mine.toml"
    assert view.selected_program() == load_program(source)

    # The same file name again, another program: asked first, kept on Cancel.
    source.write_text(GOOD.replace("Imported intervals", "Changed"), encoding="utf-8")
    assert view.import_file(source) is None
    box = view._confirm
    assert box is not None and box.isVisible()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert load_program(target).name == "Imported intervals"
    assert view.import_file(source) is None
    box = view._confirm
    assert box is not None
    (replace,) = [b for b in box.buttons() if b.text() == "Replace"]
    replace.click()
    assert load_program(target).name == "Changed"
    assert view.selected_program() == load_program(target)
    assert sum(e.origin is Origin.LIBRARY for e in view.entries()) == 1


@with_app()
async def test_export_saves_a_copy_elsewhere(app: AppHarness, tmp_path: Path) -> None:
    view = app.window.program_view
    view.list.setCurrentRow(0)
    builtin = builtin_programs()[0]
    app.click(view.export_button)
    dialog = view._dialog
    assert dialog is not None and dialog.isVisible()
    (suggested,) = dialog.selectedFiles()
    assert Path(suggested).name == Path(builtin.source or "").name
    target = tmp_path / "elsewhere" / "copy.toml"
    target.parent.mkdir()
    dialog.selectFile(str(target))
    dialog.accept()
    assert target.read_bytes() == Path(builtin.source or "").read_bytes()
    assert "Exported to" in view.notices.text()


@with_app()
async def test_run_now_lands_on_start_and_starts_nothing(app: AppHarness) -> None:
    await app.connect()
    started: list[object] = []
    app.bridge.session_started.connect(lambda *args: started.append(args))
    app.bridge.start_countdown.connect(lambda *args: started.append(args))
    view = app.window.program_view
    view.list.setCurrentRow(0)
    app.window.show_page("history")
    app.click(app.window.edit_program_button)
    editor = app.window.editor
    assert editor is not None
    editor.set_field("steps[0]", "speed", "3.5")  # an edited built-in: not saved
    app.click(editor.run_button)

    assert app.window.page == "programs"
    program = view.selected_program()
    assert program is not None and program == editor.program()
    assert view.entry_text(view.list.currentRow()).endswith("not saved")
    assert view.start_button.isEnabled() and view.start_button.hasFocus()
    assert editor.isMinimized() and editor.is_modified()  # out of the way, nothing lost
    # Nothing moved, nothing counts down: the person starts it.
    await app.samples(4)
    assert started == []
    assert app.world.model.state is not MachineState.RUNNING
    assert not app.bridge.session_active

    counted = app.expect(app.bridge.start_countdown)
    session = app.expect(app.bridge.session_started)
    app.click(view.start_button)
    await counted  # the normal start: its 3-2-1 first
    await session
    await app.belt_running()
    assert app.bridge.session_kind is not None


def test_open_import_and_export_start_where_the_last_one_went(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """Programs are kept together in a folder of the person's (a USB stick, a synced folder):
    each of the three dialogs opens where the last of them went, after a restart too."""
    elsewhere = tmp_path / "stick"
    elsewhere.mkdir()
    (elsewhere / "mine.toml").write_text(GOOD, encoding="utf-8")

    async def first_run() -> None:
        async with AppHarness(tmp_path) as app:
            view = app.window.program_view
            app.click(view.import_button)
            dialog = view._dialog
            assert dialog is not None
            assert Path(dialog.directory().absolutePath()) == Path.home()  # nothing chosen yet
            dialog.selectFile(str(elsewhere / "mine.toml"))
            dialog.accept()
            assert view.selected_program() == load_program(elsewhere / "mine.toml")

    async def second_run() -> None:
        async with AppHarness(tmp_path) as app:
            view = app.window.program_view
            for button in (view.open_button, view.import_button, view.export_button):
                view.list.setCurrentRow(0)
                app.click(button)
                dialog = view._dialog
                assert dialog is not None
                assert Path(dialog.directory().absolutePath()) == elsewhere, button.text()
                dialog.reject()

    run(loop, first_run())
    run(loop, second_run())
