"""The limits table: a profile's limits and progression cap, editable, beside the defaults.

Shape::

    LimitsTable                              one row per limit (LIMIT_GROUPS, then the max
     │                                       heart rate): label, spin box, default, marker
     ├── show_profile(profile) / show_limits(limits, cap)   the stored values (edits dropped)
     ├── edited_limits() / edited_cap()      what is on screen; unchanged rows keep the stored
     │                                       value exactly
     ├── dirty / revert()                    edited or not; drop the edits
     ├── set_speed_unit(unit)                speeds shown in another unit, edits kept
     └── edited                              signal: a value was changed by hand

It only shows and collects: whether a change needs the admin PIN is the engine's answer to the
page's Apply. The markers say "above default" and "edited".

Units: speeds and accelerations are shown in the display unit's speed (mph for the imperial
units; ``LimitRow.in_unit``) and stored in km/h. A value typed in mph is converted exactly
(``format.kmh_from``: 3.5 mph is 5.632704 km/h); a row showing the stored value, the value
typed before a unit change or the default keeps that value exactly: showing 6 km/h as 3.73 mph
and saving must not store 3.73 mph's 6.0028… km/h.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QFrame, QGridLayout, QLabel, QSpinBox, QWidget

from treadctl.core import DEFAULT_LIMITS, Limits
from treadctl.profiles import Profile
from ui import format
from ui.format import SpeedUnit
from ui.profiles.wording import (
    CAP_FIELD,
    DEFAULT_CAP,
    HEART_RATE_FIELD,
    LIMIT_GROUPS,
    ROWS,
    LimitRow,
    above_default,
    limit_name,
    limit_value,
)
from ui.styling import set_style_property

__all__ = ["LimitsTable"]

_NO_HEART_RATE = 39  # the spin box's minimum, shown as "none"

_CAP_TIP = (
    "Automatic progression raises backward minutes per session by 15 % at most once a week, "
    "after 3 clean sessions, and never past this cap. Raising the cap above its default needs "
    "the admin PIN."
)


class LimitsTable(QFrame):
    """One row per limit: what it is, this profile's value (editable), the default. The
    progression cap is a row too (``CAP_FIELD``), kept apart from the :class:`Limits`."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("limitsTable")
        self.spins: dict[str, QDoubleSpinBox | QSpinBox] = {}
        self.markers: dict[str, QLabel] = {}
        self.defaults: dict[str, QLabel] = {}
        self._stored = DEFAULT_LIMITS
        self._stored_cap: float | None = None
        self._unit = format.speed_unit()
        self._rows: dict[str, LimitRow] = {}  # the rows as shown in ``_unit``
        # Values (km/h) typed before a unit change, kept exactly while their rows show them.
        self._typed: dict[str, float] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(16, 8, 16, 10)
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(3)
        for column, text in enumerate(("", "This profile", "Default")):
            header = QLabel(text)
            header.setObjectName("limitsHeader")
            grid.addWidget(header, 0, column)
        row = 1
        for group, rows in LIMIT_GROUPS:
            grid.addWidget(self._heading(group), row, 0, 1, 4)
            row += 1
            for spec in rows:
                self._add_row(grid, row, spec.field, spec.label, QDoubleSpinBox())
                row += 1
        grid.addWidget(self._heading("Heart rate"), row, 0, 1, 4)
        hr = QSpinBox()
        hr.setRange(_NO_HEART_RATE, 250)
        hr.setSpecialValueText("none")
        hr.setSuffix(" bpm")
        self._add_row(grid, row + 1, HEART_RATE_FIELD, "Max heart rate", hr)
        self._set_rows(self._unit)
        self.spins[CAP_FIELD].setToolTip(_CAP_TIP)
        rules = QLabel(
            "Lowering a limit never needs the PIN. Raising one above its default needs the "
            "admin PIN (set on first use). A session keeps the limits it started with. "
            "Progression cap: automatic progression never raises backward minutes past it."
        )
        rules.setObjectName("dimNote")
        rules.setWordWrap(True)
        grid.addWidget(rules, row + 2, 0, 1, 4)
        grid.setColumnStretch(3, 1)
        self.show_limits(DEFAULT_LIMITS)

    @staticmethod
    def _heading(group: str) -> QLabel:
        heading = QLabel(group.upper())
        heading.setObjectName("limitsGroup")
        heading.setProperty("group", group.lower())
        return heading

    def _add_row(
        self, grid: QGridLayout, row: int, field: str, text: str, spin: QDoubleSpinBox | QSpinBox
    ) -> None:
        label = QLabel(text)
        label.setObjectName("limitLabel")
        label.setBuddy(spin)
        spin.setObjectName("limitSpin")
        spin.setAccessibleName(limit_name(field))
        spin.setKeyboardTracking(False)
        spin.setMinimumWidth(170)
        spin.valueChanged.connect(self.on_value_changed)
        default_label = QLabel(limit_value(field, _default(field), self._unit))
        default_label.setObjectName("limitDefault")
        marker = QLabel("")
        marker.setObjectName("limitMarker")
        grid.addWidget(label, row, 0)
        grid.addWidget(spin, row, 1)
        grid.addWidget(default_label, row, 2)
        grid.addWidget(marker, row, 3)
        self.spins[field] = spin
        self.markers[field] = marker
        self.defaults[field] = default_label

    def _set_rows(self, unit: SpeedUnit) -> None:
        """The spin boxes and defaults of the rows in ``unit`` (no values set, no signal)."""
        self._unit = unit
        self._rows = {field: row.in_unit(unit) for field, row in ROWS.items()}
        for field, spec in self._rows.items():
            spin = self.spins[field]
            assert isinstance(spin, QDoubleSpinBox)
            spin.blockSignals(True)
            spin.setDecimals(spec.decimals)
            spin.setSingleStep(spec.step)
            spin.setRange(spec.minimum, spec.maximum)
            spin.setSuffix(f" {spec.unit}")
            spin.blockSignals(False)
            self.defaults[field].setText(limit_value(field, _default(field), unit))

    # -- values ----------------------------------------------------------------------------------

    @property
    def stored(self) -> Limits:
        return self._stored

    @property
    def stored_cap(self) -> float | None:
        """The stored progression cap (None: the default)."""
        return self._stored_cap

    def _stored_value(self, field: str) -> Any:
        """The stored value of a row (an int or None for the heart rate, else a float)."""
        if field == CAP_FIELD:
            return DEFAULT_CAP if self._stored_cap is None else self._stored_cap
        return getattr(self._stored, field)

    def show_limits(self, limits: Limits, cap: float | None = None) -> None:
        """Show ``limits`` and the progression ``cap`` (None: the default) as the stored
        values (edits dropped)."""
        self._stored = limits
        self._stored_cap = cap
        self._typed = {}
        self._show_values({})

    def _show_values(self, values: dict[str, float]) -> None:
        """``values`` (km/h) where given, the stored values elsewhere; no ``edited`` signal."""
        for field, spin in self.spins.items():
            value = values.get(field, self._stored_value(field))
            spin.blockSignals(True)
            if isinstance(spin, QSpinBox):
                spin.setValue(_NO_HEART_RATE if value is None else value)
            else:
                spin.setValue(self._rows[field].shown(value))
            spin.blockSignals(False)
        self._mark()

    def set_speed_unit(self, unit: SpeedUnit) -> None:
        """Show the speeds in ``unit``; a row being edited keeps its value (in km/h)."""
        edits = {
            field: value
            for field, value in ((f, self.value(f)) for f in self._rows if self._changed(f))
            if value is not None
        }
        self._set_rows(unit)
        self._typed = edits
        self._show_values(edits)

    def show_profile(self, profile: Profile) -> None:
        """A profile's stored limits and cap; the cap is locked for Guest (guests do not
        progress)."""
        self.show_limits(profile.limits, profile.backward_minutes_cap)
        cap = self.spins[CAP_FIELD]
        cap.setEnabled(not profile.builtin)
        cap.setToolTip(
            "Guests do not progress: their backward minutes stay as set."
            if profile.builtin
            else _CAP_TIP
        )

    def revert(self) -> None:
        """Drop the edits: show the stored values again."""
        self.show_limits(self._stored, self._stored_cap)

    def value(self, field: str) -> float | None:
        """What the row shows, in the stored unit (km/h for a speed): the stored value, the one
        typed before a unit change or the default, exactly while the row shows it (3.73 mph
        typed where the default shows as 3.73 mph is the default, 6 km/h, not 6.0029 km/h and
        above it); else what is typed."""
        spin = self.spins[field]
        if isinstance(spin, QSpinBox):
            return None if spin.value() == _NO_HEART_RATE else spin.value()
        row = self._rows[field]
        shown = round(spin.value(), row.decimals)
        for kept in (self._stored_value(field), self._typed.get(field), _default(field)):
            if kept is not None and round(row.shown(kept), row.decimals) == shown:
                return float(kept)
        return row.stored(shown)

    def shown(self, field: str) -> float:
        """The number the row's spin box shows (in the row's unit: mph for a speed in mph)."""
        return float(self.spins[field].value())

    def unit_of(self, field: str) -> str:
        """The row's unit as shown: ``"km/h"``, ``"mph/s"``, ``"min"``."""
        return self._rows[field].unit if field in self._rows else "bpm"

    def set_value(self, field: str, value: float | None) -> None:
        """Type a value in, in the row's unit as shown (mph for a speed in mph), as a person
        would; for tests and the screenshot script."""
        spin = self.spins[field]
        if isinstance(spin, QSpinBox):
            spin.setValue(_NO_HEART_RATE if value is None else int(value))
        else:
            assert value is not None
            spin.setValue(value)

    def _changed(self, field: str) -> bool:
        """The row shows something else than the stored value (as its spin box rounds it)."""
        return bool(self.value(field) != self._stored_value(field))

    def edited_limits(self) -> Limits:
        """The values on screen as Limits; ValueError (with the reason) if they do not fit."""
        # Unchanged rows keep the stored value exactly, unrounded.
        changes: dict[str, Any] = {
            field: self.value(field)
            for field in self.spins
            if field != CAP_FIELD and self._changed(field)
        }
        return replace(self._stored, **changes)

    def edited_cap(self) -> float | None:
        """The progression cap on screen; the stored one (None: default) while unchanged."""
        return self.value(CAP_FIELD) if self._changed(CAP_FIELD) else self._stored_cap

    @property
    def dirty(self) -> bool:
        if self._changed(CAP_FIELD):
            return True
        try:
            return self.edited_limits() != self._stored
        except ValueError:
            return True

    def on_value_changed(self, *_: object) -> None:
        self._mark()
        self.edited.emit()

    def _mark(self) -> None:
        for field, marker in self.markers.items():
            changed = self._changed(field)
            above = above_default(field, self.value(field))
            text = []
            if above:
                text.append("above default")
            if changed:
                text.append("edited")
            marker.setText("  ·  ".join(text))
            set_style_property(marker, "state", "edited" if changed else "above" if above else "")


def _default(field: str) -> float | None:
    """A row's default: the progression cap's, or the default limit's (km/h for a speed)."""
    return DEFAULT_CAP if field == CAP_FIELD else getattr(DEFAULT_LIMITS, field)
