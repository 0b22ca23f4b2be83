"""The import preview: a Zwift run workout or a FIT workout, step by step, before it is saved.

Shape::

    survey_workout(data, source) -> Survey   what the file needs asked (the paces it uses, open
                                             steps); ProgramError for a file that cannot be
                                             imported at all. The page runs it before opening:
    ImportPreview(parent, source=path, data=bytes, survey=Survey, library=, bridge=)
     ├── name_edit              the program's name (the workout's own, editable)
     ├── choices                what the file leaves to the person, shown only when it does:
     │    ├── pace_fields       {PaceZone: QLineEdit} for every race pace the file uses, in
     │    │                     min/km or min/mi (the display unit's system); the profile's
     │    │                     stored paces filled in
     │    ├── save_paces        "Save these paces to Anna's profile" (ticked for a person;
     │    │                     off and greyed for Guest or nobody: Guest keeps no paces)
     │    ├── speed_field       the speed of steps with no target (km/h or mph)
     │    └── duration_field    the length of FIT steps that end at the lap key (minutes)
     ├── table                  one row per step of the file (a step that became several
     │                          segments: a row for each under it): the step, its value as the
     │                          file says it, speed in the display unit, incline, length,
     │                          direction, and its status: OK / changed by your limits (to
     │                          what) / refused (why, red)
     ├── notes, message         the importer's notes; what is missing, or "ready"
     └── Import · Cancel        Import only when nothing is refused
    imported(Path, str)         the library file written, and a sentence for the page
    converted() / idle          the table shows what the fields hold (for tests)
    in_worker(function, …)      a conversion off the Qt thread (see there: the collector)

Every edit converts the file again (``read_workout`` on the bytes read when the preview was
opened: the preview stays what was chosen even if the file changes on disk), in a worker
thread: a file of thousands of steps takes a second or more to convert and check, and the stop
keys are handled on the Qt thread. The newest edit's conversion is the one shown; Import waits
for it, so what it saves is what the table shows. The engine converts and refuses; this
window only asks for what is missing and shows the answer. The limits are the chosen person's
(the bridge's), applied with ``clamp`` for the status column as the program page does (the
governor clamps at run time anyway); they follow a change of person while the window is open.
Past ``MAX_ROWS`` table rows the rest of the steps is one row: how many, how many refused.

Import saves with ``ProgramLibrary.save``; a program of that file name already there is
replaced only when the person says so (a non-modal question, as the page's own Import…). The
paces typed are saved to the profile at the same moment, when the box is ticked.

A window of its own, non-modal (no nested event loop: the belt's stop runs on this loop); the
app's stop keys reach it like every window (``ui.stop_keys``). Sized for 1280x720: the table
takes what room is left and scrolls.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QCloseEvent, QColor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from treadctl.limits import Direction
from treadctl.profiles import Profile, ProfileError
from treadctl.program import (
    MAX_TEXT_CHARS,
    ClampNotice,
    ImportedStep,
    ImportResult,
    OpenStepChoices,
    PaceZone,
    Program,
    ProgramExistsError,
    ProgramLibrary,
    Refusal,
    RunPaces,
    Segment,
    clamp,
    display_speed,
    format_duration,
    format_pace,
    parse_duration,
    parse_speed,
    read_workout,
)
from treadctl.store import StoreError
from ui import colors, format
from ui.bridge import Bridge
from ui.format import SpeedUnit
from ui.profiles.paces_panel import PaceField, per_unit
from ui.styling import set_style_property

__all__ = [
    "COLUMNS",
    "MAX_ROWS",
    "ImportPreview",
    "Survey",
    "in_worker",
    "paces_in_text",
    "survey_workout",
]

logger = logging.getLogger(__name__)

COLUMNS = ("Step", "In the file", "Speed", "Incline", "Length", "Direction", "Status")
_STEP, _SOURCE, _SPEED, _INCLINE, _LENGTH, _DIRECTION, _STATUS = range(len(COLUMNS))

# A placeholder for the probe that finds which fields to show (never used for a program).
_PROBE_DURATION_S = 60.0
#: Table rows shown at most: a real workout has tens of steps; a file of thousands is
#: summed up past this (every step still converts, and Import saves them all).
MAX_ROWS = 300


async def in_worker[T](function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)`` in a worker thread. A conversion of thousands of steps
    allocates enough to set off the cyclic garbage collector, which must never run there: the
    app collects on the Qt thread only (``ui.collector``)."""
    # Shielded: a cancelled caller lets the result go; the thread cannot be stopped.
    return await asyncio.shield(asyncio.to_thread(function, *args, **kwargs))


@dataclass(frozen=True)
class Survey:
    """What a workout file leaves to the person, found before the preview opens: the race
    paces its steps use, whether some have no speed or no end; ``first``: converted with
    nothing given."""

    first: ImportResult
    zones: tuple[PaceZone, ...]
    needs_speed: bool
    needs_duration: bool


def survey_workout(data: bytes, source: str) -> Survey:
    """Convert ``data`` with nothing given, to find what to ask for (for a worker thread).

    Raises ``ProgramError`` for a file that cannot be imported at all (not a workout, a bike
    workout, a damaged FIT file). A FIT step that ends at the lap key is refused for that
    before its target is read, so when one does, the file is converted once more with a
    placeholder length: a missing speed behind it shows too.
    """
    first = read_workout(data, source)
    found = [first]
    if first.needs_duration:
        found.append(
            read_workout(data, source, choices=OpenStepChoices(duration_s=_PROBE_DURATION_S))
        )
    zones = sorted({z for r in found for z in r.needed_zones}, key=lambda z: z.zwo_index)
    return Survey(
        first=first,
        zones=tuple(zones),
        needs_speed=any(r.needs_speed for r in found),
        needs_duration=first.needs_duration,
    )


def paces_in_text(text: str, unit: SpeedUnit) -> str:
    """The engine's "(4:30 /km)" paces in ``unit``'s system: "(7:15 /mi)" for the imperial
    units, unchanged otherwise. The file's own values (m/s, % of a pace) stay as they are."""
    if not unit.imperial:
        return text

    def convert(match: re.Match[str]) -> str:
        seconds = int(match[1]) * 60 + int(match[2])
        return format_pace(seconds, "mi")

    return re.sub(r"(\d{1,3}):([0-5]\d) /km", convert, text)


def _speed(kmh: float, unit: SpeedUnit) -> str:
    """A converted speed: to 0.01 (what a treadmill is told: the preview hides no rounding)
    in km/h or mph; a pace unit's pace as every readout shows it."""
    if unit.pace:
        return format.speed_with_unit(kmh, unit)
    return display_speed(kmh, unit.value)


def _length(segment: Segment, unit: SpeedUnit) -> str:
    if segment.distance_m is not None:
        return format.distance(segment.distance_m, unit)
    assert segment.duration_s is not None  # a segment has one or the other (model.py)
    return format_duration(segment.duration_s)


def _refusal_words(refusal: Refusal) -> str:
    if refusal.zone is not None:
        return f"Refused: needs your {refusal.zone.describe} (type it above)"
    if refusal.needs_speed:
        return "Refused: needs a speed for steps with no target (above)"
    if refusal.needs_duration:
        return "Refused: needs a length for steps that end at the lap key (above)"
    error = refusal.error
    return f"Refused: expected {error.expected}, found {error.found}"


def _notice_words(notice: ClampNotice, unit: SpeedUnit) -> str:
    """A clamp notice as the status column says it, speeds in ``unit``'s speed."""
    way = notice.reason.split(" max")[0]
    if notice.field == "speed":
        # As the speed column writes them (to 0.01), in km/h or mph: a pace would read
        # backwards in a sentence about a maximum.
        requested = display_speed(notice.requested, unit.as_speed.value).split()[0]
        change = f"{requested} → {display_speed(notice.allowed, unit.as_speed.value)}"
    else:
        change = f"incline {format.incline(notice.requested)} → {format.incline(notice.allowed)}"
    return f"Changed by your limits: {change} ({way} maximum)"


class ImportPreview(QWidget):
    """See the module docstring."""

    imported = Signal(object, str)  # Path written into the library, what to say on the page
    converted = Signal()  # the table shows the latest edit's conversion (``idle``)

    def __init__(
        self,
        parent: QWidget | None,
        *,
        source: Path,
        data: bytes,
        survey: Survey,
        library: ProgramLibrary,
        bridge: Bridge,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("importPreview")
        self.setWindowFlag(Qt.WindowType.Window)
        self.setWindowTitle(f"Import {source.name} — treadctl")
        self.source = source
        self._data = data
        self._library = library
        self._bridge = bridge
        self._unit = format.speed_unit()
        self._confirm: QMessageBox | None = None
        self._problems: list[str] = []
        self._profile = self._read_profile()
        self._zones = survey.zones
        self._needs_speed = survey.needs_speed
        self._needs_duration = survey.needs_duration
        self.result: ImportResult = survey.first
        # Conversions run in a worker thread; the newest edit's result is the one shown.
        self._asked = 0  # edits converted so far (the newest's number)
        self._shown = 0  # the number of the conversion on screen
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self._build()
        self._fill_paces()
        self._show()
        self.recompute()
        self._fit_to_screen()
        bridge.profile_changed.connect(self.on_profile_changed)

    # -- building ------------------------------------------------------------------------------

    def _build(self) -> None:
        title = QLabel("Import a workout")
        title.setObjectName("panelTitle")
        kind = "FIT workout" if self._data[8:12] == b".FIT" else "Zwift run workout"
        self.file_line = QLabel(f"{self.source.name} · {kind}")
        self.file_line.setObjectName("dimNote")
        self.file_line.setToolTip(str(self.source))
        heading = QHBoxLayout()
        heading.addWidget(title)
        heading.addWidget(self.file_line, 1)
        self.limits_line = QLabel("")
        self.limits_line.setObjectName("dimNote")
        heading.addWidget(self.limits_line)

        self.name_edit = QLineEdit(self.result.name)
        self.name_edit.setAccessibleName("program name")
        self.name_edit.setMaxLength(MAX_TEXT_CHARS["name"])
        self.name_edit.textChanged.connect(self.on_name_edited)
        name_caption = QLabel("&Name")
        name_caption.setObjectName("fieldCaption")
        name_caption.setBuddy(self.name_edit)
        name_row = QHBoxLayout()
        name_row.addWidget(name_caption)
        name_row.addWidget(self.name_edit, 1)

        self.choices = QFrame()
        self.choices.setObjectName("importChoices")
        grid = QGridLayout(self.choices)
        grid.setContentsMargins(10, 6, 10, 6)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        self.pace_fields: dict[PaceZone, PaceField] = {}
        self.pace_units: dict[PaceZone, QLabel] = {}
        # Three paces to a row: five in one would not fit 1280 px at the app's font sizes.
        for i, zone in enumerate(self._zones):
            row, column = divmod(i, 3)
            caption = QLabel(zone.describe.capitalize())
            field = PaceField(zone.describe)
            field.setMaximumWidth(90)
            field.textChanged.connect(self.on_edited)
            caption.setBuddy(field)
            unit = QLabel("")
            unit.setObjectName("dimNote")
            grid.addWidget(caption, row, column * 3)
            grid.addWidget(field, row, column * 3 + 1)
            grid.addWidget(unit, row, column * 3 + 2)
            self.pace_fields[zone] = field
            self.pace_units[zone] = unit
        next_row = (len(self._zones) + 2) // 3
        self.save_paces = QCheckBox("")
        self.save_paces.setVisible(bool(self._zones))
        grid.addWidget(self.save_paces, next_row, 0, 1, 9)
        next_row += 1
        self.speed_field = QLineEdit()
        self.speed_field.setObjectName("paceField")
        self.speed_field.setAccessibleName("speed of steps with no target")
        self.speed_field.setMaximumWidth(90)
        self.speed_field.textChanged.connect(self.on_edited)
        self.speed_caption = QLabel("Speed of steps with no target")
        self.speed_caption.setBuddy(self.speed_field)
        self.speed_unit_label = QLabel("")
        self.speed_unit_label.setObjectName("dimNote")
        self.duration_field = QLineEdit()
        self.duration_field.setObjectName("paceField")
        self.duration_field.setAccessibleName("length of steps that end at the lap key")
        self.duration_field.setPlaceholderText("min")
        self.duration_field.setMaximumWidth(90)
        self.duration_field.textChanged.connect(self.on_edited)
        self.duration_caption = QLabel("Length of steps ended by the lap key")
        self.duration_caption.setBuddy(self.duration_field)
        duration_unit = QLabel("min")
        duration_unit.setObjectName("dimNote")
        open_row = QHBoxLayout()
        open_row.setSpacing(8)
        for widget, shown in (
            (self.speed_caption, self._needs_speed),
            (self.speed_field, self._needs_speed),
            (self.speed_unit_label, self._needs_speed),
            (self.duration_caption, self._needs_duration),
            (self.duration_field, self._needs_duration),
            (duration_unit, self._needs_duration),
        ):
            widget.setVisible(shown)
            open_row.addWidget(widget)
        open_row.addStretch(1)
        grid.addLayout(open_row, next_row, 0, 1, 9)
        grid.setColumnStretch(8, 1)
        self.choices.setVisible(bool(self._zones) or self._needs_speed or self._needs_duration)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("importTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        # The two texts take what is left, wrapped: the file's words and the status.
        header.setSectionResizeMode(_SOURCE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(_STATUS, QHeaderView.ResizeMode.Stretch)
        # Wrapped rows are as tall as their text at the columns' width, known only once the
        # window is laid out: measured again whenever a column's width changes.
        header.sectionResized.connect(self.on_column_resized)

        self.notes = QLabel("")
        self.notes.setObjectName("dimNote")
        self.notes.setWordWrap(True)
        self.message = QLabel("")
        self.message.setObjectName("refusal")
        self.message.setWordWrap(True)
        self.import_button = QPushButton("&Import")
        self.import_button.setObjectName("primaryButton")
        self.import_button.setToolTip("Save the program among your programs")
        self.import_button.clicked.connect(self.on_import_clicked)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 10)
        layout.setSpacing(6)
        layout.addLayout(heading)
        layout.addLayout(name_row)
        layout.addWidget(self.choices)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.notes)
        layout.addLayout(buttons)

    def _fit_to_screen(self) -> None:
        # As big as the screen allows, room left for a title bar and a task bar (1240x660 on
        # a 1280x720 laptop); a bigger screen shows more of the table, up to a readable size.
        screen = self.screen() or QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else None
        width = min(1320, room.width() - 40) if room is not None else 1240
        height = min(900, room.height() - 60) if room is not None else 660
        self.resize(width, height)

    # -- the person ----------------------------------------------------------------------------

    def _read_profile(self) -> Profile | None:
        """The chosen person, read again (their paces may have been saved since)."""
        people = self._bridge.core.people
        current = people.current
        if current is None or not people.available:
            return None
        try:
            return people.profiles.find(current.name) or current
        except (ProfileError, StoreError) as error:
            logger.warning("profile not read again: %s", error)
            return current

    def _fill_paces(self) -> None:
        """The fields' units, the stored paces where a field is empty, the save box."""
        stored = self._profile.paces if self._profile is not None else RunPaces()
        per = per_unit(self._unit)
        for zone, field in self.pace_fields.items():
            self.pace_units[zone].setText(f"min/{per}")
            value = stored.get(zone)
            if not field.text().strip() and value is not None:
                field.set_pace(value, per)
        person = self._profile is not None and not self._profile.builtin
        if person:
            assert self._profile is not None
            self.save_paces.setText(f"Save these paces to {self._profile.name}'s profile")
            self.save_paces.setChecked(True)
            self.save_paces.setEnabled(True)
        else:
            self.save_paces.setText(
                "Used for this import only (Guest keeps no paces)"
                if self._profile is not None
                else "Used for this import only (choose your profile to keep them)"
            )
            self.save_paces.setChecked(False)
            self.save_paces.setEnabled(False)
        self.speed_unit_label.setText(self._unit.as_speed.value)
        who = self._profile.name if self._profile is not None else None
        self.limits_line.setText(f"limits: {who}'s" if who else "limits: the defaults")

    def on_column_resized(self, column: int, *_: object) -> None:
        if column in (_SOURCE, _STATUS):
            self.table.resizeRowsToContents()

    def on_profile_changed(self, *_: object) -> None:
        """Another person chosen (or their limits saved): their limits, their save box."""
        self._profile = self._read_profile()
        self._fill_paces()
        self.recompute()

    def set_speed_unit(self, unit: SpeedUnit) -> None:
        """The display unit changed: paces typed are rewritten in the new system."""
        for field in self.pace_fields.values():
            try:
                value = field.pace(per_unit(self._unit))
            except ValueError:
                continue  # left as typed: it says what is wrong either way
            if value is not None:
                field.set_pace(value, per_unit(unit))
        try:
            speed = self._speed_kmh(self.speed_field.text())
        except ValueError:
            speed = None  # left as typed
        self._unit = unit
        if speed is not None:
            self.speed_field.setText(format.speed(speed, unit.as_speed))
        self._fill_paces()
        self.recompute()

    # -- reading the fields --------------------------------------------------------------------

    def _speed_kmh(self, text: str) -> float | None:
        stripped = text.strip()
        if not stripped:
            return None
        try:
            float(stripped)
        except ValueError:
            return parse_speed(stripped)  # with its own unit: "8 km/h", "7:30 /km"
        return parse_speed(f"{stripped} {self._unit.as_speed.value}")

    @staticmethod
    def _duration_s(text: str) -> float | None:
        stripped = text.strip()
        if not stripped:
            return None
        try:
            float(stripped)
        except ValueError:
            return parse_duration(stripped)  # "90 s", "1 min 30 s"
        return parse_duration(f"{stripped} min")

    def _field(self, field: QLineEdit, what: str, read: Callable[[], float | None]) -> float | None:
        """``read()`` of the field; a text it refuses marks the field and is named below."""
        try:
            value = read()
        except ValueError as error:
            expected = getattr(error, "expected", str(error))
            self._problems.append(f"{what}: expected {expected}")
            set_style_property(field, "invalid", True)
            return None
        set_style_property(field, "invalid", False)
        return value

    def typed_paces(self) -> RunPaces:
        """The paces in the fields (the empty and the unreadable ones not given)."""
        per = per_unit(self._unit)
        paces = RunPaces()
        for zone, field in self.pace_fields.items():
            value = self._field(field, zone.describe, functools.partial(field.pace, per))
            if value is not None:
                paces = paces.with_pace(zone, value)
        return paces

    def _choices(self) -> OpenStepChoices:
        speed = duration = None
        if self._needs_speed:
            speed = self._field(
                self.speed_field, "speed", lambda: self._speed_kmh(self.speed_field.text())
            )
        if self._needs_duration:
            duration = self._field(
                self.duration_field, "length", lambda: self._duration_s(self.duration_field.text())
            )
        try:
            return OpenStepChoices(speed_kmh=speed, duration_s=duration)
        except ValueError as error:
            self._problems.append(str(error))
            return OpenStepChoices()

    # -- converting ----------------------------------------------------------------------------

    @property
    def idle(self) -> bool:
        """Whether the table shows what the fields hold now (no conversion under way)."""
        return self._shown == self._asked

    def on_edited(self, *_: object) -> None:
        self.recompute()

    def on_name_edited(self, *_: object) -> None:
        self._update_message()  # the name is not converted: the program is renamed on Import

    def recompute(self) -> None:
        """Convert the file with what the fields hold (in a worker thread), then show it.

        A field that is not a pace, a speed or a length is marked at once. Why a thread: a
        file of thousands of steps takes a second or more to convert and check, and the Qt
        thread is where the stop keys are handled. Import waits for the newest conversion."""
        self._problems = []
        paces = self.typed_paces()
        choices = self._choices()
        self._asked += 1
        task = asyncio.ensure_future(self._convert(self._asked, paces, choices, self._problems))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._update_message()

    async def _convert(
        self, number: int, paces: RunPaces, choices: OpenStepChoices, problems: list[str]
    ) -> None:
        # The page surveyed these bytes without a file-level ProgramError: none can come now
        # (the same bytes, the same checks; paces and choices only change single steps).
        result = await in_worker(
            read_workout, self._data, str(self.source), paces=paces, choices=choices
        )
        if self._closed or number != self._asked or not isValid(self):
            return  # closed meanwhile, or an edit since: the newer conversion will show
        self.result = result
        self._problems = problems
        self._shown = number
        self._show()
        self.converted.emit()

    def _limits_notices(self) -> dict[str, list[ClampNotice]]:
        """Per segment path, what the limits change, for every segment converted so far
        (also while other steps are refused: the person sees it before fixing the rest)."""
        segments = tuple(c.segment for row in self.result.rows for c in row.converted)
        if not segments:
            return {}
        _, notices = clamp(Program(self.result.name, "", segments), self._bridge.limits)
        found: dict[str, list[ClampNotice]] = {}
        for notice in notices:
            found.setdefault(notice.path, []).append(notice)
        return found

    def _show(self) -> None:
        result = self.result
        notices = self._limits_notices()
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setRowCount(0)
        for shown, row in enumerate(result.rows):
            if self.table.rowCount() >= MAX_ROWS:
                self._add_rest(result.rows[shown:], notices)
                break
            self._add_step(row, notices)
        self.table.resizeRowsToContents()
        notes = [
            "Every step comes in facing forward: after importing, Edit… marks the backward "
            "ones (the program then runs with its turnarounds and your backward limits)."
        ]
        notes += [paces_in_text(n, self._unit) for n in result.notes[:3]]
        if len(result.notes) > 3:
            notes.append(f"and {len(result.notes) - 3} more notes (hover here)")
        self.notes.setText("\n".join(notes))
        self.notes.setToolTip("\n".join(result.notes))
        self._update_message()

    def _item(self, text: str, *, color: str | None = None, tip: str = "") -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        item.setToolTip(tip or text)
        if color is not None:
            item.setForeground(QBrush(QColor(color)))
        return item

    def _add_step(self, row: ImportedStep, notices: dict[str, list[ClampNotice]]) -> None:
        at = self.table.rowCount()
        self.table.insertRow(at)
        step_text = row.source_path
        if len(row.converted) == 1:
            step_text += f" · {row.converted[0].segment.label}"
        self.table.setItem(at, _STEP, self._item(step_text))
        self.table.setItem(at, _SOURCE, self._item(paces_in_text(row.source_value, self._unit)))
        if row.refusal is not None:
            words = _refusal_words(row.refusal)
            self.table.setItem(
                at, _STATUS, self._item(words, color=colors.ALARM, tip=str(row.refusal))
            )
            return
        if len(row.converted) == 1:
            self._segment_cells(at, row.converted[0].segment, notices)
            return
        self.table.setItem(at, _STATUS, self._item("OK" if not row.converted else ""))
        for converted in row.converted:
            at = self.table.rowCount()
            self.table.insertRow(at)
            self.table.setItem(at, _STEP, self._item(f"   ↳ {converted.segment.label}"))
            self.table.setItem(
                at, _SOURCE, self._item(paces_in_text(converted.source_value, self._unit))
            )
            self._segment_cells(at, converted.segment, notices)

    def _add_rest(
        self, rows: tuple[ImportedStep, ...], notices: dict[str, list[ClampNotice]]
    ) -> None:
        """One row for the steps past ``MAX_ROWS``: how many, and how many refused or changed."""
        refused = sum(row.refusal is not None for row in rows)
        changed = sum(
            any(c.path in notices for c in row.converted) for row in rows if row.refusal is None
        )
        at = self.table.rowCount()
        self.table.insertRow(at)
        self.table.setItem(at, _STEP, self._item(f"… {len(rows)} more steps"))
        words = f"{refused} refused, {changed} changed by your limits"
        color = colors.ALARM if refused else colors.BACKWARD if changed else colors.OK
        self.table.setItem(at, _STATUS, self._item(words, color=color))

    def _segment_cells(
        self, at: int, segment: Segment, notices: dict[str, list[ClampNotice]]
    ) -> None:
        if segment.rest:
            self.table.setItem(at, _SPEED, self._item("rest"))
        else:
            self.table.setItem(at, _SPEED, self._item(_speed(segment.speed_kmh, self._unit)))
        self.table.setItem(at, _INCLINE, self._item(format.incline(segment.incline_pct)))
        self.table.setItem(at, _LENGTH, self._item(_length(segment, self._unit)))
        backward = segment.direction is Direction.BACKWARD
        self.table.setItem(
            at,
            _DIRECTION,
            self._item(segment.direction.value, color=colors.BACKWARD if backward else None),
        )
        changed = notices.get(segment.path, [])
        if changed:
            words = "; ".join(_notice_words(n, self._unit) for n in changed)
            self.table.setItem(at, _STATUS, self._item(words, color=colors.BACKWARD))
        else:
            self.table.setItem(at, _STATUS, self._item("OK", color=colors.OK))

    def _update_message(self) -> None:
        result = self.result
        name_ok = bool(self.name_edit.text().strip())
        ready = result.program is not None and name_ok and not self._problems and self.idle
        self.import_button.setEnabled(ready)
        if ready:
            text = "Every step converts: ready to import."
        elif self._problems:
            text = "; ".join(self._problems) + "."
        elif not self.idle:
            text = "Converting…"
        elif not name_ok:
            text = "Give the program a name."
        else:
            missing = [f"your {z.describe}" for z in self._zones if z in result.needed_zones]
            if result.needs_speed:
                missing.append("a speed for the steps with no target")
            if result.needs_duration:
                missing.append("a length for the steps ended by the lap key")
            refused = len(result.refusals)
            text = f"{refused} step{'s' if refused != 1 else ''} refused"
            text += f": give {', '.join(missing)}." if missing else " (see the table)."
            if result.top_refusals:
                text += f" {result.top_refusals[0]}"
        self.message.setText(text)
        set_style_property(self.message, "state", "ok" if ready else "refused")

    # -- importing -----------------------------------------------------------------------------

    def program(self) -> Program | None:
        """What Import saves: the converted program under the name in the field."""
        program = self.result.program
        name = self.name_edit.text().strip()
        if program is None or not name or not self.idle:
            return None
        return replace(program, name=name)

    def on_import_clicked(self) -> None:
        self.save()

    def save(self, *, replace_existing: bool = False) -> Path | None:
        """Write the program into the library (and the paces into the profile, if ticked);
        the file, or None (refused, or a question asked first)."""
        program = self.program()
        if program is None:
            return None
        try:
            path = self._library.save(program, replace=replace_existing)
        except ProgramExistsError as exists:
            self._ask_to_replace(exists.path)
            return None
        except OSError as error:
            self._say(f"Not imported: {self._library.folder}: {error.strerror or error}")
            return None
        words = f"Imported “{program.name}” into your programs."
        kept = self._keep_paces()
        if kept:
            words += f" {kept}"
        self.imported.emit(path, words)
        self.close()
        return path

    def _keep_paces(self) -> str:
        """Save the typed paces to the profile when asked; what to say about it."""
        profile = self._profile
        if profile is None or not self.save_paces.isChecked() or not self.pace_fields:
            return ""
        typed = self.typed_paces()
        try:
            profiles = self._bridge.core.people.profiles
            current = profiles.get(profile.name)
            profiles.set_paces(current.name, current.paces.merged(typed))
        except (ProfileError, StoreError) as error:
            return f"Your paces were not saved: {error}"
        return f"Paces saved to {profile.name}'s profile."

    def _ask_to_replace(self, existing: Path) -> None:
        # Non-modal, like the page's own question: no nested event loop while a belt may run.
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Replace a program?",
            f"“{existing.name}” is already one of your programs. Replace it with this workout?",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        replace_button = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(*_: object) -> None:
            self._confirm = None
            if box.clickedButton() is replace_button:
                self.save(replace_existing=True)
            else:
                self._say(
                    f"Not imported: {existing.name} is kept as it was. Change the name to "
                    "import this one beside it."
                )

        box.finished.connect(answered)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._confirm = box
        box.open()

    def _say(self, text: str) -> None:
        self.message.setText(text)
        set_style_property(self.message, "state", "refused")

    # -- for tests and the screenshot script ---------------------------------------------------

    def cell(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def column(self, column: int) -> list[str]:
        return [self.cell(row, column) for row in range(self.table.rowCount())]

    def closeEvent(self, event: QCloseEvent) -> None:
        # The bridge outlives this window: a closed preview no longer follows the person. A
        # conversion under way is not cancelled (its thread cannot be stopped, and the
        # collector stays held off until it ends): it finds the window closed and lets go.
        if not self._closed:
            self._closed = True
            self._bridge.profile_changed.disconnect(self.on_profile_changed)
        super().closeEvent(event)
