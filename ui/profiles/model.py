"""The profiles and the history as Qt signals, over the application core's ``People``.

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

The rules are the engine's (``treadctl.profiles``): lowering never needs the PIN, raising above
the defaults does, a wrong PIN changes nothing, three wrong PINs in a row start a wait. The model
decides none of it: who is chosen is the core's ``choose``, what may be saved is ``Profiles``';
it carries the answers as signals, worded by :mod:`ui.profiles.wording`, and tells the PIN
errors apart by their types, not their words.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any, Literal

from PySide6.QtCore import QObject, Signal

from treadctl.core import DataFolder, Limits, PersonChanged, SessionEnded
from treadctl.profiles import (
    PinError,
    PinRequired,
    Profile,
    ProfileError,
    Profiles,
    Progression,
    WrongPin,
)
from treadctl.store import ImportReport, Store, StoredSession, StoreError, WeekTotal
from ui.bridge import Bridge
from ui.profiles.wording import (
    LimitsChange,
    describe_profile_changes,
    pin_change_refusal,
    pin_refusal,
    readable,
    wrong_pin_for_raise,
)

__all__ = ["ERRORS", "ProfilesModel"]

#: What a profile operation can fail with; the message always says why.
ERRORS = (ProfileError, StoreError)


def _set_limits_in_thread(
    folder: DataFolder,
    name: str,
    change: LimitsChange,
    pin: str | None,
    monotonic: Callable[[], float],
) -> Profile:
    # Its own connection: SQLite connections stay on the thread that opened them, and the PIN
    # check (scrypt, ~0.1 s) must not hold the Qt thread, where the STOP key is handled.
    with Store.of(folder) as store:
        return Profiles(store, monotonic=monotonic).set_limits_and_cap(
            name, change.limits, change.progression_cap, pin=pin
        )


def _set_pin_in_thread(
    folder: DataFolder, new: str, old: str | None, monotonic: Callable[[], float]
) -> None:
    # As above: the old PIN's check and the new PIN's hash are two scrypt runs.
    with Store.of(folder) as store:
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
            # A closure, not the arguments: the loop logs what it hands a thread (callable and
            # arguments) at DEBUG level, and the PIN must never reach a log.
            profile = await asyncio.to_thread(
                lambda: _set_limits_in_thread(self.folder, name, change, pin, self._clock)
            )
        except PinRequired:
            self.pin_required.emit(name, change, not self.has_pin())
            return
        except WrongPin as error:
            self.limits_refused.emit(wrong_pin_for_raise(before, change, error))
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
            await asyncio.to_thread(  # a closure: see _apply_limits
                lambda: _set_pin_in_thread(self.folder, new, old, self._clock)
            )
        except PinError as error:
            self.pin_change_refused.emit(pin_change_refusal(error), error)
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
