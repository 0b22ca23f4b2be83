"""The chosen profile's accounts: Strava, intervals.icu, what happens after a session, the
export folder. A window of its own, opened from the Profiles page.

Shape::

    AccountsWindow(model, uploads)     a top-level window (non-modal), the panel in a scroll area
     └── AccountsPanel(model, uploads)
          ├── Strava         client id + client secret (echo off) → Connect: the address shown
          │                  (and opened in the browser), Copy, Cancel; connected: the athlete,
          │                  Disconnect; after a session: upload at once / ask / never
          ├── intervals.icu  athlete id + API key (echo off) → Connect; Disconnect; the choice
          ├── export folder  Choose folder… / No export folder; FIT, TCX, CSV
          └── message        what the last change did, or why it was refused (a sentence),
                             shown by the window beside Close

Whose: the profile chosen on the Profiles page, followed as it changes. Guest has no accounts
(it is shared by everybody who drops in: one person's Strava must not get everybody's runs) and
the panel says so; it may have an export folder. With nobody chosen the panel shows Guest's
export folder, which sessions recorded without a profile use too.

A separate window, not a part of the Profiles page: the page has no room left at 1280x720, and
in the main window Space and Esc always stop the belt (``ui.stop_keys``) — here, between
sessions, they are what they are in any text field. Non-modal: no nested event loop, the belt's
stop runs on this loop. Every change goes to :class:`ui.uploads.Uploads`, which runs the engine
on a worker thread and answers with ``accounts_changed``; this panel only asks and shows.
Nothing secret is displayed back: the secret and key fields are cleared once connected, and
what the panel shows of an account is the athlete and the (public) client id.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from treadctl.export import FORMATS, ExportFormat
from treadctl.profiles import Profile
from treadctl.upload import (
    AfterSession,
    ExportFolder,
    ProfileAccounts,
    Service,
    UploadError,
)
from ui.profiles.model import ERRORS, ProfilesModel
from ui.styling import set_style_property
from ui.uploads import AccountsAnswer, Uploads

__all__ = ["CHOICES", "AccountsPanel", "AccountsWindow"]

#: FIT first: what Strava, intervals.icu and Garmin Connect take.
_FORMAT_ORDER: tuple[ExportFormat, ...] = ("fit", "tcx", "csv")

#: The after-session choices, as the combo boxes list them.
CHOICES: tuple[tuple[AfterSession, str], ...] = (
    (AfterSession.AUTO, "upload at once"),
    (AfterSession.ASK, "ask each time"),
    (AfterSession.NEVER, "never"),
)


def _box(title: str) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setObjectName("sessionBox")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(14, 10, 14, 12)
    layout.setSpacing(8)
    label = QLabel(title)
    label.setObjectName("panelTitle")
    layout.addWidget(label)
    return frame, layout


def _note(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName("dimNote")
    label.setWordWrap(True)
    return label


def _field(placeholder: str, *, secret: bool = False) -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    if secret:
        # Echo off, and no copying out of it: a secret is typed or pasted in, never shown.
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
    return edit


def _choice_box(name: str) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(f"after a session, {name}")
    for _, words in CHOICES:
        combo.addItem(words)
    return combo


class AccountsPanel(QWidget):
    """See the module docstring."""

    def __init__(
        self, model: ProfilesModel, uploads: Uploads, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("accountsPanel")
        self._model = model
        self._uploads = uploads
        self._profile: Profile | None = None  # whose settings are shown (Guest for nobody)
        self._accounts: ProfileAccounts | None = None
        self.dialog: QFileDialog | None = None
        self._build()
        model.selected.connect(self.on_selected)
        model.changed.connect(self.on_profiles_changed)
        uploads.accounts_changed.connect(self.on_accounts_changed)
        uploads.connecting_changed.connect(self.on_connecting_changed)
        uploads.strava_address.connect(self.on_strava_address)
        self.on_selected(model.current)

    # -- building ------------------------------------------------------------------------------

    def _build(self) -> None:
        self.title = QLabel("Accounts and uploads")
        self.title.setObjectName("pageTitle")
        self.title.setWordWrap(True)
        self.note = _note()

        # Strava
        strava, box = _box("Strava")
        self.strava_state = QLabel("")
        self.strava_state.setWordWrap(True)
        self.strava_disconnect = QPushButton("Disconnect")
        self.strava_disconnect.setObjectName("dangerButton")
        self.strava_disconnect.clicked.connect(lambda: self.on_disconnect_clicked(Service.STRAVA))
        box.addLayout(self._state_row(self.strava_state, self.strava_disconnect))
        self.strava_form = QWidget()
        form = QGridLayout(self.strava_form)
        form.setContentsMargins(0, 0, 0, 0)
        self.client_id = _field("a number, e.g. 123456")
        self.client_id.setAccessibleName("Strava client id")
        self.client_secret = _field("from the same page (show)", secret=True)
        self.client_secret.setAccessibleName("Strava client secret")
        form.addWidget(QLabel("Client ID"), 0, 0)
        form.addWidget(self.client_id, 0, 1)
        form.addWidget(QLabel("Client secret"), 1, 0)
        form.addWidget(self.client_secret, 1, 1)
        self.strava_connect = QPushButton("Connect…")
        self.strava_connect.setToolTip("Opens Strava's page in the browser, to allow uploads")
        self.strava_connect.clicked.connect(self.on_strava_connect_clicked)
        form.addWidget(self.strava_connect, 2, 1, Qt.AlignmentFlag.AlignRight)
        box.addWidget(self.strava_form)
        self.strava_hint = _note(
            "Your own Strava API application (strava.com/settings/api), with 127.0.0.1 as "
            "its Authorization Callback Domain: docs/uploads.md says how."
        )
        box.addWidget(self.strava_hint)
        # While the browser is out: where it went, to copy if it did not open, and Cancel.
        self.strava_wait = QWidget()
        wait = QGridLayout(self.strava_wait)
        wait.setContentsMargins(0, 0, 0, 0)
        self.wait_text = QLabel(
            "Allow treadctl in the browser. If no browser opened, copy this address into one:"
        )
        self.wait_text.setWordWrap(True)
        self.address = QLineEdit()
        self.address.setReadOnly(True)
        self.address.setAccessibleName("Strava authorization address")
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(self.on_copy_clicked)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.on_cancel_clicked)
        wait.addWidget(self.wait_text, 0, 0, 1, 3)
        wait.addWidget(self.address, 1, 0)
        wait.addWidget(self.copy_button, 1, 1)
        wait.addWidget(self.cancel_button, 1, 2)
        wait.setColumnStretch(0, 1)
        box.addWidget(self.strava_wait)
        self.strava_choice = _choice_box("Strava")
        self.strava_choice.activated.connect(lambda i: self.on_choice(Service.STRAVA, i))
        box.addLayout(self._choice_row(self.strava_choice))
        box.addStretch(1)

        # intervals.icu
        intervals, box = _box("intervals.icu")
        self.intervals_state = QLabel("")
        self.intervals_state.setWordWrap(True)
        self.intervals_disconnect = QPushButton("Disconnect")
        self.intervals_disconnect.setObjectName("dangerButton")
        self.intervals_disconnect.clicked.connect(
            lambda: self.on_disconnect_clicked(Service.INTERVALS)
        )
        box.addLayout(self._state_row(self.intervals_state, self.intervals_disconnect))
        self.intervals_form = QWidget()
        form = QGridLayout(self.intervals_form)
        form.setContentsMargins(0, 0, 0, 0)
        self.athlete_id = _field("0: the key's own athlete")
        self.athlete_id.setText("0")
        self.athlete_id.setAccessibleName("intervals.icu athlete id")
        self.api_key = _field("Settings, Developer Settings", secret=True)
        self.api_key.setAccessibleName("intervals.icu API key")
        form.addWidget(QLabel("Athlete ID"), 0, 0)
        form.addWidget(self.athlete_id, 0, 1)
        form.addWidget(QLabel("API key"), 1, 0)
        form.addWidget(self.api_key, 1, 1)
        self.intervals_connect = QPushButton("Connect")
        self.intervals_connect.clicked.connect(self.on_intervals_connect_clicked)
        form.addWidget(self.intervals_connect, 2, 1, Qt.AlignmentFlag.AlignRight)
        box.addWidget(self.intervals_form)
        self.intervals_hint = _note(
            "The API key is at the bottom of intervals.icu's Settings page, under Developer "
            "Settings."
        )
        box.addWidget(self.intervals_hint)
        self.intervals_choice = _choice_box("intervals.icu")
        self.intervals_choice.activated.connect(lambda i: self.on_choice(Service.INTERVALS, i))
        box.addLayout(self._choice_row(self.intervals_choice))
        box.addStretch(1)

        # The export folder
        export, box = _box("Export folder")
        self.folder_state = QLabel("")
        self.folder_state.setWordWrap(True)
        box.addWidget(self.folder_state)
        row = QHBoxLayout()
        self.format_boxes: dict[ExportFormat, QCheckBox] = {}
        for fmt in sorted(FORMATS, key=_FORMAT_ORDER.index):
            check = QCheckBox(fmt.upper())
            check.setChecked(fmt == "fit")
            check.toggled.connect(lambda _on, f=fmt: self.on_format_toggled(f))
            row.addWidget(check)
            self.format_boxes[fmt] = check
        row.addStretch(1)
        self.choose_folder = QPushButton("Choose folder…")
        self.choose_folder.clicked.connect(self.on_choose_folder_clicked)
        self.no_folder = QPushButton("No export folder")
        self.no_folder.clicked.connect(self.on_no_folder_clicked)
        row.addWidget(self.choose_folder)
        row.addWidget(self.no_folder)
        box.addLayout(row)

        self.message = QLabel("")
        self.message.setObjectName("refusal")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        services = QHBoxLayout()
        services.setSpacing(16)
        services.addWidget(strava, 1)
        services.addWidget(intervals, 1)
        self.strava_box, self.intervals_box, self.export_box = strava, intervals, export
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 14, 20, 14)
        layout.setSpacing(10)
        layout.addWidget(self.title)
        layout.addWidget(self.note)
        layout.addLayout(services)
        layout.addWidget(export)
        layout.addStretch(1)
        # ``message`` is not laid out here: the window shows it beside its Close button, on
        # screen however the panel scrolls (and a row of height saved at 720 px).

    @staticmethod
    def _state_row(state: QLabel, disconnect: QPushButton) -> QHBoxLayout:
        # Side by side, the state wrapping: the two services' boxes share a 1100 px window.
        row = QHBoxLayout()
        row.addWidget(state, 1)
        row.addWidget(disconnect, 0, Qt.AlignmentFlag.AlignTop)
        return row

    @staticmethod
    def _choice_row(combo: QComboBox) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel("After a session:"))
        row.addWidget(combo)
        row.addStretch(1)
        return row

    # -- whose ---------------------------------------------------------------------------------

    @property
    def profile(self) -> Profile | None:
        """Whose settings are shown: the chosen profile, Guest's when nobody is."""
        return self._profile

    @property
    def accounts(self) -> ProfileAccounts | None:
        return self._accounts

    def on_profiles_changed(self) -> None:
        self.on_selected(self._model.current)  # renamed or deleted

    def on_selected(self, chosen: Profile | None) -> None:
        if (chosen.id if chosen else None) != (self._profile.id if self._profile else None):
            self.say("")  # about someone else
        self._profile = chosen
        self._accounts = None
        if not self._model.available:
            self.title.setText("Accounts and uploads")
            self.note.setText(f"Not available without the history: {self._model.error}")
            self._render()
            return
        if chosen is None:
            try:
                self._profile = self._model.profiles.guest()
            except ERRORS as error:
                self.note.setText(str(error))
                self._render()
                return
            self.title.setText("Accounts and uploads — nobody chosen")
            self.note.setText(
                "Nobody is chosen: sessions recorded without a profile use Guest's export "
                "folder, shown here. Choose a profile on the Profiles page to connect its "
                "accounts."
            )
        elif chosen.builtin:
            self.title.setText("Accounts and uploads — Guest")
            self.note.setText(
                "Guest is shared by everybody who drops in, so it has no Strava or "
                "intervals.icu account: one person's account must not receive everybody's "
                "sessions. Save a guest session to your profile to upload it. Guest may have an "
                "export folder (a gym's USB stick)."
            )
        else:
            self.title.setText(f"Accounts and uploads — {chosen.name}")
            self.note.setText(
                f"{chosen.name}'s own accounts: {chosen.name}'s sessions go there. Keys and "
                "secrets are kept in a file only this computer's user can read, and are never "
                "shown again."
            )
        profile = self._profile
        if profile is not None:
            try:
                self._accounts = self._uploads.load(profile)
            except UploadError as error:
                self.say(str(error), refused=True)
        self._render()

    # -- showing -------------------------------------------------------------------------------

    def _render(self) -> None:
        profile, accounts = self._profile, self._accounts
        person = profile is not None and not profile.builtin and accounts is not None
        connecting = person and profile is not None and self._uploads.connecting == profile.id
        strava = accounts.strava if accounts is not None else None
        intervals = accounts.intervals if accounts is not None else None

        if not person:
            why = "Choose your own profile to connect an account."
            self.strava_state.setText(why)
            self.intervals_state.setText(why)
        if strava is not None:
            tokens = strava.tokens
            who = tokens.athlete_name or "an athlete"
            if tokens.athlete_id:
                who += f" (athlete {tokens.athlete_id})"
            self.strava_state.setText(
                f"Connected as {who}, with your API application {strava.client_id}."
            )
        elif connecting:
            self.strava_state.setText("Connecting: waiting for the browser…")
        elif person:
            self.strava_state.setText("Not connected.")
        if intervals is not None:
            whose = (
                "the key's own athlete"
                if intervals.athlete_id == "0"
                else f"athlete {intervals.athlete_id}"
            )
            self.intervals_state.setText(f"Connected: {whose}.")
        elif person:
            self.intervals_state.setText("Not connected.")

        self.strava_form.setVisible(person and strava is None and not connecting)
        self.strava_hint.setVisible(person and strava is None and not connecting)
        self.strava_wait.setVisible(bool(connecting))
        self.address.setText((self._uploads.connect_address or "") if connecting else "")
        self.address.setCursorPosition(0)  # its start says where it goes: strava.com
        self.copy_button.setEnabled(bool(self.address.text()))
        self.strava_disconnect.setVisible(strava is not None)
        self.intervals_form.setVisible(person and intervals is None)
        self.intervals_hint.setVisible(person and intervals is None)
        self.intervals_disconnect.setVisible(intervals is not None)
        for service, combo in (
            (Service.STRAVA, self.strava_choice),
            (Service.INTERVALS, self.intervals_choice),
        ):
            combo.setEnabled(person)
            choice = accounts.preference(service) if accounts is not None else AfterSession.ASK
            combo.setCurrentIndex([c for c, _ in CHOICES].index(choice))

        folder = accounts.export_folder if accounts is not None else None
        usable = accounts is not None
        if folder is None:
            self.folder_state.setText(
                "None: sessions stay in the history. Choose a folder (a synced folder, a USB "
                "stick) to have each session written into it."
            )
        else:
            formats = ", ".join(f.upper() for f in folder.formats)
            self.folder_state.setText(f"{folder.path} — {formats} after each session.")
        for fmt, check in self.format_boxes.items():
            check.blockSignals(True)
            # No folder: what a folder chosen now gets (FIT, unless the person ticks others).
            check.setChecked(fmt in folder.formats if folder is not None else fmt == "fit")
            check.setEnabled(usable)
            check.blockSignals(False)
        self.choose_folder.setEnabled(usable)
        self.no_folder.setEnabled(usable and folder is not None)

    def say(self, text: str, *, refused: bool = False) -> None:
        self.message.setText(text)
        set_style_property(self.message, "state", "refused" if refused else "ok")

    def on_accounts_changed(self, answer: AccountsAnswer) -> None:
        if self._profile is None or answer.profile_id != self._profile.id:
            return  # another profile's (a connect started before the choice changed)
        text = answer.message
        if answer.woken:
            text += f" {answer.woken} upload(s) waiting for it are being sent now."
        self.say(text, refused=answer.refused)
        if answer.accounts is not None:
            self._accounts = answer.accounts
            if answer.service is Service.STRAVA and answer.accounts.strava is not None:
                self.client_secret.clear()
            if answer.service is Service.INTERVALS and answer.accounts.intervals is not None:
                self.api_key.clear()
        self._render()

    def on_connecting_changed(self) -> None:
        self._render()

    def on_strava_address(self, url: str) -> None:
        self._render()

    # -- Strava --------------------------------------------------------------------------------

    def _person(self) -> Profile | None:
        profile = self._profile
        return profile if profile is not None and not profile.builtin else None

    def on_strava_connect_clicked(self) -> None:
        profile = self._person()
        if profile is None:
            return
        client_id, secret = self.client_id.text().strip(), self.client_secret.text()
        if not client_id.isdigit():
            self.say(
                "Strava not connected: the Client ID is the number on your API application's "
                "page (strava.com/settings/api).",
                refused=True,
            )
            return
        if not secret.strip():
            self.say("Strava not connected: give the Client Secret too.", refused=True)
            return
        self.say("Opening Strava in the browser…")
        self._uploads.connect_strava(profile, client_id, secret)
        self._render()

    def on_copy_clicked(self) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None and self.address.text():
            clipboard.setText(self.address.text())
            self.say("Address copied: paste it into a browser.")

    def on_cancel_clicked(self) -> None:
        self._uploads.cancel_connect()

    # -- intervals.icu -------------------------------------------------------------------------

    def on_intervals_connect_clicked(self) -> None:
        profile = self._person()
        if profile is None:
            return
        if not self.api_key.text().strip():
            self.say("intervals.icu not connected: give the API key.", refused=True)
            return
        self.intervals_connect.setEnabled(False)
        task = self._uploads.connect_intervals(
            profile, self.athlete_id.text().strip() or "0", self.api_key.text()
        )
        task.add_done_callback(lambda _: self.intervals_connect.setEnabled(True))

    # -- both ----------------------------------------------------------------------------------

    def on_disconnect_clicked(self, service: Service) -> None:
        profile = self._person()
        if profile is not None:
            self._uploads.disconnect_account(profile, service)

    def on_choice(self, service: Service, index: int) -> None:
        profile = self._person()
        if profile is not None and 0 <= index < len(CHOICES):
            self._uploads.set_after_session(profile, service, CHOICES[index][0])

    # -- the export folder ---------------------------------------------------------------------

    def _formats(self) -> tuple[ExportFormat, ...]:
        return tuple(f for f, check in self.format_boxes.items() if check.isChecked())

    def on_choose_folder_clicked(self) -> None:
        folder = self._accounts.export_folder if self._accounts is not None else None
        start = str(folder.path) if folder is not None else str(Path.home())
        # Non-modal, as every dialog of the app: a modal one's nested loop is no place to run
        # a belt from.
        dialog = QFileDialog(self, "Export folder", start)
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(lambda path: self.choose_export_folder(Path(path)))
        dialog.finished.connect(lambda *_: setattr(self, "dialog", None))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()

    def choose_export_folder(self, path: Path) -> None:
        """Write each session of this profile into ``path``, in the formats ticked."""
        profile = self._profile
        if profile is None:
            return
        if not path.is_dir():
            # Never made for the person: a USB stick not plugged in must not become a folder
            # on the laptop's disk.
            self.say(f"{path} is not a folder; nothing was changed.", refused=True)
            return
        formats = self._formats() or cast(tuple[ExportFormat, ...], ("fit",))
        self._uploads.set_export_folder(profile, ExportFolder(path, formats))

    def on_no_folder_clicked(self) -> None:
        if self._profile is not None:
            self._uploads.set_export_folder(self._profile, None)

    def on_format_toggled(self, fmt: ExportFormat) -> None:
        profile, accounts = self._profile, self._accounts
        folder = accounts.export_folder if accounts is not None else None
        if profile is None or folder is None:
            return  # the formats the next chosen folder gets
        formats = self._formats()
        if not formats:
            check = self.format_boxes[fmt]
            check.blockSignals(True)
            check.setChecked(True)
            check.blockSignals(False)
            self.say(
                "At least one format: to stop exporting, press “No export folder”.", refused=True
            )
            return
        self._uploads.set_export_folder(profile, ExportFolder(folder.path, formats))


class AccountsWindow(QWidget):
    """The panel in a window of its own (see the module docstring). Closing it ends a Strava
    connect that is still waiting for the browser: nothing is kept half-way."""

    def __init__(self, model: ProfilesModel, uploads: Uploads, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.setObjectName("accountsWindow")
        self.setWindowTitle("Accounts and uploads — treadctl")
        self._uploads = uploads
        self.panel = AccountsPanel(model, uploads)
        scroll = QScrollArea()
        scroll.setObjectName("pageScroll")
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.panel)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        row = QHBoxLayout()
        row.setContentsMargins(20, 0, 20, 12)
        row.setSpacing(16)
        row.addWidget(self.panel.message, 1)
        row.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addLayout(row)
        self.resize(1100, 700)  # fitted to the screen by whoever shows it (fit_window)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._uploads.cancel_connect()
        super().closeEvent(event)
