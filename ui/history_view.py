"""History: the chosen profile's sessions, a plot of one, the weekly backward minutes, exports.

Shape::

    HistoryView(model)
     ├── table            one row per session, newest first: date, program, time, distance,
     │                    forward and backward minutes, energy, outcome
     ├── SessionPlot      the selected session's measured speed (and program target) over
     │                    time, from its log; backward stretches shaded, segments marked
     ├── WeeklyBars       backward minutes per week (weeks without sessions show as 0)
     └── Export CSV / TCX / FIT   a save dialog, then ``export_session`` (``export(fmt, path)``
                                  does it without the dialog)

``refresh()`` imports new logs first (``Store.sync``), so a session run from the command line
shows up too. The page shows the profile chosen on the Profiles page; with nobody chosen, the
sessions recorded without a profile.
"""

from __future__ import annotations

import logging
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from treadctl.core import Direction
from treadctl.export import ExportError, export_session
from treadctl.profiles import Profile
from treadctl.recorder import SessionLogError, read_session_log
from treadctl.store import StoredSession, WeekTotal
from ui import colors, format
from ui.profiles import ERRORS, ProfilesModel

logger = logging.getLogger(__name__)

COLUMNS = ("Date", "Program", "Time", "Distance", "Forward", "Backward", "Energy", "Outcome")
#: How many weeks the bar chart shows (the most recent ones).
WEEKS_SHOWN = 12
_FORMATS = {"csv": "CSV (*.csv)", "tcx": "TCX (*.tcx)", "fit": "FIT (*.fit)"}


def _plot_widget(left: str, bottom: str) -> pg.PlotWidget:
    widget = pg.PlotWidget()
    item = widget.getPlotItem()
    item.setMenuEnabled(False)
    item.hideButtons()
    item.setMouseEnabled(x=False, y=False)
    item.setLabel("left", left)
    item.setLabel("bottom", bottom)
    return widget


class SessionPlot(QWidget):
    """One past session: measured speed, the program's target, backward shaded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._widget = _plot_widget("km/h", "session time (min)")
        self._item = self._widget.getPlotItem()
        self._legend = self._item.addLegend(offset=(-10, 5), labelTextColor=colors.TEXT)
        self._measured = self._item.plot(name="measured", pen=pg.mkPen(colors.TEXT, width=2))
        # Named only while there is one: a manual session has no target.
        self._target = self._item.plot(pen=pg.mkPen(colors.FORWARD, width=2))
        self._extras: list[pg.GraphicsObject] = []
        self.sample_count = 0
        self.backward_spans: list[tuple[float, float]] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._widget)

    def clear(self) -> None:
        for extra in self._extras:
            self._item.removeItem(extra)
        self._extras.clear()
        self._measured.setData([], [])
        self._target.setData([], [])
        self._legend.removeItem(self._target)
        self.sample_count = 0
        self.backward_spans = []

    def show_log(self, path: Path) -> None:
        """Plot the log at ``path``; raises SessionLogError/OSError for a log it cannot read."""
        self.clear()
        log = read_session_log(path, skip_bad_lines=True)
        unit = format.speed_unit()
        scale = 1 / format.KM_PER_MILE if unit.imperial else 1.0
        self._item.setLabel("left", "mph" if unit.imperial else "km/h")
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
                speed.append(float(value) * scale if isinstance(value, int | float) else 0.0)
                goal.append(target * scale)
                backward = record.get("direction") == Direction.BACKWARD.value
                if backward and span_start is None:
                    span_start = minute
                elif not backward and span_start is not None:
                    spans.append((span_start, minute))
                    span_start = None
        if span_start is not None:
            spans.append((span_start, last_t))
        self.sample_count = len(t)
        self.backward_spans = spans
        self._measured.setData(np.array(t), np.array(speed))
        known = [i for i, g in enumerate(goal) if not math.isnan(g)]  # a program's target
        if known:
            self._target.setData(np.array(t)[known], np.array(goal)[known])
            self._legend.addItem(self._target, "program target")
        for start, end in spans:
            region = pg.LinearRegionItem(
                values=(start, end),
                movable=False,
                brush=pg.mkBrush(colors.BACKWARD_BAND),
                pen=pg.mkPen(None),
            )
            region.setZValue(-10)
            self._item.addItem(region)
            self._extras.append(region)
        for at in boundaries[1:]:
            line = pg.InfiniteLine(
                pos=at, angle=90, movable=False, pen=pg.mkPen(colors.BORDER, width=1)
            )
            self._item.addItem(line)
            self._extras.append(line)
        top = max([4.0, *speed, *(goal[i] for i in known)])
        self._item.setYRange(0, top * 1.15, padding=0)
        self._item.setXRange(0, max(1.0, last_t), padding=0.01)


class WeeklyBars(QWidget):
    """Backward minutes per week: the progression the backward programs aim at."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._widget = _plot_widget("backward min", "week of")
        self._item = self._widget.getPlotItem()
        self._bars: pg.BarGraphItem | None = None
        self.weeks: list[tuple[date, float]] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._widget)

    def show_weeks(self, totals: list[WeekTotal]) -> None:
        if self._bars is not None:
            self._item.removeItem(self._bars)
            self._bars = None
        self.weeks = fill_weeks(totals)[-WEEKS_SHOWN:]
        if not self.weeks:
            self._item.getAxis("bottom").setTicks([[]])
            return
        x = np.arange(len(self.weeks), dtype=float)
        heights = np.array([minutes for _, minutes in self.weeks])
        self._bars = pg.BarGraphItem(
            x=x,
            height=heights,
            width=0.6,
            brush=pg.mkBrush(colors.BACKWARD),
            pen=pg.mkPen(None),
        )
        self._item.addItem(self._bars)
        ticks = [(float(i), f"{week:%d %b}") for i, (week, _) in enumerate(self.weeks)]
        self._item.getAxis("bottom").setTicks([ticks])
        self._item.setXRange(-0.6, len(self.weeks) - 0.4, padding=0)
        self._item.setYRange(0, max(5.0, float(heights.max()) * 1.2), padding=0)


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


class HistoryView(QWidget):
    def __init__(self, model: ProfilesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyView")
        self._model = model
        self._sessions: list[StoredSession] = []
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
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName("sessions")
        self.table.itemSelectionChanged.connect(self.on_selection_changed)

        self.plot_title = QLabel("Session")
        self.plot_title.setObjectName("panelTitle")
        self.plot = SessionPlot()
        self.weeks_title = QLabel("Backward minutes per week")
        self.weeks_title.setObjectName("panelTitle")
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
        self.status = QLabel("")
        self.status.setObjectName("historyStatus")
        self.status.setWordWrap(True)
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
        layout.addLayout(charts, 5)
        layout.addLayout(exports)

        model.history_changed.connect(self.on_history_changed)
        model.selected.connect(self.on_history_changed)
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
            sessions = self._model.sessions(name)
            totals = self._model.weekly_totals(name) if name is not None else []
            progression = self._model.progression(profile) if profile is not None else None
        except ERRORS as error:
            self.note.setText(f"No history: {error}")
            return
        if profile is None:
            self.title.setText("History — no profile")
            self.note.setText(
                "Nobody is chosen: these are the sessions recorded without a profile. Choose "
                "a profile on the Profiles page to see its history."
            )
        elif profile.builtin:
            self.title.setText("History — Guest")
            self.note.setText(
                "Guest sessions are not kept: only the last one is, until it is saved to a "
                "profile (Profiles page) or the next person is chosen."
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
        self._sessions = list(reversed(sessions))
        self.table.setRowCount(len(self._sessions))
        for row, session in enumerate(self._sessions):
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
                if column == 5 and s.backward_minutes > 0:
                    item.setForeground(pg.mkColor(colors.BACKWARD))
                self.table.setItem(row, column, item)
        if self._sessions:
            self.table.selectRow(0)
        else:
            self.plot.clear()
            self.plot_title.setText("Session")
        self._update_buttons()

    def on_selection_changed(self) -> None:
        session = self.selected_session()
        self._update_buttons()
        if session is None:
            self.plot.clear()
            return
        when = f"{session.started_at.astimezone():%Y-%m-%d %H:%M}"
        self.plot_title.setText(f"Session of {when}: {session.program or 'Manual'}")
        try:
            self.plot.show_log(session.log_path)
        except (OSError, SessionLogError) as error:
            self.plot.clear()
            self.status.setText(f"Cannot plot this session: {error}")

    def _update_buttons(self) -> None:
        has = self.selected_session() is not None
        for button in self.export_buttons.values():
            button.setEnabled(has)

    # -- export ----------------------------------------------------------------------------------

    def on_export_clicked(self, fmt: str) -> None:
        session = self.selected_session()
        if session is None:
            return
        suggested = Path.home() / f"{session.log_path.stem}.{fmt}"
        # Non-modal: a modal dialog's nested event loop is no place to run a belt from.
        dialog = QFileDialog(self, f"Export as {fmt.upper()}", str(suggested), _FORMATS[fmt])
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(fmt)
        dialog.fileSelected.connect(lambda path: self.export(fmt, Path(path)))
        dialog.finished.connect(lambda *_: setattr(self, "dialog", None))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()

    def export(self, fmt: str, path: Path) -> Path | None:
        """Export the selected session as ``fmt`` to ``path``; the file written, or None."""
        session = self.selected_session()
        if session is None:
            self.status.setText("Choose a session to export.")
            return None
        try:
            written = export_session(session.log_path, fmt, path, skip_bad_lines=True)
        except (OSError, ExportError, SessionLogError, ValueError) as error:
            self.status.setText(f"Not exported: {error}")
            return None
        self.status.setText(f"Saved {written}")
        return written
