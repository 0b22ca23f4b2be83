"""The profiles page: who is on the treadmill, their limits, the admin PIN.

Shape::

    ProfilesView(model, bridge)              the page
     ├── chooser                             people as big buttons, then Guest; New / Rename /
     │                                       Delete (asks first, says the history goes too)
     ├── last session box                    after a session; a Guest one offers "Save to
     │                                       profile" or "Don't keep"
     ├── LimitsTable                         the chosen profile's limits and progression cap,
     │                                       editable: Apply; PinDialog when a raise needs the PIN
     ├── "Accounts and uploads…"             accounts_requested: the window opens them in a
     │                                       window of their own (ui.profiles.accounts_panel)
     └── admin row                           "Change admin PIN…" (ChangePinDialog)

This page only asks and shows the answer (the model's signals); the rules are the engine's.
Distances and speeds are in the display unit (``ui.format``); ``set_speed_unit`` rewords the
last session's text and the limits table (which keeps edits in progress).
Why the PIN change lives here and not on the Settings page: this is the page where the PIN is
asked for (raising a limit), and where staff look after the limits; Settings points here.
Dialogs are separate windows opened with ``open()``: no nested event loop (the belt's stop runs
on this loop), and Space typed into a name is a space, not the window's STOP key.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from treadctl.core import SessionInfo
from treadctl.profiles import Profile
from treadctl.store import GUEST, StoredSession
from ui import format
from ui.bridge import Bridge
from ui.format import SpeedUnit
from ui.profiles.limits_table import LimitsTable
from ui.profiles.model import ERRORS, ProfilesModel
from ui.profiles.paces_panel import PacesButton
from ui.profiles.pin_dialogs import ChangePinDialog, PinDialog
from ui.profiles.wording import LimitsChange, describe_request, readable
from ui.styling import set_style_property

__all__ = ["ProfilesView"]


class ProfilesView(QWidget):
    """The chooser (left) and the chosen profile's limits (right)."""

    continue_requested = Signal()  # the person has chosen and wants to go on
    accounts_requested = Signal()  # "Accounts and uploads…" (the window opens them)

    def __init__(self, model: ProfilesModel, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("profilesView")
        self._model = model
        self._bridge = bridge
        self._guest_session: StoredSession | None = None
        # The last session's text, as a function: rewritten when the display unit changes.
        self._last_words: Callable[[], str] = lambda: ""
        self._shown: Profile | None = None  # whose limits the table shows
        self.name_dialog: QInputDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self.pin_dialog: PinDialog | None = None
        self.change_pin_dialog: ChangePinDialog | None = None
        self.profile_buttons: dict[str, QPushButton] = {}
        self._build()
        model.changed.connect(self.on_profiles_changed)
        model.selected.connect(self.on_selected)
        model.limits_saved.connect(self.on_limits_saved)
        model.limits_refused.connect(self.on_limits_refused)
        model.pin_required.connect(self.on_pin_required)
        model.pin_changed.connect(self.on_pin_changed)
        model.pin_change_refused.connect(self.on_pin_change_refused)
        bridge.session_started.connect(self.on_session_started)
        bridge.session_finished.connect(self.on_session_finished)
        self.on_profiles_changed()
        self.on_selected(model.current)

    # -- building ------------------------------------------------------------------------------

    def _build(self) -> None:
        title = QLabel("Who is on the treadmill?")
        title.setObjectName("pageTitle")
        title.setWordWrap(True)
        hint = QLabel(
            "Choose your name. Drop-ins use Guest: a guest session is not kept unless it is "
            "saved to a profile afterwards."
        )
        hint.setObjectName("dimNote")
        hint.setWordWrap(True)
        self.error = QLabel(self._model.error or "")
        self.error.setObjectName("refusal")
        self.error.setWordWrap(True)
        self.error.setVisible(bool(self._model.error))

        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.group.buttonClicked.connect(self.on_profile_clicked)
        self._buttons_box = QWidget()
        self._buttons_box.setObjectName("profileButtons")
        self._buttons_grid = QGridLayout(self._buttons_box)
        self._buttons_grid.setContentsMargins(0, 0, 0, 0)
        self._buttons_grid.setSpacing(12)
        scroll = QScrollArea()
        scroll.setObjectName("profileScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._buttons_box)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.new_button = QPushButton("&New profile…")
        self.new_button.clicked.connect(self.on_new_clicked)
        self.rename_button = QPushButton("&Rename…")
        self.rename_button.clicked.connect(self.on_rename_clicked)
        self.delete_button = QPushButton("&Delete…")
        self.delete_button.setObjectName("dangerButton")
        self.delete_button.clicked.connect(self.on_delete_clicked)
        manage = QHBoxLayout()
        for button in (self.new_button, self.rename_button, self.delete_button):
            manage.addWidget(button)
        manage.addStretch(1)

        # After a session: what happened, and for a guest the offer to keep it.
        self.last_box = QFrame()
        self.last_box.setObjectName("sessionBox")
        box = QVBoxLayout(self.last_box)
        self.last_text = QLabel("")
        self.last_text.setObjectName("sessionBoxText")
        self.last_text.setWordWrap(True)
        box.addWidget(self.last_text)
        self.guest_row = QWidget()
        row = QHBoxLayout(self.guest_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.save_target = QComboBox()
        self.save_target.setAccessibleName("profile to save the guest session to")
        self.save_button = QPushButton("&Save to profile")
        self.save_button.clicked.connect(self.on_save_guest_clicked)
        self.discard_button = QPushButton("Don't &keep")
        self.discard_button.clicked.connect(self.on_discard_guest_clicked)
        row.addWidget(self.save_target, 1)
        row.addWidget(self.save_button)
        row.addWidget(self.discard_button)
        box.addWidget(self.guest_row)
        self.last_box.setVisible(False)

        self.chosen = QLabel("")
        self.chosen.setObjectName("chosenLine")
        self.chosen.setWordWrap(True)
        self.continue_button = QPushButton("&Continue")
        self.continue_button.setObjectName("primaryButton")
        self.continue_button.clicked.connect(self.on_continue_clicked)
        go = QHBoxLayout()
        self.paces_button = PacesButton(self._model, self)  # the chosen person's race paces
        go.addWidget(self.paces_button)
        go.addStretch(1)
        go.addWidget(self.continue_button)

        left = QVBoxLayout()
        left.setSpacing(12)
        left.addWidget(title)
        left.addWidget(hint)
        left.addWidget(self.error)
        left.addWidget(scroll, 1)
        left.addWidget(self.last_box)
        left.addLayout(manage)
        left.addWidget(self.chosen)
        left.addLayout(go)

        self.limits_title = QLabel("Limits")
        self.limits_title.setObjectName("panelTitle")
        self.table = LimitsTable()
        self.table.edited.connect(self.on_table_edited)
        # Scrolls rather than making the window taller than a laptop screen.
        self.table_scroll = QScrollArea()
        self.table_scroll.setObjectName("limitsScroll")
        self.table_scroll.setWidgetResizable(True)
        self.table_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.table_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table_scroll.setWidget(self.table)
        self.placeholder = QLabel(
            "Choose a profile to see its limits. Anyone may lower their own; raising one "
            "above its default needs the admin PIN."
        )
        self.placeholder.setWordWrap(True)
        self.placeholder.setObjectName("dimNote")
        self.progression = QLabel("")
        self.progression.setObjectName("progressionLine")
        self.progression.setWordWrap(True)
        self.apply_button = QPushButton("&Apply changes")
        self.apply_button.setObjectName("primaryButton")
        self.apply_button.clicked.connect(self.on_apply_clicked)
        self.undo_button = QPushButton("&Undo changes")
        self.undo_button.clicked.connect(self.on_undo_clicked)
        self.limits_message = QLabel("")
        self.limits_message.setObjectName("limitsMessage")
        self.limits_message.setWordWrap(True)
        self.apply_row = QWidget()
        apply_row = QHBoxLayout(self.apply_row)
        apply_row.setContentsMargins(0, 0, 0, 0)
        apply_row.addWidget(self.apply_button)
        apply_row.addWidget(self.undo_button)
        apply_row.addStretch(1)
        # The admin's own corner: where the PIN that guards the limits is set or changed.
        self.pin_status = QLabel("")
        self.pin_status.setObjectName("dimNote")
        self.pin_status.setWordWrap(True)
        self.pin_button = QPushButton("Change admin &PIN…")
        self.pin_button.setObjectName("adminPinButton")
        self.pin_button.clicked.connect(self.on_change_pin_clicked)
        admin_row = QHBoxLayout()
        admin_row.setContentsMargins(0, 6, 0, 0)
        admin_row.addWidget(self.pin_status, 1)
        admin_row.addWidget(self.pin_button)
        right = QVBoxLayout()
        right.setSpacing(8)
        # Beside the limits' title: accounts belong to the profile too; the page has no
        # room for them, so they open in a window of their own (ui.profiles.accounts_panel).
        self.accounts_button = QPushButton("Accounts and uploads…")
        self.accounts_button.setObjectName("smallButton")  # the column is full at 1280x720
        self.accounts_button.clicked.connect(self.accounts_requested)
        title_row = QHBoxLayout()
        title_row.addWidget(self.limits_title, 1)
        title_row.addWidget(self.accounts_button)
        right.addLayout(title_row)
        right.addWidget(self.placeholder, 1, Qt.AlignmentFlag.AlignTop)
        right.addWidget(self.table_scroll, 1)
        right.addWidget(self.progression)
        right.addWidget(self.apply_row)
        right.addWidget(self.limits_message)
        right.addLayout(admin_row)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(32)
        layout.addLayout(left, 4)
        layout.addLayout(right, 7)

    # -- chooser -------------------------------------------------------------------------------

    def on_profiles_changed(self) -> None:
        for button in list(self.profile_buttons.values()):
            self.group.removeButton(button)
            button.deleteLater()
        self.profile_buttons.clear()
        profiles = self._model.list_all()
        for index, profile in enumerate(profiles):
            text = "Guest" if profile.builtin else profile.name
            button = QPushButton(text)
            button.setObjectName("guestButton" if profile.builtin else "profileButton")
            button.setCheckable(True)
            button.setAccessibleName(f"profile {profile.name}")
            if profile.builtin:
                button.setToolTip("For drop-ins: default limits, sessions not kept unless saved")
            self.group.addButton(button)
            row, column = divmod(index, 2)
            self._buttons_grid.addWidget(button, row, column)
            self.profile_buttons[profile.name] = button
        self._buttons_grid.setRowStretch(len(profiles) // 2 + 1, 1)
        self._fix_tab_order()
        self.save_target.clear()
        self.save_target.addItems([p.name for p in self._model.people()])
        self.on_selected(self._model.current)

    def _fix_tab_order(self) -> None:
        chain: list[QWidget] = [*self.profile_buttons.values()]
        chain += [self.save_target, self.save_button, self.discard_button]
        chain += [self.new_button, self.rename_button, self.delete_button, self.continue_button]
        chain += list(self.table.spins.values())
        chain += [self.apply_button, self.undo_button, self.pin_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def choose(self, name: str) -> None:
        """Choose ``name`` as if its button were clicked."""
        self.profile_buttons[name].click()

    def on_profile_clicked(self, button: QPushButton) -> None:
        name = next((n for n, b in self.profile_buttons.items() if b is button), None)
        if name is None:
            return
        if self._guest_session is not None and name != GUEST:
            # The next person has chosen: the guest's offer is over.
            self._discard_guest()
        self._select(name)

    def _select(self, name: str) -> None:
        try:
            self._model.select(name)
        except ERRORS as error:
            self._say(str(error), refused=True)
        self.on_selected(self._model.current)

    def on_selected(self, profile: Profile | None) -> None:
        # An exclusive group keeps one button checked: let go of that to show "nobody".
        self.group.setExclusive(False)
        for name, button in self.profile_buttons.items():
            button.setChecked(profile is not None and name == profile.name)
        self.group.setExclusive(True)
        if profile is None or profile.id != getattr(self._shown, "id", None):
            self.limits_message.setText("")  # about someone else's limits
        self._shown = profile
        in_session = self._bridge.session_active
        person = profile is not None and not profile.builtin
        # Between sessions only: a session keeps the profile (and the name) it started with.
        manage = self._model.available and not in_session
        self.rename_button.setEnabled(person and manage)
        self.delete_button.setEnabled(person and manage)
        self.new_button.setEnabled(manage)
        for button in self.profile_buttons.values():
            button.setEnabled(not in_session)
        if profile is None:
            self.chosen.setText("Nobody chosen: sessions run with the default limits.")
            self.continue_button.setText("&Continue without a profile")
            self._set_primary(self.continue_button, primary=False)
            self.limits_title.setText("Limits")
            self.placeholder.setVisible(True)
            self.table_scroll.setVisible(False)
            self.apply_row.setVisible(False)
            self.progression.setText("")
        else:
            who = "a guest" if profile.builtin else profile.name
            self.chosen.setText(f"On the treadmill: {who}")
            self.continue_button.setText(f"&Continue as {'Guest' if profile.builtin else who}")
            self._set_primary(self.continue_button, primary=True)
            self.limits_title.setText(f"Limits — {profile.name}")
            self.placeholder.setVisible(False)
            self.table_scroll.setVisible(True)
            self.apply_row.setVisible(True)
            self.table.show_profile(profile)
            try:
                self.progression.setText(self._model.progression(profile).describe())
            except ERRORS as error:
                self.progression.setText(str(error))
        self._update_apply()
        self._update_pin_row()

    def on_continue_clicked(self) -> None:
        self.continue_requested.emit()

    # -- new, rename, delete -------------------------------------------------------------------

    def _ask_name(self, title: str, label: str, text: str, slot: Any) -> None:
        dialog = QInputDialog(self)
        dialog.setObjectName("nameDialog")
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextValue(text)
        dialog.textValueSelected.connect(slot)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda *_: setattr(self, "name_dialog", None))
        self.name_dialog = dialog
        dialog.open()

    def on_new_clicked(self) -> None:
        self._ask_name("New profile", "Name of the new profile:", "", self.create_profile)

    def create_profile(self, name: str) -> Profile | None:
        try:
            profile = self._model.create(name)
        except ERRORS as error:
            self._say(f"No profile created: {error}", refused=True)
            return None
        self._say(f"Profile {profile.name} created, with the default limits.")
        # Chosen at once, but a guest session on offer stays: it may be saved to this one.
        self._select(profile.name)
        return profile

    def on_rename_clicked(self) -> None:
        profile = self._model.current
        if profile is None or profile.builtin:
            return
        self._ask_name(
            "Rename profile", f"New name for {profile.name}:", profile.name, self.rename_profile
        )

    def rename_profile(self, new: str) -> Profile | None:
        profile = self._model.current
        if profile is None:
            return None
        try:
            renamed = self._model.rename(profile.name, new)
        except ERRORS as error:
            self._say(f"Not renamed: {error}", refused=True)
            return None
        self._say(f"{profile.name} is now called {renamed.name}; the history stays with it.")
        return renamed

    def on_delete_clicked(self) -> None:
        profile = self._model.current
        if profile is None or profile.builtin:
            return
        try:
            count = len(self._model.sessions(profile.name))
        except ERRORS:
            count = 0
        box = QMessageBox(self)
        box.setObjectName("confirmDelete")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Delete profile")
        box.setText(f"Delete the profile {profile.name}?")
        box.setInformativeText(
            f"This also deletes {profile.name}'s history: {count} session(s) and their log "
            "files. It cannot be undone."
        )
        delete = box.addButton(
            f"Delete {profile.name} and the history", QMessageBox.ButtonRole.DestructiveRole
        )
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        name = profile.name

        def on_clicked(button: object) -> None:
            self.confirm_box = None
            if button is delete:
                self.delete_profile(name)

        box.buttonClicked.connect(on_clicked)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.confirm_box = box
        box.open()

    def delete_profile(self, name: str) -> None:
        try:
            count = self._model.delete(name)
        except ERRORS as error:
            self._say(f"Not deleted: {error}", refused=True)
            return
        self._say(f"Profile {name} deleted, with {count} session(s).")

    # -- after a session -----------------------------------------------------------------------

    def on_session_started(self, info: SessionInfo) -> None:
        self.on_selected(self._model.current)

    def on_session_finished(self, *_: object) -> None:
        self.on_selected(self._model.current)

    def show_last_session(self, stored: StoredSession | None) -> None:
        """What the session that just ended was; for an unsaved guest one, the offer."""
        if stored is None:
            self.last_box.setVisible(False)
            self._guest_session = None
            return

        def what() -> str:
            s = stored.summary
            return (
                f"{format.clock(s.duration_s)}, {format.distance(s.distance_m)}, "
                f"{s.backward_minutes:.1f} min backward, {stored.outcome_words}"
            )

        if stored.saved:
            self._guest_session = None
            owner = stored.profile or "no profile"
            self._say_last(lambda: f"Last session: {what()}. Kept in the history of {owner}.")
            self.guest_row.setVisible(False)
        else:
            self._guest_session = stored
            people = self._model.people()
            if people:
                self._say_last(
                    lambda: (
                        f"Guest session: {what()}. It is not kept unless you save it to a profile."
                    )
                )
            else:
                self._say_last(
                    lambda: (
                        f"Guest session: {what()}. It is not kept: create a profile (New "
                        "profile…) to save it there."
                    )
                )
            self.guest_row.setVisible(True)
            self.save_target.setEnabled(bool(people))
            self.save_button.setEnabled(bool(people))
        self.last_box.setVisible(True)

    def _say_last(self, words: Callable[[], str]) -> None:
        """The last session's text, kept as ``words`` to reword it in another unit."""
        self._last_words = words
        self.last_text.setText(words())

    def set_speed_unit(self, unit: SpeedUnit) -> None:
        """The display unit changed (settings): the last session's text and the limits."""
        self.last_text.setText(self._last_words())
        self.table.set_speed_unit(unit)
        self.paces_button.set_speed_unit(unit)

    @property
    def guest_session(self) -> StoredSession | None:
        """The guest session on offer (None when there is none)."""
        return self._guest_session

    def on_save_guest_clicked(self) -> None:
        target = self.save_target.currentText()
        session = self._guest_session
        if session is None or not target:
            return
        try:
            self._model.save_guest(session.id, target)
        except ERRORS as error:
            self._say(f"Not saved: {error}", refused=True)
            return
        self._guest_session = None
        self.guest_row.setVisible(False)
        self._say_last(lambda: f"Guest session saved to {target}'s history.")
        self._say(f"Guest session saved to {target}.")

    def on_discard_guest_clicked(self) -> None:
        self._discard_guest()
        self._say_last(lambda: "Guest session not kept.")

    def _discard_guest(self) -> None:
        try:
            self._model.discard_guest()
        except ERRORS as error:
            self._say(f"Could not let go of the guest session: {error}", refused=True)
        self._guest_session = None
        self.guest_row.setVisible(False)

    # -- limits --------------------------------------------------------------------------------

    def on_table_edited(self) -> None:
        self.limits_message.setText("")
        self._update_apply()

    def _update_apply(self) -> None:
        editable = (
            self._model.current is not None
            and self._model.available
            and not self._bridge.session_active
        )
        self.table.setEnabled(editable)
        dirty = editable and self.table.dirty
        self.apply_button.setEnabled(dirty)
        self.undo_button.setEnabled(dirty)

    def on_undo_clicked(self) -> None:
        self.table.revert()
        self._update_apply()

    def on_apply_clicked(self) -> None:
        profile = self._model.current
        if profile is None:
            return
        try:
            limits = self.table.edited_limits()
        except ValueError as error:
            self.on_limits_refused(f"Not saved, nothing was changed: {readable(str(error))}.")
            return
        self.apply_button.setEnabled(False)
        self._model.apply_limits(profile.name, limits, progression_cap=self.table.edited_cap())

    def on_pin_required(self, name: str, change: LimitsChange, first_use: bool) -> None:
        try:
            before = self._model.profiles.get(name)
        except ERRORS as error:
            self.on_limits_refused(f"Not saved, nothing was changed: {error}")
            return
        what = f"Raising {describe_request(before, change)} for {name} needs the admin PIN."
        wait = 0.0 if first_use else self._model.pin_wait_s()
        dialog = PinDialog(self, what=what, first_use=first_use, wait_s=wait)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def on_finished(result: int) -> None:
            self.pin_dialog = None
            if result == QDialog.DialogCode.Accepted:
                self._model.apply_limits(
                    name, change.limits, dialog.value, progression_cap=change.progression_cap
                )
            else:
                self.on_limits_refused("Not saved: no admin PIN given. Nothing was changed.")

        dialog.finished.connect(on_finished)
        self.pin_dialog = dialog
        dialog.open()

    def on_limits_saved(self, profile: Profile, changes: str) -> None:
        if self._model.current is not None and self._model.current.id == profile.id:
            self.table.show_profile(profile)
        self._say_limits(f"Saved for {profile.name}: {changes}." if changes else "No change.")
        self._update_apply()

    def on_limits_refused(self, message: str) -> None:
        # Nothing was changed: show what is stored, so the screen does not suggest otherwise.
        self.table.revert()
        self._say_limits(message, refused=True)
        self._update_apply()

    # -- the admin PIN -------------------------------------------------------------------------

    def _update_pin_row(self) -> None:
        available = self._model.available
        has_pin = self._model.has_pin()
        self.pin_button.setEnabled(available and self.change_pin_dialog is None)
        self.pin_button.setText("Change admin &PIN…" if has_pin else "Set admin &PIN…")
        if not available:
            self.pin_status.setText("Admin PIN: not available without the history database.")
        elif has_pin:
            self.pin_status.setText("Admin PIN: set. It guards every raise above the defaults.")
        else:
            self.pin_status.setText(
                "Admin PIN: not set yet. The first raise above a default sets it, or set it now."
            )

    def on_change_pin_clicked(self) -> None:
        if self.change_pin_dialog is not None:
            return
        first_use = not self._model.has_pin()
        wait = 0.0 if first_use else self._model.pin_wait_s()
        dialog = ChangePinDialog(self, first_use=first_use, wait_s=wait)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.submitted.connect(self._model.change_pin)

        def on_finished(*_: object) -> None:
            self.change_pin_dialog = None
            self._update_pin_row()

        dialog.finished.connect(on_finished)
        self.change_pin_dialog = dialog
        self._update_pin_row()
        dialog.open()

    def on_pin_changed(self, first: bool) -> None:
        dialog = self.change_pin_dialog
        if dialog is not None:
            dialog.accept()
        self._update_pin_row()
        self._say_limits(
            "Admin PIN set: from now on it guards every raise above the defaults."
            if first
            else "Admin PIN changed: the old PIN no longer works."
        )

    def on_pin_change_refused(self, message: str, error: object) -> None:
        dialog = self.change_pin_dialog
        if dialog is not None:
            dialog.refused(message, error)
        else:  # closed meanwhile: still say it
            self._say_limits(message, refused=True)

    # -- messages ------------------------------------------------------------------------------

    @staticmethod
    def _set_primary(button: QPushButton, *, primary: bool) -> None:
        button.setObjectName("primaryButton" if primary else "")
        button.style().unpolish(button)
        button.style().polish(button)

    def _say_limits(self, text: str, *, refused: bool = False) -> None:
        self.limits_message.setText(text)
        set_style_property(self.limits_message, "state", "refused" if refused else "ok")

    def _say(self, text: str, *, refused: bool = False) -> None:
        self.error.setText(text)
        set_style_property(self.error, "state", "refused" if refused else "ok")
        self.error.setVisible(bool(text))
