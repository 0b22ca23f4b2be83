"""The program picker: built-in programs, the person's own and files, each with its profile.

Shape: ``ProgramView(bridge, programs, library=None)``: a list (name, length, backward minutes),
and for the selected program its description, a ``ProfileChart``, its figures, the limit
notices (the
program is shown — and run — fitted to the limits by the core, ``AppCore.fit``; the governor
checks every command again), and Start / Manual session / Open file… buttons. Start calls
``bridge.start_program``; the window turns to the dashboard on the bridge's ``session_started``.

The list: the built-ins, then the person's own programs (``library``, a
:class:`~treadctl.program.ProgramLibrary` on the data folder's ``programs``; marked "yours"),
then files opened once, then a program handed over unsaved by the editor's Run now
(``use_program``; marked "not saved"). A file in the library that no longer reads is listed as
unusable, with the parser's reason; it cannot be started. ``reload_library`` reads the folder
again (after a save or an import). Import… takes a program file, a Zwift run workout (.zwo) or
a FIT workout (.fit). A program file is copied into the library (a bad file is refused with
the parser's sentence; a program of the same file name is replaced only when the person says
so); a workout is first surveyed in a worker thread (``preview_workout``; a file that cannot be
imported is refused here in one sentence), then opens the import preview
(``ui.import_preview``: every step as the file says it and as it converts, what the person must
give, what the limits change; ``preview_opened``), which saves it into the library and selects
it here. Export… writes the selected program elsewhere as a program
file or as a FIT workout a watch can follow (the engine's ``export_fit_workout``, as
``treadctl export-program --format fit``). Open, Import and Export start in the folder the
last of them went to (``AppSettings.program_folder``).
"About backward walking…" opens the guidance the programs follow (``ui.guidance_view``) in a
window of its own: the descriptions cite it by that name.

The limits are the bridge's, and they change whenever a profile is chosen (or its limits are
saved): ``bridge.profile_changed`` then refits every entry of the list, not only the selected
one. Backward minutes are shown within the profile's backward minutes per session: past them
the governor turns the rest of a session's backward steps into forward walking.

Speeds are shown in the display unit: the chart's scale, and the fitting notices (the core
words them in km/h; ``format.speeds_in_text`` rewrites them). ``set_speed_unit`` rewords them.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from treadctl.program import (
    WORKOUT_SUFFIXES,
    Program,
    ProgramError,
    ProgramExistsError,
    ProgramLibrary,
    export_program,
    load_program,
    program_figures,
    program_file_name,
)
from treadctl.program.imported import read_bounded
from ui import colors, format
from ui.bridge import Bridge
from ui.format import SpeedUnit
from ui.guidance_view import TITLE, GuidanceView
from ui.import_preview import ImportPreview, in_worker, survey_workout
from ui.profile_chart import ProfileChart
from ui.program_figures import FiguresLayout, ProgramFigures, backward_words
from ui.settings_view import AppSettings

_PROGRAM_ROLE = Qt.ItemDataRole.UserRole

#: The Import… dialog's filters: all that imports first, then each kind on its own.
IMPORT_FILTERS = (
    "Programs and workouts (*.toml *.zwo *.fit)",
    "Programs (*.toml)",
    "Zwift run workouts (*.zwo)",
    "FIT workouts (*.fit)",
)
#: The Export… dialog's filters, and the suffix each writes.
EXPORT_FILTERS = {"Programs (*.toml)": "toml", "FIT workouts for a watch (*.fit)": "fit"}


class Origin(enum.Enum):
    """Where a list entry comes from; the list is kept in this order."""

    BUILTIN = 0
    LIBRARY = 1  # the person's own, in the data folder
    FILE = 2  # opened once from elsewhere
    UNSAVED = 3  # the editor's Run now, before it was saved


@dataclass
class Entry:
    """One line of the list: a program, or (a library file that no longer reads) the reason."""

    origin: Origin
    program: Program | None
    path: Path | None = None
    error: ProgramError | None = None


class ProgramView(QWidget):
    preview_opened = Signal(object)  # an ImportPreview, shown

    def __init__(
        self,
        bridge: Bridge,
        programs: Sequence[Program],
        parent: QWidget | None = None,
        *,
        library: ProgramLibrary | None = None,
        settings: AppSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("programView")
        self._bridge = bridge
        self._settings = settings
        self._entries: list[Entry] = []
        self.library = library
        self._dialog: QFileDialog | None = None
        self._confirm: QMessageBox | None = None
        self.guidance: GuidanceView | None = None
        self.import_preview: ImportPreview | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

        title = QLabel("Programs")
        title.setObjectName("pageTitle")
        self.list = QListWidget()
        self.list.setObjectName("programList")
        self.list.currentItemChanged.connect(self.on_current_changed)
        self.list.itemActivated.connect(self.on_item_activated)
        self.list.setMinimumWidth(260)
        # Long names wrap instead of hiding their ends behind a horizontal scroll bar.
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Short words: three buttons share the list's narrow column (1280x720 laptops).
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("Run a program file once, without adding it to your programs")
        self.open_button.clicked.connect(self.on_open_clicked)
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip(
            "Add a program file, a Zwift run workout (.zwo) or a FIT workout (.fit) to your "
            "programs"
        )
        self.import_button.clicked.connect(self.on_import_clicked)
        self.import_button.setEnabled(library is not None)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip(
            "Save the selected program elsewhere: as a program file, or as a FIT workout for "
            "a watch"
        )
        self.export_button.clicked.connect(self.on_export_clicked)
        files = QHBoxLayout()
        files.addWidget(self.open_button, 1)
        files.addWidget(self.import_button, 1)
        files.addWidget(self.export_button, 1)
        self.about_button = QPushButton(f"{TITLE}…")
        self.about_button.setObjectName("aboutBackwardButton")
        self.about_button.setToolTip(
            "The guidance the programs, limits and energy figure follow, with its sources"
        )
        self.about_button.clicked.connect(self.on_about_clicked)
        left = QVBoxLayout()
        left.addWidget(title)
        left.addWidget(self.list, 1)
        left.addLayout(files)
        left.addWidget(self.about_button)

        self.name = QLabel("")
        self.name.setObjectName("programName")
        self.name.setWordWrap(True)
        self.description = QLabel("")
        self.description.setObjectName("programDescription")
        self.description.setWordWrap(True)
        self.description.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.description.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.chart = ProfileChart()
        self.chart.setMinimumHeight(150)
        self.figures = ProgramFigures(FiguresLayout.GRID)
        self.notices = QLabel("")
        self.notices.setObjectName("clampNotices")
        self.notices.setWordWrap(True)
        self.start_button = QPushButton("Start program")
        self.start_button.setObjectName("primaryButton")
        self.start_button.clicked.connect(self.on_start_clicked)
        self.manual_button = QPushButton("Manual session")
        self.manual_button.clicked.connect(self.on_manual_clicked)
        self.hint = QLabel("")
        self.hint.setObjectName("dimNote")
        self.hint.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.manual_button)
        buttons.addWidget(self.hint, 1)
        # What to press first, the description last: on a 1280x720 laptop the page scrolls
        # only past the words, never past Start.
        right = QVBoxLayout()
        right.setSpacing(10)
        right.addWidget(self.name)
        right.addLayout(buttons)
        right.addWidget(self.notices)
        right.addWidget(self.chart, 1)
        right.addWidget(self.figures)
        right.addWidget(self.description)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(24)
        layout.addLayout(left, 3)
        layout.addLayout(right, 6)

        bridge.connected.connect(self.on_link_changed)
        bridge.reconnected.connect(self.on_link_changed)
        bridge.link_down.connect(self.on_link_changed)
        bridge.profile_changed.connect(self.on_limits_changed)
        self._entries = [Entry(Origin.BUILTIN, program) for program in programs]
        self._entries += self._library_entries()
        self._fill(self._entries[0] if self._entries else None)
        self.on_link_changed()

    # -- state ----------------------------------------------------------------------------------

    def _library_entries(self) -> list[Entry]:
        if self.library is None:
            return []
        return [Entry(Origin.LIBRARY, e.program, e.path, e.error) for e in self.library.entries()]

    def _fill(self, selected: Entry | None) -> None:
        """The list anew from ``_entries`` (in origin order), ``selected`` selected."""
        self._entries.sort(key=lambda e: e.origin.value)  # stable: each origin keeps its order
        self.list.blockSignals(True)
        try:
            self.list.clear()
            for index, entry in enumerate(self._entries):
                item = QListWidgetItem(self._entry(entry))
                item.setData(_PROGRAM_ROLE, index)
                if entry.error is not None:
                    item.setToolTip(str(entry.error))
                    item.setForeground(QBrush(QColor(colors.ALARM)))
                else:
                    source = entry.program.source if entry.program is not None else None
                    item.setToolTip(source or "")
                self.list.addItem(item)
                if entry is selected:
                    self.list.setCurrentItem(item)
        finally:
            self.list.blockSignals(False)
        self.on_current_changed(self.list.currentItem())

    def add_program(self, program: Program, origin: Origin = Origin.FILE) -> QListWidgetItem:
        """``program`` added to the list (replacing the entry of the same file) and selected."""
        path = Path(program.source) if program.source else None
        entry = Entry(origin, program, path)
        for i, old in enumerate(self._entries):
            same_file = path is not None and old.path is not None and old.path == path
            if same_file or (origin is Origin.UNSAVED and old.origin is Origin.UNSAVED):
                self._entries[i] = entry
                break
        else:
            self._entries.append(entry)
        self._fill(entry)
        item = self.list.currentItem()
        assert item is not None
        return item

    def reload_library(self, select: Path | None = None) -> None:
        """The library read again (a program saved or imported); ``select`` that file."""
        current = self._current_entry()
        self._entries = [e for e in self._entries if e.origin is not Origin.LIBRARY]
        fresh = self._library_entries()
        # A program now in the library is listed there, not also as an opened file.
        paths = {e.path for e in fresh}
        self._entries = [e for e in self._entries if e.path is None or e.path not in paths]
        self._entries += fresh
        chosen = next((e for e in fresh if select is not None and e.path == select), None)
        if chosen is None and current is not None:
            chosen = next((e for e in self._entries if e.path == current.path), None)
            if current.path is None and current in self._entries:
                chosen = current
        self._fill(chosen or (self._entries[0] if self._entries else None))

    def use_program(self, program: Program) -> None:
        """The editor's Run now: ``program`` selected, ready for Start. Its library entry when
        it is saved there, otherwise one "not saved" entry (a later Run now replaces it)."""
        path = Path(program.source) if program.source else None
        if path is not None and self.library is not None and self.library.contains(path):
            self.reload_library(select=path)
            entry = self._current_entry()
            if entry is not None and entry.program == program:
                return
        saved_file = path is not None and path.is_file()
        self.add_program(program, Origin.FILE if saved_file else Origin.UNSAVED)

    def _entry(self, entry: Entry) -> str:
        """A list entry: the name, then the length and backward minutes as they will run, and
        whose it is; an unusable file says so, and why."""
        program = entry.program
        if program is None:
            name = entry.path.name if entry.path is not None else "?"
            reason = entry.error.expected if entry.error is not None else "unreadable"
            return f"{name}\nUnusable: expected {reason}"
        fitted = self._bridge.fit(program).program
        figures = program_figures(fitted, self._bridge.limits)
        mark = {Origin.LIBRARY: "  ·  yours", Origin.UNSAVED: "  ·  not saved"}
        return (
            f"{program.name}\n{format.minutes(figures.total_s / 60)}  ·  "
            f"{backward_words(figures)} backward{mark.get(entry.origin, '')}"
        )

    def entry_text(self, row: int) -> str:
        """What the list shows in ``row`` (for tests and the screenshot script)."""
        item = self.list.item(row)
        return item.text() if item is not None else ""

    def entries(self) -> list[Entry]:
        """The list's entries, in its order."""
        return list(self._entries)

    def _current_entry(self) -> Entry | None:
        item = self.list.currentItem()
        if item is None:
            return None
        return self._entries[int(item.data(_PROGRAM_ROLE))]

    def selected_program(self) -> Program | None:
        entry = self._current_entry()
        return entry.program if entry is not None else None

    def _fitted(self) -> tuple[Program | None, list[str]]:
        program = self.selected_program()
        if program is None:
            return None, []
        fitted = self._bridge.fit(program)
        return fitted.program, list(fitted.notices)

    # -- slots ----------------------------------------------------------------------------------

    def set_speed_unit(self, unit: SpeedUnit) -> None:
        """The display unit changed (settings): the chart's scale and the notices follow, and
        an import preview's speeds and paces."""
        self.chart.set_speed_unit(unit)
        self.on_current_changed(self.list.currentItem())
        if self.import_preview is not None:
            self.import_preview.set_speed_unit(unit)

    def on_limits_changed(self, *_: object) -> None:
        """Other limits (another profile, or saved ones): refit the list and the selection."""
        for row in range(self.list.count()):
            item = self.list.item(row)
            item.setText(self._entry(self._entries[int(item.data(_PROGRAM_ROLE))]))
        self.on_current_changed(self.list.currentItem())

    def on_link_changed(self, *_: object) -> None:
        connected = self._bridge.is_connected
        has = self.selected_program() is not None
        self.start_button.setEnabled(connected and has)
        self.manual_button.setEnabled(connected)
        self.hint.setText("" if connected else "Connect to a treadmill first.")

    def on_current_changed(self, current: QListWidgetItem | None, *_: object) -> None:
        self.export_button.setEnabled(self.selected_program() is not None)
        entry = self._current_entry()
        if entry is not None and entry.program is None:
            self._show_unusable(entry)
            return
        program, notices = self._fitted()
        if program is None:
            return
        self.name.setText(program.name)
        self.description.setText(" ".join(program.description.split()))
        self.chart.set_profile(program.profile())
        self.figures.setVisible(True)
        limits = self._bridge.limits
        # The notices (the core's fitting) already say where the backward minutes stop.
        self.figures.show_figures(program_figures(program, limits))
        words = "; ".join(format.speeds_in_text(notice) for notice in notices)
        self.notices.setText(f"Fitted to your limits: {words}" if notices else "")
        self.notices.setVisible(bool(notices))
        self.on_link_changed()

    def _show_unusable(self, entry: Entry) -> None:
        """A library file that no longer reads: what is wrong, and where to fix it."""
        self.name.setText(entry.path.name if entry.path is not None else "")
        folder = self.library.folder if self.library is not None else ""
        self.description.setText(
            f"This file in your programs cannot be used: {entry.error}. Correct it in a text "
            f"editor, or remove it from {folder}."
        )
        self.chart.set_profile([])
        self.figures.setVisible(False)
        self.notices.setVisible(False)
        self.on_link_changed()

    def on_item_activated(self, item: QListWidgetItem) -> None:
        # Enter on a program starts nothing: starting a belt takes the Start button.
        self.start_button.setFocus()

    def on_start_clicked(self) -> None:
        program = self.selected_program()
        if program is not None:
            self._bridge.start_program(program)  # the core fits it, as shown

    def on_manual_clicked(self) -> None:
        self._bridge.start_manual()

    def on_open_clicked(self) -> None:
        # Non-modal: a modal dialog's nested event loop is no place to run a session from.
        dialog = QFileDialog(self, "Open program", str(self._folder()), "Programs (*.toml)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.on_file_selected)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialog = dialog
        dialog.open()

    def on_about_clicked(self) -> None:
        self.open_guidance()

    def open_guidance(self) -> GuidanceView:
        """The guidance in its own window (one, raised again when asked for again)."""
        view = self.guidance
        if view is None:
            # A child of this page, so it closes with the main window; a window of its own, so
            # it can stay open beside the program list.
            view = GuidanceView(self)
            view.setWindowFlag(Qt.WindowType.Window)
            view.resize(900, 640)  # within the smallest screen the app must fit, 1280x720
            # Esc and Space stop the belt there too (ui.stop_keys covers every window).
            self.guidance = view
        view.show()
        view.raise_()
        view.activateWindow()
        return view

    def on_file_selected(self, path: str) -> None:
        self._dialog = None
        self._remember(Path(path))
        self.open_file(path)

    def _folder(self) -> Path:
        """Where the Open, Import and Export dialogs start: where the last one went."""
        last = self._settings.program_folder if self._settings is not None else None
        return last if last is not None else Path.home()

    def _remember(self, chosen: Path) -> None:
        if self._settings is not None:
            self._settings.program_folder = chosen.parent

    def open_file(self, path: str) -> Program | None:
        try:
            program = load_program(path)
        except ProgramError as error:
            self._say(f"Cannot open the program: {error}")
            return None
        in_library = self.library is not None and self.library.contains(Path(path))
        if in_library:
            self.reload_library(select=Path(path))
        else:
            self.add_program(program)
        return program

    def _say(self, text: str) -> None:
        self.notices.setText(text)
        self.notices.setVisible(True)

    # -- import and export ----------------------------------------------------------------------

    def on_import_clicked(self) -> None:
        dialog = QFileDialog(self, "Import a program or a workout", str(self._folder()))
        dialog.setNameFilters(list(IMPORT_FILTERS))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self._on_import_selected)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialog = dialog
        dialog.open()

    def _on_import_selected(self, path: str) -> None:
        self._remember(Path(path))
        self.import_file(Path(path))

    def import_file(self, source: Path, *, replace: bool = False) -> Path | None:
        """Copy ``source`` into the library and select it; the file written, or None (refused,
        or a question asked first: a program of that name is there already). A .zwo or .fit
        file opens the import preview instead (None: it saves when the person says so)."""
        self._dialog = None
        if self.library is None:
            return None
        if Path(source).suffix.lower() in WORKOUT_SUFFIXES:
            self._spawn(self.preview_workout(Path(source)))
            return None
        try:
            target = self.library.import_file(source, replace=replace)
        except ProgramError as error:
            self._say(f"Not imported: {error}")
            return None
        except ProgramExistsError as exists:
            self._ask_to_replace(source, exists.path)
            return None
        except OSError as error:
            self._say(f"Not imported: {source}: {error.strerror or error}")
            return None
        self.reload_library(select=target)
        return target

    def _ask_to_replace(self, source: Path, existing: Path) -> None:
        # Non-modal, like the file dialogs: no nested event loop while a belt may run.
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Replace a program?",
            f"“{existing.name}” is already one of your programs. Replace it with the file "
            f"being imported?",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(*_: object) -> None:
            self._confirm = None
            if box.clickedButton() is replace:
                self.import_file(source, replace=True)
            else:
                self._say(f"Not imported: {existing.name} is kept as it was.")

        box.finished.connect(answered)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._confirm = box
        box.open()

    async def preview_workout(self, source: Path) -> ImportPreview | None:
        """A Zwift run workout or a FIT workout in the import preview (its own window); a file
        that is neither, or not usable at all, is refused here in one sentence (None)."""
        if self.library is None:
            return None
        try:
            data = read_bounded(source, "workout file")  # at most 1 MiB
            # In a worker thread, as every conversion of the preview: a file of thousands of
            # steps takes seconds, and the stop keys are handled on this thread. Here come
            # the file-level refusals (not XML, a bike workout, a bad CRC); the preview then
            # only ever converts these same bytes.
            survey = await in_worker(survey_workout, data, str(source))
        except ProgramError as error:
            if isValid(self):
                self._say(f"Not imported: {error}")
            return None
        if not isValid(self):
            return None  # the window closed meanwhile
        if self.import_preview is not None:
            self.import_preview.close()
        preview = ImportPreview(
            self,
            source=source,
            data=data,
            survey=survey,
            library=self.library,
            bridge=self._bridge,
        )
        preview.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        preview.imported.connect(self.on_workout_imported)
        preview.destroyed.connect(lambda *_: self._preview_gone(preview))
        self.import_preview = preview
        preview.show()
        preview.raise_()
        preview.activateWindow()
        self.preview_opened.emit(preview)
        return preview

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)  # kept referenced until done (an unreferenced task may vanish)
        task.add_done_callback(self._tasks.discard)

    def _preview_gone(self, preview: ImportPreview) -> None:
        if self.import_preview is preview:
            self.import_preview = None

    def on_workout_imported(self, path: Path, words: str) -> None:
        self.reload_library(select=path)
        self._say(f"{words} To mark backward steps: Edit….")

    def on_export_clicked(self) -> None:
        program = self.selected_program()
        if program is None:
            return
        name = Path(program.source).name if program.source else ""
        if not name.endswith(".toml"):
            name = program_file_name(program.name)
        dialog = QFileDialog(self, "Export program", str(self._folder() / name))
        dialog.setNameFilters(list(EXPORT_FILTERS))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)  # asks before replacing
        dialog.setDefaultSuffix("toml")

        def on_filter(chosen: str) -> None:
            # The name follows the kind chosen: "x.toml" becomes "x.fit", and back.
            suffix = EXPORT_FILTERS.get(chosen, "toml")
            dialog.setDefaultSuffix(suffix)
            dialog.selectFile(Path(name).with_suffix(f".{suffix}").name)

        dialog.filterSelected.connect(on_filter)
        dialog.fileSelected.connect(self._on_export_selected)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialog = dialog
        dialog.open()

    def _on_export_selected(self, path: str) -> None:
        self._remember(Path(path))
        self.export_to(Path(path))

    def export_to(self, target: Path) -> Path | None:
        """The selected program written to ``target``: a FIT workout for a ``.fit`` name, else
        the program file; the file, or None."""
        self._dialog = None
        program = self.selected_program()
        if program is None:
            return None
        try:
            if target.suffix.lower() == ".fit":
                # Loaded here, not with the page: Garmin's SDK takes ~0.2 s to import.
                from treadctl.program import export_fit_workout

                written = export_fit_workout(program, target)
            else:
                written = export_program(program, target)
        except OSError as error:
            self._say(f"Not exported: {target}: {error.strerror or error}")
            return None
        kind = "a FIT workout" if target.suffix.lower() == ".fit" else "a program file"
        self._say(f"Exported to {written} as {kind}")
        return written
