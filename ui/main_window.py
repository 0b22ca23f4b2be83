"""The main window: pages, the alarm banner, the TURN AROUND overlay and the STOP bar.

Shape::

    MainWindow(bridge, programs, settings, world=None, speaker=None, sounds=None,
               profiles=None)
     ├── top bar              page buttons (Ctrl+1..6) · who is on the treadmill · link status
     ├── AlarmBanner          alarms until acknowledged
     ├── body                 QStackedWidget of pages, each in a scroll area of its own:
     │    │                   ConnectView, ProgramView (the built-ins and the person's own
     │    │                   programs, in the data folder; + New / Edit program, opening
     │    │                   ProgramEditor in its own window), Dashboard, SessionSummaryView,
     │    │                   ProfilesView (+ AccountsWindow, its own window), HistoryView,
     │    │                   SettingsView (+ RemoteKeysPanel)
     │    └── TurnaroundOverlay  over the pages only, so STOP stays visible and clickable
     ├── SessionControls      STOP · Pause/Resume · Skip · +1 min · End session (two presses)
     ├── ConsolePanel         a dock, with --simulate only
     ├── StopKeyFilter        Esc / Space / a remote's keys stop from any window of the app
     ├── RearDisplay          the count and the cue on a second screen, when one is chosen
     ├── Cues                 speech and sounds, switchable from the settings
     ├── ProfilesModel        profiles and the history store (``profiles``; made here if not
     │                        given, in the folder that holds the sessions folder)
     └── Uploads              the upload engine on worker threads (``ui.uploads``): the
                              accounts window, History's uploads, the summary's after-session
                              box; the queue retried at start and every few minutes
    closed                    emitted once the belt is stopped and the log closed

Small screens (1280×720, 1366×768): the STOP bar sits outside the page's scroll area, so it is
always on screen; a page taller than the room scrolls rather than growing the window; long texts
are elided or wrapped; the window (and a geometry saved on a bigger screen) is fitted to the
screen it is on (``fitted``), at first show, on restore and when it moves to another screen.
The dashboard is told its room (``Dashboard.set_room``) and chooses a compact or large layout.

After a session: the finished log is imported and the summary page shows how it ended (with
the exports). Who is on the treadmill next depends on the use (``ui.usage``): in a gym nobody
stays chosen (the last person's limits never carry over) and the summary offers "Next person",
which opens the chooser; at home the person stays chosen, across restarts too, and "Done"
goes back to the programs. The display unit applies to every readout through ``ui.format``.

Closing: the first close is refused while the bridge stops the belt (through the runner),
closes the session log and disconnects; then the window closes for real and ``closed`` fires.
Geometry, dock state and the page are kept in QSettings.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, QSettings, QSize, Qt, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QGuiApplication,
    QKeySequence,
    QResizeEvent,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QBoxLayout,
    QButtonGroup,
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from treadctl.core import (
    SHUTDOWN_TIMEOUT_S,
    Reconnecting,
    SessionEnded,
    SessionInfo,
    SessionState,
    TreadmillInfo,
)
from treadctl.profiles import Profile
from treadctl.program import Program, ProgramLibrary
from ui import format
from ui.alarms import AlarmBanner
from ui.bridge import Bridge
from ui.connect_view import ConnectView
from ui.console_panel import ConsolePanel
from ui.controls import SessionControls
from ui.cues import Cues, SoundPlayer, Speaker
from ui.dashboard import Dashboard
from ui.elided_label import ElidedLabel
from ui.history_view import HistoryView
from ui.overlay import TurnaroundOverlay
from ui.profiles import ERRORS, ProfilesModel, ProfilesView
from ui.profiles.accounts_panel import AccountsWindow
from ui.program_editor import ProgramEditor
from ui.program_view import ProgramView
from ui.rear_display import RearDisplayController
from ui.remote_keys_panel import RemoteKeysPanel
from ui.session_summary import SessionSummaryView
from ui.settings_view import AppSettings, SettingsView, SwitchableSounds, SwitchableSpeaker
from ui.stop_keys import StopKeyFilter
from ui.styling import set_style_property
from ui.uploads import Uploads
from ui.usage import Usage, UsageQuestion, person_to_restore

if TYPE_CHECKING:
    # Only with --simulate; importing Bumble costs startup time.
    from treadctl.virtual.world import VirtualWorld

logger = logging.getLogger(__name__)

#: A first start's size; on a smaller screen the window takes the screen's free area instead.
DEFAULT_SIZE = QSize(1600, 1000)

PAGES = ("connect", "programs", "dashboard", "profiles", "history", "settings", "summary")
_NAV = ("Treadmill", "Programs", "Dashboard", "Profiles", "History", "Settings")


def _layout_holding(widget: QWidget) -> QBoxLayout | None:
    """The box layout (nested anywhere in its parent's layout) that holds ``widget``."""
    parent = widget.parentWidget()
    pending = [parent.layout()] if parent is not None else []
    while pending:
        layout = pending.pop()
        if layout is None:
            continue
        if isinstance(layout, QBoxLayout) and layout.indexOf(widget) >= 0:
            return layout
        items = (layout.itemAt(i) for i in range(layout.count()))
        pending += [item.layout() for item in items if item is not None]
    return None


class _PageHolder(QWidget):
    """Gives its page all the room there is, and asks the scroll area only for the page's
    minimum. (A scroll area sizes a page whose layout wraps text to the page's *preferred*
    height for its width — 930 px for the dashboard — and scrolls what would have fitted.)"""

    def __init__(self, page: QWidget) -> None:
        super().__init__()
        page.setParent(self)
        page.installEventFilter(self)
        self._page = page

    def minimumSizeHint(self) -> QSize:
        hint = self._page.minimumSizeHint()
        layout = self._page.layout()
        if layout is not None and layout.hasHeightForWidth() and self.width() > 0:
            # Wrapped text needs more lines when narrow: the least height at this width.
            width = max(self.width(), hint.width())
            hint.setHeight(max(hint.height(), layout.totalMinimumHeightForWidth(width)))
        return hint

    def sizeHint(self) -> QSize:
        return self.minimumSizeHint()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._page.setGeometry(self.rect())
        if event.oldSize().width() != event.size().width():
            self.updateGeometry()  # the least height follows the width (wrapped text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() is QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the page's minimum may have changed (an alarm, a text)
        return False


def _scrolling(page: QWidget) -> QScrollArea:
    """``page`` in a scroll area of its own: a page that needs more room than a small screen
    has scrolls inside the window instead of pushing the window (and STOP under it) past the
    screen's edge. The pages are laid out to fit 1280x720; this is the net under that."""
    area = QScrollArea()
    area.setObjectName("pageScroll")
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    area.setWidget(_PageHolder(page))
    return area


def fitted(geometry: QRect, available: QRect) -> QRect:
    """``geometry`` moved and shrunk to lie inside ``available`` (a screen's free area)."""
    width = min(geometry.width(), available.width())
    height = min(geometry.height(), available.height())
    x = min(max(geometry.x(), available.left()), available.right() + 1 - width)
    y = min(max(geometry.y(), available.top()), available.bottom() + 1 - height)
    return QRect(x, y, width, height)


def fit_window(window: QWidget) -> None:
    """Keep the whole of ``window`` (frame included) inside the free area of its screen."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    frame = window.frameGeometry()
    # The frame's extra (title bar, borders) is known only once shown; before, none.
    extra = QSize(frame.width() - window.width(), frame.height() - window.height())
    room = fitted(frame, screen.availableGeometry())
    window.resize(room.width() - extra.width(), room.height() - extra.height())
    window.move(room.topLeft())


class _Body(QWidget):
    """Holds the pages and keeps the overlay exactly over them; tells the dashboard its room."""

    def __init__(
        self, pages: QStackedWidget, overlay: TurnaroundOverlay, dashboard: Dashboard
    ) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(pages)
        overlay.setParent(self)
        self._overlay = overlay
        self._dashboard = dashboard

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._overlay.setGeometry(self.rect())
        self._dashboard.set_room(self.height())


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(
        self,
        bridge: Bridge,
        *,
        programs: Sequence[Program],
        settings: QSettings,
        world: VirtualWorld | None = None,
        speaker: Speaker | None = None,
        sounds: SoundPlayer | None = None,
        profiles: ProfilesModel | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("treadctl — simulated treadmill" if world else "treadctl")
        self._bridge = bridge
        self._settings = settings
        self._shutting_down = False
        self._shutdown_done = False
        self._shown = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self.app_settings = AppSettings(settings)
        self.profiles = profiles if profiles is not None else ProfilesModel(bridge, parent=self)
        self.uploads = Uploads(bridge, self.profiles, parent=self)
        self.accounts_window: AccountsWindow | None = None

        self.connect_view = ConnectView(bridge, settings)
        self.program_view = ProgramView(
            bridge,
            programs,
            library=ProgramLibrary(bridge.folder.programs),
            settings=self.app_settings,
        )
        self.editor: ProgramEditor | None = None
        programs_page = self._programs_page()
        self.dashboard = Dashboard(bridge)
        self.profiles_view = ProfilesView(self.profiles, bridge)
        self.history_view = HistoryView(
            self.profiles, settings=self.app_settings, uploads=self.uploads
        )
        self.settings_view = SettingsView(self.app_settings)
        self.summary = SessionSummaryView(bridge, uploads=self.uploads)
        self.pages = QStackedWidget()
        for page in (
            self.connect_view,
            programs_page,
            self.dashboard,
            self.profiles_view,
            self.history_view,
            self._settings_page(),
            self.summary,
        ):
            self.pages.addWidget(_scrolling(page))
        self.overlay = TurnaroundOverlay()
        body = _Body(self.pages, self.overlay, self.dashboard)
        self.alarms = AlarmBanner(bridge)
        self.controls = SessionControls(bridge)

        top = QHBoxLayout()
        top.setContentsMargins(8, 6, 8, 0)
        self.nav = QButtonGroup(self)
        self.nav.setExclusive(True)
        self.nav_buttons: list[QPushButton] = []
        for index, text in enumerate(_NAV):
            button = QPushButton(f"{text}")
            button.setObjectName("navButton")
            button.setCheckable(True)
            button.setToolTip(f"Ctrl+{index + 1}")
            self.nav.addButton(button, index)
            self.nav_buttons.append(button)
            top.addWidget(button)
            QShortcut(QKeySequence(f"Ctrl+{index + 1}"), self, lambda i=index: self.show_page(i))
        self.nav.idClicked.connect(self.show_page)
        top.addStretch(1)
        # Who and which treadmill, one above the other: six page buttons and a long link
        # state ("connection lost — reconnecting") side by side would widen the window.
        self.profile_badge = ElidedLabel("")
        self.profile_badge.setObjectName("profileBadge")
        self.link_status = ElidedLabel("● not connected")
        self.link_status.setObjectName("linkStatus")
        status = QVBoxLayout()
        status.setSpacing(0)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        status.addWidget(self.profile_badge, 0, right)
        status.addWidget(self.link_status, 0, right)
        top.addLayout(status)

        central = QWidget()
        central.setObjectName("central")
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 0, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.alarms)
        layout.addWidget(body, 1)
        layout.addWidget(self.controls)
        self.setCentralWidget(central)
        keys = QLabel("Esc / Space = STOP   ·   P pause   ·   N skip   ·   + one minute")
        keys.setObjectName("keyHint")
        self.statusBar().addPermanentWidget(keys)

        self.console: ConsolePanel | None = None
        if world is not None:
            self.console = ConsolePanel(world)
            dock = QDockWidget("Treadmill console (simulated)", self)
            dock.setObjectName("consoleDock")
            # Scrolls rather than make the window taller than a laptop's screen.
            console = _scrolling(self.console)
            console.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            dock.setWidget(console)
            dock.setFeatures(
                QDockWidget.DockWidgetFeature.DockWidgetMovable
                | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            )
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)

        self.speaker = SwitchableSpeaker(speaker if speaker is not None else Speaker())
        self.sounds = SwitchableSounds(sounds if sounds is not None else SoundPlayer())
        self.cues = Cues(bridge, self.overlay, self.alarms, self.speaker, self.sounds, self)
        self.rear_display = RearDisplayController(bridge, self.app_settings, parent=self)
        self.key_filter = StopKeyFilter(bridge, self)
        self.key_filter.resume_blocked = lambda: self.controls.resume_blocked
        self.remote_keys = RemoteKeysPanel(self.key_filter)
        self._settings_layout.addWidget(self.remote_keys)
        self.key_filter.resume_held.connect(lambda _: self.statusBar().showMessage("Resuming…"))
        self.alarms.resume_blocked.connect(self.controls.block_resume)
        self.alarms.resume_unblocked.connect(self.controls.unblock_resume)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.key_filter)
        QShortcut(QKeySequence("Ctrl+E"), self, self.on_edit_program_clicked)
        for key, slot in (("P", self.on_pause_key), ("N", bridge.skip), ("+", self.on_extend_key)):
            QShortcut(QKeySequence(key), self, slot)

        bridge.session_started.connect(self.on_session_started)
        bridge.connected.connect(self.on_connected)
        bridge.reconnected.connect(self.on_reconnected)
        bridge.link_down.connect(self.on_link_down)
        bridge.reconnecting.connect(self.on_reconnecting)
        bridge.message.connect(self.on_message)
        bridge.session_finished.connect(self.on_session_finished)
        self.profiles.selected.connect(self.on_profile_selected)
        self.profiles_view.continue_requested.connect(self.on_continue)
        self.profiles_view.accounts_requested.connect(self.open_accounts)
        self.uploads.notice.connect(self.on_message)
        bridge.session_shared.connect(self.uploads.on_after_session)
        self.summary.next_person.connect(self.on_next_person)
        self.summary.done.connect(self.on_continue)
        self.settings_view.changed.connect(self.apply_settings)
        self.apply_settings()
        self.on_profile_selected(self.profiles.current)
        self._restore()
        self._open_chooser_at_start()
        # The history is up to date now: what the queue says is due goes (quietly).
        self.uploads.start()

    # -- pages ----------------------------------------------------------------------------------

    @property
    def page(self) -> str:
        return PAGES[self.pages.currentIndex()]

    def show_page(self, index: int | str) -> None:
        if isinstance(index, str):
            index = PAGES.index(index)
        self.pages.setCurrentIndex(index)
        if index < len(self.nav_buttons):
            self.nav_buttons[index].setChecked(True)
        else:
            # A page with no button of its own (the summary): none shows as current.
            self.nav.setExclusive(False)
            for button in self.nav_buttons:
                button.setChecked(False)
            self.nav.setExclusive(True)
        if PAGES[index] == "history":
            self.history_view.refresh()  # sessions logged since, also by `treadctl run`

    def _settings_page(self) -> QWidget:
        """The settings, and under them the keys and remotes (filled in once the filter is)."""
        page = QWidget()
        self._settings_layout = QVBoxLayout(page)
        self._settings_layout.setContentsMargins(0, 0, 0, 0)
        self._settings_layout.addWidget(self.settings_view)
        return page

    # -- the program editor ---------------------------------------------------------------------

    def _programs_page(self) -> QWidget:
        """The program picker, with the editor's buttons under its "Open program file…"."""
        self.new_program_button = QPushButton("New program…")
        self.new_program_button.setToolTip("Write a program: steps, repeats, a live preview")
        self.new_program_button.clicked.connect(self.on_new_program_clicked)
        self.edit_program_button = QPushButton("Edit…")
        self.edit_program_button.setToolTip(
            "Open the selected program in the editor (Ctrl+E); a built-in one is saved as a "
            "new file"
        )
        self.edit_program_button.clicked.connect(self.on_edit_program_clicked)
        row = QHBoxLayout()
        row.addWidget(self.new_program_button, 1)
        row.addWidget(self.edit_program_button, 1)
        # In the picker's own column, under opening and importing files: a row of its own
        # under the page would make the page taller than the window has room for while an
        # alarm shows.
        about = self.program_view.about_button
        column = _layout_holding(about)
        if column is not None:
            column.insertLayout(column.indexOf(about), row)
            return self.program_view
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.program_view, 1)
        layout.addLayout(row)
        return page

    def on_new_program_clicked(self) -> None:
        self.open_editor(None)

    def on_edit_program_clicked(self) -> None:
        self.open_editor(self.program_view.selected_program())

    def open_editor(self, program: Program | None) -> ProgramEditor:
        """The editor in its own window (there, Space is a space, not the STOP key); a saved
        program joins the list (a new one in the person's programs) and is selected."""
        editor = self.editor
        if editor is None:
            editor = ProgramEditor(
                self, limits=self._bridge.limits, library=self._bridge.folder.programs
            )
            editor.setWindowFlag(Qt.WindowType.Window)
            editor.setWindowTitle("Program editor — treadctl")
            editor.saved.connect(self.on_program_saved)
            editor.run_requested.connect(self.on_run_requested)
            editor.destroyed.connect(self.on_editor_closed)
            editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            editor.resize(1280, 900)
            fit_window(editor)
            self.editor = editor
            editor.load(program)
        elif program is not None and not editor.is_modified():
            editor.load(program)
        editor.show()
        # Again now that it is shown: the frame (title bar, borders) counts only from here.
        fit_window(editor)
        editor.raise_()
        editor.activateWindow()
        return editor

    def on_program_saved(self, path: Path) -> None:
        self.program_view.open_file(str(path))

    def on_run_requested(self, program: Program) -> None:
        """The editor's Run now: the program selected on the programs page, Start focused.
        Nothing starts here: the belt moves only from Start, with its count-down."""
        self.program_view.use_program(program)
        self.show_page("programs")
        editor = self.editor
        if editor is not None:
            # The editor is a window of this one and would stay in front of Start: out of the
            # way, closed when nothing is lost, else minimised with its unsaved changes.
            if editor.is_modified():
                editor.showMinimized()
            else:
                editor.close()
        self.raise_()
        self.activateWindow()
        if self.program_view.start_button.isEnabled():
            self.program_view.start_button.setFocus()

    def on_editor_closed(self, *_: object) -> None:
        self.editor = None

    # -- accounts -------------------------------------------------------------------------------

    def open_accounts(self) -> AccountsWindow:
        """The chosen profile's accounts, in a window of their own (one, kept: it opens again
        as it was left; closing it ends a Strava connect still waiting for the browser)."""
        window = self.accounts_window
        if window is None:
            window = AccountsWindow(self.profiles, self.uploads, self)
            self.accounts_window = window
        window.show()
        fit_window(window)  # once shown: the frame counts only from then
        window.raise_()
        window.activateWindow()
        return window

    # -- profiles -------------------------------------------------------------------------------

    def _open_chooser_at_start(self) -> None:
        try:
            # Sessions run from the command line since, and the profiles their logs name.
            self.profiles.sync()
            # A guest session nobody saved before the app last closed can no longer be claimed.
            self.profiles.discard_guest()
        except ERRORS as error:
            logger.warning("history not brought up to date: %s", error)
        # Home or gym (ui.usage): who is chosen when the app starts.
        self.usage_question: UsageQuestion | None = None
        usage = self.app_settings.usage
        if usage is None:
            # The first start asks, without blocking the window; until answered, as in a gym.
            self.usage_question = UsageQuestion(self._bridge, self)
            self.usage_question.answered.connect(self.settings_view.set_usage)
            self.usage_question.show()
        elif usage is Usage.HOME:
            # One household: the last person chosen is chosen again, as they left it.
            name = person_to_restore(self.profiles)
            if name is not None:
                try:
                    self.profiles.select(name)
                    return
                except ERRORS as error:
                    logger.warning("%s not chosen again: %s", name, error)
        if self.profiles.people():
            self.show_page("profiles")

    def on_profile_selected(self, profile: Profile | None) -> None:
        if profile is None:
            self.profile_badge.setText("no profile")
        else:
            self.profile_badge.setText("Guest" if profile.builtin else f"● {profile.name}")
        set_style_property(self.profile_badge, "state", "none" if profile is None else "chosen")
        # The program page shows programs fitted to the limits a Start would run with.
        self.program_view.on_current_changed(self.program_view.list.currentItem())

    def on_continue(self) -> None:
        self.show_page("programs" if self._bridge.is_connected else "connect")

    def on_session_finished(self, ended: SessionEnded) -> None:
        # The core has imported the session and taken a backward step that came due with it.
        if self._shutting_down or ended.closing or ended.log_path is None:
            return
        stored = ended.stored
        self.profiles_view.show_last_session(stored)
        if ended.next_starting:
            return  # the same person started another session: their turn goes on
        # What the session was, first; "Next person" then opens the chooser (in a gym, when
        # there is someone to choose; at home the same person goes on, and "Done" is the way
        # back).
        guest = stored is not None and not stored.saved
        next_person = False
        try:
            # In a gym (and until the first start's question is answered), the next person
            # chooses who they are; at home the person stays chosen (ui.usage).
            next_person = self.app_settings.return_to_chooser and bool(
                guest or self.profiles.people()
            )
            if next_person:
                # Nobody stays chosen: the next Start cannot run with this person's limits.
                self.profiles.select(None)
        except ERRORS as error:
            self.on_message(f"Profiles: {error}")
        self.summary.show_session(ended)
        self.summary.next_button.setVisible(next_person)
        self.show_page("summary")
        if guest and not next_person:
            self.on_message("Guest session: not kept unless saved (Profiles page).")

    def on_next_person(self) -> None:
        self.profiles.select(None)
        self.show_page("profiles")

    # -- settings -------------------------------------------------------------------------------

    def apply_settings(self) -> None:
        s = self.app_settings
        unit = format.set_speed_unit(s.speed_unit)
        self.sounds.enabled = s.sounds
        self.speaker.enabled = s.speech
        for view in (self.dashboard, self.program_view, self.profiles_view, self.history_view):
            view.set_speed_unit(unit)
        self.rear_display.apply()

    # -- bridge → window ------------------------------------------------------------------------

    def on_session_started(self, info: SessionInfo) -> None:
        self.show_page("dashboard")

    def on_connected(self, info: TreadmillInfo) -> None:
        self._set_link_status(f"● {info.name or info.address}", "connected")
        if self.page == "connect":
            self.show_page("programs")

    def on_reconnected(self, info: TreadmillInfo) -> None:
        self._set_link_status(f"● {info.name or info.address}", "connected")

    def on_link_down(self, expected: bool) -> None:
        if expected:
            self._set_link_status("● not connected", "down")
        else:
            self._set_link_status("● connection lost — reconnecting", "lost")

    def on_reconnecting(self, event: Reconnecting) -> None:
        self._set_link_status(f"● reconnecting (attempt {event.attempt})", "lost")

    def on_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 10_000)

    def _set_link_status(self, text: str, state: str) -> None:
        self.link_status.setText(text)
        set_style_property(self.link_status, "state", state)

    # -- keys -----------------------------------------------------------------------------------

    def on_pause_key(self) -> None:
        # P pauses only; resuming moves the belt, which takes a deliberate button press.
        if self._bridge.session_state in (SessionState.RUNNING, SessionState.TURNAROUND):
            self._bridge.pause()

    def on_extend_key(self) -> None:
        self.controls.on_extend_clicked()

    # -- state kept across runs -----------------------------------------------------------------

    def _restore(self) -> None:
        geometry = self._settings.value("window/geometry")
        if isinstance(geometry, QByteArray | bytes) and not self.restoreGeometry(geometry):
            logger.info("saved window geometry not usable")
        elif not isinstance(geometry, QByteArray | bytes):
            self.resize(DEFAULT_SIZE)
        state = self._settings.value("window/state")
        if isinstance(state, QByteArray | bytes):
            self.restoreState(state)
        # Saved on a bigger screen (or a screen since unplugged), it comes back inside this one.
        self.fit_to_screen()
        self.show_page("connect")

    def fit_to_screen(self) -> None:
        fit_window(self)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown:
            # Now the frame (title bar, borders) is known, and the screen the system chose.
            self._shown = True
            self.fit_to_screen()
            handle = self.windowHandle()
            if handle is not None:
                handle.screenChanged.connect(lambda *_: self.fit_to_screen())

    def _save(self) -> None:
        self._settings.setValue("window/geometry", self.saveGeometry())
        self._settings.setValue("window/state", self.saveState())
        self._settings.sync()

    # -- closing --------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._shutdown_done:
            event.accept()
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self.key_filter)
            self.closed.emit()
            return
        event.ignore()
        if self._shutting_down:
            return
        self._shutting_down = True
        self._save()
        self.statusBar().showMessage("Stopping the belt and closing the session log…")
        task = asyncio.ensure_future(self._shutdown())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _shutdown(self) -> None:
        try:
            await asyncio.wait_for(self._bridge.shutdown(), SHUTDOWN_TIMEOUT_S + 2)
            await asyncio.wait_for(self.profiles.wait_idle(), SHUTDOWN_TIMEOUT_S)
        except TimeoutError:
            logger.error("shutdown took too long; closing anyway")
        finally:
            # After the belt: an upload under way is recorded (or left to the next start), a
            # Strava connect's wait for the browser ended. Bounded: CLOSE_WAIT_S.
            await self.uploads.close()
            self.profiles.close()
            self._shutdown_done = True
            self.close()

    @property
    def shut_down(self) -> bool:
        return self._shutdown_done
