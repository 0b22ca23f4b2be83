"""The screen after a session: what it was, in figures and words, and what comes next.

Shape::

    outcome(reason, stop_reason, duration_s, planned_s) -> str    the headline, in words
    SessionSummaryView(bridge)
     ├── headline             "Completed: 30:00" / "Ended early at 5:31 of 30:00" / …
     ├── after-session box    ``show_after_session(report)``: the export folder's files or why
     │                        not, the uploads done or queued, and "Upload to Strava" … for the
     │                        services set to "ask" (``ui.uploads.Uploads`` runs them)
     ├── tiles                time · distance · backward minutes · energy · heart rate · top
     │                        speeds (the display unit)
     ├── ProfileChart         the program as planned, the cursor where the session ended
     ├── Export FIT / TCX / CSV   a save dialog, then ``export_session`` of this session's log
     └── Next person · Done   ``next_person`` / ``done`` (the window decides what they open)

Shown by the main window when a session ends (not when the app closes). The words come from
the session's own summary and the plan it started with: a session skipped through in 5 of 30
minutes "completed" its program, but it did not run 30 minutes, and the headline says so.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from treadctl.core import SessionEnded, SessionInfo
from treadctl.export import ExportError, export_session
from treadctl.recorder import SessionLogError
from treadctl.store import STOP_WORDS
from treadctl.upload import AfterSessionReport, Service, UploadState
from ui import format
from ui.bridge import Bridge
from ui.dashboard import Readout
from ui.profile_chart import ProfileChart
from ui.uploads import UploadOutcome, Uploads, sentence, sentence_html

#: A program run for less than this share of its planned time did not run it all.
_SHORT = 0.9

_FORMATS = {
    "fit": "FIT activity (*.fit)",
    "tcx": "Training Center XML (*.tcx)",
    "csv": "CSV (*.csv)",
}


#: One line of the after-session box: as text, and as shown (rich text, with links).
Line = tuple[str, str]


def _plain(text: str) -> Line:
    return text, html.escape(text)


def upload_line(state: UploadState) -> Line:
    return sentence(state), sentence_html(state)


def after_session_lines(report: AfterSessionReport) -> list[Line]:
    """What happened after the session, a line each: the export folder, the uploads, the
    problems (the services to ask about are buttons, not lines)."""
    lines: list[Line] = []
    export = report.export
    if export is not None:
        done = export.written + export.already
        if done:
            # The formats and the folder's name: the whole paths are in the box's tooltip.
            formats = ", ".join(path.suffix.lstrip(".").upper() for path in done)
            lines.append(_plain(f"Export folder: {formats} written into “{done[0].parent.name}”"))
        lines += [_plain(f"Export folder: {problem}") for problem in export.problems]
    lines += [upload_line(state) for state in report.uploads]
    lines += [_plain(problem) for problem in report.problems]
    return lines


def outcome(
    reason: str, stop_reason: str | None, duration_s: float, planned_s: float | None
) -> str:
    """How the session ended, with its time against the plan's: the summary's headline."""
    ran = format.clock(duration_s)
    of = f" of {format.clock(planned_s)}" if planned_s else ""
    why = STOP_WORDS.get(stop_reason or "", "")
    if reason == "completed":
        if planned_s and duration_s < _SHORT * planned_s:
            return f"Completed early: {ran}{of} (segments skipped)"
        return f"Completed: {ran}"
    if reason == "aborted":
        return f"Stopped by a fault at {ran}{of}" + (f": {why}" if why else "")
    if stop_reason in (None, "app_stop", "user_pause"):
        return f"Ended early at {ran}{of}" if planned_s else f"Ended at {ran}"
    return f"Ended at {ran}{of}: {why}" if why else f"Ended at {ran}{of}"


class SessionSummaryView(QWidget):
    next_person = Signal()
    done = Signal()

    def __init__(
        self, bridge: Bridge, parent: QWidget | None = None, *, uploads: Uploads | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sessionSummary")
        self._bridge = bridge
        self._uploads = uploads
        self._info: SessionInfo | None = None
        self._log: Path | None = None
        self._session_id: str | None = None  # the session shown, when the history has it
        self._report: AfterSessionReport | None = None
        self._lines: list[Line] = []  # what the after-session box says (report, then answers)
        self._asked: set[Service] = set()  # "Upload to …" pressed, the answer not back yet
        self.dialog: QFileDialog | None = None

        self.title = QLabel("Session summary")
        self.title.setObjectName("pageTitle")
        self.title.setWordWrap(True)  # the program's name: a long one would scroll the page
        self.headline = QLabel("")
        self.headline.setObjectName("summaryHeadline")
        self.headline.setWordWrap(True)
        self.time = Readout("TIME")
        self.distance = Readout("DISTANCE")
        self.backward = Readout("BACKWARD")
        self.energy = Readout("ENERGY")
        self.heart_rate = Readout("AVG HEART RATE")
        self.top_speed = Readout("TOP SPEED FWD / BACK")
        tiles = QGridLayout()
        for i, tile in enumerate(
            (self.time, self.distance, self.backward, self.energy, self.heart_rate, self.top_speed)
        ):
            tiles.addWidget(tile, i // 3, i % 3)
        self.chart = ProfileChart(compact=True)
        self.chart.setMinimumHeight(90)
        self.export_buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for fmt in _FORMATS:
            button = QPushButton(f"Export {fmt.upper()}…")
            button.clicked.connect(lambda _=False, f=fmt: self.on_export_clicked(f))
            row.addWidget(button)
            self.export_buttons[fmt] = button
        self.status = QLabel("")
        self.status.setObjectName("dimNote")
        self.status.setWordWrap(True)
        row.addWidget(self.status, 1)
        self.next_button = QPushButton("Next person")
        self.next_button.setObjectName("primaryButton")
        self.next_button.setToolTip("Back to “Who is on the treadmill?”")
        self.next_button.clicked.connect(self.next_person)
        self.done_button = QPushButton("Done")
        self.done_button.setToolTip("Back to the programs")
        self.done_button.clicked.connect(self.done)
        row.addWidget(self.done_button)
        row.addWidget(self.next_button)

        # After the session: the export folder and the uploads (show_after_session). Beside
        # the title and the headline, where a line of text leaves room: at 1280x720 the page
        # has no height to spare for another row.
        self.after_box = QFrame()
        self.after_box.setObjectName("sessionBox")
        after = QVBoxLayout(self.after_box)
        after.setContentsMargins(12, 6, 12, 6)
        after.setSpacing(4)
        self.after_text = QLabel("")
        self.after_text.setObjectName("afterSessionText")
        self.after_text.setWordWrap(True)
        self.after_text.setTextFormat(Qt.TextFormat.RichText)
        self.after_text.setOpenExternalLinks(True)  # an activity opens in the browser
        after.addWidget(self.after_text)
        asks = QHBoxLayout()
        asks.setSpacing(8)
        self.ask_buttons: dict[Service, QPushButton] = {}
        for service in Service:
            button = QPushButton(f"Upload to {service.label}")
            button.setObjectName("smallButton")
            button.clicked.connect(lambda _=False, s=service: self.on_ask_clicked(s))
            button.setVisible(False)
            asks.addWidget(button)
            self.ask_buttons[service] = button
        asks.addStretch(1)
        after.addLayout(asks)
        self.after_box.setVisible(False)
        if uploads is not None:
            uploads.reported.connect(self.show_after_session)
            uploads.finished.connect(self.on_upload_finished)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 12, 24, 12)
        layout.setSpacing(10)
        top = QGridLayout()
        top.setHorizontalSpacing(16)
        top.setVerticalSpacing(10)
        top.addWidget(self.title, 0, 0)
        top.addWidget(self.headline, 1, 0)
        top.addWidget(self.after_box, 0, 1, 2, 1, Qt.AlignmentFlag.AlignTop)
        top.setColumnStretch(0, 1)
        top.setColumnStretch(1, 1)
        layout.addLayout(top)
        layout.addLayout(row)  # what to do next, before what scrolls on a laptop
        layout.addLayout(tiles)
        layout.addWidget(self.chart, 1)
        bridge.session_started.connect(self.on_session_started)

    def on_session_started(self, info: SessionInfo) -> None:
        self._info = info

    def show_session(self, ended: SessionEnded) -> None:
        event = ended.finished
        s = event.summary
        info = self._info
        planned = None
        if info is not None and info.program is not None:
            planned = sum(p.segment.estimated_duration_s() for p in info.plan) or None
        self._log = Path(ended.log_path) if ended.log_path is not None else None
        self._session_id = ended.stored.id if ended.stored is not None else None
        if self._report is None or self._report.session_id != self._session_id:
            self._clear_after_session()  # an earlier session's (a report may come first)
        name = s.program or "Manual session"
        self.title.setText(name)
        headline = outcome(event.reason.value, s.stop_reason, s.duration_s, planned)
        if ended.log_note is not None:
            # The figures below and every export come from the log: say what they lack.
            note = ended.log_note
            headline += (
                f". {note[0].upper()}{note[1:]} (the disk could not be written): the figures "
                "and exports lack that part."
            )
        self.headline.setText(headline)
        self.time.set_value(format.clock(s.duration_s))
        self.distance.set_value(format.distance(s.distance_m))
        self.backward.set_value(f"{s.backward_minutes:.1f} min")
        self.energy.set_value(format.DASH if s.energy_kcal is None else f"{s.energy_kcal:.0f} kcal")
        hr = s.avg_heart_rate_bpm
        self.heart_rate.set_value(format.DASH if hr is None else f"{hr} bpm")
        self.top_speed.set_value(
            f"{format.speed(s.max_forward_kmh)} / {format.speed_with_unit(s.max_backward_kmh)}"
        )
        has_chart = info is not None and info.program is not None
        self.chart.setVisible(has_chart)
        if has_chart and info is not None and info.program is not None:
            self.chart.set_profile(info.program.profile())
            self.chart.set_position(min(s.duration_s, planned or s.duration_s))
        for button in self.export_buttons.values():
            button.setEnabled(self._log is not None)
        self.status.setText("")

    # -- after the session -----------------------------------------------------------------------

    def show_after_session(self, report: AfterSessionReport) -> bool:
        """Show what happened after the session ``report`` is about: the export folder's files
        (or why not), the uploads made or queued, and a button per service set to "ask".
        False (nothing shown) when the page shows another session."""
        if self._session_id is not None and report.session_id != self._session_id:
            return False
        self._report = report
        self._asked = set()
        self._lines = after_session_lines(report)
        for service, button in self.ask_buttons.items():
            button.setVisible(service in report.to_ask and self._uploads is not None)
            button.setEnabled(True)
        self._show_lines()
        return True

    def _clear_after_session(self) -> None:
        self._report = None
        self._asked = set()
        self._lines = []
        for button in self.ask_buttons.values():
            button.setVisible(False)
        self.after_box.setVisible(False)

    @property
    def after_session_text(self) -> list[str]:
        """What the after-session box says, a line each (as text, without its links)."""
        return [plain for plain, _ in self._lines]

    def _show_lines(self) -> None:
        self.after_text.setText("<br>".join(shown for _, shown in self._lines))
        export = self._report.export if self._report is not None else None
        paths = [] if export is None else export.written + export.already
        self.after_text.setToolTip("\n".join(str(path) for path in paths))
        asking = any(b.isVisibleTo(self.after_box) for b in self.ask_buttons.values())
        self.after_box.setVisible(bool(self._lines) or asking)

    def on_ask_clicked(self, service: Service) -> None:
        report = self._report
        if report is None or self._uploads is None:
            return
        self.ask_buttons[service].setEnabled(False)
        self._asked.add(service)
        self._lines = [*self._lines, _plain(f"{service.label}: uploading…")]
        self._show_lines()
        self._uploads.upload(report.session_id, [service])

    def on_upload_finished(self, outcome: UploadOutcome) -> None:
        """The answer to an "Upload to …" of this page (others' answers are the history's)."""
        report = self._report
        if report is None or outcome.session_id != report.session_id or not self._asked:
            return
        answered: list[UploadState] = [s for s in outcome.states if s.service in self._asked]
        if not answered and outcome.problem is None:
            return
        for state in answered:
            # Its "uploading…" line becomes what happened; once the service has the session
            # there is nothing left to ask.
            self._asked.discard(state.service)
            self._lines.remove(_plain(f"{state.service.label}: uploading…"))
            self._lines.append(upload_line(state))
            button = self.ask_buttons[state.service]
            button.setVisible(not state.finished)
            button.setEnabled(not state.finished)
        if outcome.problem is not None:
            for service in self._asked:
                self._lines.remove(_plain(f"{service.label}: uploading…"))
                self.ask_buttons[service].setEnabled(True)
            self._asked = set()
            self._lines.append(_plain(outcome.problem))
        self._show_lines()

    # -- export ----------------------------------------------------------------------------------

    def on_export_clicked(self, fmt: str) -> None:
        if self._log is None:
            return
        suggested = Path.home() / f"{self._log.stem}.{fmt}"
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
        """Export this session as ``fmt`` to ``path``; the file written, or None."""
        if self._log is None:
            return None
        try:
            # overwrite: the save dialog has already asked the person before replacing a file
            # (QFileDialog's AcceptSave confirms); a session log or the database stays refused.
            written = export_session(self._log, fmt, path, skip_bad_lines=True, overwrite=True)
        except (OSError, ExportError, SessionLogError, ValueError) as error:
            self.status.setText(f"Not exported: {error}")
            return None
        self.status.setText(f"Saved {written}")
        return written
