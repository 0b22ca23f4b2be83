"""The data folder: where a person's sessions, history and settings live, for every front end.

Shape::

    DataFolder(root=None, *, sessions=None)
     ├── root             the platform's data folder for treadctl (platformdirs), or the one
     │                    given (``--data-dir``; the tests' temporary folders)
     ├── sessions         <root>/sessions: one JSON Lines log per session (``--log-dir`` may
     │                    put them elsewhere)
     ├── history          <root>/history.sqlite3: profiles, sessions, progression
     │                    (``treadctl.store``; ``Store.of(folder)`` opens it)
     ├── programs         <root>/programs: the person's own program files, listed beside the
     │                    built-in ones (``treadctl.program.library``)
     ├── accounts         <root>/accounts: a file per profile, its service accounts and
     │                    after-session choices (``treadctl.upload.accounts``; secrets, 0600)
     └── settings         <root>/settings.ini: the app's own settings (window, units, sounds,
                          the treadmill and strap last used)

The window, ``treadctl run``, ``treadctl history``/``profiles``/``export`` all take one of
these, so a session recorded by one is found by the others. Nothing here touches the disk
until it is used: a folder is made when the first log or the database is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["ACCOUNTS", "APP_NAME", "HISTORY", "DataFolder"]

#: The name the platform's folders are made for.
APP_NAME = "treadctl"

SESSIONS = "sessions"
PROGRAMS = "programs"
SETTINGS = "settings.ini"
ACCOUNTS = "accounts"
HISTORY = "history.sqlite3"


def _platform_root() -> Path:
    import platformdirs  # only when the default is used: the app's startup screen reads this

    return Path(platformdirs.user_data_dir(APP_NAME))


@dataclass(frozen=True)
class DataFolder:
    """See the module docstring. ``root=None`` is the platform's data folder."""

    root_given: Path | None = None
    sessions_given: Path | None = None

    @classmethod
    def at(cls, root: Path | None = None, *, sessions: Path | None = None) -> DataFolder:
        return cls(
            None if root is None else Path(root), None if sessions is None else Path(sessions)
        )

    @property
    def is_default(self) -> bool:
        """The platform's own folder (kept private to the user: 0700)."""
        return self.root_given is None

    @property
    def root(self) -> Path:
        return self.root_given if self.root_given is not None else _platform_root()

    @property
    def sessions(self) -> Path:
        return self.sessions_given if self.sessions_given is not None else self.root / SESSIONS

    @property
    def programs(self) -> Path:
        return self.root / PROGRAMS

    @property
    def accounts(self) -> Path:
        return self.root / ACCOUNTS

    def account_file(self, profile_id: int) -> Path:
        """The accounts file of the profile with this id (also deleted with the profile)."""
        return self.accounts / f"{profile_id}.json"

    @property
    def settings(self) -> Path:
        return self.root / SETTINGS

    @property
    def history(self) -> Path:
        return self.root / HISTORY
