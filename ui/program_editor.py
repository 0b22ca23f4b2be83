"""The program editor: a table of steps, live preview, inline validation, saved as program TOML.

Shape::

    ProgramEditor(parent=None, *, limits=Limits())          a QWidget
     ├── name / description fields
     ├── Add segment · Add rest · Add block · Indent · Outdent · Move up · Move down · Delete
     ├── steps        QTreeView over a QStandardItemModel: one row per step; a block's steps
     │                are its child rows (nested blocks allowed)
     ├── message      the ProgramError, or "ready to save"; the faulty row and cell are red
     │                (only once something was typed or Save tried: a new program is not
     │                an error)
     ├── preview      ProfileChart + total time, backward minutes, longest bout, segments
     ├── notices      values beyond ``limits`` (shown clamped, like the program picker; they
     │                do not block saving: the governor clamps at run time anyway)
     └── Open… · Save as… · Save · Run now · Close

How it validates: every edit (every keystroke in a cell) writes the table back as program TOML
— the cells' own text, so ``"3 mph"`` and ``"13:20 /km"`` mean what they mean in a file — and
runs :func:`~treadctl.program.parse_program` on it. A speed typed as a bare number ("8") is
in the display unit's speed (``ui.format``: km/h, or mph for the imperial units) and goes into
the TOML with that unit: a file always names its unit, a person typing does not have to. The
one source of truth for what a valid
program is stays the engine (``treadctl.program``); the editor only maps the ``ProgramError``'s
step path and field back to a row and a column. Cells that are wrong on their own (a bad speed
in another row) are marked too, from ``parse_speed`` & co. Save writes ``dump_program`` of the
parsed program, so a saved file is exactly what ``load_program`` reads back.

Embedding (for the main window)::

    editor = ProgramEditor(main_window, limits=bridge.limits, library=folder.programs)
    editor.setWindowFlag(Qt.WindowType.Window)      # its own top-level window, see below
    editor.load(program_view.selected_program())    # or None: a new, empty program
    editor.saved.connect(lambda path: program_view.open_file(str(path)))
    editor.show()

* ``load(program | None)``, ``open_file(path) -> bool``, ``program() -> Program | None`` (the
  parsed program, ``None`` while invalid), ``error() -> ProgramError | None``,
  ``path() -> Path | None``, ``is_modified()``; ``save() -> bool``, ``save_to(path) -> bool``.
* Signals: ``saved(Path)`` after a file is written; ``changed()`` after every edit has been
  validated (and the preview redrawn); ``run_requested(Program)`` from Run now: the program
  as edited (saved first when it has a file of its own), for the program picker to select.
  Run now starts nothing: the belt starts from the picker's Start, with its count-down.
* ``library``: the person's programs folder; Save of a program without a file offers a new
  file there.
* Give it its own window, not a page of the main window: the main window's ``StopKeyFilter``
  takes Space from every widget of *that* window, and a cue or a label needs spaces. Closing
  the editor's window (or Close) with unsaved changes asks Save / Discard / Cancel
  (non-modal).
* A built-in program is never overwritten: Save on one asks for a new file name.

Keys: Alt+A/R/B add a segment/rest/block, Alt+I indent, Alt+U outdent, Alt+Up/Alt+Down move,
Delete (in the table) or Alt+D delete, Ctrl+O open, Ctrl+S save, Ctrl+Shift+S save as; Alt+N,
Alt+C and Alt+T jump to the name, the description and the table. In the table, typing or F2
edits a cell, Tab moves to the next cell, Enter commits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import (
    QAbstractItemModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QBrush,
    QCloseEvent,
    QColor,
    QFont,
    QKeySequence,
    QShortcut,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from treadctl.core import Direction, Limits
from treadctl.program import (
    BUILTIN_PROGRAMS_DIR,
    MAX_REPEAT,
    REST_LABEL,
    Block,
    ClampNotice,
    Program,
    ProgramError,
    ProgramLibrary,
    Segment,
    Step,
    clamp,
    default_label,
    dump_program,
    format_distance,
    format_duration,
    format_incline,
    format_speed,
    load_program,
    parse_distance,
    parse_duration,
    parse_incline,
    parse_program,
    parse_speed,
    program_figures,
    toml_string,
)
from ui import colors, format
from ui.profile_chart import ProfileChart
from ui.program_figures import FiguresLayout, ProgramFigures
from ui.styling import set_style_property

# Columns of the step table. A row is a segment, a rest or a block; cells that do not apply to
# its kind are read-only and blank (a rest's and a block's direction name the kind instead).
COL_LABEL, COL_DIRECTION, COL_SPEED, COL_INCLINE, COL_LENGTH, COL_REPEAT, COL_CUE = range(7)
_HEADERS = ("Step", "Direction", "Speed", "Incline", "Duration or distance", "Repeat", "Cue")
# The names tests and callers use for cells (``set_field``); "length" is duration or distance.
FIELDS = {
    "label": COL_LABEL,
    "direction": COL_DIRECTION,
    "speed": COL_SPEED,
    "incline": COL_INCLINE,
    "length": COL_LENGTH,
    "repeat": COL_REPEAT,
    "cue": COL_CUE,
}
# ProgramError.field (a TOML key) → column; None or an unknown key points at the label cell.
_ERROR_COLUMNS = {
    **FIELDS,
    "duration": COL_LENGTH,
    "distance": COL_LENGTH,
    "steps": COL_LABEL,
    "rest": COL_DIRECTION,
}

SEGMENT, REST, BLOCK = "segment", "rest", "block"
_EDITABLE = {
    SEGMENT: {COL_LABEL, COL_DIRECTION, COL_SPEED, COL_INCLINE, COL_LENGTH, COL_CUE},
    REST: {COL_LABEL, COL_LENGTH, COL_CUE},
    BLOCK: {COL_LABEL, COL_REPEAT},
}
_KIND_ROLE = Qt.ItemDataRole.UserRole + 1
_PLACEHOLDER_ROLE = Qt.ItemDataRole.UserRole + 2

_NEW_SEGMENT = {COL_DIRECTION: "forward", COL_SPEED: "4 km/h", COL_LENGTH: "1 min"}
# A new segment's speed in the imperial units: the same easy walk, in round mph.
_NEW_SPEED_MPH = "2.5 mph"
# A speed typed without a unit: a number and nothing else (the file format's own number shape).
_BARE_NUMBER = re.compile(r"\s*(?:\d+(?:\.\d*)?|\.\d+)\s*")
_NEW_REST_LENGTH = "5 min"
_NEW_REPEAT = "2"

# Classifies the one "Duration or distance" cell: "400 m", "0.5 km", "0.25 mi" are distances
# ("min" is never a distance: the file format's own rule); anything else is read as a duration,
# so a bad value gets the duration's error message, which explains both.
_LOOKS_LIKE_DISTANCE = re.compile(r"[^a-zA-Z]*(?:km|m|mi|miles?)\s*", re.IGNORECASE)
# A repeat count goes into the TOML as a number when it is one (TOML forbids leading zeros,
# hence int()), otherwise as a string, which the parser then refuses with its own message.
_INTEGER = re.compile(r"\s*[+-]?\d{1,9}\s*")

_ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
_ERROR_BG = "#6e1b20"  # the faulty cell: red enough to find, dark enough to read white on
_ERROR_ROW_BG = "#2a1215"  # the rest of its row

# The editor's own widgets (line edits, the table, its header) are not in resources/style.qss;
# same palette, same sizes. Applied to the editor only, on top of the application's sheet.
_STYLE = f"""
QLineEdit, QPlainTextEdit {{
    background-color: {colors.PANEL}; border: 1px solid #8b949e; border-radius: 4px;
    padding: 4px 8px; selection-background-color: #1f3a5f;
}}
QLineEdit:focus, QPlainTextEdit:focus {{ border-color: {colors.FORWARD}; }}
QLineEdit[invalid="true"], QPlainTextEdit[invalid="true"] {{ border: 2px solid {colors.ALARM}; }}
QTreeView#stepTable {{
    background-color: {colors.PANEL}; border: 1px solid {colors.BORDER}; border-radius: 6px;
    font-size: 18px; outline: none; selection-background-color: #1f3a5f;
}}
QTreeView#stepTable:focus {{ border-color: {colors.FORWARD}; }}
QTreeView#stepTable[invalid="true"] {{ border: 2px solid {colors.ALARM}; }}
QTreeView#stepTable::item {{ padding: 6px 4px; }}
QTreeView#stepTable::item:selected {{ background-color: #1f3a5f; color: #ffffff; }}
QTreeView#stepTable QLineEdit {{
    padding: 0 4px; border: 2px solid {colors.FORWARD}; border-radius: 0;
}}
QTreeView#stepTable QComboBox {{
    background-color: {colors.PANEL}; border: 2px solid {colors.FORWARD}; padding: 0 6px;
}}
QComboBox::drop-down {{ width: 24px; border: none; }}
QComboBox::down-arrow {{
    image: url({_ICONS.as_posix()}/arrow-down.svg); width: 12px; height: 8px;
}}
QComboBox QAbstractItemView {{
    background-color: {colors.PANEL}; selection-background-color: #1f3a5f;
}}
QHeaderView::section {{
    background-color: {colors.PANEL}; color: {colors.DIM}; font-size: 16px; font-weight: bold;
    border: none; border-bottom: 1px solid {colors.BORDER}; padding: 6px 6px;
}}
QPushButton#editorButton {{ font-size: 17px; padding: 8px 12px; }}
QLabel#editorMessage {{ font-size: 18px; color: {colors.OK}; }}
QLabel#editorMessage[invalid="true"] {{ color: {colors.ALARM}; font-weight: bold; }}
QLabel#fieldCaption {{ font-size: 16px; color: {colors.DIM}; font-weight: bold; }}
"""


def _default_label(kind: str, indices: tuple[int, ...]) -> str:
    """What the parser calls an unlabelled step (``"Step 2.1"``, ``"Rest"``), shown dimmed."""
    if kind == REST:
        return REST_LABEL
    if kind == BLOCK:
        return "Block"
    return default_label(indices)


def _typed_speed(text: str) -> str:
    """A speed cell as program text: a bare number gets the display unit's speed (km/h, or mph
    for the imperial units), so "8" is what the person sees everywhere else in the app."""
    if _BARE_NUMBER.fullmatch(text):
        return f"{text.strip()} {format.speed_unit().as_speed.value}"
    return text


def _new_segment() -> dict[int, str]:
    values = dict(_NEW_SEGMENT)
    if format.speed_unit().imperial:
        values[COL_SPEED] = _NEW_SPEED_MPH
    return values


def _length_key(text: str) -> str:
    return "distance" if _LOOKS_LIKE_DISTANCE.fullmatch(text) else "duration"


def _check(parse: Callable[[str], float], text: str) -> str | None:
    """A value parser's complaint ("expected …"), or None when ``text`` reads."""
    try:
        parse(text)
    except ValueError as exc:
        return str(exc)
    return None


def _cell_problem(kind: str, column: int, text: str) -> str | None:
    """What is wrong with one cell on its own (the program's structure is parse_program's)."""
    if column == COL_SPEED:
        if not text:
            return "expected a speed, found nothing"
        return _check(parse_speed, _typed_speed(text))
    if column == COL_INCLINE:
        return _check(parse_incline, text) if text else None
    if column == COL_LENGTH:
        if not text:
            return 'expected a duration ("5 min") or a distance ("400 m"), found nothing'
        if kind == REST:
            return _check(parse_duration, text)
        if _length_key(text) == "distance":
            return _check(parse_distance, text)
        return _check(parse_duration, text)
    if column == COL_REPEAT:
        if _INTEGER.fullmatch(text) and 1 <= int(text) <= MAX_REPEAT:
            return None
        return f"expected a whole number from 1 to {MAX_REPEAT}"
    return None


class _StepDelegate(QStyledItemDelegate):
    """Cell editors: a combo box for the direction, line edits that commit on every keystroke
    (so the preview and the validation follow the typing), and dimmed default texts."""

    def createEditor(
        self,
        parent: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> QWidget:
        if index.column() == COL_DIRECTION:
            combo = QComboBox(parent)
            combo.addItems([d.value for d in Direction])
            combo.currentIndexChanged.connect(lambda _i: self.commitData.emit(combo))
            return combo
        editor = super().createEditor(parent, option, index)
        if isinstance(editor, QLineEdit):
            editor.textEdited.connect(lambda _t: self.commitData.emit(editor))
            placeholder = index.data(_PLACEHOLDER_ROLE)
            if placeholder:
                editor.setPlaceholderText(str(placeholder))
        return editor

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        # The view calls this again whenever the cell's data changes — which the editor's own
        # per-keystroke commits and the validation marks do: leave the text (and the cursor)
        # alone when it already says the same thing.
        text = str(index.data(Qt.ItemDataRole.EditRole) or "")
        if isinstance(editor, QComboBox):
            if editor.currentText() != text:
                editor.setCurrentText(text)
            return
        if isinstance(editor, QLineEdit) and editor.text() == text:
            return
        super().setEditorData(editor, index)

    def setModelData(
        self,
        editor: QWidget,
        model: QAbstractItemModel,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        if isinstance(editor, QComboBox):
            if model.data(index, Qt.ItemDataRole.EditRole) != editor.currentText():
                model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)
            return
        if isinstance(editor, QLineEdit):
            if model.data(index, Qt.ItemDataRole.EditRole) != editor.text():
                model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)
            return
        super().setModelData(editor, model, index)

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        if not option.text:
            placeholder = index.data(_PLACEHOLDER_ROLE)
            if placeholder:
                option.text = str(placeholder)
                option.palette.setColor(
                    option.palette.ColorRole.Text,
                    QColor(colors.DIM),
                )
                font = QFont(option.font)
                font.setItalic(True)
                option.font = font


class ProgramEditor(QWidget):
    """Create or modify a program; see the module docstring for the API and embedding."""

    saved = Signal(Path)
    changed = Signal()
    run_requested = Signal(Program)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        limits: Limits | None = None,
        library: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("programEditor")
        self.setStyleSheet(_STYLE)
        self._limits = limits if limits is not None else Limits()
        self._path: Path | None = None
        self._builtin = False  # loaded from resources/programs: Save must not write there
        self._builtin_name = ""  # its file name, which messages name until it is saved
        self._modified = False
        # False until something is typed or Save is tried: an empty new program is not yet
        # wrong, only unfinished, and a red sentence before the first keystroke scolds.
        self._touched = False
        self._library = ProgramLibrary(library) if library is not None else None
        self._program: Program | None = None
        self._error: ProgramError | None = None
        self._paths: dict[str, QStandardItem] = {}
        self._quiet = 0  # > 0 while loading or marking cells: model changes are not edits
        self._dialog: QFileDialog | None = None
        self._confirm: QMessageBox | None = None

        # -- name and description (no page title: the window's title names the editor, and a
        # 1280x800 laptop needs the height for the table) --
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("programNameEdit")
        self.name_edit.setPlaceholderText("Shown in the program list")
        self.name_edit.textEdited.connect(self.on_text_edited)
        self.description_edit = QPlainTextEdit()
        self.description_edit.setObjectName("programDescriptionEdit")
        self.description_edit.setPlaceholderText("Optional: what the program is for")
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setFixedHeight(76)
        self.description_edit.textChanged.connect(self.on_text_edited)
        name_caption = QLabel("&Name")
        name_caption.setObjectName("fieldCaption")
        name_caption.setBuddy(self.name_edit)
        description_caption = QLabel("Des&cription")
        description_caption.setObjectName("fieldCaption")
        description_caption.setBuddy(self.description_edit)
        fields = QGridLayout()
        fields.setHorizontalSpacing(12)
        fields.addWidget(name_caption, 0, 0)
        fields.addWidget(self.name_edit, 0, 1)
        fields.addWidget(description_caption, 1, 0, Qt.AlignmentFlag.AlignTop)
        fields.addWidget(self.description_edit, 1, 1)

        # -- the step table --
        self.model = QStandardItemModel(0, len(_HEADERS), self)
        self.model.setHorizontalHeaderLabels(list(_HEADERS))
        self.model.itemChanged.connect(self.on_item_changed)
        self.view = QTreeView()
        self.view.setObjectName("stepTable")
        self.view.setModel(self.model)
        self.view.setItemDelegate(_StepDelegate(self.view))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.view.setAllColumnsShowFocus(True)
        self.view.setUniformRowHeights(True)
        self.view.setIndentation(22)
        header = self.view.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in (
            (COL_LABEL, 220),
            (COL_DIRECTION, 130),
            (COL_SPEED, 150),  # "Speed (km/h)": the unit a bare number is taken in
            (COL_INCLINE, 90),
            (COL_LENGTH, 200),
            (COL_REPEAT, 80),
        ):
            header.resizeSection(column, width)
        self.view.setMinimumHeight(180)
        selection = self.view.selectionModel()
        selection.currentChanged.connect(self.on_current_changed)
        steps_caption = QLabel("S&teps")
        steps_caption.setObjectName("fieldCaption")
        steps_caption.setBuddy(self.view)

        self.buttons: dict[str, QPushButton] = {}
        edit_row = QHBoxLayout()
        edit_row.setSpacing(8)
        edit_row.addWidget(steps_caption)
        edit_row.addSpacing(8)
        for key, text, tip, slot in (
            (
                "add_segment",
                "&Add segment",
                "A walk or run: direction, speed, incline (Alt+A)",
                self.add_segment,
            ),
            ("add_rest", "Add &rest", "The belt stops until Resume (Alt+R)", self.add_rest),
            ("add_block", "Add &block", "Steps repeated a number of times (Alt+B)", self.add_block),
            ("indent", "&Indent", "Into the block above, or into a new block (Alt+I)", self.indent),
            ("outdent", "O&utdent", "Out of its block (Alt+U)", self.outdent),
            ("move_up", "Move up", "Alt+Up", self.move_up),
            ("move_down", "Move down", "Alt+Down", self.move_down),
            (
                "delete",
                "&Delete",
                "Delete the step and what it holds (Delete, Alt+D)",
                self.delete_step,
            ),
        ):
            button = QPushButton(text)
            button.setObjectName("editorButton")
            button.setToolTip(tip)
            button.clicked.connect(slot)
            edit_row.addWidget(button)
            self.buttons[key] = button
        edit_row.addStretch(1)

        self.message = QLabel("")
        self.message.setObjectName("editorMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Room for a two-line error from the start, so the table does not jump while typing.
        self.message.setMinimumHeight(46)
        self.message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        # -- preview --
        self.chart = ProfileChart()
        # The table is what is edited: it gets the height, the preview a strip.
        self.chart.setFixedHeight(170)
        self.figures = ProgramFigures(FiguresLayout.LINES)
        self.preview_note = QLabel("")
        self.preview_note.setObjectName("dimNote")
        preview = QHBoxLayout()
        preview.setSpacing(24)
        preview.addWidget(self.chart, 3)
        preview.addWidget(self.figures, 1)
        self.notices = QLabel("")
        self.notices.setObjectName("clampNotices")
        self.notices.setWordWrap(True)
        self.notices.setVisible(False)

        # -- file --
        self.status = QLabel("")
        self.status.setObjectName("dimNote")
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.open_button = QPushButton("&Open…")
        self.open_button.setToolTip("Open a program file (Ctrl+O)")
        self.open_button.clicked.connect(self.on_open_clicked)
        self.save_button = QPushButton("&Save")
        self.save_button.setObjectName("primaryButton")
        self.save_button.setToolTip("Save (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        self.save_as_button = QPushButton("Save as…")
        self.save_as_button.setToolTip("Save to a new file (Ctrl+Shift+S)")
        self.save_as_button.clicked.connect(self.on_save_as_clicked)
        self.run_button = QPushButton("Run no&w")
        self.run_button.setToolTip(
            "Show it on the Programs page, ready to start with Start program (a program with "
            "a file of its own is saved first)"
        )
        self.run_button.clicked.connect(self.run_now)
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip("Close the editor (asks first about unsaved changes)")
        self.close_button.clicked.connect(self.close)
        file_row = QHBoxLayout()
        file_row.addWidget(self.status, 1)
        file_row.addWidget(self.open_button)
        file_row.addWidget(self.save_as_button)
        file_row.addWidget(self.save_button)
        file_row.addWidget(self.run_button)
        file_row.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(10)
        layout.addLayout(fields)
        layout.addLayout(edit_row)
        layout.addWidget(self.view, 1)
        message_row = QHBoxLayout()
        message_row.addWidget(self.message, 1)
        message_row.addWidget(self.preview_note, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(message_row)
        layout.addLayout(preview)
        layout.addWidget(self.notices)
        layout.addLayout(file_row)

        shortcuts: tuple[tuple[QKeySequence, Callable[[], object]], ...] = (
            (QKeySequence("Alt+Up"), self.move_up),
            (QKeySequence("Alt+Down"), self.move_down),
            (QKeySequence(QKeySequence.StandardKey.Open), self.on_open_clicked),
            (QKeySequence(QKeySequence.StandardKey.Save), self.save),
            (QKeySequence("Ctrl+Shift+S"), self.on_save_as_clicked),
        )
        for keys, action in shortcuts:
            shortcut = QShortcut(keys, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(action)
        # Delete only from the table itself: in a text field it deletes a character.
        delete = QShortcut(QKeySequence(Qt.Key.Key_Delete), self.view)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.delete_step)

        self.resize(1280, 900)
        self.load(None)

    # -- public API -------------------------------------------------------------------------------

    def load(self, program: Program | None) -> None:
        """Show ``program`` for editing (``None``: a new, empty one). Unsaved edits are dropped.

        Save writes back to ``program.source`` when that is a program file outside the built-in
        folder; otherwise Save asks for a file name.
        """
        self._quiet += 1
        try:
            self.model.removeRows(0, self.model.rowCount())
            self.name_edit.setText(program.name if program else "")
            self.description_edit.setPlainText(program.description if program else "")
            if program is not None:
                root = self.model.invisibleRootItem()
                for i, step in enumerate(program.steps):
                    root.appendRow(self._rows_for(step, (i,)))
        finally:
            self._quiet -= 1
        self._path = self._file_of(program)
        self.view.expandAll()
        if self.model.rowCount():
            self._select(self.model.item(0, 0))
        self._set_modified(False)
        self._touched = False
        self._revalidate()

    def open_file(self, path: str | Path) -> bool:
        """Load a program file; on a ProgramError the message says why and nothing changes."""
        try:
            program = load_program(path)
        except ProgramError as error:
            self._show_message(f"Cannot open: {error}", invalid=True)
            return False
        self.load(program)
        return True

    def program(self) -> Program | None:
        """The program as edited, parsed; ``None`` while something is invalid (see error())."""
        return self._program

    def error(self) -> ProgramError | None:
        return self._error

    def path(self) -> Path | None:
        """The file Save writes to, or None (Save then asks)."""
        return self._path

    def is_modified(self) -> bool:
        return self._modified

    def save(self) -> bool:
        """Write to the current file; without one, open the Save-as dialog (returns False)."""
        if self._program is None:
            self._tried()
            return False
        if self._path is None:
            self.on_save_as_clicked()
            return False
        return self.save_to(self._path)

    def save_to(self, path: str | Path) -> bool:
        """Write the program as TOML to ``path`` (``dump_program``); emits ``saved(path)``."""
        program = self._program
        if program is None:
            self._tried()
            return False
        target = Path(path)
        try:
            target.write_text(dump_program(program), encoding="utf-8")
        except OSError as exc:
            self._show_message(f"Cannot save to {target}: {exc.strerror or exc}", invalid=True)
            return False
        self._path = target
        self._set_modified(False)
        self._revalidate()  # the source name in messages and the status line
        self.saved.emit(target)
        return True

    def run_now(self) -> bool:
        """Hand the program as edited to the picker (``run_requested``); saved first when it has
        a file of its own. Starts nothing. False (and the error shown) while it is invalid."""
        if self._program is None:
            self._tried()
            return False
        if self._modified and self._path is not None and not self.save_to(self._path):
            return False
        program = self._program
        assert program is not None  # save_to re-validated the same text
        self.run_requested.emit(program)
        return True

    def _tried(self) -> None:
        """Save or Run was asked for: from now on the errors show."""
        if not self._touched:
            self._touched = True
            self._revalidate()

    # -- editing steps ----------------------------------------------------------------------------

    def add_segment(self) -> QStandardItem:
        """A new segment after the selected step; its direction, speed, incline and length are
        copied from the selected segment, if one is selected."""
        values = _new_segment()
        current = self.current_step()
        if current is not None and self._kind(current) == SEGMENT:
            for column in (COL_DIRECTION, COL_SPEED, COL_INCLINE, COL_LENGTH):
                values[column] = self._cell(current, column)
        return self._insert(self._new_row(SEGMENT, values))

    def add_rest(self) -> QStandardItem:
        return self._insert(self._new_row(REST, {COL_LENGTH: _NEW_REST_LENGTH}))

    def add_block(self) -> QStandardItem:
        """A new block (repeat 2) holding one new segment; add more steps inside it by
        selecting that segment, or indent steps into it."""
        block = self._new_row(BLOCK, {COL_REPEAT: _NEW_REPEAT})
        block[0].appendRow(self._new_row(SEGMENT, _new_segment()))
        return self._insert(block)

    def delete_step(self) -> None:
        item = self.current_step()
        if item is None:
            return
        parent = self._parent(item)
        row = item.row()
        parent.removeRow(row)
        if parent.rowCount():
            self._select(parent.child(min(row, parent.rowCount() - 1), 0))
        elif parent is not self.model.invisibleRootItem():
            self._select(parent)
        self._edited()

    def move_up(self) -> None:
        self._move(-1)

    def move_down(self) -> None:
        self._move(+1)

    def indent(self) -> None:
        """Into the block just above (as its last step), or else into a new block of its own."""
        item = self.current_step()
        if item is None:
            return
        parent = self._parent(item)
        row = item.row()
        above = parent.child(row - 1, 0) if row > 0 else None
        taken = parent.takeRow(row)
        if above is not None and self._kind(above) == BLOCK:
            above.appendRow(taken)
        else:
            block = self._new_row(BLOCK, {COL_REPEAT: _NEW_REPEAT})
            block[0].appendRow(taken)
            parent.insertRow(row, block)
        self._after_structure_change(taken[0])

    def outdent(self) -> None:
        """Out of its block, to just after it."""
        item = self.current_step()
        if item is None or item.parent() is None:
            return
        block = item.parent()
        outer = self._parent(block)
        taken = block.takeRow(item.row())
        outer.insertRow(block.row() + 1, taken)
        self._after_structure_change(taken[0])

    def current_step(self) -> QStandardItem | None:
        """The selected row's first cell (the item that holds a block's child rows)."""
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        return self.model.itemFromIndex(index.siblingAtColumn(COL_LABEL))

    def step_item(self, path: str) -> QStandardItem:
        """The row of a step path as the parser names it (``"steps[1].steps[0]"``)."""
        return self._paths[path]

    def select_step(self, path: str) -> None:
        self._select(self.step_item(path))

    def set_field(self, path: str, field: str, text: str) -> None:
        """Type ``text`` into a cell (``field`` is a key of FIELDS), as an edit would."""
        item = self.step_item(path)
        cell = self._sibling(item, FIELDS[field])
        if not cell.isEditable():
            raise ValueError(f"{path}: a {self._kind(item)} has no {field}")
        cell.setText(text)

    # -- slots ------------------------------------------------------------------------------------

    def on_text_edited(self, *_: object) -> None:
        if not self._quiet:
            self._edited()

    def on_item_changed(self, item: QStandardItem) -> None:
        if not self._quiet:
            self._edited()

    def on_current_changed(self, *_: object) -> None:
        self._update_buttons()

    def on_open_clicked(self) -> None:
        # Non-modal, like the program picker's: no nested event loop while a session may run.
        start = str(self._path.parent) if self._path else ""
        dialog = QFileDialog(self, "Open program", start, "Programs (*.toml)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.on_open_selected)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialog = dialog
        dialog.open()

    def on_open_selected(self, path: str) -> None:
        self._dialog = None
        self.open_file(path)

    def on_save_as_clicked(self) -> None:
        if self._program is None:
            self._tried()
            return
        if self._path is not None:
            start = str(self._path)
        elif self._library is not None:
            # A new program goes with the person's other programs, which the picker lists.
            try:
                self._library.make_folder()
            except OSError as exc:
                self._show_message(
                    f"Cannot make {self._library.folder}: {exc.strerror or exc}", invalid=True
                )
            start = str(self._library.path_for(self._program.name))
        else:
            slug = re.sub(r"[^a-z0-9]+", "-", self._program.name.lower()).strip("-")
            start = f"{slug or 'program'}.toml"
        dialog = QFileDialog(self, "Save program", start, "Programs (*.toml)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("toml")
        dialog.fileSelected.connect(self.on_save_selected)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialog = dialog
        dialog.open()

    def on_save_selected(self, path: str) -> None:
        self._dialog = None
        target = Path(path)
        if target.resolve().parent == BUILTIN_PROGRAMS_DIR:
            self._show_message(
                "The built-in programs are read-only: choose another folder.", invalid=True
            )
            return
        self.save_to(target)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._modified or not self.isWindow():
            event.accept()
            return
        event.ignore()
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved changes",
            f"Save the changes to “{self.name_edit.text() or 'the new program'}”?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.button(QMessageBox.StandardButton.Save).setEnabled(self._program is not None)
        box.finished.connect(self.on_close_answer)
        self._confirm = box
        box.open()

    def on_close_answer(self, answer: int) -> None:
        self._confirm = None
        if answer == QMessageBox.StandardButton.Discard.value:
            self._set_modified(False)
            self.close()
        elif answer == QMessageBox.StandardButton.Save.value and self.save():
            self.close()

    # -- rows -------------------------------------------------------------------------------------

    def _rows_for(self, step: Step, indices: tuple[int, ...]) -> list[QStandardItem]:
        if isinstance(step, Block):
            row = self._new_row(BLOCK, {COL_LABEL: step.label or "", COL_REPEAT: str(step.repeat)})
            for i, child in enumerate(step.steps):
                row[0].appendRow(self._rows_for(child, (*indices, i)))
            return row
        return self._new_row(REST if step.rest else SEGMENT, self._cells_of(step, indices))

    @staticmethod
    def _cells_of(seg: Segment, indices: tuple[int, ...]) -> dict[int, str]:
        kind = REST if seg.rest else SEGMENT
        # A label the parser would give anyway stays blank, so it follows the step around.
        label = "" if seg.label == _default_label(kind, indices) else seg.label
        cells = {COL_LABEL: label, COL_CUE: seg.cue or ""}
        if seg.duration_s is not None:
            cells[COL_LENGTH] = format_duration(seg.duration_s)
        elif seg.distance_m is not None:
            cells[COL_LENGTH] = format_distance(seg.distance_m)
        if not seg.rest:
            cells[COL_DIRECTION] = seg.direction.value
            cells[COL_SPEED] = format_speed(seg.speed_kmh)
            cells[COL_INCLINE] = format_incline(seg.incline_pct) if seg.incline_pct else ""
        return cells

    @staticmethod
    def _new_row(kind: str, values: dict[int, str]) -> list[QStandardItem]:
        row = []
        for column in range(len(_HEADERS)):
            item = QStandardItem(values.get(column, ""))
            editable = column in _EDITABLE[kind]
            item.setEditable(editable)
            if not editable and column == COL_DIRECTION:
                item.setText(kind)  # names the kind where a segment has its direction
                item.setForeground(QBrush(QColor(colors.DIM)))
            row.append(item)
        row[0].setData(kind, _KIND_ROLE)
        return row

    def _insert(self, row: list[QStandardItem]) -> QStandardItem:
        current = self.current_step()
        root = self.model.invisibleRootItem()
        if current is None:
            root.appendRow(row)
        elif self._kind(current) == BLOCK and current.rowCount() == 0:
            current.appendRow(row)  # an emptied block: the only way back into it
        else:
            self._parent(current).insertRow(current.row() + 1, row)
        self._after_structure_change(row[0])
        return row[0]

    def _move(self, delta: int) -> None:
        item = self.current_step()
        if item is None:
            return
        parent = self._parent(item)
        row = item.row()
        if not 0 <= row + delta < parent.rowCount():
            return
        taken = parent.takeRow(row)
        parent.insertRow(row + delta, taken)
        self._after_structure_change(taken[0])

    def _after_structure_change(self, item: QStandardItem) -> None:
        self.view.expandAll()
        self._select(item)
        self._edited()

    def _select(self, item: QStandardItem) -> None:
        index = item.index().siblingAtColumn(COL_LABEL)
        self.view.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.view.scrollTo(index)

    def _parent(self, item: QStandardItem) -> QStandardItem:
        return item.parent() or self.model.invisibleRootItem()

    def _sibling(self, item: QStandardItem, column: int) -> QStandardItem:
        cell = self._parent(item).child(item.row(), column)
        assert cell is not None  # every row is created with all its columns
        return cell

    def _cell(self, item: QStandardItem, column: int) -> str:
        return self._sibling(item, column).text()

    @staticmethod
    def _kind(item: QStandardItem) -> str:
        return str(item.data(_KIND_ROLE))

    def _walk(
        self, parent: QStandardItem | None = None, indices: tuple[int, ...] = ()
    ) -> Iterator[tuple[QStandardItem, tuple[int, ...]]]:
        parent = parent or self.model.invisibleRootItem()
        for row in range(parent.rowCount()):
            item = parent.child(row, 0)
            here = (*indices, row)
            yield item, here
            yield from self._walk(item, here)

    # -- validation -------------------------------------------------------------------------------

    def _draft(self) -> str:
        """The table as program TOML, cell texts as typed; fills ``self._paths``."""
        self._paths = {}
        lines = []
        if self.name_edit.text():
            lines.append(f"name = {toml_string(self.name_edit.text())}")
        if self.description_edit.toPlainText():
            lines.append(f"description = {toml_string(self.description_edit.toPlainText())}")
        self._draft_steps(self.model.invisibleRootItem(), None, 1, lines)
        return "\n".join(lines) + "\n"

    def _draft_steps(
        self, parent: QStandardItem, parent_path: str | None, depth: int, lines: list[str]
    ) -> None:
        header = "[[" + ".".join(["steps"] * depth) + "]]"
        for row in range(parent.rowCount()):
            item = parent.child(row, 0)
            path = f"steps[{row}]" if parent_path is None else f"{parent_path}.steps[{row}]"
            self._paths[path] = item
            kind = self._kind(item)
            text = {column: self._cell(item, column) for column in range(len(_HEADERS))}
            pairs: list[tuple[str, str]] = []
            if text[COL_LABEL]:
                pairs.append(("label", toml_string(text[COL_LABEL])))
            if kind == BLOCK:
                count = text[COL_REPEAT]
                value = str(int(count)) if _INTEGER.fullmatch(count) else toml_string(count)
                pairs.append(("repeat", value))
            else:
                if kind == REST:
                    pairs.append(("rest", "true"))
                else:
                    pairs.append(("direction", toml_string(text[COL_DIRECTION])))
                    if text[COL_SPEED]:
                        pairs.append(("speed", toml_string(_typed_speed(text[COL_SPEED]))))
                    if text[COL_INCLINE]:
                        pairs.append(("incline", toml_string(text[COL_INCLINE])))
                if text[COL_LENGTH]:
                    pairs.append((_length_key(text[COL_LENGTH]), toml_string(text[COL_LENGTH])))
                if text[COL_CUE]:
                    pairs.append(("cue", toml_string(text[COL_CUE])))
            lines.append("")
            lines.append(header)
            lines.extend(f"{key} = {value}" for key, value in pairs)
            if kind == BLOCK:
                self._draft_steps(item, path, depth + 1, lines)

    def _source(self) -> str:
        return str(self._path) if self._path else "new program"

    def _display_name(self) -> str:
        if self._path is not None:
            return self._path.name
        return self._builtin_name or "new program"

    def _edited(self) -> None:
        self._set_modified(True)
        self._touched = True
        self._revalidate()

    def _revalidate(self) -> None:
        # The header names the unit a bare number is taken in (the display unit may change).
        speed_header = f"Speed ({format.speed_unit().as_speed.value})"
        if self.model.headerData(COL_SPEED, Qt.Orientation.Horizontal) != speed_header:
            self.model.setHeaderData(COL_SPEED, Qt.Orientation.Horizontal, speed_header)
        text = self._draft()
        try:
            program: Program | None = parse_program(text, source=self._source())
            error = None
        except ProgramError as exc:
            program, error = None, exc
        self._program, self._error = program, error
        fitted, notices = clamp(program, self._limits) if program else (None, [])
        shown_error = error if self._touched else None
        self._mark(shown_error, notices)
        self._update_preview(fitted)
        if error is not None and not self._touched:
            self._show_message(
                "Give it a name and add steps; Save is possible once it is complete.",
                invalid=False,
            )
        elif error is not None:
            # The file's short name: the full path is in the status line below.
            shown = ProgramError(
                self._display_name(),
                error.step,
                error.field,
                error.expected,
                error.found,
                line=error.line,
                column=error.column,
            )
            self._show_message(f"Cannot save: {shown}", invalid=True)
        else:
            self._show_message("Valid: ready to save.", invalid=False)
        budget = self._limits.backward_minutes_per_session
        lines = [str(n) for n in notices]
        if fitted is not None and fitted.backward_minutes() > budget + 1e-9:
            lines.append(
                f"{format.minutes(fitted.backward_minutes())} backward asked for, "
                f"{format.minutes(budget)} allowed per session: backward steps after that "
                "are walked forward"
            )
        self.notices.setText(
            "Beyond the limits (shown as they will run; saving is not blocked):\n"
            + "\n".join(lines)
            if lines
            else ""
        )
        self.notices.setVisible(bool(lines))
        self._update_buttons()
        self._update_status()
        self.changed.emit()

    def _mark(self, error: ProgramError | None, notices: list[ClampNotice]) -> None:
        """Red cells for what is wrong, amber for what will be clamped, dim default texts."""
        self._quiet += 1
        try:
            clamped: dict[tuple[str, int], str] = {}
            for notice in notices:
                column = COL_SPEED if notice.field == "speed" else COL_INCLINE
                clamped[notice.path, column] = str(notice)
            error_item = self._paths.get(error.step) if error and error.step else None
            error_column = _ERROR_COLUMNS.get(error.field or "", COL_LABEL) if error else COL_LABEL
            by_item = {id(item): path for path, item in self._paths.items()}
            for item, indices in self._walk():
                kind = self._kind(item)
                path = by_item.get(id(item), "")
                in_error_row = item is error_item
                for column in range(len(_HEADERS)):
                    cell = self._sibling(item, column)
                    problem = (
                        _cell_problem(kind, column, cell.text())
                        if column in _EDITABLE[kind] and self._touched
                        else None
                    )
                    if in_error_row and column == error_column and error is not None:
                        problem = str(error)
                    clamp_note = clamped.get((path, column))
                    tip = problem or clamp_note
                    if tip is None and column in (COL_LABEL, COL_CUE) and cell.text():
                        tip = cell.text()  # a long cue is elided in its cell
                    if problem:
                        background: QBrush | None = QBrush(QColor(_ERROR_BG))
                    elif in_error_row:
                        background = QBrush(QColor(_ERROR_ROW_BG))
                    else:
                        background = None
                    cell.setData(background, Qt.ItemDataRole.BackgroundRole)
                    cell.setData(tip, Qt.ItemDataRole.ToolTipRole)
                    cell.setData(
                        self._ink(kind, column, cell.text(), problem, clamp_note),
                        Qt.ItemDataRole.ForegroundRole,
                    )
                    cell.setData(self._placeholder(kind, column, indices), _PLACEHOLDER_ROLE)
        finally:
            self._quiet -= 1
        top = error is not None and error.step is None
        self._set_invalid(self.name_edit, top and error is not None and error.field == "name")
        self._set_invalid(
            self.description_edit, top and error is not None and error.field == "description"
        )
        self._set_invalid(self.view, top and error is not None and error.field == "steps")

    @staticmethod
    def _ink(
        kind: str, column: int, text: str, problem: str | None, clamp_note: str | None
    ) -> QBrush | None:
        if problem:
            return QBrush(QColor("#ffffff"))
        if clamp_note:
            return QBrush(QColor(colors.BACKWARD))
        if column == COL_DIRECTION:
            if kind != SEGMENT:
                return QBrush(QColor(colors.DIM))
            backward = text.strip().lower() == Direction.BACKWARD.value
            return QBrush(QColor(colors.BACKWARD if backward else colors.FORWARD))
        return None

    @staticmethod
    def _placeholder(kind: str, column: int, indices: tuple[int, ...]) -> str | None:
        if column == COL_LABEL:
            return _default_label(kind, indices)
        if column == COL_INCLINE and kind == SEGMENT:
            return "0 %"
        if column == COL_SPEED and kind == SEGMENT:
            return f"{format.speed_unit().as_speed.value}: 4.5 · or 3 mph, 13:20 /km"
        if column == COL_LENGTH and kind != BLOCK:
            return "5 min, 90 s" if kind == REST else "5 min, 400 m"
        return None

    @staticmethod
    def _set_invalid(widget: QWidget, invalid: bool) -> None:
        set_style_property(widget, "invalid", invalid)

    def _show_message(self, text: str, *, invalid: bool) -> None:
        self.message.setText(text)
        self._set_invalid(self.message, invalid)

    def _update_preview(self, fitted: Program | None) -> None:
        if fitted is None:
            # Keep the last valid preview while the user is mid-edit: a chart that blanks on
            # every half-typed value would flicker.
            has_preview = self.chart.total_s > 0
            self.preview_note.setText("Preview: the last valid version" if has_preview else "")
            return
        self.preview_note.setText("")
        self.chart.set_profile(fitted.profile())
        # No limits: the figure is the backward minutes asked for; what the budget leaves of
        # them is the notice below the preview.
        self.figures.show_figures(program_figures(fitted))

    def _update_buttons(self) -> None:
        item = self.current_step()
        has = item is not None
        parent = self._parent(item) if item is not None else None
        row = item.row() if item is not None else 0
        self.buttons["delete"].setEnabled(has)
        self.buttons["indent"].setEnabled(has)
        self.buttons["outdent"].setEnabled(item is not None and item.parent() is not None)
        self.buttons["move_up"].setEnabled(has and row > 0)
        self.buttons["move_down"].setEnabled(parent is not None and row < parent.rowCount() - 1)
        valid = self._program is not None
        # Save stays pressable on an untouched new program: pressing it shows what is missing.
        self.save_button.setEnabled(valid or not self._touched)
        self.save_as_button.setEnabled(valid)
        self.run_button.setEnabled(valid)

    def _update_status(self) -> None:
        if self._path is not None:
            where = str(self._path)
        elif self._builtin:
            where = "A built-in program: Save writes a copy under a new name"
        else:
            where = "Not saved yet"
        self.status.setText(where + ("  ·  unsaved changes" if self._modified else ""))
        name = self.name_edit.text() or "new program"
        self.setWindowTitle(f"Program editor: {name}[*]")

    def _set_modified(self, modified: bool) -> None:
        self._modified = modified
        self.setWindowModified(modified)

    def _file_of(self, program: Program | None) -> Path | None:
        """Where Save may write: the program's own file, unless it is a built-in."""
        self._builtin, self._builtin_name = False, ""
        if program is None or not program.source:
            return None
        path = Path(program.source)
        if not path.is_file():
            return None
        if path.resolve().parent == BUILTIN_PROGRAMS_DIR:
            self._builtin, self._builtin_name = True, path.name
            return None
        return path
