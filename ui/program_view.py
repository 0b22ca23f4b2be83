"""The program picker: built-in programs and files, each with its profile before it starts.

Shape: ``ProgramView(bridge, programs)``: a list (name, length, backward minutes), and for the
selected program its description, a ``ProfileChart``, its figures, the limit notices (the
program is shown — and run — fitted to the limits by the core, ``AppCore.fit``; the governor
checks every command again), and Start / Manual session / Open file… buttons. Start calls
``bridge.start_program``; the window turns to the dashboard on the bridge's ``session_started``.
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

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from treadctl.program import Program, ProgramError, load_program, program_figures
from ui import format
from ui.bridge import Bridge
from ui.format import SpeedUnit
from ui.guidance_view import TITLE, GuidanceView
from ui.profile_chart import ProfileChart
from ui.program_figures import FiguresLayout, ProgramFigures, backward_words

_PROGRAM_ROLE = Qt.ItemDataRole.UserRole


class ProgramView(QWidget):
    def __init__(
        self, bridge: Bridge, programs: Sequence[Program], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("programView")
        self._bridge = bridge
        self._programs: list[Program] = []
        self._dialog: QFileDialog | None = None
        self.guidance: GuidanceView | None = None

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
        self.open_button = QPushButton("Open program file…")
        self.open_button.clicked.connect(self.on_open_clicked)
        self.about_button = QPushButton(f"{TITLE}…")
        self.about_button.setObjectName("aboutBackwardButton")
        self.about_button.setToolTip(
            "The guidance the programs, limits and energy figure follow, with its sources"
        )
        self.about_button.clicked.connect(self.on_about_clicked)
        left = QVBoxLayout()
        left.addWidget(title)
        left.addWidget(self.list, 1)
        left.addWidget(self.open_button)
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
        for program in programs:
            self.add_program(program)
        if self.list.count():
            self.list.setCurrentRow(0)
        self.on_link_changed()

    # -- state ----------------------------------------------------------------------------------

    def add_program(self, program: Program) -> QListWidgetItem:
        self._programs.append(program)
        item = QListWidgetItem(self._entry(program))
        item.setData(_PROGRAM_ROLE, len(self._programs) - 1)
        item.setToolTip(program.source or "")
        self.list.addItem(item)
        return item

    def _entry(self, program: Program) -> str:
        """A list entry: the name, then the length and backward minutes as they will run."""
        fitted = self._bridge.fit(program).program
        figures = program_figures(fitted, self._bridge.limits)
        return (
            f"{program.name}\n{format.minutes(figures.total_s / 60)}  ·  "
            f"{backward_words(figures)} backward"
        )

    def entry_text(self, row: int) -> str:
        """What the list shows in ``row`` (for tests and the screenshot script)."""
        item = self.list.item(row)
        return item.text() if item is not None else ""

    def selected_program(self) -> Program | None:
        item = self.list.currentItem()
        if item is None:
            return None
        return self._programs[int(item.data(_PROGRAM_ROLE))]

    def _fitted(self) -> tuple[Program | None, list[str]]:
        program = self.selected_program()
        if program is None:
            return None, []
        fitted = self._bridge.fit(program)
        return fitted.program, list(fitted.notices)

    # -- slots ----------------------------------------------------------------------------------

    def set_speed_unit(self, unit: SpeedUnit) -> None:
        """The display unit changed (settings): the chart's scale and the notices follow."""
        self.chart.set_speed_unit(unit)
        self.on_current_changed(self.list.currentItem())

    def on_limits_changed(self, *_: object) -> None:
        """Other limits (another profile, or saved ones): refit the list and the selection."""
        for row in range(self.list.count()):
            item = self.list.item(row)
            item.setText(self._entry(self._programs[int(item.data(_PROGRAM_ROLE))]))
        self.on_current_changed(self.list.currentItem())

    def on_link_changed(self, *_: object) -> None:
        connected = self._bridge.is_connected
        has = self.selected_program() is not None
        self.start_button.setEnabled(connected and has)
        self.manual_button.setEnabled(connected)
        self.hint.setText("" if connected else "Connect to a treadmill first.")

    def on_current_changed(self, current: QListWidgetItem | None, *_: object) -> None:
        program, notices = self._fitted()
        if program is None:
            return
        self.name.setText(program.name)
        self.description.setText(" ".join(program.description.split()))
        self.chart.set_profile(program.profile())
        limits = self._bridge.limits
        # The notices (the core's fitting) already say where the backward minutes stop.
        self.figures.show_figures(program_figures(program, limits))
        words = "; ".join(format.speeds_in_text(notice) for notice in notices)
        self.notices.setText(f"Fitted to your limits: {words}" if notices else "")
        self.notices.setVisible(bool(notices))
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
        dialog = QFileDialog(self, "Open program", "", "Programs (*.toml)")
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
        self.open_file(path)

    def open_file(self, path: str) -> Program | None:
        try:
            program = load_program(path)
        except ProgramError as error:
            self.notices.setText(f"Cannot open the program: {error}")
            self.notices.setVisible(True)
            return None
        item = self.add_program(program)
        self.list.setCurrentItem(item)
        return program
