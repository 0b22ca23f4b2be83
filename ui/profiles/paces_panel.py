"""The chosen person's race paces, on the profiles page: a "Race paces…" button and its window.

Shape::

    PacesButton(model, parent)       on the page, beside Continue; greyed for Guest and for
     │                               nobody (Guest keeps no paces: Profiles.set_paces)
     └── dialog: PacesDialog         a small non-modal window, opened with show()
          └── panel: PacesPanel      the five paces (1 mile … marathon) in min/km or min/mi
                                     (the display unit's system), each with the speed it is;
                                     Save stores them (an empty field: not given)

Why a window and not a section of the page: the page is full at 1280x720 (the limits table
already scrolls), and paces are set once in a while, not every session. Its own Save, not the
limits' Apply: paces are no limit and need no PIN (every speed an imported program takes from
them is still fitted to the limits, and clamped by the governor), so they are not held back
by a raise waiting for the PIN.

The import preview (``ui.import_preview``) fills in and saves the same paces; this is where a
person sees and corrects them. The rules are the engine's; this only shows and forwards.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from treadctl.profiles import Profile
from treadctl.program import PaceZone, RunPaces, format_pace, parse_pace
from ui import format
from ui.format import SpeedUnit
from ui.profiles.model import ERRORS, ProfilesModel
from ui.styling import set_style_property

__all__ = ["PaceField", "PacesButton", "PacesDialog", "PacesPanel", "per_unit"]


def per_unit(unit: SpeedUnit) -> str:
    """The distance a pace is per in ``unit``'s system: "mi" for the imperial units, "km"."""
    return "mi" if unit.imperial else "km"


_per = per_unit


class PaceField(QLineEdit):
    """A race pace typed as "m:ss" per km or per mile (``per``), or "m:ss/km" with its unit.

    A pace shown here (stored, or rewritten in another unit) is rounded to the second; the
    field keeps the exact value behind that text, so a pace given as 8:00 /mi and shown as
    4:58 /km still converts, and is saved, as 8:00 /mi. Typing replaces it.
    """

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paceField")
        self.setAccessibleName(name)
        self.setPlaceholderText("m:ss")
        self._exact: tuple[str, float] | None = None

    def set_pace(self, seconds_per_km: float | None, per: str) -> None:
        if seconds_per_km is None:
            self._exact = None
            self.setText("")
            return
        text = format_pace(seconds_per_km, per).split()[0]
        self._exact = (text, seconds_per_km)
        self.setText(text)

    def pace(self, per: str) -> float | None:
        """Seconds per km; None when empty; ``ValueError`` (saying what a pace is) else."""
        text = self.text().strip()
        if not text:
            return None
        if self._exact is not None and text == self._exact[0]:
            return self._exact[1]
        return parse_pace(text if "/" in text else f"{text}/{per}")


class PacesPanel(QWidget):
    """The five paces of one profile, editable, with their own Save."""

    saved = Signal(object)  # the Profile, as stored

    def __init__(self, model: ProfilesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pacesPanel")
        self._model = model
        self._profile: Profile | None = None
        self._unit = format.speed_unit()
        self.title = QLabel("")
        self.title.setObjectName("panelTitle")
        hint = QLabel(
            "Zwift run workouts set their speeds as a share of these race paces. Leave a pace "
            "empty if you do not know it: an import then asks for it."
        )
        hint.setObjectName("dimNote")
        hint.setWordWrap(True)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        self.fields: dict[PaceZone, PaceField] = {}
        self.units: dict[PaceZone, QLabel] = {}
        self.speeds: dict[PaceZone, QLabel] = {}
        for row, zone in enumerate(PaceZone):
            caption = QLabel(zone.describe.capitalize())
            field = PaceField(zone.describe)
            field.setMaximumWidth(100)
            field.textChanged.connect(self.on_edited)
            caption.setBuddy(field)
            unit = QLabel("")
            unit.setObjectName("dimNote")
            speed = QLabel("")
            speed.setObjectName("dimNote")
            grid.addWidget(caption, row, 0)
            grid.addWidget(field, row, 1)
            grid.addWidget(unit, row, 2)
            grid.addWidget(speed, row, 3)
            self.fields[zone] = field
            self.units[zone] = unit
            self.speeds[zone] = speed
        grid.setColumnStretch(3, 1)
        self.save_button = QPushButton("&Save paces")
        self.save_button.setObjectName("primaryButton")
        self.save_button.clicked.connect(self.on_save_clicked)
        self.message = QLabel("")
        self.message.setObjectName("refusal")
        self.message.setWordWrap(True)
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_button)
        save_row.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(hint)
        layout.addLayout(grid)
        layout.addLayout(save_row)

    def show_profile(self, profile: Profile | None) -> None:
        """``profile``'s stored paces (edits not saved are let go)."""
        self._profile = profile
        self.title.setText(f"Race paces — {profile.name}" if profile is not None else "")
        paces = profile.paces if profile is not None else RunPaces()
        for zone, field in self.fields.items():
            field.set_pace(paces.get(zone), _per(self._unit))
        self.setEnabled(profile is not None and not profile.builtin)
        self._say("")

    def set_speed_unit(self, unit: SpeedUnit) -> None:
        """Another display unit: the paces typed so far rewritten in its system."""
        paces, _ = self.edited_paces()
        self._unit = unit
        for zone, field in self.fields.items():
            if (value := paces.get(zone)) is not None:
                field.set_pace(value, _per(unit))
        self.on_edited()

    def edited_paces(self) -> tuple[RunPaces, list[str]]:
        """The paces in the fields, and a sentence for each field that is not a pace."""
        paces = RunPaces()
        problems = []
        per = _per(self._unit)
        for zone, field in self.fields.items():
            try:
                value = field.pace(per)
            except ValueError as error:
                value = None
                expected = getattr(error, "expected", str(error))
                problems.append(f"{zone.describe}: expected {expected}")
            set_style_property(field, "invalid", bool(field.text().strip()) and value is None)
            if value is not None:
                paces = paces.with_pace(zone, value)
        return paces, problems

    def on_edited(self, *_: object) -> None:
        paces, problems = self.edited_paces()
        for zone, label in self.units.items():
            label.setText(f"min/{_per(self._unit)}")
            speed = paces.speed_kmh(zone)
            self.speeds[zone].setText(
                "" if speed is None else f"= {format.speed_with_unit(speed, self._unit.as_speed)}"
            )
        self._say("; ".join(problems) + "." if problems else "", refused=True)

    def on_save_clicked(self) -> None:
        self.save()

    def save(self) -> Profile | None:
        """Store the paces in the fields; the profile as stored, or None (and why, shown)."""
        profile = self._profile
        if profile is None:
            return None
        paces, problems = self.edited_paces()
        if problems:
            self._say("Not saved: " + "; ".join(problems) + ".", refused=True)
            return None
        try:
            stored = self._model.profiles.set_paces(profile.name, paces)
        except ERRORS as error:
            self._say(f"Not saved: {error}", refused=True)
            return None
        self._profile = stored
        self._say(f"Saved for {stored.name}.")
        self.saved.emit(stored)
        return stored

    def _say(self, text: str, *, refused: bool = False) -> None:
        self.message.setText(text)
        set_style_property(self.message, "state", "refused" if refused else "ok")


class PacesDialog(QDialog):
    """The panel in a small window of its own, with Close."""

    def __init__(self, model: ProfilesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pacesDialog")
        self.setWindowTitle("Race paces — treadctl")
        self.panel = PacesPanel(model, self)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
        layout.addLayout(buttons)
        self.resize(640, 420)  # well within 1280x720


class PacesButton(QPushButton):
    """ "Race paces…" for the chosen person; opens (and keeps up to date) the dialog."""

    def __init__(self, model: ProfilesModel, parent: QWidget | None = None) -> None:
        super().__init__("Race &paces…", parent)
        self.setObjectName("pacesButton")
        self._model = model
        self.dialog: PacesDialog | None = None
        self.clicked.connect(self.on_clicked)
        model.selected.connect(self.on_selected)
        self.on_selected(model.current)

    def on_selected(self, profile: Profile | None) -> None:
        person = profile is not None and not profile.builtin and self._model.available
        self.setEnabled(person)
        self.setToolTip(
            "Your race paces (1 mile … marathon), for importing Zwift run workouts"
            if person
            else "Guest keeps no race paces"
            if profile is not None
            else "Choose a profile to see its race paces"
        )
        if self.dialog is not None:
            self.dialog.panel.show_profile(self._fresh(profile))

    def _fresh(self, profile: Profile | None) -> Profile | None:
        """``profile`` read again: its paces may have been saved by an import since."""
        if profile is None:
            return None
        try:
            return self._model.profiles.find(profile.name) or profile
        except ERRORS:
            return profile

    def set_speed_unit(self, unit: SpeedUnit) -> None:
        if self.dialog is not None:
            self.dialog.panel.set_speed_unit(unit)

    def on_clicked(self) -> None:
        self.open_dialog()

    def open_dialog(self) -> PacesDialog:
        dialog = self.dialog
        if dialog is None:
            # show(), neither exec() (a nested event loop while a belt may run) nor open()
            # (window-modal: the page, and its STOP bar, would not take a click meanwhile).
            dialog = PacesDialog(self._model, self.window())
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.finished.connect(self.on_dialog_finished)
            self.dialog = dialog
            dialog.panel.show_profile(self._fresh(self._model.current))
            dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def on_dialog_finished(self, *_: object) -> None:
        self.dialog = None
