"""Profiles: who is on the treadmill, their limits, and the admin PIN that guards raising them.

Shape::

    ProfilesModel(bridge)                    the history store and the profile rules, as signals
     ├── people: the core's People           its Store + Profiles (treadctl.core.people)
     ├── select(name | None)                 → the core's choose(name): limits, progression
     ├── create / rename / delete            raise ProfileError / StoreError with the reason
     ├── apply_limits(name, limits, pin,     in a worker thread (scrypt takes ~0.1 s): emits
     │       progression_cap=)               limits_saved | pin_required | limits_refused
     ├── change_pin(new, old)                in a worker thread too: emits
     │                                       pin_changed | pin_change_refused
     └── sync / save_guest / discard_guest / sessions / weekly_totals
    ProfilesView(model, bridge)              the page
     ├── chooser                             people as big buttons, then Guest; New / Rename /
     │                                       Delete (asks first, says the history goes too)
     ├── last session box                    after a session; a Guest one offers "Save to
     │                                       profile" or "Don't keep"
     ├── LimitsTable                         the chosen profile's limits and progression cap,
     │                                       editable: Apply; PinDialog when a raise needs the PIN
     └── admin row                           "Change admin PIN…" (ChangePinDialog)
    PinDialog                                asks for the admin PIN (sets it on first use)
    ChangePinDialog                          old PIN, new PIN twice; stays open until the engine
                                             has answered, and shows a refusal in place

The rules are the engine's (``treadctl.profiles``): lowering never needs the PIN, raising above
the defaults does, a wrong PIN changes nothing, three wrong PINs in a row start a wait. This page
only asks and shows the answer; it tells the PIN errors apart by their types, not their words.
Why the PIN change lives here and not on the Settings page: this is the page where the PIN is
asked for (raising a limit), and where staff look after the limits; Settings points here.
Dialogs are separate windows opened with ``open()``: no nested event loop (the belt's stop runs
on this loop), and Space typed into a name is a space, not the window's STOP key.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

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

from treadctl.core import (
    DEFAULT_LIMITS,
    DataFolder,
    Limits,
    PersonChanged,
    SessionEnded,
    SessionInfo,
)
from treadctl.profiles import (
    MIN_PIN_LENGTH,
    MORE_PERMISSIVE,
    PinError,
    PinRequired,
    PinThrottled,
    PinTooShort,
    Profile,
    ProfileError,
    Profiles,
    Progression,
    WrongPin,
    cap_raised,
    describe_wait,
    raised_fields,
)
from treadctl.store import GUEST, ImportReport, Store, StoredSession, StoreError, WeekTotal
from ui import format
from ui.bridge import Bridge
from ui.styling import set_style_property

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


#: A profile's progression cap: a row of the table like a limit, though not a :class:`Limits`
#: field (it is the admin's bound on how far automatic progression may raise backward minutes).
CAP_FIELD = "progression_cap"
#: The cap a profile without one of its own has (``Profile.progression_cap``).
DEFAULT_CAP = DEFAULT_LIMITS.backward_minutes_per_session

#: The table's rows, in groups. Every field of :class:`Limits` appears once, plus the cap.
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
        LimitRow(CAP_FIELD, "Progression cap", "min", 1, 0.5, 0, 600),
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
    CAP_FIELD: "backward progression cap",
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
    if field == CAP_FIELD:
        return value > DEFAULT_CAP
    return bool(MORE_PERMISSIVE[field] * (value - getattr(DEFAULT_LIMITS, field)) > 0)


@dataclass(frozen=True, slots=True)
class LimitsChange:
    """What an Apply asks for: the limits and the progression cap (None: the default)."""

    limits: Limits
    progression_cap: float | None


def describe_request(before: Profile, change: LimitsChange) -> str:
    """Every raise in ``change`` that needs the PIN, limits and cap: ``"forward max speed to
    14 km/h (default 12 km/h); backward progression cap to 20 min (default 10 min)"``."""
    parts = (
        [describe_raises(before.limits, change.limits)]
        if raised_fields(before.limits, change.limits)
        else []
    )
    if cap_raised(before, change.progression_cap):
        parts.append(
            f"{limit_name(CAP_FIELD)} to {limit_value(CAP_FIELD, change.progression_cap)} "
            f"(default {limit_value(CAP_FIELD, DEFAULT_CAP)})"
        )
    return "; ".join(parts)


def describe_profile_changes(before: Profile, after: Profile) -> str:
    """:func:`describe_changes`, and the progression cap when it changed."""
    parts = [describe_changes(before.limits, after.limits)]
    if before.progression_cap != after.progression_cap:
        parts.append(
            f"{limit_name(CAP_FIELD)} {limit_value(CAP_FIELD, after.progression_cap)} "
            f"(was {limit_value(CAP_FIELD, before.progression_cap)})"
        )
    return "; ".join(part for part in parts if part)


def pin_refusal(error: PinError) -> str:
    """A PIN error in words for the page, by its type (the engine's words name CLI flags)."""
    if isinstance(error, PinThrottled):
        return (
            f"{error.failures} wrong admin PINs in a row: no PIN is checked for now. "
            f"Try again in {describe_wait(error.seconds_left)}."
        )
    if isinstance(error, WrongPin):
        if error.wait_s:
            return (
                f"Wrong admin PIN. {error.failures} wrong PINs in a row: the next try is "
                f"possible in {describe_wait(error.wait_s)}."
            )
        return "Wrong admin PIN."
    if isinstance(error, PinTooShort):
        return f"The admin PIN needs at least {error.minimum} characters."
    return f"{str(error)[:1].upper()}{str(error)[1:]}."


# --------------------------------------------------------------------------------------------
# The model


def _set_limits_in_thread(
    folder: DataFolder,
    name: str,
    change: LimitsChange,
    pin: str | None,
    monotonic: Callable[[], float],
) -> Profile:
    # Its own connection: SQLite connections stay on the thread that opened them, and the PIN
    # check (scrypt, ~0.1 s) must not hold the Qt thread, where the STOP key is handled.
    with folder.open_store() as store:
        return Profiles(store, monotonic=monotonic).set_limits_and_cap(
            name, change.limits, change.progression_cap, pin=pin
        )


def _set_pin_in_thread(
    folder: DataFolder, new: str, old: str | None, monotonic: Callable[[], float]
) -> None:
    # As above: the old PIN's check and the new PIN's hash are two scrypt runs.
    with folder.open_store() as store:
        Profiles(store, monotonic=monotonic).set_pin(new, old=old)


class ProfilesModel(QObject):
    """The profiles and the history store for the widgets. Owns the store's connection."""

    changed = Signal()  # profiles added, renamed, deleted; limits changed
    selected = Signal(object)  # Profile | None: who runs the next session
    history_changed = Signal()  # sessions imported, saved or let go
    limits_saved = Signal(object, str)  # Profile, what changed (words)
    limits_refused = Signal(str)  # why; nothing was changed
    pin_required = Signal(str, object, bool)  # profile name, LimitsChange asked for, first use
    pin_changed = Signal(bool)  # True: set for the first time (else changed)
    pin_change_refused = Signal(str, object)  # why (words), the PinError | StoreError

    def __init__(
        self,
        bridge: Bridge,
        parent: QObject | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._people = bridge.core.people
        self._people.monotonic = monotonic
        self.folder = bridge.folder
        self._tasks: set[asyncio.Task[Any]] = set()
        bridge.profile_changed.connect(self.on_person_changed)
        bridge.session_finished.connect(self.on_session_finished)

    # -- reading ---------------------------------------------------------------------------------

    @property
    def monotonic(self) -> Callable[[], float]:
        """The clock of the wrong-PIN waits (the core's People use it too); tests replace it."""
        return self._people.monotonic

    @monotonic.setter
    def monotonic(self, clock: Callable[[], float]) -> None:
        self._people.monotonic = clock

    @property
    def error(self) -> str | None:
        """Why the history cannot be used (None: it can)."""
        return self._people.error

    @property
    def available(self) -> bool:
        return self._people.available

    @property
    def store(self) -> Store:
        return self._people.store

    @property
    def profiles(self) -> Profiles:
        return self._people.profiles

    @property
    def current(self) -> Profile | None:
        return self._people.current

    def list_all(self) -> list[Profile]:
        """People by name, then Guest (empty when the store cannot be used)."""
        if not self.available:
            return []
        everyone = self.profiles.list_all()
        return [p for p in everyone if not p.builtin] + [p for p in everyone if p.builtin]

    def people(self) -> list[Profile]:
        return [p for p in self.list_all() if not p.builtin]

    def _clock(self) -> float:
        return self.monotonic()

    def has_pin(self) -> bool:
        return self.available and bool(self.profiles.has_pin())

    def pin_wait_s(self) -> float:
        """Seconds before a PIN will be checked again, after wrong ones (0: now)."""
        if not self.available:
            return 0.0
        try:
            return self.profiles.pin_wait_s()
        except StoreError:
            return 0.0

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

        The core decides (``AppCore.choose``): refused while a session runs (it says so), and a
        backward step that has come due is taken first. Raises ProfileError or StoreError.
        """
        self._bridge.core.choose(name)
        return self.current

    def on_person_changed(self, event: PersonChanged) -> None:
        self.selected.emit(event.profile)

    def _refresh_current(self) -> None:
        if self.current is not None:
            self._bridge.core.refresh_person()

    # -- creating, renaming, deleting ------------------------------------------------------------

    def create(self, name: str) -> Profile:
        profile = self.profiles.create(name)
        self.changed.emit()
        return profile

    def rename(self, old: str, new: str) -> Profile:
        profile = self.profiles.rename(old, new)
        if self.current is not None and self.current.id == profile.id:
            self._refresh_current()
        self.changed.emit()
        return profile

    def delete(self, name: str) -> int:
        """Delete a profile with its sessions and logs (the view has asked). Returns how many
        sessions went."""
        profile = self.profiles.get(name)
        count = self.profiles.delete(name, confirm=True)
        if self.current is not None and self.current.id == profile.id:
            self._refresh_current()
        self.changed.emit()
        self.history_changed.emit()
        return count

    # -- limits ----------------------------------------------------------------------------------

    def apply_limits(
        self,
        name: str,
        limits: Limits,
        pin: str | None = None,
        *,
        progression_cap: float | Literal["keep"] | None = "keep",
    ) -> None:
        """Save ``limits`` (and ``progression_cap``: None is the default cap, "keep" leaves it)
        for ``name``; the answer comes as a signal (see the class)."""
        self._spawn(self._apply_limits(name, limits, pin, progression_cap))

    async def _apply_limits(
        self,
        name: str,
        limits: Limits,
        pin: str | None,
        progression_cap: float | Literal["keep"] | None,
    ) -> None:
        try:
            before = self.profiles.get(name)
            cap = before.backward_minutes_cap if progression_cap == "keep" else progression_cap
            change = LimitsChange(limits, cap)
            profile = await asyncio.to_thread(
                _set_limits_in_thread, self.folder, name, change, pin, self._clock
            )
        except PinRequired:
            self.pin_required.emit(name, change, not self.has_pin())
            return
        except WrongPin as error:
            asked = describe_request(before, change)
            text = f"Wrong admin PIN: nothing was changed. Raising {asked} needs the admin PIN."
            if error.wait_s:
                text += (
                    f" {error.failures} wrong PINs in a row: the next try is possible in "
                    f"{describe_wait(error.wait_s)}."
                )
            self.limits_refused.emit(text)
            return
        except PinError as error:
            self.limits_refused.emit(f"Not saved, nothing was changed. {pin_refusal(error)}")
            return
        except ERRORS as error:
            self.limits_refused.emit(f"Not saved, nothing was changed: {readable(str(error))}")
            return
        if self.current is not None and self.current.id == profile.id:
            self._refresh_current()
        self.changed.emit()
        self.limits_saved.emit(profile, describe_profile_changes(before, profile))

    # -- the admin PIN ---------------------------------------------------------------------------

    def change_pin(self, new: str, old: str | None) -> None:
        """Set the admin PIN (no ``old``: first use) or change it; answers with ``pin_changed``
        or ``pin_change_refused``. The PINs go to the engine only: never logged or shown."""
        self._spawn(self._change_pin(new, old))

    async def _change_pin(self, new: str, old: str | None) -> None:
        first = old is None
        try:
            await asyncio.to_thread(_set_pin_in_thread, self.folder, new, old, self._clock)
        except PinRequired as error:
            # Set from elsewhere (the command line) since the dialog opened: ask for it.
            self.pin_change_refused.emit(
                "An admin PIN has been set meanwhile: type it as the current PIN.", error
            )
            return
        except PinError as error:
            text = pin_refusal(error)
            if isinstance(error, WrongPin):
                text = text.replace("Wrong admin PIN.", "Wrong current admin PIN.", 1)
            self.pin_change_refused.emit(f"{text} The PIN was not changed.", error)
            return
        except StoreError as error:
            self.pin_change_refused.emit(f"The PIN was not changed: {error}", error)
            return
        self.pin_changed.emit(first)

    # -- history ---------------------------------------------------------------------------------

    def sync(self) -> ImportReport | None:
        """Import the session logs the store does not have yet; None without a store."""
        report = self._people.sync()
        if report is not None and (report.imported or report.discarded):
            self.changed.emit()  # a log may name a profile the store did not know: made now
            self.history_changed.emit()
        return report

    def on_session_finished(self, ended: SessionEnded) -> None:
        """The core imported a finished session: the history shows it."""
        if ended.stored is not None:
            self.history_changed.emit()

    def save_guest(self, session_id: str, to_profile: str) -> StoredSession:
        saved = self.profiles.save_guest_session(session_id, to_profile)
        self.history_changed.emit()
        return saved

    def discard_guest(self) -> list[str]:
        """Let go of every unsaved guest session (rows and log files)."""
        gone = self._people.discard_guest()
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
        self._people.close()


# --------------------------------------------------------------------------------------------
# Dialogs


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
        self.problem = QLabel(
            f"After wrong PINs, no PIN is checked for {describe_wait(wait_s)} more."
            if wait_s
            else ""
        )
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
            self._say(f"After wrong PINs, no PIN is checked for {describe_wait(wait_s)} more.")
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


# --------------------------------------------------------------------------------------------
# The limits table


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
        self._stored = DEFAULT_LIMITS
        self._stored_cap: float | None = None
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
        default = DEFAULT_CAP if field == CAP_FIELD else getattr(DEFAULT_LIMITS, field)
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
        for field, spin in self.spins.items():
            spin.blockSignals(True)
            value = self._stored_value(field)
            spin.setValue(_NO_HEART_RATE if value is None else value)
            spin.blockSignals(False)
        self._mark()

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
        stored = self._stored_value(field)
        spin = self.spins[field]
        if isinstance(spin, QDoubleSpinBox):
            stored = round(stored, spin.decimals())
        return bool(self.value(field) != stored)

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
        right.addWidget(self.limits_title)
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
        s = stored.summary
        what = (
            f"{format.clock(s.duration_s)}, {format.distance(s.distance_m)}, "
            f"{s.backward_minutes:.1f} min backward, {stored.outcome_words}"
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
