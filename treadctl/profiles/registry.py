"""The profile rules over the store's tables: who exists, their limits, the admin PIN's checks.

Shape::

    Profiles(store, now=..., monotonic=...)       rules over the tables of treadctl.store
     ├── list_all / get / find / create / rename / delete(confirm=) / select / current
     ├── set_limit / set_limits / set_max_heart_rate / set_progression_cap   (pin= when raising)
     ├── set_limits_and_cap(name, limits, cap, pin=)   both at once: one PIN check, one write
     ├── set_paces(name, paces)    the person's race paces (no PIN: not a limit)
     ├── has_pin / set_pin(new, old=) / verify_pin(pin) / pin_wait_s()
     ├── authorize(pin, what)      the PIN check for a setting elsewhere that loosens a limit
     ├── save_guest_session(session_id, to_profile)
     ├── next_backward_minutes(profile) -> Progression     (read only: what, when, why not)
     └── apply_progression(profile) / limits_for(name)     (apply a due step; what to run with)


The rules, and why:

* A new profile starts at :data:`DEFAULT_LIMITS`: a newcomer never inherits anybody's caps.
* *Raising* a limit above its default needs the admin PIN; *lowering* never does (anyone may
  make their own session gentler). "Raising" means "more permissive", which for most fields is
  a larger number and for some a smaller one: :data:`MORE_PERMISSIVE` spells it out per field.
  A change needs the PIN when the new value is more permissive than both the current value and
  the default, so lowering a limit an admin raised earlier needs no PIN either.
* The admin PIN is set on first use (the first change that needs it, or ``set_pin``), kept in
  the settings table in the stored form of :func:`~treadctl.profiles.pin.hash_pin`, and
  changed only with the old PIN.
* Wrong PINs are throttled (the delays are :mod:`treadctl.profiles.pin`'s rules): while a wait
  runs every check is refused with :class:`PinThrottled` (no scrypt run, nothing counted); a
  right PIN starts the count again. The count is kept in the database, not in the object: the
  app checks PINs on worker threads, each with its own connection, and a new ``treadctl
  profiles`` process must not start from zero. An attempt is counted as wrong *before* scrypt
  runs and forgiven when the PIN is right, so checks run side by side cannot slip past the
  count. (This part stays a group of :class:`Profiles` methods: it reads and writes the
  settings table in the same transactions as the rest.)
* Guest (built in, cannot be renamed or deleted) is for people without a profile: its
  sessions are not kept unless saved to a profile (see ``treadctl.store``: only the newest
  unsaved guest session is kept, so its owner can save it).
* Race paces (``set_paces``) are the person's own, not a limit: set without the PIN, since
  every speed an imported program derives from them is still fitted to the limits and clamped
  by the governor. Guest keeps none: it is shared by every drop-in, and one person's paces
  must not become the next one's speeds (a front end uses typed paces for that import only).
* Backward progression is :mod:`treadctl.profiles.progression`'s rule; this class feeds it the
  profile and its sessions, and stores a step that is due, never beyond the profile's
  admin-set cap (:meth:`Profiles.set_progression_cap`).
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import time
from collections.abc import Callable
from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any, overload

from treadctl.data_folder import DataFolder
from treadctl.limits import DEFAULT_LIMITS, Limits
from treadctl.profiles.errors import (
    PinNotSet,
    PinRequired,
    PinThrottled,
    PinTooShort,
    ProfileError,
    WrongPin,
)
from treadctl.profiles.pin import (
    MIN_PIN_LENGTH,
    _pin_matches,
    describe_wait,
    hash_pin,
    pin_delay_s,
    pin_wait,
)
from treadctl.profiles.profile import Profile
from treadctl.profiles.progression import Progression, next_progression
from treadctl.program.paces import RunPaces
from treadctl.store import (
    GUEST,
    Store,
    StoredSession,
    StoreError,
    format_time,
    name_key,
    parse_time,
    profile_id_named,
    remove_log_files,
)

__all__ = [
    "MAX_NAME_LENGTH",
    "MORE_PERMISSIVE",
    "Profiles",
    "cap_raised",
    "raised_fields",
]

# +1: a larger value is more permissive; -1: a smaller one is.
MORE_PERMISSIVE: dict[str, int] = {
    "start_speed_kmh": +1,  # a faster first speed after a start
    "forward_max_speed_kmh": +1,
    "forward_accel_kmh_per_s": +1,  # steeper ramps
    "backward_max_speed_kmh": +1,
    "backward_accel_kmh_per_s": +1,
    "forward_max_incline_pct": +1,
    "backward_max_incline_pct": +1,
    "min_incline_pct": -1,  # a lower floor allows a decline
    "incline_rate_pct_per_s": +1,
    "turnaround_speed_kmh": +1,  # turning around at a faster belt
    "turnaround_hold_s": -1,  # a shorter hold before walking the other way
    "backward_minutes_per_session": +1,
    "walking_speed_kmh": +1,  # the heart-rate slow-down keeps a faster belt
    "watchdog_s": +1,  # the belt runs on longer without data
}
# max_heart_rate_bpm is not in the table: its default is None (no heart-rate limit), the most
# permissive value there is, so any maximum is stricter than the default; it is personal
# (age, fitness) and set without the PIN.

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 40
_SETTING_CURRENT = "current_profile"
_SETTING_PIN = "admin_pin"
_SETTING_PIN_FAILURES = "admin_pin_failures"  # {"count": wrong PINs in a row, "at": monotonic}


def _now() -> datetime:
    return datetime.now(UTC)


def _check_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ProfileError("a profile name cannot be empty")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ProfileError(f"a profile name has at most {MAX_NAME_LENGTH} characters")
    if not cleaned.isprintable():
        raise ProfileError(f"a profile name cannot hold control characters: {name!r}")
    return cleaned


def _more_permissive(field: str, value: float, than: float) -> bool:
    return MORE_PERMISSIVE[field] * (value - than) > 0


def _check_cap(minutes: float | None) -> None:
    if minutes is not None and not (
        isinstance(minutes, int | float) and math.isfinite(minutes) and minutes >= 0
    ):
        raise ProfileError(f"a progression cap must be 0 minutes or more, got {minutes!r}")


def cap_raised(profile: Profile, cap: float | None) -> bool:
    """Whether setting ``cap`` raises the profile's progression cap above both its current cap
    and the default (which needs the admin PIN, like raising a limit)."""
    return (
        cap is not None
        and cap > profile.progression_cap
        and cap > DEFAULT_LIMITS.backward_minutes_per_session
    )


def raised_fields(current: Limits, new: Limits) -> list[str]:
    """Fields ``new`` makes more permissive than both ``current`` and the defaults."""
    raised = []
    for name in MORE_PERMISSIVE:
        value = getattr(new, name)
        if _more_permissive(name, value, getattr(current, name)) and _more_permissive(
            name, value, getattr(DEFAULT_LIMITS, name)
        ):
            raised.append(name)
    return raised


def _wrong(message: str, failures: int) -> WrongPin:
    wait = pin_delay_s(failures)
    if wait:
        message += (
            f" ({failures} wrong PINs in a row: the next try is possible in {describe_wait(wait)})"
        )
    return WrongPin(message, failures=failures, wait_s=wait)


def _throttled(throttled: PinThrottled, what: str) -> PinThrottled:
    return PinThrottled(
        f"{throttled} ({what})",
        seconds_left=throttled.seconds_left,
        failures=throttled.failures,
    )


class Profiles:
    """The profile rules over a :class:`Store`.

    ``now`` (dates: creation, progression) and ``monotonic`` (seconds: the wrong-PIN waits)
    are injectable for tests.
    """

    def __init__(
        self,
        store: Store,
        *,
        now: Callable[[], datetime] = _now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._now = now
        self._monotonic = monotonic

    # --- reading -----------------------------------------------------------------------------

    _COLUMNS = (
        "p.id, p.name, p.limits_json, p.backward_minutes_cap, p.progressed_at, p.created_at, "
        "p.builtin, p.paces_json"
    )

    def _profile(self, row: Any) -> Profile:
        """A profile row as a :class:`Profile`; StoreError naming the profile and the field
        when a hand-edited database holds something that is not one."""
        name = row[1] if isinstance(row[1], str) else repr(row[1])

        def unusable(what: str) -> StoreError:
            return StoreError(
                f"profile {name!r} has an unusable stored {what}; the history database was "
                "edited by hand: remove the profile (treadctl profiles remove) or restore the "
                "database",
                path=self.store.path,
            )

        if not isinstance(row[0], int) or not isinstance(row[1], str):
            raise unusable("id or name")
        try:
            limits = Limits.from_dict(json.loads(row[2]))
        except (ValueError, TypeError, RecursionError):
            raise unusable("limits") from None
        cap = row[3]
        if cap is not None and (
            isinstance(cap, bool)
            or not isinstance(cap, int | float)
            or not math.isfinite(cap)
            or cap < 0
        ):
            raise unusable("backward-minutes cap")
        try:
            progressed_at = None if row[4] is None else parse_time(row[4])
        except (ValueError, TypeError):
            raise unusable("progression date") from None
        try:
            created_at = parse_time(row[5])
        except (ValueError, TypeError):
            raise unusable("creation date") from None
        return Profile(
            id=row[0],
            name=row[1],
            limits=limits,
            backward_minutes_cap=None if cap is None else float(cap),
            progressed_at=progressed_at,
            created_at=created_at,
            builtin=bool(row[6]),
            paces=self._paces(name, row[7]),
        )

    @staticmethod
    def _paces(name: str, stored: object) -> RunPaces:
        """The stored paces; none for an unreadable value. Unlike the limits, a bad value here
        does not make the profile unusable: read as none, an import asks for the paces again
        (nothing is guessed), while an unusable profile would lock its person out."""
        if stored is None:
            return RunPaces()
        try:
            if not isinstance(stored, str):
                raise TypeError(f"a {type(stored).__name__}")
            return RunPaces.from_dict(json.loads(stored))
        except (ValueError, TypeError, RecursionError) as error:
            logger.warning(
                "profile %r: stored race paces unreadable (read as none): %s", name, error
            )
            return RunPaces()

    def list_all(self, problems: list[str] | None = None) -> list[Profile]:
        """Every profile, Guest first, then by name.

        A row a hand-edited database has made unreadable is left out (one bad profile must not
        hide everybody else's); ``problems``, if given, gets a sentence for each.
        """
        rows = self.store.execute(
            f"SELECT {self._COLUMNS} FROM profiles p ORDER BY p.builtin DESC, p.name"
        )
        found = []
        for row in rows:
            try:
                found.append(self._profile(row))
            except StoreError as error:
                logger.warning("%s", error)
                if problems is not None:
                    problems.append(str(error))
        return found

    def find(self, name: str) -> Profile | None:
        """The profile called ``name`` now or before a rename, or None. Names are compared
        as people read them (:func:`~treadctl.store.name_key`: NFKC, case-folded), so a
        full-width ``ＡＮＡ`` finds ``Ana``."""
        profile_id = self.store.profile_id_named(name)
        if profile_id is None:
            return None
        rows = self.store.execute(
            f"SELECT {self._COLUMNS} FROM profiles p WHERE p.id = ?", (profile_id,)
        )
        return self._profile(rows[0]) if rows else None

    def get(self, name: str) -> Profile:
        profile = self.find(name)
        if profile is None:
            raise ProfileError(f"no profile {name!r} (see `treadctl profiles list`)")
        return profile

    def guest(self) -> Profile:
        return self.get(GUEST)

    def current(self) -> Profile | None:
        """The selected profile, or None when none is selected."""
        rows = self.store.execute(
            f"SELECT {self._COLUMNS} FROM profiles p "
            "JOIN settings s ON s.key = ? AND s.value = CAST(p.id AS TEXT)",
            (_SETTING_CURRENT,),
        )
        return self._profile(rows[0]) if rows else None

    # --- creating, renaming, deleting ---------------------------------------------------------

    def _name_free(self, db: sqlite3.Connection, name: str, *, for_id: int | None = None) -> None:
        profile_id = profile_id_named(db, name)
        if profile_id is None or profile_id == for_id:
            return
        row = db.execute(
            "SELECT p.name, n.name FROM profile_names n JOIN profiles p ON p.id = n.profile_id "
            "WHERE p.id = ?",
            (profile_id,),
        ).fetchall()
        current = str(row[0][0]) if row else name
        if name_key(current) == name_key(name):
            raise ProfileError(f"a profile called {current!r} already exists")
        # Kept as an alias so a rebuild gives that profile its old logs: not reusable.
        raise ProfileError(
            f"{name!r} is a former name of profile {current!r} (its old sessions carry it); "
            "choose another name"
        )

    def create(self, name: str) -> Profile:
        """A new profile at the default limits."""
        name = _check_name(name)
        with self.store.transaction() as db:
            self._name_free(db, name)
            cursor = db.execute(
                "INSERT INTO profiles (name, limits_json, created_at) VALUES (?, ?, ?)",
                (name, json.dumps(DEFAULT_LIMITS.to_dict()), format_time(self._now())),
            )
            db.execute(
                "INSERT INTO profile_names (name, profile_id) VALUES (?, ?)",
                (name, cursor.lastrowid),
            )
        return self.get(name)

    def rename(self, old: str, new: str) -> Profile:
        """Rename; the old name stays attached to the profile, for its logs."""
        profile = self.get(old)
        if profile.builtin:
            raise ProfileError(f"{profile.name} is built in and cannot be renamed")
        new = _check_name(new)
        with self.store.transaction() as db:
            self._name_free(db, new, for_id=profile.id)
            db.execute("UPDATE profiles SET name = ? WHERE id = ?", (new, profile.id))
            db.execute(
                "INSERT OR IGNORE INTO profile_names (name, profile_id) VALUES (?, ?)",
                (new, profile.id),
            )
        return self.get(new)

    def delete(self, name: str, *, confirm: bool = False) -> int:
        """Delete a profile with its history (sessions and their log files) and its accounts
        file (tokens and keys of its services: nothing of a person stays behind on a shared
        laptop).

        Refused without ``confirm=True``, saying what would go. Returns how many sessions went.
        A rebuild brings none of them back, nor gives them to a later profile of that name.
        """
        profile = self.get(name)
        if profile.builtin:
            raise ProfileError(f"{profile.name} is built in and cannot be deleted")
        session_ids = [
            row[0]
            for row in self.store.execute(
                "SELECT id FROM sessions WHERE profile_id = ?", (profile.id,)
            )
        ]
        if not confirm:
            raise ProfileError(
                f"deleting profile {profile.name!r} also deletes its {len(session_ids)} "
                "session(s) and their log files; confirm to go ahead (--yes)"
            )
        now = format_time(self._now())
        with self.store.transaction() as db:
            paths = self.store.forget_sessions(db, session_ids)
            db.execute(
                "INSERT INTO forgotten_profiles (name, forgotten_at) "
                "SELECT name, ? FROM profile_names WHERE profile_id = ?",
                (now, profile.id),
            )
            db.execute(
                "DELETE FROM settings WHERE key = ? AND value = ?",
                (_SETTING_CURRENT, str(profile.id)),
            )
            db.execute("DELETE FROM profiles WHERE id = ?", (profile.id,))
        remove_log_files(paths)
        accounts = DataFolder.at(self.store.data_dir).account_file(profile.id)
        try:
            accounts.unlink(missing_ok=True)
        except OSError as error:
            # The profile is gone; its file, unreadable to a later profile of the same id (it
            # names its profile's creation time), is still the person's secrets: say so.
            raise ProfileError(
                f"profile {profile.name!r} was deleted, but not its accounts file {accounts}: "
                f"{error.strerror or error}; delete it by hand"
            ) from None
        return len(session_ids)

    @overload
    def select(self, name: str) -> Profile: ...
    @overload
    def select(self, name: None) -> None: ...
    def select(self, name: str | None) -> Profile | None:
        """Make ``name`` the current profile (None: nobody), for every front end: the app
        and ``treadctl run`` without ``--profile`` run as it."""
        if name is None:
            with self.store.transaction() as db:
                db.execute("DELETE FROM settings WHERE key = ?", (_SETTING_CURRENT,))
            return None
        profile = self.get(name)
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                (_SETTING_CURRENT, str(profile.id)),
            )
        return profile

    # --- the admin PIN -----------------------------------------------------------------------

    def _stored_pin(self) -> dict[str, Any] | None:
        rows = self.store.execute("SELECT value FROM settings WHERE key = ?", (_SETTING_PIN,))
        if not rows:
            return None
        try:
            stored = json.loads(rows[0][0])
        except (ValueError, TypeError, RecursionError):
            stored = None
        if not isinstance(stored, dict):
            # Never read as "no PIN": that would let anybody set a new one and raise limits.
            raise self._unreadable_pin()
        return stored

    def _unreadable_pin(self) -> StoreError:
        return StoreError(
            "the stored admin PIN is unreadable (the history database was edited by hand), so "
            "nothing that needs the PIN can be done; restore the database from a copy",
            path=self.store.path,
        )

    def has_pin(self) -> bool:
        # A PIN row that cannot be read still counts as set (see _stored_pin).
        return bool(self.store.execute("SELECT 1 FROM settings WHERE key = ?", (_SETTING_PIN,)))

    @staticmethod
    def _check_new_pin(pin: str) -> None:
        if len(pin) < MIN_PIN_LENGTH:
            raise PinTooShort(f"the admin PIN needs at least {MIN_PIN_LENGTH} characters")

    def _write_pin(self, pin: str) -> None:
        self._check_new_pin(pin)
        stored = json.dumps(hash_pin(pin))
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (_SETTING_PIN, stored)
            )
            db.execute("DELETE FROM settings WHERE key = ?", (_SETTING_PIN_FAILURES,))

    # The wrong-PIN count (see the module doc). Times are this object's ``monotonic`` readings.

    @staticmethod
    def _read_failures(db: sqlite3.Connection) -> tuple[int, float]:
        row = db.execute(
            "SELECT value FROM settings WHERE key = ?", (_SETTING_PIN_FAILURES,)
        ).fetchone()
        if row is None:
            return 0, 0.0
        try:
            state = json.loads(row[0])
            return max(0, int(state["count"])), float(state["at"])
        except (ValueError, TypeError, KeyError):
            return 0, 0.0  # only a hand-edited database has this, and it could drop the row

    @staticmethod
    def _write_failures(db: sqlite3.Connection, count: int, at: float) -> None:
        db.execute(
            "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
            (_SETTING_PIN_FAILURES, json.dumps({"count": count, "at": at})),
        )

    def _wait_left(self, db: sqlite3.Connection) -> tuple[int, float]:
        """(wrong PINs in a row, seconds until the next check may run); restarts a wait whose
        start lies in the future (the clock began again: a reboot)."""
        count, at = self._read_failures(db)
        if not pin_delay_s(count):
            return count, 0.0
        since, left = pin_wait(count, at, self._monotonic())
        if since != at:  # restarted from now (a reboot, or a start that is not a time)
            self._write_failures(db, count, since)
        return count, left

    def pin_wait_s(self) -> float:
        """Seconds before a PIN will be checked again (0: now)."""
        with self.store.transaction() as db:
            return self._wait_left(db)[1]

    def _begin_attempt(self) -> int:
        """Count a check as wrong before it runs (forgiven when right); returns the count.
        Raises :class:`PinThrottled`, counting nothing, while a wait runs."""
        with self.store.transaction() as db:
            count, left = self._wait_left(db)
            if not left:
                count += 1
                self._write_failures(db, count, self._monotonic())
        if left:
            raise PinThrottled(
                f"{count} wrong admin PINs in a row: try again in {describe_wait(left)}",
                seconds_left=left,
                failures=count,
            )
        return count

    def _forgive_attempt(self) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM settings WHERE key = ?", (_SETTING_PIN_FAILURES,))

    def verify_pin(self, pin: str | None) -> None:
        """Raise a :class:`PinError` unless ``pin`` is the admin PIN (see the subclasses)."""
        stored = self._stored_pin()
        if stored is None:
            raise PinNotSet("no admin PIN is set yet (treadctl profiles set-pin --new PIN)")
        if pin is None:
            raise PinRequired("the admin PIN is needed (--pin)")
        failures = self._begin_attempt()
        try:
            matches = _pin_matches(pin, stored)
        except (KeyError, ValueError, TypeError, OverflowError, MemoryError):
            raise self._unreadable_pin() from None
        if matches:
            self._forgive_attempt()
            return
        raise _wrong("wrong admin PIN", failures)

    def set_pin(self, new: str, *, old: str | None = None) -> None:
        """Set the admin PIN (first use: no ``old``), or change it (``old`` must match)."""
        self._check_new_pin(new)  # before the old one is checked: a refusal costs no attempt
        if self.has_pin():
            if old is None:
                raise PinRequired("changing the admin PIN needs the old one (--old)")
            try:
                self.verify_pin(old)
            except WrongPin as wrong:
                raise _wrong(
                    "wrong old admin PIN: the PIN was not changed", wrong.failures
                ) from None
            except PinThrottled as throttled:
                raise _throttled(throttled, "the PIN was not changed") from None
        self._write_pin(new)

    def authorize(self, pin: str | None, what: str) -> None:
        """Check the admin PIN for ``what`` (a setting elsewhere that loosens a limit), with
        the same rules as raising a limit: the first PIN ever given becomes the admin PIN."""
        self._authorize(pin, what)

    def _authorize(self, pin: str | None, what: str) -> None:
        """Check the PIN for ``what``; the first PIN ever given becomes the admin PIN."""
        if self._stored_pin() is None:
            if pin is None:
                raise PinRequired(
                    f"{what} needs the admin PIN, and none is set yet: give one (--pin) to set "
                    "it now; from then on it guards every raise above the defaults"
                )
            self._write_pin(pin)
            return
        if pin is None:
            raise PinRequired(f"{what} needs the admin PIN (--pin)")
        try:
            self.verify_pin(pin)
        except WrongPin as wrong:
            raise _wrong(f"wrong admin PIN: {what} was refused", wrong.failures) from None
        except PinThrottled as throttled:
            raise _throttled(throttled, f"{what} was refused") from None

    # --- limits ------------------------------------------------------------------------------

    def set_limits(self, name: str, limits: Limits, *, pin: str | None = None) -> Profile:
        """Replace a profile's limits; raising any above its default needs the admin PIN."""
        profile = self.get(name)
        return self._update(profile, limits, profile.backward_minutes_cap, pin)

    def set_limits_and_cap(
        self, name: str, limits: Limits, progression_cap: float | None, *, pin: str | None = None
    ) -> Profile:
        """Replace a profile's limits and progression cap together (what a form's Apply does).

        One PIN check covers every raise among them, and nothing is written unless all of it
        is allowed.
        """
        _check_cap(progression_cap)
        return self._update(self.get(name), limits, progression_cap, pin)

    def _update(
        self, profile: Profile, limits: Limits, cap: float | None, pin: str | None
    ) -> Profile:
        asks = []
        raised = raised_fields(profile.limits, limits)
        if raised:
            asks.append(
                "raising "
                + ", ".join(
                    f"{field} {getattr(limits, field):g} "
                    f"(default {getattr(DEFAULT_LIMITS, field):g})"
                    for field in raised
                )
            )
        if cap_raised(profile, cap):
            assert cap is not None  # cap_raised says so
            asks.append(f"a backward-minutes cap of {cap:g}")
        if asks:
            self._authorize(pin, f"{' and '.join(asks)} for {profile.name!r}")
        with self.store.transaction() as db:
            db.execute(
                "UPDATE profiles SET limits_json = ? WHERE id = ?",
                (json.dumps(limits.to_dict()), profile.id),
            )
            if cap != profile.backward_minutes_cap:
                db.execute(
                    "UPDATE profiles SET backward_minutes_cap = ? WHERE id = ?", (cap, profile.id)
                )
        return self.get(profile.name)

    def set_limit(self, name: str, field: str, value: float, *, pin: str | None = None) -> Profile:
        """Set one limit (a :class:`Limits` field name) of a profile."""
        known = {f.name for f in fields(Limits)} - {"max_heart_rate_bpm"}
        if field == "max_heart_rate_bpm":
            raise ProfileError("set the maximum heart rate with `profiles set-max-hr`")
        if field not in known:
            raise ProfileError(f"unknown limit {field!r}; one of: {', '.join(sorted(known))}")
        profile = self.get(name)
        return self.set_limits(name, self._limits_with(profile, **{field: value}), pin=pin)

    def set_max_heart_rate(self, name: str, bpm: float | None) -> Profile:
        """Set (or clear, None) a profile's maximum heart rate. Never needs the PIN."""
        if bpm is not None and not (
            isinstance(bpm, int | float) and math.isfinite(bpm) and 40 <= bpm <= 250
        ):
            raise ProfileError(
                f"the maximum heart rate must be a number of beats per minute from 40 to 250, "
                f"got {bpm!r}"
            )
        if bpm is not None:
            bpm = round(bpm)
        profile = self.get(name)
        self._store_limits(profile, self._limits_with(profile, max_heart_rate_bpm=bpm))
        return self.get(profile.name)

    @staticmethod
    def _limits_with(profile: Profile, **changes: Any) -> Limits:
        try:
            return replace(profile.limits, **changes)
        except ValueError as exc:
            raise ProfileError(f"{profile.name}: {exc}") from None

    def _store_limits(
        self, profile: Profile, limits: Limits, *, progressed_at: datetime | None = None
    ) -> None:
        with self.store.transaction() as db:
            db.execute(
                "UPDATE profiles SET limits_json = ? WHERE id = ?",
                (json.dumps(limits.to_dict()), profile.id),
            )
            if progressed_at is not None:
                db.execute(
                    "UPDATE profiles SET progressed_at = ? WHERE id = ?",
                    (format_time(progressed_at), profile.id),
                )

    def set_progression_cap(
        self, name: str, minutes: float | None, *, pin: str | None = None
    ) -> Profile:
        """The most backward minutes progression may reach (None: the default).

        A cap above the default lets the limit grow past the default without the PIN, so
        setting one above both the default and the current cap needs the PIN.
        """
        _check_cap(minutes)
        profile = self.get(name)
        return self._update(profile, profile.limits, minutes, pin)

    # --- race paces ---------------------------------------------------------------------------

    def set_paces(self, name: str, paces: RunPaces) -> Profile:
        """Replace a profile's race paces (``RunPaces()``: none). Never needs the PIN; refused
        for Guest (see the module doc)."""
        profile = self.get(name)
        if profile.builtin:
            raise ProfileError(
                f"{profile.name} keeps no race paces: it is shared by every drop-in (type them "
                "for one import instead, or choose your own profile)"
            )
        stored = paces.to_dict()
        with self.store.transaction() as db:
            db.execute(
                "UPDATE profiles SET paces_json = ? WHERE id = ?",
                (json.dumps(stored) if stored else None, profile.id),
            )
        return self.get(profile.name)

    # --- guest sessions ----------------------------------------------------------------------

    def save_guest_session(self, session_id: str, to_profile: str) -> StoredSession:
        """Keep an unsaved guest session, as a session of ``to_profile`` (also after rebuilds)."""
        target = self.get(to_profile)
        if target.builtin:
            raise ProfileError(f"save the session to a person's profile, not to {target.name}")
        session = self.store.session(session_id)
        if session is None or session.saved:
            raise ProfileError(f"no unsaved guest session {session_id!r}")
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO session_owners (session_id, profile_id) VALUES (?, ?)",
                (session_id, target.id),
            )
            db.execute("UPDATE sessions SET profile_id = ? WHERE id = ?", (target.id, session_id))
        saved = self.store.session(session_id)
        assert saved is not None  # updated just above, in this process
        return saved

    # --- backward progression ----------------------------------------------------------------

    def next_backward_minutes(self, profile: Profile | str) -> Progression:
        """The profile's next backward-minutes step and whether it is due (see
        :mod:`treadctl.profiles.progression`)."""
        if isinstance(profile, str):
            profile = self.get(profile)
        return next_progression(profile, self.store.sessions(profile.name), self._now())

    def apply_progression(self, profile: Profile | str) -> Progression:
        """Take the step if it is due (no PIN: the cap is the admin's decision)."""
        if isinstance(profile, str):
            profile = self.get(profile)
        progression = self.next_backward_minutes(profile)
        if progression.due:
            limits = self._limits_with(profile, backward_minutes_per_session=progression.next)
            self._store_limits(profile, limits, progressed_at=self._now())
        return progression

    def limits_for(self, name: str | None) -> Limits:
        """The limits to run ``name`` (None: the current profile; none: the defaults) with.

        Applies a due backward-minutes step first: this is where history feeds the limits.
        """
        profile = self.current() if name is None else self.get(name)
        if profile is None:
            return DEFAULT_LIMITS
        self.apply_progression(profile)
        return self.get(profile.name).limits
