"""History: the chosen profile's sessions, a plot of one, the weekly backward minutes, exports.

Shape::

    HistoryView(model)
     ├── table            one row per session, newest first: date, program, time, distance,
     │                    forward and backward minutes, energy, outcome, uploads (the queue's
     │                    rows: "Strava ✓, intervals ⟳ queued, next try 10:15"; the sentences
     │                    in its tooltip)
     ├── SessionPlot      the selected session's measured speed (and program target) over
     │                    time, from its log; backward stretches shaded, segments marked
     ├── WeeklyBars       backward minutes per week (weeks without sessions show as 0)
     └── Export CSV / TCX / FIT   a save dialog, then ``export_session`` (``export(fmt, path)``
                                  does it without the dialog); it opens in the folder the last
                                  export went to (``AppSettings.export_folder``) on a name that
                                  says what the file is: ``2026-12-07_1430_backward-intervals.csv``
     └── Upload · Retry queued uploads    the shown session to every connected service that
                                  does not have it yet; every queued upload a retry can help
                                  (``treadctl upload --pending``) — on worker threads
                                  (``ui.uploads.Uploads``), the row updated when done

``refresh()`` imports new logs first (``Store.sync``), so a session run from the command line
shows up too. The page shows the profile chosen on the Profiles page; with Guest or nobody
chosen, the sessions of nobody in particular (Guest's and those recorded without a profile,
as ``treadctl history --guest`` lists them), with their weekly chart.

One session is *shown* (``shown_session``): it is the selected row, the one plotted and the one
the export buttons write. Every change of the selection goes through ``_show``, and so does a
refill of the table (a refill keeps the selection on the same session, not the same row,
unless newer sessions arrived: then the newest is shown). Relying on the table's selection
signal alone let the plot stay on one session while a refill moved the selection to another,
and the export wrote that other one.

Colours: the legend line under the table explains the amber of the Backward column and the
weekly bars; each chart's legend names everything it draws. Speeds and distances are in the
display unit (``set_speed_unit`` rewords the table and redraws the plot).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from treadctl.core import Direction
from treadctl.export import ExportError, export_session
from treadctl.profiles import Profile
from treadctl.recorder import SessionLogError, read_session_log
from treadctl.store import StoredSession, WeekTotal, weekly_totals_of
from ui import colors, format
from ui.format import SpeedUnit
from ui.profiles import ERRORS, ProfilesModel
from ui.settings_view import AppSettings
from ui.speed_axis import SpeedAxis, plain_axis
from ui.uploads import UploadOutcome, Uploads, cell_text, tooltip

logger = logging.getLogger(__name__)

COLUMNS = (
    "Date",
    "Program",
    "Time",
    "Distance",
    "Forward",
    "Backward",
    "Energy",
    "Outcome",
    "Uploads",
)
_DISTANCE, _BACKWARD = COLUMNS.index("Distance"), COLUMNS.index("Backward")
_PROGRAM, _UPLOADS = COLUMNS.index("Program"), COLUMNS.index("Uploads")
#: With the Uploads column, the Program column leaves it this much ("Strava ✓, intervals ✓"
#: whole) and is cut where it must, never narrower than _PROGRAM_MIN: a cut name, or a longer
#: Uploads cell (a failure's reason), is elided, and said whole in the cell's tooltip.
_UPLOADS_ROOM = 200
_PROGRAM_MIN = 160
#: The colours of the page outside the charts (their own legends name theirs), with words.
LEGEND: tuple[tuple[str, str], ...] = (
    (colors.BACKWARD, "backward: minutes in the table, bars of the weekly chart"),
)
#: How many weeks the bar chart shows (the most recent ones).
WEEKS_SHOWN = 12
_FORMATS = {"csv": "CSV (*.csv)", "tcx": "TCX (*.tcx)", "fit": "FIT (*.fit)"}


def _plot_widget(left: str, bottom: str, left_axis: pg.AxisItem | None = None) -> pg.PlotWidget:
    axes = {
        "left": plain_axis(left_axis or pg.AxisItem("left")),
        "bottom": plain_axis(pg.AxisItem("bottom")),
    }
    widget = pg.PlotWidget(axisItems=axes)
    item = widget.getPlotItem()
    item.setMenuEnabled(False)
    item.hideButtons()
    item.setMouseEnabled(x=False, y=False)
    if left:
        item.setLabel("left", left)
    item.setLabel("bottom", bottom)
    return widget


class SessionPlot(QWidget):
    """One past session: measured speed, the program's target, backward shaded.

    The log is read once (``show_log``) and kept in km/h; ``set_speed_unit`` redraws it in
    another unit without reading it again. ``session_id`` names the session plotted.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._axis = SpeedAxis("left")
        self._widget = _plot_widget("", "session time (min)", self._axis)
        self._item = self._widget.getPlotItem()
        self._legend = self._item.addLegend(
            offset=(-10, 5), labelTextColor=colors.TEXT, brush=colors.LEGEND_BACK
        )
        self._measured = self._item.plot(name="measured", pen=pg.mkPen(colors.TEXT, width=2))
        # Named only while there is one: a manual session has no target.
        self._target = self._item.plot(pen=pg.mkPen(colors.FORWARD, width=2))
        # All backward stretches as one bar item and all segment changes as one line item,
        # as on the live plot: one legend entry each, and one item to clear.
        self._bands = pg.BarGraphItem(
            x0=[], x1=[], y0=[], y1=[], brush=pg.mkBrush(colors.BACKWARD_BAND), pen=pg.mkPen(None)
        )
        self._bands.setZValue(-10)
        self._item.addItem(self._bands)
        self._lines = pg.PlotDataItem(pen=pg.mkPen(colors.BORDER, width=1), connect="pairs")
        self._lines.setZValue(-5)
        self._item.addItem(self._lines)
        self._legend.addItem(self._bands, "backward")
        self._legend.addItem(self._lines, "segment change")
        self.session_id: str | None = None
        self.sample_count = 0
        self.backward_spans: list[tuple[float, float]] = []
        self._t = np.empty(0)
        self._speed_kmh = np.empty(0)
        self._goal_kmh = np.empty(0)  # NaN before a program's first segment, and in manual
        self._boundaries: list[float] = []
        self._last_t = 0.0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._widget)

    @property
    def plot_item(self) -> pg.PlotItem:
        return self._item

    @property
    def speed_unit(self) -> SpeedUnit:
        return self._axis.unit

    def legend_names(self) -> list[str]:
        """What the legend names, in order (every colour drawn has an entry)."""
        return [label.text for _, label in self._legend.items]

    def measured_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The measured curve as plotted: minutes, speeds in the plot's unit."""
        x, y = self._measured.getData()
        return (np.empty(0), np.empty(0)) if x is None else (x, y)

    def clear(self) -> None:
        self.session_id = None
        self.sample_count = 0
        self.backward_spans = []
        self._t = self._speed_kmh = self._goal_kmh = np.empty(0)
        self._boundaries = []
        self._last_t = 0.0
        self._draw()

    def set_speed_unit(self, unit: SpeedUnit) -> None:
        """Redraw the session shown in ``unit`` (the log is not read again)."""
        self._axis.set_unit(unit)
        self._draw()

    def show_log(self, path: Path, session_id: str | None = None) -> None:
        """Plot the log at ``path`` (the session ``session_id``); raises SessionLogError/OSError
        for a log it cannot read, and then shows nothing."""
        self.clear()
        log = read_session_log(path, skip_bad_lines=True)
        t: list[float] = []
        speed: list[float] = []
        goal: list[float] = []
        target = float("nan")
        boundaries: list[float] = []
        spans: list[tuple[float, float]] = []
        span_start: float | None = None
        last_t = 0.0
        for record in log.records:
            minute = float(record["t"]) / 60
            last_t = max(last_t, minute)
            if record["kind"] == "segment":
                value = record.get("target_speed_kmh")
                target = float(value) if isinstance(value, int | float) else 0.0
                boundaries.append(minute)
            elif record["kind"] == "sample":
                value = record.get("speed_kmh")
                t.append(minute)
                speed.append(float(value) if isinstance(value, int | float) else 0.0)
                goal.append(target)
                backward = record.get("direction") == Direction.BACKWARD.value
                if backward and span_start is None:
                    span_start = minute
                elif not backward and span_start is not None:
                    spans.append((span_start, minute))
                    span_start = None
        if span_start is not None:
            spans.append((span_start, last_t))
        self.session_id = session_id
        self.sample_count = len(t)
        self.backward_spans = spans
        self._t, self._speed_kmh, self._goal_kmh = np.array(t), np.array(speed), np.array(goal)
        self._boundaries = boundaries[1:]  # the first segment starts the session: no line
        self._last_t = last_t
        self._draw()

    def _draw(self) -> None:
        """Draw what ``show_log`` kept, in the axis's unit."""
        scale = format.chart_scale(self._axis.unit)
        t, speed, goal = self._t, self._speed_kmh * scale, self._goal_kmh * scale
        self._measured.setData(t, speed)
        known = ~np.isnan(goal)  # a program's target
        self._legend.removeItem(self._target)
        if known.any():
            self._target.setData(t[known], goal[known])
            self._legend.addItem(self._target, "program target")
        else:
            self._target.setData([], [])
        top = max([4.0 * scale, *speed, *goal[known]]) * 1.15
        spans = self.backward_spans
        self._bands.setOpts(
            x0=[a for a, _ in spans],
            x1=[b for _, b in spans],
            y0=[0.0] * len(spans),
            y1=[top] * len(spans),
        )
        self._lines.setData(
            np.repeat(np.asarray(self._boundaries, dtype=float), 2),
            np.tile([0.0, top], len(self._boundaries)),
        )
        self._item.setYRange(0, top, padding=0)
        self._item.setXRange(0, max(1.0, self._last_t), padding=0.01)


class WeeklyBars(QWidget):
    """Backward minutes per week: the progression the backward programs aim at.

    The bars stand at 0, 1, 2 …; the bottom axis writes each one's Monday ("3 Mar", with the
    year on the first bar and where a year begins): explicit ticks, not numbers.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._widget = _plot_widget("backward min", "week starting Monday")
        self._item = self._widget.getPlotItem()
        self._legend = self._item.addLegend(
            offset=(10, 5), labelTextColor=colors.TEXT, brush=colors.LEGEND_BACK
        )
        self._bars = pg.BarGraphItem(
            x=[], height=[], width=0.6, brush=pg.mkBrush(colors.BACKWARD), pen=pg.mkPen(None)
        )
        self._item.addItem(self._bars)
        self._legend.addItem(self._bars, "backward minutes")
        self.weeks: list[tuple[date, float]] = []
        self.ticks: list[tuple[float, str]] = []  # the bottom axis's: (bar, Monday)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._widget)

    @property
    def plot_item(self) -> pg.PlotItem:
        return self._item

    def legend_names(self) -> list[str]:
        """What the legend names (every colour drawn has an entry)."""
        return [label.text for _, label in self._legend.items]

    def show_weeks(self, totals: list[WeekTotal]) -> None:
        self.weeks = fill_weeks(totals)[-WEEKS_SHOWN:]
        x = np.arange(len(self.weeks), dtype=float)
        heights = np.array([minutes for _, minutes in self.weeks], dtype=float)
        self._bars.setOpts(x=x, height=heights, width=0.6)
        self.ticks = week_ticks([week for week, _ in self.weeks])
        self._item.getAxis("bottom").setTicks([self.ticks])
        self._item.setXRange(-0.6, max(1, len(self.weeks)) - 0.4, padding=0)
        top = max(5.0, float(heights.max()) * 1.2) if len(heights) else 5.0
        self._item.setYRange(0, top, padding=0)


def week_ticks(mondays: list[date]) -> list[tuple[float, str]]:
    """A tick per bar: "3 Mar", and "30 Dec 2024" on the first bar and where a year begins."""
    ticks = []
    for i, monday in enumerate(mondays):
        text = f"{monday.day} {monday:%b}"
        if i == 0 or monday.year != mondays[i - 1].year:
            text += f" {monday.year}"
        ticks.append((float(i), text))
    return ticks


def _id(session: StoredSession | None) -> str | None:
    return None if session is None else session.id


def fill_weeks(totals: list[WeekTotal]) -> list[tuple[date, float]]:
    """(Monday, backward minutes) for every week from the first to the last, 0 in between."""
    if not totals:
        return []
    by_week = {t.week_start: t.backward_minutes for t in totals}
    weeks = []
    week = totals[0].week_start
    while week <= totals[-1].week_start:
        weeks.append((week, by_week.get(week, 0.0)))
        week += timedelta(days=7)
    return weeks


def _export_file_name(session: StoredSession, fmt: str) -> str:
    """The engine's export name (``2026-12-07_1430_backward-intervals.csv``), from the stored
    session rather than by reading its log again: the same name ``treadctl export`` gives."""
    from treadctl.export import export_file_name

    program = None if session.program is None else {"name": session.program}
    header = {"started_at": session.started_at.isoformat(), "program": program}
    return export_file_name(header, fmt)


class HistoryView(QWidget):
    def __init__(
        self,
        model: ProfilesModel,
        parent: QWidget | None = None,
        *,
        settings: AppSettings | None = None,
        uploads: Uploads | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("historyView")
        self._model = model
        self._settings = settings
        self._uploads = uploads
        self._sessions: list[StoredSession] = []
        self._shown: StoredSession | None = None  # selected, plotted, exported
        self.dialog: QFileDialog | None = None

        self.title = QLabel("History")
        self.title.setObjectName("pageTitle")
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setToolTip("Import sessions logged since (also from the command line)")
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.refresh_button)

        self.note = QLabel("")
        self.note.setObjectName("dimNote")
        self.note.setWordWrap(True)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("historyTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        if uploads is None:
            header.setSectionResizeMode(_PROGRAM, QHeaderView.ResizeMode.Stretch)
            self.table.setColumnHidden(_UPLOADS, True)
        else:
            # Nine columns on a 1280 px laptop: the program's name is cut at a width
            # (``_fit_program_column``) and the uploads take the rest — every state whole on
            # a laptop's full width; beside the simulated console the table scrolls sideways
            # within itself (never the page).
            header.setSectionResizeMode(_PROGRAM, QHeaderView.ResizeMode.Interactive)
            header.setSectionResizeMode(_UPLOADS, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName("sessions")
        self.table.itemSelectionChanged.connect(self.on_selection_changed)
        self.legend = QLabel(
            "   ".join(f'<span style="color:{colour}">■</span> {words}' for colour, words in LEGEND)
        )
        self.legend.setObjectName("dimNote")
        self.legend.setTextFormat(Qt.TextFormat.RichText)

        self.plot_title = QLabel("Session")
        self.plot_title.setObjectName("panelTitle")
        # Wrapped: a long program name asks for its whole width otherwise, and the page then
        # scrolled sideways on a 1280x720 laptop with the simulated console beside it.
        self.plot_title.setWordWrap(True)
        self.plot = SessionPlot()
        self.weeks_title = QLabel("Backward minutes per week")
        self.weeks_title.setObjectName("panelTitle")
        self.weeks_title.setWordWrap(True)
        self.bars = WeeklyBars()
        self.progression = QLabel("")
        self.progression.setObjectName("dimNote")
        self.progression.setWordWrap(True)

        self.export_buttons: dict[str, QPushButton] = {}
        exports = QHBoxLayout()
        for fmt, text in (
            ("csv", "Export &CSV…"),
            ("tcx", "Export &TCX…"),
            ("fit", "Export &FIT…"),
        ):
            button = QPushButton(text)
            button.setToolTip(
                {
                    "csv": "One row per sample, for a spreadsheet",
                    "tcx": "Garmin Training Center: laps per segment",
                    "fit": "FIT activity (treadmill run), for Garmin Connect, Strava …",
                }[fmt]
            )
            button.clicked.connect(lambda _=False, f=fmt: self.on_export_clicked(f))
            exports.addWidget(button)
            self.export_buttons[fmt] = button
        self.upload_button = QPushButton("&Upload")
        self.upload_button.setToolTip(
            "Upload this session to every service its profile has connected that does not "
            "have it yet (Profiles, “Accounts and uploads…”)"
        )
        self.upload_button.clicked.connect(self.on_upload_clicked)
        self.retry_button = QPushButton("Retry &queued uploads")
        self.retry_button.setToolTip(
            "Retry every queued upload now, whatever its next try says (as "
            "`treadctl upload --pending`)"
        )
        self.retry_button.clicked.connect(self.on_retry_clicked)
        for button in (self.upload_button, self.retry_button):
            button.setVisible(uploads is not None)
            # In the title's row, which has room to spare: the export row has none at 1280x720.
            top.insertWidget(top.indexOf(self.refresh_button), button)
        self.status = QLabel("")
        self.status.setObjectName("historyStatus")
        self.status.setWordWrap(True)
        # An activity's address is one long word: wrapped text asks for its width, and the
        # page would scroll sideways for it. Ignored: the label takes the width there is.
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.status.setOpenExternalLinks(True)
        exports.addWidget(self.status, 1)

        plot_box = QVBoxLayout()
        plot_box.addWidget(self.plot_title)
        plot_box.addWidget(self.plot, 1)
        weeks_box = QVBoxLayout()
        weeks_box.addWidget(self.weeks_title)
        weeks_box.addWidget(self.bars, 1)
        weeks_box.addWidget(self.progression)
        charts = QHBoxLayout()
        charts.setSpacing(24)
        charts.addLayout(plot_box, 3)
        charts.addLayout(weeks_box, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(self.note)
        self.table.setMinimumHeight(180)
        layout.addWidget(self.table, 4)
        layout.addWidget(self.legend)
        layout.addLayout(charts, 5)
        layout.addLayout(exports)

        model.history_changed.connect(self.on_history_changed)
        model.selected.connect(self.on_history_changed)
        if uploads is not None:
            uploads.states_changed.connect(self.on_upload_states_changed)
            uploads.finished.connect(self.on_upload_finished)
            uploads.busy_changed.connect(lambda _: self._update_buttons())
        self._update_buttons()

    # -- state -----------------------------------------------------------------------------------

    @property
    def sessions(self) -> list[StoredSession]:
        """What the table shows, newest first."""
        return list(self._sessions)

    def selected_session(self) -> StoredSession | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self._sessions[rows[0].row()]

    @property
    def shown_session(self) -> StoredSession | None:
        """The session plotted and exported: always the selected one."""
        return self._shown

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    # -- slots -----------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Import new logs, then show the chosen profile's sessions."""
        try:
            self._model.sync()
        except ERRORS as error:
            self.status.setText(f"Could not read the new session logs: {error}")
        self.on_history_changed()

    def on_history_changed(self, *_: object) -> None:
        profile: Profile | None = self._model.current
        name = profile.name if profile is not None else None
        if not self._model.available:
            self.note.setText(f"No history: {self._model.error}")
            self._show_sessions([])
            return
        try:
            if profile is None or profile.builtin:
                # Guest and nobody are one group, as `treadctl history --guest` lists it: the
                # sessions of nobody in particular, whichever way they were recorded.
                sessions = self._model.store.guest_sessions()
            else:
                sessions = self._model.sessions(name)
            totals = weekly_totals_of(sessions)
            progression = self._model.progression(profile) if profile is not None else None
        except ERRORS as error:
            self.note.setText(f"No history: {error}")
            return
        if profile is None:
            self.title.setText("History — no profile")
            self.note.setText(
                "Nobody is chosen: these are the sessions of Guest and those recorded without "
                "a profile. Choose a profile on the Profiles page to see its history."
            )
        elif profile.builtin:
            self.title.setText("History — Guest")
            self.note.setText(
                "The sessions of Guest and those recorded without a profile. Guest sessions "
                "are not kept: only the last one is, until it is saved to a profile (Profiles "
                "page) or the next person is chosen."
            )
        else:
            self.title.setText(f"History — {profile.name}")
            self.note.setText(f"{len(sessions)} session(s).")
        self._show_sessions(sessions)
        self.bars.show_weeks(totals)
        self.progression.setText(
            progression.describe()
            if progression is not None and profile is not None and not profile.builtin
            else ""
        )

    def _show_sessions(self, sessions: list[StoredSession]) -> None:
        before = self._sessions
        self._sessions = list(reversed(sessions))
        # Signals held while the rows change under the selection: the row to show is chosen
        # below, and shown once, whether or not the selection's row number changed.
        self.table.blockSignals(True)
        try:
            self.table.clearSelection()
            self.table.setRowCount(len(self._sessions))
            for row, session in enumerate(self._sessions):
                self._fill_row(row, session)
            self._fill_uploads()
            self._fit_program_column()
            shown = self._row_to_show(before)
            if shown is not None:
                self.table.selectRow(shown)
        finally:
            self.table.blockSignals(False)
        self._show(None if shown is None else self._sessions[shown])

    def _row_to_show(self, before: list[StoredSession]) -> int | None:
        """The session shown before, where it is now; the newest when there are new ones."""
        if not self._sessions:
            return None
        ids = [session.id for session in self._sessions]
        newest_before = before[0].id if before else None
        if self._shown is not None and self._shown.id in ids and ids[0] == newest_before:
            return ids.index(self._shown.id)
        return 0

    def _fill_row(self, row: int, session: StoredSession) -> None:
        s = session.summary
        cells = (
            f"{session.started_at.astimezone():%Y-%m-%d %H:%M}",
            session.program or s.program or "Manual",
            format.clock(s.duration_s),
            format.distance(s.distance_m),
            f"{s.forward_minutes:.1f} min",
            f"{s.backward_minutes:.1f} min",
            format.DASH if s.energy_kcal is None else f"{s.energy_kcal:.0f} kcal",
            session.outcome_words,
        )
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if column == _BACKWARD and s.backward_minutes > 0:
                item.setForeground(pg.mkColor(colors.BACKWARD))  # LEGEND says what it means
            self.table.setItem(row, column, item)

    def _fill_uploads(self, only: set[str] | None = None) -> None:
        """The Uploads cells (of the sessions ``only``, or all) from the queue."""
        if self._uploads is None:
            return
        rows = {s.id: row for row, s in enumerate(self._sessions) if only is None or s.id in only}
        for session_id, states in self._uploads.states(rows).items():
            item = QTableWidgetItem(cell_text(states))
            item.setToolTip(tooltip(states))
            self.table.setItem(rows[session_id], _UPLOADS, item)

    def _fit_program_column(self) -> None:
        """The program's names whole if the Uploads column keeps its room, else cut."""
        if self._uploads is None:
            return  # the Program column stretches, as before there were uploads
        header = self.table.horizontalHeader()
        header.resizeSections()  # the columns sized to their contents, now
        others = sum(
            header.sectionSize(c) for c in range(len(COLUMNS)) if c not in (_PROGRAM, _UPLOADS)
        )
        room = self.table.viewport().width() - others - _UPLOADS_ROOM
        whole = max(self.table.sizeHintForColumn(_PROGRAM), header.sectionSizeHint(_PROGRAM))
        self.table.setColumnWidth(_PROGRAM, max(_PROGRAM_MIN, min(whole, room)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_program_column()

    def upload_cell(self, session_id: str) -> QTableWidgetItem | None:
        """The Uploads cell of ``session_id``'s row (None: not listed)."""
        for row, session in enumerate(self._sessions):
            if session.id == session_id:
                return self.table.item(row, _UPLOADS)
        return None

    def set_speed_unit(self, unit: SpeedUnit) -> None:
        """The display unit changed (settings): distances in the table, the plot's speeds."""
        for row, session in enumerate(self._sessions):
            item = self.table.item(row, _DISTANCE)
            if item is not None:
                item.setText(format.distance(session.summary.distance_m, unit))
        self.plot.set_speed_unit(unit)

    def on_selection_changed(self) -> None:
        self._show(self.selected_session())

    def _show(self, session: StoredSession | None) -> None:
        """Make ``session`` the one plotted and exported (the selected one)."""
        # By id: a refill makes new objects for the same sessions.
        changed = _id(session) != _id(self._shown)
        self._shown = session
        if changed and self.dialog is not None:
            # Its suggested file is the other session's: it would export one not plotted.
            self.dialog.reject()
        self._update_buttons()
        if session is None:
            self.plot.clear()
            self.plot_title.setText("Session")
            return
        when = f"{session.started_at.astimezone():%Y-%m-%d %H:%M}"
        self.plot_title.setText(f"Session of {when}: {session.program or 'Manual'}")
        if self.plot.session_id == session.id:
            # A refill showing the same session: its log (closed, unchanging) is plotted
            # already, and a long one takes a while to read on the Qt thread.
            return
        try:
            self.plot.show_log(session.log_path, session.id)
        except (OSError, SessionLogError) as error:
            self.plot.clear()
            self.status.setText(f"Cannot plot this session: {error}")

    def _update_buttons(self) -> None:
        has = self._shown is not None
        for button in self.export_buttons.values():
            button.setEnabled(has)
        uploads = self._uploads
        idle = uploads is not None and uploads.available and not uploads.busy
        self.upload_button.setEnabled(idle and has)
        self.retry_button.setEnabled(idle and uploads is not None and uploads.waiting() > 0)

    # -- uploads ---------------------------------------------------------------------------------

    def on_upload_clicked(self) -> None:
        session = self._shown
        if session is None or self._uploads is None:
            return
        self.status.setText("Uploading…")
        self._uploads.upload(session.id)
        self._update_buttons()

    def on_retry_clicked(self) -> None:
        if self._uploads is None:
            return
        self.status.setText("Retrying the queued uploads…")
        self._uploads.retry_waiting()
        self._update_buttons()

    def on_upload_states_changed(self, session_ids: set[str]) -> None:
        self._fill_uploads(set(session_ids))
        self._update_buttons()

    def on_upload_finished(self, outcome: UploadOutcome) -> None:
        if outcome.kind == "retry" and not outcome.states and outcome.problem is None:
            self.status.setText("Nothing to retry.")
            return
        # Rich text: each activity a link (opened in the browser), not a long address.
        self.status.setText("<br>".join(outcome.sentences_html()))

    # -- export ----------------------------------------------------------------------------------

    def on_export_clicked(self, fmt: str) -> None:
        session = self._shown
        if session is None:
            return
        last = self._settings.export_folder if self._settings is not None else None
        suggested = (last or Path.home()) / _export_file_name(session, fmt)
        # Non-modal: a modal dialog's nested event loop is no place to run a belt from.
        dialog = QFileDialog(self, f"Export as {fmt.upper()}", str(suggested), _FORMATS[fmt])
        # A save dialog asks before it replaces a file (Qt's default: never turned off here).
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(fmt)
        # The session shown when the dialog opened: ``_show`` closes the dialog if another one
        # is chosen meanwhile, so this writes the session plotted.
        dialog.fileSelected.connect(lambda path: self.export(fmt, Path(path)))
        dialog.finished.connect(lambda *_: setattr(self, "dialog", None))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()

    def export(self, fmt: str, path: Path) -> Path | None:
        """Export the session shown (selected and plotted) as ``fmt`` to ``path``; the file
        written, or None."""
        session = self._shown
        if session is None:
            self.status.setText("Choose a session to export.")
            return None
        try:
            # overwrite: the save dialog has already asked the person before replacing a file
            # (QFileDialog's AcceptSave confirms); a session log or the database stays refused.
            written = export_session(
                session.log_path, fmt, path, skip_bad_lines=True, overwrite=True
            )
        except (OSError, ExportError, SessionLogError, ValueError) as error:
            self.status.setText(f"Not exported: {error}")
            return None
        self.status.setText(f"Saved {written}")
        if self._settings is not None:
            self._settings.export_folder = written.parent  # where the next export starts
        return written
