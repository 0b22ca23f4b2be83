"""Who is on the treadmill, the limits their session runs with, and the history behind them.

Shape::

    People(folder, base_limits=DEFAULT_LIMITS, monotonic=time.monotonic)
     ├── store / profiles                 the history database and its profile rules
     │                                    (None, with ``error``, when it cannot be used)
     ├── current / limits                 the chosen person (None: nobody) and their limits
     ├── choose(name | None)              → the person; applies a backward step that is due
     ├── refresh()                        re-read the current person (edited, renamed, deleted)
     ├── session_ended(log_path)          import the log into the history, then take a step
     │                                    that has come due with it (progression)
     └── sync() / discard_guest() / close()

The rules are the engine's (``treadctl.profiles``); this object only holds the choice. The
history is optional: a database that cannot be opened leaves a treadmill that still works, with
``error`` saying why, sessions recorded under no profile, and the base limits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from treadctl.data_folder import DataFolder
from treadctl.limits import DEFAULT_LIMITS, Limits
from treadctl.profiles import Profile, ProfileError, Profiles
from treadctl.store import ImportReport, Store, StoredSession, StoreError

__all__ = ["People"]

logger = logging.getLogger(__name__)


class People:
    """See the module docstring."""

    def __init__(
        self,
        folder: DataFolder,
        *,
        base_limits: Limits = DEFAULT_LIMITS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folder = folder
        self.base_limits = base_limits
        #: The clock of the wrong-PIN waits (``Profiles(monotonic=)``); tests replace it.
        self.monotonic = monotonic
        self.error: str | None = None
        self._store: Store | None = None
        self._profiles: Profiles | None = None
        self._current: Profile | None = None
        self._limits = base_limits
        try:
            self._store = Store.of(folder)
            # Read through a method: a test may replace ``monotonic`` after this.
            self._profiles = Profiles(self._store, monotonic=self._monotonic)
        except StoreError as error:
            # The treadmill still works without a history: say so, do not crash.
            logger.error("no profiles or history: %s", error)
            self.error = str(error)

    def _monotonic(self) -> float:
        return self.monotonic()

    # -- reading ----------------------------------------------------------------------------------

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

    @property
    def name(self) -> str | None:
        return None if self._current is None else self._current.name

    @property
    def limits(self) -> Limits:
        """The limits the next session runs with: the person's, or the base limits."""
        return self._limits

    # -- choosing ---------------------------------------------------------------------------------

    def choose(self, name: str | None) -> Profile | None:
        """Make ``name`` the one the next session runs as (None: nobody chosen).

        Its limits come from :meth:`Profiles.limits_for`, which first takes a backward step
        that has come due. Raises ProfileError (no such profile) or StoreError.
        """
        if name is None:
            self._current, self._limits = None, self.base_limits
            if self._profiles is not None:
                # Nobody is chosen for every front end: a `treadctl run` started now must not
                # run as the person who left (a gym's next person would get their limits).
                try:
                    self._profiles.select(None)
                except StoreError as error:
                    logger.warning("the choice of nobody not kept: %s", error)
            return None
        profiles = self.profiles
        limits = profiles.limits_for(name)
        self._current, self._limits = profiles.select(name), limits
        return self._current

    def refresh(self) -> Profile | None:
        """Re-read the current person after an edit (limits, a rename, a deletion)."""
        if self._current is None or self._profiles is None:
            return self._current
        profile = next((p for p in self._profiles.list_all() if p.id == self._current.id), None)
        self._current = profile
        self._limits = self.base_limits if profile is None else profile.limits
        return profile

    # -- history ----------------------------------------------------------------------------------

    def session_ended(self, log_path: Path) -> StoredSession | None:
        """Import a finished session's log and take the backward step that came due with it.

        None when the history cannot be used (logged: the log itself is safe on disk, and the
        next sync imports it).
        """
        if self._store is None:
            return None
        try:
            stored = self._store.import_log(log_path)
        except StoreError as error:
            logger.warning("finished session not imported: %s", error)
            return None
        if self._current is not None:
            try:
                # The same person goes on: a backward step may have come due with this session.
                self.choose(self._current.name)
            except (ProfileError, StoreError) as error:
                logger.warning("limits not brought up to date: %s", error)
                self.refresh()
        return stored

    def sync(self) -> ImportReport | None:
        """Import the session logs the store does not have yet; None without a store."""
        if self._store is None:
            return None
        report = self._store.sync(self.folder.sessions)
        for error in report.errors:
            logger.warning("session log not imported: %s", error)
        return report

    def discard_guest(self) -> list[str]:
        """Let go of every unsaved guest session (rows and log files)."""
        if self._store is None:
            return []
        return self._store.discard_guest_sessions()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = self._profiles = None
            self.error = "closed"
