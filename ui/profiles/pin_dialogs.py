"""The admin PIN's dialogs: asking for it before a raise, and setting or changing it.

Shape::

    pin_field(accessible_name)               a line for a PIN: never echoed, no suggestions
    PinDialog(parent, what=, first_use=)     asks for the admin PIN (sets it on first use:
                                             typed twice); the page reads ``value`` on accept
    ChangePinDialog(parent, first_use=)      old PIN, new PIN twice; ``submitted(new, old)``,
                                             then stays open (``busy``) until the engine has
                                             answered, and shows a refusal in place

Both only check the form (filled in, long enough, typed the same twice); the PIN itself is
checked by the engine. Dialogs are separate windows opened with ``open()``: no nested event
loop (the belt's stop runs on this loop), and Space typed into a field is a space, not the
window's STOP key.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from treadctl.profiles import MIN_PIN_LENGTH, PinRequired, PinThrottled, WrongPin
from ui.profiles.wording import pin_wait_note

__all__ = ["ChangePinDialog", "PinDialog", "pin_field"]


def pin_field(accessible_name: str) -> QLineEdit:
    """A line for a PIN: never echoed, kept from input methods' suggestions and history."""
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setInputMethodHints(
        Qt.InputMethodHint.ImhHiddenText
        | Qt.InputMethodHint.ImhSensitiveData
        | Qt.InputMethodHint.ImhNoPredictiveText
    )
    field.setAccessibleName(accessible_name)
    return field


class PinDialog(QDialog):
    """Asks for the admin PIN; on first use, sets it (typed twice)."""

    def __init__(self, parent: QWidget, *, what: str, first_use: bool, wait_s: float = 0) -> None:
        super().__init__(parent)
        self.setObjectName("pinDialog")
        self.setWindowTitle("Admin PIN")
        self.first_use = first_use
        text = QLabel(what)
        text.setObjectName("dialogText")
        text.setWordWrap(True)
        self.pin = pin_field("admin PIN")
        self.confirm = pin_field("admin PIN again")
        self.problem = QLabel(pin_wait_note(wait_s) if wait_s else "")
        self.problem.setObjectName("refusal")
        self.problem.setWordWrap(True)
        form = QGridLayout()
        pin_label = QLabel("Admin &PIN")
        pin_label.setBuddy(self.pin)
        form.addWidget(pin_label, 0, 0)
        form.addWidget(self.pin, 0, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        if first_use:
            note = QLabel(
                "No admin PIN is set yet. The PIN you choose now becomes the admin PIN "
                f"(at least {MIN_PIN_LENGTH} characters); from then on it guards every raise "
                "above the defaults."
            )
            note.setObjectName("dimNote")
            note.setWordWrap(True)
            layout.addWidget(note)
            again = QLabel("PIN &again")
            again.setBuddy(self.confirm)
            form.addWidget(again, 1, 0)
            form.addWidget(self.confirm, 1, 1)
        else:
            self.confirm.hide()
        layout.addLayout(form)
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Set PIN and save" if first_use else "Save")
        self.buttons.accepted.connect(self.on_ok)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

    @property
    def value(self) -> str:
        return self.pin.text()

    def on_ok(self) -> None:
        if not self.pin.text():
            self.problem.setText("Type the admin PIN, or Cancel.")
            return
        if self.first_use and len(self.pin.text()) < MIN_PIN_LENGTH:
            self.problem.setText(f"The admin PIN needs at least {MIN_PIN_LENGTH} characters.")
            return
        if self.first_use and self.pin.text() != self.confirm.text():
            self.problem.setText("The two PINs differ: type the same PIN twice.")
            return
        self.accept()


class ChangePinDialog(QDialog):
    """Changes the admin PIN: the current one, then the new one twice (first use: no current).

    ``submitted(new, old)`` when the form is complete; the dialog then waits (``busy``) for
    :meth:`refused` or the page closing it. A refusal is shown here, so the new PIN need not be
    typed again after a mistyped current one.
    """

    submitted = Signal(str, object)  # new PIN, current PIN (None on first use)

    def __init__(self, parent: QWidget, *, first_use: bool, wait_s: float = 0) -> None:
        super().__init__(parent)
        self.setObjectName("changePinDialog")
        self.first_use = first_use
        self.setWindowTitle("Set admin PIN" if first_use else "Change admin PIN")
        text = QLabel(
            "No admin PIN is set yet. Choose one: from then on it guards raising any limit "
            "above its default, on every profile."
            if first_use
            else "The admin PIN guards raising any limit above its default, on every profile. "
            "To change it, type the current PIN, then the new one twice."
        )
        text.setObjectName("dialogText")
        text.setWordWrap(True)
        self.old = pin_field("current admin PIN")
        self.new = pin_field("new admin PIN")
        self.again = pin_field("new admin PIN again")
        form = QGridLayout()
        form.setHorizontalSpacing(14)
        self._old_label = QLabel("&Current PIN")
        self._old_label.setBuddy(self.old)
        new_label = QLabel("&New PIN")
        new_label.setBuddy(self.new)
        again_label = QLabel("New PIN &again")
        again_label.setBuddy(self.again)
        for row, (label, field) in enumerate(
            ((self._old_label, self.old), (new_label, self.new), (again_label, self.again))
        ):
            form.addWidget(label, row, 0)
            form.addWidget(field, row, 1)
        note = QLabel(
            f"At least {MIN_PIN_LENGTH} characters. Three wrong PINs in a row and no PIN is "
            "checked for a while (5 s, doubling, at most 5 min)."
        )
        note.setObjectName("dimNote")
        note.setWordWrap(True)
        self.problem = QLabel("")
        self.problem.setObjectName("refusal")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Set PIN" if first_use else "Change PIN")
        self.buttons.accepted.connect(self.on_ok)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)
        self._old_label.setVisible(not first_use)
        self.old.setVisible(not first_use)
        if wait_s:
            self._say(pin_wait_note(wait_s))
        (self.new if first_use else self.old).setFocus()

    @property
    def busy(self) -> bool:
        """Submitted, waiting for the answer."""
        return not self.ok_button.isEnabled()

    def _say(self, text: str) -> None:
        self.problem.setText(text)

    def _set_busy(self, busy: bool) -> None:
        self.ok_button.setEnabled(not busy)
        for field in (self.old, self.new, self.again):
            field.setEnabled(not busy)

    def on_ok(self) -> None:
        if self.busy:
            return
        old = None if self.first_use else self.old.text()
        if old is not None and not old:
            self._say("Type the current admin PIN.")
            self.old.setFocus()
            return
        if len(self.new.text()) < MIN_PIN_LENGTH:
            self._say(f"The new PIN needs at least {MIN_PIN_LENGTH} characters.")
            self.new.setFocus()
            return
        if self.new.text() != self.again.text():
            self._say("The two new PINs differ: type the same PIN twice.")
            self.again.clear()
            self.again.setFocus()
            return
        self._say("")
        self._set_busy(True)
        self.submitted.emit(self.new.text(), old)

    def refused(self, message: str, error: object) -> None:
        """The engine said no: show why, and clear what has to be typed again."""
        self._set_busy(False)
        self._say(message)
        if isinstance(error, PinRequired) and self.first_use:
            self.first_use = False
            self._old_label.setVisible(True)
            self.old.setVisible(True)
            self.ok_button.setText("Change PIN")
        if isinstance(error, WrongPin | PinThrottled | PinRequired):
            self.old.clear()
            self.old.setFocus()
