"""Profiles: who is on the treadmill, their limits, and the admin PIN that guards raising them.

Shape::

    ProfilesModel(bridge, data_dir=None)     the history store and the profile rules, as signals
     ├── Store(data_dir) + Profiles          treadctl.store / treadctl.profiles (sync calls)
     ├── select(name | None)                 → bridge.set_profile(name, Profiles.limits_for(name))
     ├── create / rename / delete            raise ProfileError / StoreError with the reason
     ├── apply_limits(name, limits, pin)     in a worker thread (scrypt takes ~0.1 s): emits
     │                                       limits_saved | pin_required | limits_refused
     └── sync / import_finished / save_guest / discard_guest / sessions / weekly_totals
    ProfilesView(model, bridge)              the page
     ├── chooser                             people as big buttons, then Guest; New / Rename /
     │                                       Delete (asks first, says the history goes too)
     ├── last session box                    after a session; a Guest one offers "Save to
     │                                       profile" or "Don't keep"
     └── LimitsTable                         the chosen profile's limits, editable: Apply;
                                             PinDialog when a raise needs the admin PIN
    PinDialog                                asks for the admin PIN (sets it on first use)

The rules are the engine's (``treadctl.profiles``): lowering never needs the PIN, raising above
the defaults does, a wrong PIN changes nothing. This page only asks and shows the answer.
Dialogs are separate windows opened with ``open()``: no nested event loop (the belt's stop runs
on this loop), and Space typed into a name is a space, not the window's STOP key.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from treadctl.limits import DEFAULT_LIMITS, Limits
from treadctl.profiles import (
    MIN_PIN_LENGTH,
    MORE_PERMISSIVE,
    PinError,
    PinRequired,
    Profile,
    ProfileError,
    Profiles,
    Progression,
    raised_fields,
)
from treadctl.store import GUEST, ImportReport, Store, StoredSession, StoreError, WeekTotal
from ui import format
from ui.bridge import Bridge, SessionInfo

logger = logging.getLogger(__name__)

#: What a profile operation can fail with; the message always says why.
ERRORS = (ProfileError, StoreError)


# --------------------------------------------------------------------------------------------
# The limits, as people read them


@dataclass(frozen=True, slots=True)
class LimitRow:
    field: str
    label: str
    unit: str
    decimals: int
    step: float
    minimum: float
    maximum: float


#: The table's rows, in groups. Every field of :class:`Limits` appears once.
# fmt: off
LIMIT_GROUPS: tuple[tuple[str, tuple[LimitRow, ...]], ...] = (
    ("Forward", (
        LimitRow("forward_max_speed_kmh", "Max speed", "km/h", 1, 0.1, 0.5, 30.0),
        LimitRow("forward_accel_kmh_per_s", "Acceleration", "km/h/s", 2, 0.05, 0.05, 5.0),
        LimitRow("forward_max_incline_pct", "Max incline", "%", 1, 0.5, 0.0, 40.0),
    )),
    ("Backward", (
        LimitRow("backward_max_speed_kmh", "Max speed", "km/h", 1, 0.1, 0.5, 30.0),
        LimitRow("backward_accel_kmh_per_s", "Acceleration", "km/h/s", 2, 0.05, 0.05, 5.0),
        LimitRow("backward_max_incline_pct", "Max incline", "%", 1, 0.5, 0.0, 40.0),
        LimitRow("backward_minutes_per_session", "Minutes per session", "min", 1, 0.5, 0, 600),
    )),
    ("Turnaround", (
        LimitRow("turnaround_speed_kmh", "Belt speed at most", "km/h", 1, 0.1, 0.5, 10.0),
        LimitRow("turnaround_hold_s", "Held for at least", "s", 1, 0.5, 0.0, 60.0),
    )),
    ("Every session", (
        LimitRow("start_speed_kmh", "Start speed", "km/h", 1, 0.1, 0.1, 10.0),
        LimitRow("min_incline_pct", "Lowest incline", "%", 1, 0.5, -10.0, 10.0),
        LimitRow("incline_rate_pct_per_s", "Incline change", "%/s", 1, 0.1, 0.1, 10.0),
        LimitRow("walking_speed_kmh", "Heart-rate slow-down to", "km/h", 1, 0.1, 0.5, 10.0),
        LimitRow("watchdog_s", "Stop after no data for", "s", 1, 0.5, 0.5, 30.0),
    )),
)
# fmt: on
#: Names in messages, where the group and the row's label do not say it on their own.
_NAMES = {
    "backward_minutes_per_session": "backward minutes per session",
    "turnaround_speed_kmh": "turnaround speed",
    "turnaround_hold_s": "turnaround hold",
    "incline_rate_pct_per_s": "incline change rate",
    "walking_speed_kmh": "heart-rate slow-down speed",
    "watchdog_s": "no-data stop time",
    "max_heart_rate_bpm": "max heart rate",
}
ROWS: dict[str, LimitRow] = {row.field: row for _, rows in LIMIT_GROUPS for row in rows}
HEART_RATE_FIELD = "max_heart_rate_bpm"
_NO_HEART_RATE = 39  # the spin box's minimum, shown as "none"

_GROUP_OF = {row.field: group for group, rows in LIMIT_GROUPS for row in rows}


def limit_name(field: str) -> str:
    """``"backward max speed"``: what a limit is called in messages."""
    if field in _NAMES:
        return _NAMES[field]
    group = _GROUP_OF[field]
    prefix = f"{group.lower()} " if group in ("Forward", "Backward") else ""
    return f"{prefix}{ROWS[field].label.lower()}"


def limit_value(field: str, value: float | None) -> str:
    if field == HEART_RATE_FIELD:
        return "none" if value is None else f"{value:g} bpm"
    assert value is not None
    return f"{value:g} {ROWS[field].unit}"


def readable(text: str) -> str:
    """An engine message with the field names as people read them (``turnaround_speed_kmh``
    → ``turnaround belt speed at most``)."""
    for field in sorted(ROWS, key=len, reverse=True):
        text = text.replace(field, limit_name(field))
    return text.replace("invalid limits: ", "")


def describe_changes(old: Limits, new: Limits) -> str:
    """``"backward max speed 5 km/h (was 6 km/h); …"``."""
    parts = []
    for f in fields(Limits):
        before, after = getattr(old, f.name), getattr(new, f.name)
        if before != after:
            parts.append(
                f"{limit_name(f.name)} {limit_value(f.name, after)} "
                f"(was {limit_value(f.name, before)})"
            )
    return "; ".join(parts)


def describe_raises(old: Limits, new: Limits) -> str:
    """The raises in ``new`` that need the PIN: ``"forward max speed to 14 km/h (default 12
    km/h)"``."""
    return "; ".join(
        f"{limit_name(name)} to {limit_value(name, getattr(new, name))} "
        f"(default {limit_value(name, getattr(DEFAULT_LIMITS, name))})"
        for name in raised_fields(old, new)
    )


def above_default(field: str, value: float | None) -> bool:
    """More permissive than the default (what an admin allowed)."""
    if field == HEART_RATE_FIELD or value is None:
        return False
    return bool(MORE_PERMISSIVE[field] * (value - getattr(DEFAULT_LIMITS, field)) > 0)


def describe_progression(progression: Progression) -> str:
    """The next backward-minutes step, in a sentence."""
    now = f"{progression.current:g} min"
    if progression.due:
        return f"Backward minutes: {now} → {progression.next:g} min at the next session."
    if progression.next > progression.current:
        return f"Next backward step: {now} → {progression.next:g} min, {progression.reason}."
    return f"Backward minutes stay at {now}: {progression.reason}."


#: Stop reasons (``treadctl.safety.StopReason`` values) as people say them.
_STOP_WORDS = {
    "estop": "emergency stop",
    "user_pause": "paused",
    "console_stop": "stopped at the treadmill",
    "console_pause": "paused at the treadmill",
    "safety_key": "safety key pulled",
    "link_lost": "connection lost",
    "watchdog": "no data from the treadmill",
    "command_failed": "treadmill refused a command",
}


def outcome(session: StoredSession) -> str:
    """``"completed"``, ``"ended in the app"``, ``"aborted: safety key pulled"`` …"""
    if session.interrupted:
        return "interrupted (the app ended first)"
    reason = session.end_reason or "unknown"
    if reason == "completed" or not session.stop_reason:
        return reason
    if session.stop_reason == "app_stop":
        return "ended in the app"
    return f"{reason}: {_STOP_WORDS.get(session.stop_reason, session.stop_reason)}"


# --------------------------------------------------------------------------------------------
# The model


def _set_limits_in_thread(data_dir: Path, name: str, limits: Limits, pin: str | None) -> Profile:
    # Its own connection: SQLite connections stay on the thread that opened them, and the PIN
    # check (scrypt, ~0.1 s) must not hold the Qt thread, where the STOP key is handled.
    with Store(data_dir) as store:
        return Profiles(store).set_limits(name, limits, pin=pin)


class ProfilesModel(QObject):
    """The profiles and the history store for the widgets. Owns the store's connection."""

    changed = Signal()  # profiles added, renamed, deleted; limits changed
    selected = Signal(object)  # Profile | None: who runs the next session
    history_changed = Signal()  # sessions imported, saved or let go
    limits_saved = Signal(object, str)  # Profile, what changed (words)
    limits_refused = Signal(str)  # why; nothing was changed
    pin_required = Signal(str, object, bool)  # profile name, the limits asked for, first use

    def __init__(
        self, bridge: Bridge, data_dir: Path | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        # The CLI's layout: <data dir>/history.sqlite3 next to <data dir>/sessions/.
        self.data_dir = data_dir if data_dir is not None else bridge.sessions_dir.parent
        self._store: Store | None = None
        self._profiles: Profiles | None = None
        self.error: str | None = None
        self._current: Profile | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        try:
            self._store = Store(self.data_dir)
            self._profiles = Profiles(self._store)
        except StoreError as error:
            # The treadmill still works without a history: say so, do not crash.
            logger.error("no profiles or history: %s", error)
            self.error = str(error)

    # -- reading ---------------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        return self._profiles is not None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise StoreError(self.error or "the history database is not open")
        return self._store

    @property
    def profiles(self) -> Profiles:
        if self._profiles is None:
            raise StoreError(self.error or "the history database is not open")
        return self._profiles

    @property
    def current(self) -> Profile | None:
        return self._current

    def list_all(self) -> list[Profile]:
        """People by name, then Guest (empty when the store cannot be used)."""
        if self._profiles is None:
            return []
        everyone = self._profiles.list_all()
        return [p for p in everyone if not p.builtin] + [p for p in everyone if p.builtin]

    def people(self) -> list[Profile]:
        return [p for p in self.list_all() if not p.builtin]

    def has_pin(self) -> bool:
        return self._profiles is not None and bool(self._profiles.has_pin())

    def progression(self, profile: Profile) -> Progression:
        return self.profiles.next_backward_minutes(profile)

    def sessions(self, profile: str | None) -> list[StoredSession]:
        """Sessions of ``profile``, oldest first; ``None``: those recorded without one."""
        if profile is None:
            return [s for s in self.store.sessions() if s.profile is None]
        return self.store.sessions(profile)

    def weekly_totals(self, profile: str) -> list[WeekTotal]:
        return self.store.weekly_totals(profile)

    # -- choosing --------------------------------------------------------------------------------

    def select(self, name: str | None) -> Profile | None:
        """Make ``name`` the one the next session runs as (None: nobody chosen).

        Its limits come from :meth:`Profiles.limits_for`, which first takes a backward step
        that has come due. Refused while a session runs (the bridge says so).
        """
        if name is None:
            if self._bridge.set_profile(None):
                self._current = None
                self.selected.emit(None)
            return self._current
        if self._bridge.session_active:
            self._bridge.set_profile(name)  # refused, and the bridge says why
            return self._current
        profiles = self.profiles
        limits = profiles.limits_for(name)
        profile = profiles.select(name)
        if self._bridge.set_profile(profile.name, limits):
            self._current = profile
            self.selected.emit(profile)
        return self._current

    def _refresh_current(self) -> None:
        if self._current is None or self._profiles is None:
            return
        profile = self._profiles.find(self._current.name)
        self._current = profile
        if profile is None:
            self._bridge.set_profile(None)
        elif not self._bridge.session_active:
            self._bridge.set_profile(profile.name, profile.limits)
        self.selected.emit(profile)

    # -- creating, renaming, deleting ------------------------------------------------------------

    def create(self, name: str) -> Profile:
        profile = self.profiles.create(name)
        self.changed.emit()
        return profile

    def rename(self, old: str, new: str) -> Profile:
        profile = self.profiles.rename(old, new)
        if self._current is not None and self._current.id == profile.id:
            self._current = profile
            self._bridge.set_profile(profile.name, self._bridge.limits)
            self.selected.emit(profile)
        self.changed.emit()
        return profile

    def delete(self, name: str) -> int:
        """Delete a profile with its sessions and logs (the view has asked). Returns how many
        sessions went."""
        profile = self.profiles.get(name)
        count = self.profiles.delete(name, confirm=True)
        if self._current is not None and self._current.id == profile.id:
            self._current = None
            self._bridge.set_profile(None)
            self.selected.emit(None)
        self.changed.emit()
        self.history_changed.emit()
        return count

    # -- limits ----------------------------------------------------------------------------------

    def apply_limits(self, name: str, limits: Limits, pin: str | None = None) -> None:
        """Save ``limits`` for ``name``; the answer comes as a signal (see the class)."""
        self._spawn(self._apply_limits(name, limits, pin))

    async def _apply_limits(self, name: str, limits: Limits, pin: str | None) -> None:
        try:
            before = self.profiles.get(name)
            profile = await asyncio.to_thread(
                _set_limits_in_thread, self.data_dir, name, limits, pin
            )
        except PinRequired:
            self.pin_required.emit(name, limits, not self.has_pin())
            return
        except PinError as error:
            asked = describe_raises(before.limits, limits)
            if pin is not None and self.has_pin() and "wrong" in str(error).lower():
                text = f"Wrong admin PIN: nothing was changed. Raising {asked} needs the admin PIN."
            else:
                text = f"Not saved, nothing was changed: {error}."
            self.limits_refused.emit(text)
            return
        except ERRORS as error:
            self.limits_refused.emit(f"Not saved, nothing was changed: {readable(str(error))}")
            return
        if self._current is not None and self._current.id == profile.id:
            self._refresh_current()
        self.changed.emit()
        self.limits_saved.emit(profile, describe_changes(before.limits, profile.limits))

    # -- history ---------------------------------------------------------------------------------

    def sync(self) -> ImportReport | None:
        """Import the session logs the store does not have yet; None without a store."""
        if self._store is None:
            return None
        report = self._store.sync(self._bridge.sessions_dir)
        for error in report.errors:
            logger.warning("session log not imported: %s", error)
        if report.imported or report.discarded:
            self.changed.emit()  # a log may name a profile the store did not know: made now
            self.history_changed.emit()
        return report

    def import_finished(self, log_path: Path) -> StoredSession | None:
        """Import the log of a session that just ended; None if the store cannot."""
        if self._store is None:
            return None
        try:
            stored = self._store.import_log(log_path)
        except StoreError as error:
            logger.warning("finished session not imported: %s", error)
            return None
        self.history_changed.emit()
        return stored

    def save_guest(self, session_id: str, to_profile: str) -> StoredSession:
        saved = self.profiles.save_guest_session(session_id, to_profile)
        self.history_changed.emit()
        return saved

    def discard_guest(self) -> list[str]:
        """Let go of every unsaved guest session (rows and log files)."""
        if self._store is None:
            return []
        gone = self._store.discard_guest_sessions()
        if gone:
            self.history_changed.emit()
        return gone

    # -- lifetime --------------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def wait_idle(self) -> None:
        """Until no limits change is under way (closing waits for it: it writes the store)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = self._profiles = None
            self.error = "closed"


# --------------------------------------------------------------------------------------------
# Dialogs


class PinDialog(QDialog):
    """Asks for the admin PIN; on first use, sets it (typed twice)."""

    def __init__(self, parent: QWidget, *, what: str, first_use: bool) -> None:
        super().__init__(parent)
        self.setObjectName("pinDialog")
        self.setWindowTitle("Admin PIN")
        self.first_use = first_use
        text = QLabel(what)
        text.setObjectName("dialogText")
        text.setWordWrap(True)
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setAccessibleName("admin PIN")
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm.setAccessibleName("admin PIN again")
        self.problem = QLabel("")
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
        if self.first_use and self.pin.text() != self.confirm.text():
            self.problem.setText("The two PINs differ: type the same PIN twice.")
            return
        self.accept()


# --------------------------------------------------------------------------------------------
# The limits table


class LimitsTable(QFrame):
    """One row per limit: what it is, this profile's value (editable), the default."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("limitsTable")
        self.spins: dict[str, QDoubleSpinBox | QSpinBox] = {}
        self.markers: dict[str, QLabel] = {}
        self._stored = DEFAULT_LIMITS
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
                spin = QDoubleSpinBox()
                spin.setDecimals(spec.decimals)
                spin.setSingleStep(spec.step)
                spin.setRange(spec.minimum, spec.maximum)
                spin.setSuffix(f" {spec.unit}")
                self._add_row(grid, row, spec.field, spec.label, spin)
                row += 1
        grid.addWidget(self._heading("Heart rate"), row, 0, 1, 4)
        hr = QSpinBox()
        hr.setRange(_NO_HEART_RATE, 250)
        hr.setSpecialValueText("none")
        hr.setSuffix(" bpm")
        self._add_row(grid, row + 1, HEART_RATE_FIELD, "Max heart rate", hr)
        rules = QLabel(
            "Lowering a limit never needs the PIN. Raising one above its default needs the "
            "admin PIN (set on first use). A session keeps the limits it started with."
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
        default = getattr(DEFAULT_LIMITS, field)
        default_label = QLabel(limit_value(field, default))
        default_label.setObjectName("limitDefault")
        marker = QLabel("")
        marker.setObjectName("limitMarker")
        grid.addWidget(label, row, 0)
        grid.addWidget(spin, row, 1)
        grid.addWidget(default_label, row, 2)
        grid.addWidget(marker, row, 3)
        self.spins[field] = spin
        self.markers[field] = marker

    # -- values ----------------------------------------------------------------------------------

    @property
    def stored(self) -> Limits:
        return self._stored

    def show_limits(self, limits: Limits) -> None:
        """Show ``limits`` as the stored values (edits dropped)."""
        self._stored = limits
        for field, spin in self.spins.items():
            spin.blockSignals(True)
            value = getattr(limits, field)
            spin.setValue(_NO_HEART_RATE if value is None else value)
            spin.blockSignals(False)
        self._mark()

    def value(self, field: str) -> float | None:
        spin = self.spins[field]
        if isinstance(spin, QSpinBox):
            return None if spin.value() == _NO_HEART_RATE else spin.value()
        return round(spin.value(), spin.decimals())

    def set_value(self, field: str, value: float | None) -> None:
        """Type a value in (as a person would); for tests and the screenshot script."""
        spin = self.spins[field]
        if isinstance(spin, QSpinBox):
            spin.setValue(_NO_HEART_RATE if value is None else int(value))
        else:
            assert value is not None
            spin.setValue(value)

    def _changed(self, field: str) -> bool:
        """The row shows something else than the stored value (as its spin box rounds it)."""
        stored = getattr(self._stored, field)
        spin = self.spins[field]
        if isinstance(spin, QDoubleSpinBox):
            stored = round(stored, spin.decimals())
        return bool(self.value(field) != stored)

    def edited_limits(self) -> Limits:
        """The values on screen as Limits; ValueError (with the reason) if they do not fit."""
        # Unchanged rows keep the stored value exactly, unrounded.
        changes: dict[str, Any] = {
            field: self.value(field) for field in self.spins if self._changed(field)
        }
        return replace(self._stored, **changes)

    @property
    def dirty(self) -> bool:
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
            marker.setProperty("state", "edited" if changed else "above" if above else "")
            marker.style().unpolish(marker)
            marker.style().polish(marker)


# --------------------------------------------------------------------------------------------
# The page


class ProfilesView(QWidget):
    """The chooser (left) and the chosen profile's limits (right)."""

    continue_requested = Signal()  # the person has chosen and wants to go on

    def __init__(self, model: ProfilesModel, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("profilesView")
        self._model = model
        self._bridge = bridge
        self._guest_session: StoredSession | None = None
        self._shown: Profile | None = None  # whose limits the table shows
        self.name_dialog: QInputDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self.pin_dialog: PinDialog | None = None
        self.profile_buttons: dict[str, QPushButton] = {}
        self._build()
        model.changed.connect(self.on_profiles_changed)
        model.selected.connect(self.on_selected)
        model.limits_saved.connect(self.on_limits_saved)
        model.limits_refused.connect(self.on_limits_refused)
        model.pin_required.connect(self.on_pin_required)
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
        right = QVBoxLayout()
        right.setSpacing(8)
        right.addWidget(self.limits_title)
        right.addWidget(self.placeholder, 1, Qt.AlignmentFlag.AlignTop)
        right.addWidget(self.table_scroll, 1)
        right.addWidget(self.progression)
        right.addWidget(self.apply_row)
        right.addWidget(self.limits_message)

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
        chain += [self.apply_button, self.undo_button]
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
            self.table.show_limits(profile.limits)
            try:
                self.progression.setText(describe_progression(self._model.progression(profile)))
            except ERRORS as error:
                self.progression.setText(str(error))
        self._update_apply()

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
        s = stored.summary
        what = (
            f"{format.clock(s.duration_s)}, {format.distance(s.distance_m)}, "
            f"{s.backward_minutes:.1f} min backward, {outcome(stored)}"
        )
        if stored.saved:
            self._guest_session = None
            owner = stored.profile or "no profile"
            self.last_text.setText(f"Last session: {what}. Kept in the history of {owner}.")
            self.guest_row.setVisible(False)
        else:
            self._guest_session = stored
            people = self._model.people()
            if people:
                self.last_text.setText(
                    f"Guest session: {what}. It is not kept unless you save it to a profile."
                )
            else:
                self.last_text.setText(
                    f"Guest session: {what}. It is not kept: create a profile (New profile…) "
                    "to save it there."
                )
            self.guest_row.setVisible(True)
            self.save_target.setEnabled(bool(people))
            self.save_button.setEnabled(bool(people))
        self.last_box.setVisible(True)

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
        self.last_text.setText(f"Guest session saved to {target}'s history.")
        self._say(f"Guest session saved to {target}.")

    def on_discard_guest_clicked(self) -> None:
        self._discard_guest()
        self.last_text.setText("Guest session not kept.")

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
        self.table.show_limits(self.table.stored)
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
        self._model.apply_limits(profile.name, limits)

    def on_pin_required(self, name: str, limits: Limits, first_use: bool) -> None:
        profile = self._model.current
        current = profile.limits if profile is not None else DEFAULT_LIMITS
        what = f"Raising {describe_raises(current, limits)} for {name} needs the admin PIN."
        dialog = PinDialog(self, what=what, first_use=first_use)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def on_finished(result: int) -> None:
            self.pin_dialog = None
            if result == QDialog.DialogCode.Accepted:
                self._model.apply_limits(name, limits, dialog.value)
            else:
                self.on_limits_refused("Not saved: no admin PIN given. Nothing was changed.")

        dialog.finished.connect(on_finished)
        self.pin_dialog = dialog
        dialog.open()

    def on_limits_saved(self, profile: Profile, changes: str) -> None:
        if self._model.current is not None and self._model.current.id == profile.id:
            self.table.show_limits(profile.limits)
        self._say_limits(f"Saved for {profile.name}: {changes}." if changes else "No change.")
        self._update_apply()

    def on_limits_refused(self, message: str) -> None:
        # Nothing was changed: show what is stored, so the screen does not suggest otherwise.
        self.table.show_limits(self.table.stored)
        self._say_limits(message, refused=True)
        self._update_apply()

    # -- messages ------------------------------------------------------------------------------

    @staticmethod
    def _set_primary(button: QPushButton, *, primary: bool) -> None:
        button.setObjectName("primaryButton" if primary else "")
        button.style().unpolish(button)
        button.style().polish(button)

    def _say_limits(self, text: str, *, refused: bool = False) -> None:
        self.limits_message.setText(text)
        self.limits_message.setProperty("state", "refused" if refused else "ok")
        self.limits_message.style().unpolish(self.limits_message)
        self.limits_message.style().polish(self.limits_message)

    def _say(self, text: str, *, refused: bool = False) -> None:
        self.error.setText(text)
        self.error.setProperty("state", "refused" if refused else "ok")
        self.error.style().unpolish(self.error)
        self.error.style().polish(self.error)
        self.error.setVisible(bool(text))
