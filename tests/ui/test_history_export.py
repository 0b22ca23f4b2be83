"""The history's export dialog (issue 14): it opens in the folder the last export went to, also
after a restart, on a name that says when and what (date, time, program), and a save dialog
asks before it replaces a file."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from tests.treadctl.test_store import write_log
from tests.ui.harness import AppHarness, run

STARTED = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)


def test_the_export_dialog_remembers_the_folder_and_names_the_file(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    write_log(sessions, "s1", started=STARTED, program="Backward intervals")
    when = f"{STARTED.astimezone():%Y-%m-%d_%H%M}"  # the file name is in local time
    exports = tmp_path / "my exports"
    exports.mkdir()

    async def first_run() -> None:
        async with AppHarness(tmp_path) as app:
            await app.choose_person("Ana")
            app.window.show_page("history")
            history = app.window.history_view
            app.click(history.export_buttons["csv"])
            dialog = history.dialog
            assert dialog is not None and dialog.isVisible()
            (suggested,) = dialog.selectedFiles()
            assert Path(suggested) == Path.home() / f"{when}_backward-intervals.csv"
            # Qt's save dialog asks before replacing a file: nothing here turns that off.
            assert not dialog.testOption(QFileDialog.Option.DontConfirmOverwrite)
            dialog.selectFile(str(exports / Path(suggested).name))
            dialog.accept()
            assert (exports / f"{when}_backward-intervals.csv").stat().st_size > 0
            app.click(history.export_buttons["tcx"])
            dialog = history.dialog
            assert dialog is not None
            (suggested,) = dialog.selectedFiles()
            assert Path(suggested) == exports / f"{when}_backward-intervals.tcx"
            dialog.reject()

    async def second_run() -> None:
        async with AppHarness(tmp_path) as app:
            await app.choose_person("Ana")
            app.window.show_page("history")
            history = app.window.history_view
            app.click(history.export_buttons["fit"])
            dialog = history.dialog
            assert dialog is not None
            (suggested,) = dialog.selectedFiles()
            assert Path(suggested) == exports / f"{when}_backward-intervals.fit"
            dialog.reject()

    run(loop, first_run())
    run(loop, second_run())
