"""Each profile's accounts and after-session choices, in a private file per profile.

Shape::

    Accounts(folder)                        <data folder>/accounts/ (0700)
     ├── load(profile) -> ProfileAccounts   its file, or nothing connected
     ├── save(accounts) -> Path             written whole (temporary file, fsync, rename), 0600
     └── forget(profile) -> bool            delete its file
    ProfileAccounts(profile_id, profile_name, profile_created_at,
                    strava, intervals, after_session, export_folder)
     ├── StravaAccount(client_id, client_secret, tokens)     the person's own API application
     ├── IntervalsAccount(athlete_id, api_key)
     ├── after_session: {service: AfterSession.AUTO | ASK | NEVER}   (default: ask)
     └── export_folder: ExportFolder(path, formats) | None

Why a file per profile and not the history database: the database is an index the app tells
people to move aside and rebuild when it is damaged (``treadctl.store``), and a damaged one is
exactly what someone attaches to an issue — client secrets, refresh tokens and API keys must
not travel with it. ``Store.rebuild`` keeps the profiles, so it keeps their accounts; a
database thrown away loses the profiles themselves (made again from the logs, with new ids),
and then the accounts are connected again — the old files are not read for the new profiles,
see below. The folder is 0700 and each file 0600 whatever the umask, like the database; a
file found with looser permissions is tightened before it is read.

Which profile a file belongs to: it is named by the profile's id and holds the profile's id,
name and creation time. SQLite may give a deleted profile's id to the next profile made, so a
file whose creation time is not the profile's belongs to somebody deleted: it is not read (a
newcomer never inherits another person's accounts) and is replaced on the next save.

Nothing here logs; the secrets are left out of every ``repr``.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from treadctl.data_folder import ACCOUNTS, DataFolder
from treadctl.export import FORMATS, ExportFormat
from treadctl.profiles import Profile
from treadctl.store import format_time
from treadctl.upload.errors import AccountsError
from treadctl.upload.services import Service
from treadctl.upload.strava import StravaTokens

__all__ = [
    "ACCOUNTS_FOLDER",
    "Accounts",
    "AfterSession",
    "ExportFolder",
    "IntervalsAccount",
    "ProfileAccounts",
    "StravaAccount",
]

ACCOUNTS_FOLDER = ACCOUNTS  # the data folder's (treadctl.data_folder)
_FORMAT = "treadctl-accounts"
_VERSION = 1


class AfterSession(StrEnum):
    """What happens with a service after each session of the profile."""

    AUTO = "auto"  # upload at once (and queue it if that fails)
    ASK = "ask"  # the app asks; the command line tells how to upload
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class StravaAccount:
    """The person's own Strava API application (client id and secret) and its tokens."""

    client_id: str
    client_secret: str = field(repr=False)
    tokens: StravaTokens


@dataclass(frozen=True, slots=True)
class IntervalsAccount:
    athlete_id: str  # "0": the key's own athlete
    api_key: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ExportFolder:
    """Where each session is written after it ends, and as which files."""

    path: Path
    formats: tuple[ExportFormat, ...] = ("fit",)


@dataclass(frozen=True, slots=True)
class ProfileAccounts:
    profile_id: int
    profile_name: str
    profile_created_at: str
    strava: StravaAccount | None = None
    intervals: IntervalsAccount | None = None
    after_session: Mapping[Service, AfterSession] = field(default_factory=dict)
    export_folder: ExportFolder | None = None

    @classmethod
    def empty(cls, profile: Profile) -> ProfileAccounts:
        return cls(profile.id, profile.name, format_time(profile.created_at))

    def preference(self, service: Service) -> AfterSession:
        return self.after_session.get(service, AfterSession.ASK)

    def is_connected(self, service: Service) -> bool:
        return (self.strava if service is Service.STRAVA else self.intervals) is not None

    @property
    def connected(self) -> tuple[Service, ...]:
        return tuple(s for s in Service if self.is_connected(s))


class Accounts:
    """The accounts files of a data folder (see the module docstring)."""

    def __init__(self, folder: DataFolder) -> None:
        self.folder = folder

    @property
    def directory(self) -> Path:
        return self.folder.accounts

    def path(self, profile: Profile | int) -> Path:
        return self.folder.account_file(profile if isinstance(profile, int) else profile.id)

    def load(self, profile: Profile) -> ProfileAccounts:
        """``profile``'s accounts; nothing connected when it has no file, or when its file is
        a deleted profile's. :class:`AccountsError` naming the file if it cannot be used."""
        path = self.path(profile)
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            return ProfileAccounts.empty(profile)
        except OSError as error:
            raise AccountsError(f"cannot read: {error.strerror or error}", path=path) from None
        try:
            if stat.S_IMODE(mode) & 0o077:
                path.chmod(0o600)
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise AccountsError(f"cannot read: {error.strerror or error}", path=path) from None
        except (ValueError, RecursionError):
            raise AccountsError(
                "is not a treadctl accounts file (not JSON); delete it and connect the "
                "accounts again",
                path=path,
            ) from None
        found = _Reader(path, data).accounts()
        if (found.profile_id, found.profile_created_at) != (
            profile.id,
            format_time(profile.created_at),
        ):
            return ProfileAccounts.empty(profile)  # a deleted profile's, whose id was reused
        return found

    def save(self, accounts: ProfileAccounts) -> Path:
        """Write ``accounts`` whole or not at all; returns the file."""
        path = self.path(accounts.profile_id)
        data = (json.dumps(_to_json(accounts), indent=2, sort_keys=True) + "\n").encode()
        try:
            self._make_directory()
            # mkstemp makes the file 0600: the secrets are never readable by others, not even
            # for the moment before a chmod.
            fd, name = tempfile.mkstemp(prefix=".accounts-", suffix=".tmp", dir=self.directory)
        except OSError as error:
            raise AccountsError(f"cannot write: {error.strerror or error}", path=path) from None
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except OSError as error:
            tmp.unlink(missing_ok=True)
            raise AccountsError(f"cannot write: {error.strerror or error}", path=path) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._sync_directory()
        return path

    def forget(self, profile: Profile | int) -> bool:
        """Delete the profile's file (all its accounts and choices); False if it had none."""
        path = self.path(profile)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as error:
            raise AccountsError(f"cannot delete: {error.strerror or error}", path=path) from None
        return True

    def _make_directory(self) -> None:
        directory = self.directory
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if stat.S_IMODE(directory.stat().st_mode) != 0o700:
            directory.chmod(0o700)  # whatever the umask, or whoever made it before

    def _sync_directory(self) -> None:
        """Make the rename itself durable (POSIX); where a folder cannot be opened (Windows)
        the rename is as durable as the system makes it."""
        with contextlib.suppress(OSError):
            fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _to_json(accounts: ProfileAccounts) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": _FORMAT,
        "version": _VERSION,
        "profile": {
            "id": accounts.profile_id,
            "name": accounts.profile_name,
            "created_at": accounts.profile_created_at,
        },
        "after_session": {s.value: p.value for s, p in accounts.after_session.items()},
    }
    if accounts.strava is not None:
        tokens = accounts.strava.tokens
        data["strava"] = {
            "client_id": accounts.strava.client_id,
            "client_secret": accounts.strava.client_secret,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_at": tokens.expires_at,
            "athlete_id": tokens.athlete_id,
            "athlete_name": tokens.athlete_name,
            "scope": tokens.scope,
        }
    if accounts.intervals is not None:
        data["intervals"] = {
            "athlete_id": accounts.intervals.athlete_id,
            "api_key": accounts.intervals.api_key,
        }
    if accounts.export_folder is not None:
        data["export_folder"] = {
            "path": str(accounts.export_folder.path),
            "formats": list(accounts.export_folder.formats),
        }
    return data


class _Reader:
    """Typed reads of an accounts file; a bad field names the file and the field (never its
    value: it may be a secret)."""

    def __init__(self, path: Path, data: Any) -> None:
        self.path = path
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise self.fail("is not a treadctl accounts file")
        if data.get("version") != _VERSION:
            raise self.fail(
                f"is version {data.get('version')!r}, this treadctl reads {_VERSION}; "
                "upgrade treadctl"
            )
        self.data = data

    def fail(self, what: str) -> AccountsError:
        return AccountsError(
            f"{what}; fix or delete it and connect the accounts again", path=self.path
        )

    def section(self, name: str) -> dict[str, Any] | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(f"its {name} is not an object")
        return value

    def text(self, section: dict[str, Any], where: str, key: str, *, optional: bool = False) -> Any:
        value = section.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value:
            raise self.fail(f"its {where}.{key} is missing or not text")
        return value

    def accounts(self) -> ProfileAccounts:
        profile = self.section("profile")
        if profile is None:
            raise self.fail("it names no profile")
        profile_id = profile.get("id")
        if not isinstance(profile_id, int) or isinstance(profile_id, bool):
            raise self.fail("its profile.id is not a number")
        strava = intervals = export = None
        if (section := self.section("strava")) is not None:
            expires = section.get("expires_at")
            if not isinstance(expires, int) or isinstance(expires, bool):
                raise self.fail("its strava.expires_at is not a whole number")
            strava = StravaAccount(
                client_id=self.text(section, "strava", "client_id"),
                client_secret=self.text(section, "strava", "client_secret"),
                tokens=StravaTokens(
                    access_token=self.text(section, "strava", "access_token"),
                    refresh_token=self.text(section, "strava", "refresh_token"),
                    expires_at=expires,
                    athlete_id=self.text(section, "strava", "athlete_id", optional=True),
                    athlete_name=self.text(section, "strava", "athlete_name", optional=True),
                    scope=self.text(section, "strava", "scope", optional=True),
                ),
            )
        if (section := self.section("intervals")) is not None:
            intervals = IntervalsAccount(
                athlete_id=self.text(section, "intervals", "athlete_id"),
                api_key=self.text(section, "intervals", "api_key"),
            )
        if (section := self.section("export_folder")) is not None:
            formats = section.get("formats")
            if (
                not isinstance(formats, list)
                or not formats
                or not all(f in FORMATS for f in formats)
            ):
                raise self.fail(f"its export_folder.formats is not a list of {', '.join(FORMATS)}")
            export = ExportFolder(
                Path(self.text(section, "export_folder", "path")),
                tuple(dict.fromkeys(formats)),
            )
        choices: dict[Service, AfterSession] = {}
        for key, value in (self.section("after_session") or {}).items():
            try:
                choices[Service(key)] = AfterSession(value)
            except ValueError:
                raise self.fail(f"its after_session.{key} is not one of auto, ask, never") from None
        return ProfileAccounts(
            profile_id=profile_id,
            profile_name=self.text(profile, "profile", "name"),
            profile_created_at=self.text(profile, "profile", "created_at"),
            strava=strava,
            intervals=intervals,
            after_session=choices,
            export_folder=export,
        )
