"""The history store: an SQLite database of profiles, sessions and their summaries.

The JSON Lines session logs (``docs/session-log.md``) are the source of truth; this database is
an index over them that can be thrown away and rebuilt (``Store.rebuild``). What the logs do
*not* hold lives only here: the profiles' limits and race paces, the admin PIN's hash, which
profile is selected, guest sessions saved to a profile, what the user deleted on purpose (so a
rebuild does not bring it back), and which session was uploaded where (the upload queue).

Shape::

    Store(data_dir, private_dir=False)    <data_dir>/history.sqlite3 (0600, dir 0700), WAL
     ├── import_log(path) -> StoredSession | None    idempotent by session id
     ├── sync(log_dir)    -> ImportReport            import logs not yet (fully) imported
     ├── rebuild(log_dir) -> ImportReport            drop every session, re-import every log
     ├── sessions(profile=...) / session(id) / weekly_totals(profile)
     ├── discard_guest_sessions() / forget_sessions(ids)
     └── transaction() / execute()                   for treadctl.profiles, which owns the rules

    summarize(log) -> SessionSummary                 a log's totals (computed when it has no end)

Errors: :class:`StoreError` (the database: corrupt, newer than this app, unwritable — always
naming the file, never deleting anything) and its subclass :class:`LogImportError` (one log:
file and line). ``rebuild`` and ``sync`` collect log errors in the report and go on with the
other logs.

Schema (``PRAGMA user_version``; :data:`MIGRATIONS` run in order, each in one transaction)::

    1  profiles(id, name UNIQUE NOCASE, limits_json, created_at)
       sessions(id = log session id, profile_id -> profiles ON DELETE CASCADE, profile_name,
                log_path, started_at, program, end_reason (NULL: interrupted), stop_reason,
                interrupted, notices_json)
       summaries(session_id -> sessions ON DELETE CASCADE, duration_s, distance_m,
                 forward_/backward_minutes, forward_/backward_distance_m, energy_kcal,
                 max_forward_/max_backward_kmh, avg_heart_rate_bpm, program)
    2  settings(key, value)                    current profile, admin PIN hash
       profiles += builtin, backward_minutes_cap, progressed_at; the built-in Guest profile
       profile_names(name NOCASE, profile_id)  every name a profile has had (rebuild after a
                                               rename attributes old logs to the same profile)
       session_owners(session_id, profile_id)  guest sessions saved to a profile
       forgotten_sessions(session_id, at)      deleted on purpose: never re-imported
       forgotten_profiles(name NOCASE, at)     logs of a deleted profile started before ``at``
                                               are never re-imported (nor leak to a new
                                               profile of the same name)
    3  uploads(session_id, service,             the upload queue (``treadctl.upload.queue``):
               status, external_id, attempts,   one row per session and service. No foreign
               upload_ref, activity_id,          key to sessions, on purpose: ``rebuild`` drops
               activity_url, failure, reason,   and re-imports every session row, and what was
               http_status, next_try_at,        uploaded where is not in any log, so it must
               claimed_at, created_at,          outlive that
               updated_at)
    4  profiles += paces_json                   the person's race paces (``RunPaces.to_dict``;
                                               NULL: none given), for importing Zwift run
                                               workouts. On the profile row, so a rebuild
                                               (which drops only sessions) keeps them

Times are ISO 8601 UTC strings with milliseconds and a ``Z`` (they sort as text).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import os
import re
import sqlite3
import stat
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Self

from treadctl.data_folder import HISTORY, DataFolder
from treadctl.errors import TreadctlError
from treadctl.limits import DEFAULT_LIMITS, Direction
from treadctl.recorder import SessionLog, SessionLogError, read_session_log
from treadctl.recorder import short_repr as _short
from treadctl.session.totals import SessionSummary, SessionTotals

__all__ = [
    "DB_FILENAME",
    "GUEST",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "STOP_WORDS",
    "ImportReport",
    "LogImportError",
    "Store",
    "StoreError",
    "StoredSession",
    "WeekTotal",
    "format_time",
    "name_key",
    "parse_time",
    "profile_id_named",
    "remove_log_files",
    "summarize",
    "weekly_totals_of",
]

DB_FILENAME = HISTORY  # <data folder>/history.sqlite3
GUEST = "Guest"
"""The built-in profile for people without one: its sessions are not kept unless saved."""

logger = logging.getLogger(__name__)

_BUSY_TIMEOUT_S = 10.0  # a `treadctl run` may be importing while `treadctl history` reads


class StoreError(TreadctlError):
    """The history database cannot be used. The message names the file and what to do."""

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(f"{path}: {message}" if path is not None else message)
        self.path = path


class LogImportError(StoreError):
    """One session log cannot be imported. ``path`` and ``line`` (1-based) say where."""

    def __init__(self, message: str, *, path: Path, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        Exception.__init__(self, f"{where}: {message}")
        self.path = path
        self.line = line


def format_time(moment: datetime) -> str:
    """``moment`` as the store writes it: ``2025-03-14T10:15:02.123Z``."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed (e.g. datetime.now(UTC))")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """The inverse of :func:`format_time`; also accepts any ISO 8601 time with an offset."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset")
    return moment.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def name_key(name: str) -> str:
    """A profile name as people read it: spaces collapsed, NFKC, case-folded. Two names with
    the same key are one person (a full-width ``ＡＮＡ`` is ``Ana``); SQLite's NOCASE folds
    ASCII only, so names are compared with this in Python."""
    return unicodedata.normalize("NFKC", " ".join(name.split())).casefold()


def profile_id_named(db: sqlite3.Connection, name: str) -> int | None:
    """The id of the profile called ``name`` now or before a rename (by :func:`name_key`)."""
    key = name_key(name)
    # Exact first (the common case, and an index lookup); then every name, normalised: the
    # table holds one row per name a profile has had, a few dozen on a shared laptop. Only
    # names of profiles that exist: a hand-edited row pointing nowhere would make every
    # session imported under it fail its foreign key, and the whole history with it.
    row = db.execute(
        "SELECT n.profile_id FROM profile_names n JOIN profiles p ON p.id = n.profile_id "
        "WHERE n.name = ?",
        (" ".join(name.split()),),
    ).fetchone()
    if row is not None:
        return int(row[0])
    for stored, profile_id in db.execute(
        "SELECT n.name, n.profile_id FROM profile_names n JOIN profiles p ON p.id = n.profile_id"
    ):
        if isinstance(stored, str) and name_key(stored) == key:
            return int(profile_id)
    # The profile's own name, last: a hand edit may have cut it from its names (and creating
    # it again would refuse the duplicate name, and the whole import with it).
    for profile_id, stored in db.execute("SELECT id, name FROM profiles"):
        if isinstance(stored, str) and name_key(stored) == key:
            return int(profile_id)
    return None


# --------------------------------------------------------------------------------------------
# Schema


def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Run ``;``-separated statements in the caller's transaction.

    Not ``executescript``: it commits a pending transaction first, which would split a
    migration from its ``user_version`` bump.
    """
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _migrate_1(db: sqlite3.Connection) -> None:
    _run_script(
        db,
        """
        CREATE TABLE profiles (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            limits_json TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            profile_id INTEGER REFERENCES profiles(id) ON DELETE CASCADE,
            profile_name TEXT,
            log_path TEXT NOT NULL,
            started_at TEXT NOT NULL,
            program TEXT,
            end_reason TEXT,
            stop_reason TEXT,
            interrupted INTEGER NOT NULL CHECK (interrupted IN (0, 1)),
            notices_json TEXT NOT NULL DEFAULT '[]'
        );
        CREATE INDEX sessions_by_profile ON sessions(profile_id, started_at);
        CREATE TABLE summaries (
            session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
            duration_s REAL NOT NULL,
            distance_m REAL NOT NULL,
            forward_minutes REAL NOT NULL,
            backward_minutes REAL NOT NULL,
            forward_distance_m REAL NOT NULL,
            backward_distance_m REAL NOT NULL,
            energy_kcal REAL,
            max_forward_kmh REAL NOT NULL,
            max_backward_kmh REAL NOT NULL,
            avg_heart_rate_bpm INTEGER,
            program TEXT
        );
        """,
    )


def _migrate_2(db: sqlite3.Connection) -> None:
    _run_script(
        db,
        """
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        ALTER TABLE profiles ADD COLUMN builtin INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE profiles ADD COLUMN backward_minutes_cap REAL;
        ALTER TABLE profiles ADD COLUMN progressed_at TEXT;
        CREATE TABLE profile_names (
            name TEXT PRIMARY KEY COLLATE NOCASE,
            profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE
        );
        INSERT INTO profile_names (name, profile_id) SELECT name, id FROM profiles;
        CREATE TABLE session_owners (
            session_id TEXT PRIMARY KEY,
            profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE
        );
        CREATE TABLE forgotten_sessions (session_id TEXT PRIMARY KEY, forgotten_at TEXT NOT NULL);
        CREATE TABLE forgotten_profiles (
            name TEXT NOT NULL COLLATE NOCASE,
            forgotten_at TEXT NOT NULL
        );
        """,
    )
    # A version-1 database may already hold a profile called "Guest": it becomes the built-in.
    db.execute(
        "INSERT OR IGNORE INTO profiles (name, limits_json, created_at) VALUES (?, ?, ?)",
        (GUEST, json.dumps(DEFAULT_LIMITS.to_dict()), format_time(_now())),
    )
    db.execute("UPDATE profiles SET builtin = 1 WHERE name = ?", (GUEST,))
    db.execute(
        "INSERT OR IGNORE INTO profile_names (name, profile_id) "
        "SELECT name, id FROM profiles WHERE name = ?",
        (GUEST,),
    )


def _migrate_3(db: sqlite3.Connection) -> None:
    # The statuses and failure kinds are treadctl.upload.queue's; the CHECKs keep a hand edit
    # from inventing one the queue would not know how to retry.
    _run_script(
        db,
        """
        CREATE TABLE uploads (
            session_id TEXT NOT NULL,
            service TEXT NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('pending', 'uploading', 'done', 'failed', 'duplicate')),
            external_id TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            upload_ref TEXT,
            activity_id TEXT,
            activity_url TEXT,
            failure TEXT CHECK (failure IS NULL OR failure IN ('retry', 'auth', 'refused')),
            reason TEXT,
            http_status INTEGER,
            next_try_at TEXT,
            claimed_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (session_id, service)
        );
        CREATE INDEX uploads_by_status ON uploads(status, next_try_at)
        """,
    )


def _migrate_4(db: sqlite3.Connection) -> None:
    # A column, not a table of its own: paces belong to one profile, go when it is deleted,
    # and are read with it in the same row (treadctl.profiles.registry).
    db.execute("ALTER TABLE profiles ADD COLUMN paces_json TEXT")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _migrate_1,
    _migrate_2,
    _migrate_3,
    _migrate_4,
)
"""``MIGRATIONS[i]`` takes a database from schema version ``i`` to ``i + 1``. Append only."""

SCHEMA_VERSION = len(MIGRATIONS)


# --------------------------------------------------------------------------------------------
# Summaries


_SUMMARY_NUMBERS = (
    "duration_s",
    "distance_m",
    "forward_minutes",
    "backward_minutes",
    "forward_distance_m",
    "backward_distance_m",
    "max_forward_kmh",
    "max_backward_kmh",
)


@dataclass(frozen=True, slots=True)
class _Found:
    """What one log says, ready to store."""

    session_id: str
    profile_name: str | None
    started_at: str
    program: str | None
    end_reason: str | None
    stop_reason: str | None
    notices: tuple[str, ...]
    summary: SessionSummary  # the totals (reason and stop_reason are the fields above)


class _LogReader:
    """Reads one log into a :class:`_Found`, naming the line of anything it cannot use.

    :func:`read_session_log` names lines that are not JSON records; this class checks the
    fields history needs (types, finite non-negative numbers, known directions), because a
    hand-edited log can hold valid JSON that means nothing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.log = read_session_log(path)
        except SessionLogError as exc:
            # The recorder's message starts with "path:line: ", which LogImportError adds back.
            where = f"{exc.path}:{exc.line}: " if exc.line is not None else f"{exc.path}: "
            raise LogImportError(str(exc).removeprefix(where), path=path, line=exc.line) from None
        except OSError as exc:
            raise LogImportError(f"cannot read: {exc.strerror or exc}", path=path) from None

    def line_of(self, index: int) -> int | None:
        """Line of ``records[index]``; ``len(records)`` is the end record."""
        lines = self.log.record_lines
        return lines[index] if index < len(lines) else self.log.end_line

    def fail(self, message: str, line: int | None) -> LogImportError:
        return LogImportError(message, path=self.path, line=line)

    def number(
        self, record: Mapping[str, Any], key: str, line: int | None, *, prefix: str = ""
    ) -> float | None:
        value = record.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"{prefix}{key} must be a number or null, got {_short(value)}", line)
        if not math.isfinite(value) or value < 0:
            raise self.fail(
                f"{prefix}{key} must be finite and not negative, got {_short(value)}", line
            )
        return float(value)

    def text(
        self, record: Mapping[str, Any], key: str, line: int | None, *, prefix: str = ""
    ) -> str | None:
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            raise self.fail(f"{prefix}{key} must be a string or null, got {_short(value)}", line)
        return value

    def read(self) -> _Found:
        log = self.log
        header = log.header
        started = header.get("started_at")
        try:
            started_at = format_time(parse_time(started)) if isinstance(started, str) else None
        except ValueError:
            started_at = None
        if started_at is None:
            raise self.fail(f"header started_at is not an ISO 8601 UTC time: {_short(started)}", 1)
        profile = self.text(header, "profile", 1, prefix="header ")
        program = header.get("program")
        program_name: str | None = None
        if isinstance(program, Mapping):
            program_name = self.text(program, "name", 1, prefix="header program.")
        elif program is not None:
            raise self.fail(f"header program must be an object or null, got {_short(program)}", 1)

        computed, notices = self._from_records()
        end = log.end
        end_reason = stop_reason = None
        summary = computed
        if end is not None:
            line = self.line_of(len(log.records))
            end_reason = self.text(end, "reason", line, prefix="end ")
            if end_reason is None:
                raise self.fail("the end record has no reason", line)
            raw = end.get("summary", {})
            if not isinstance(raw, Mapping):
                raise self.fail(f"end summary must be an object, got {_short(raw)}", line)
            stop_reason = self.text(raw, "stop_reason", line, prefix="summary.")
            summary = self._merge(raw, computed, line)
        if summary.program is None and program_name is not None:
            summary = dataclasses.replace(summary, program=program_name)
        return _Found(
            session_id=log.session_id,
            profile_name=profile,
            started_at=started_at,
            program=program_name if program_name is not None else summary.program,
            end_reason=end_reason,
            stop_reason=stop_reason,
            notices=notices,
            summary=summary,
        )

    def _from_records(self) -> tuple[SessionSummary, tuple[str, ...]]:
        """Totals computed from the samples, the way the runner accounts them (one
        :class:`~treadctl.session.SessionTotals`)."""
        totals = SessionTotals()
        energy: float | None = None
        last_t = 0.0
        notices: set[str] = set()
        for index, record in enumerate(self.log.records):
            line = self.line_of(index)
            t = float(record["t"])  # read_session_log checked it is a finite number
            last_t = max(last_t, t)
            kind = record["kind"]
            if kind == "notice":
                notice = record.get("notice")
                if not isinstance(notice, str):
                    raise self.fail(
                        f"a notice record needs a string 'notice', got {_short(notice)}", line
                    )
                notices.add(notice)
                continue
            if kind != "sample":
                continue
            speed = self.number(record, "speed_kmh", line)
            counter = self.number(record, "distance_m", line)
            kcal = self.number(record, "energy_kcal", line)
            hr = record.get("heart_rate_bpm")
            if hr is not None and (isinstance(hr, bool) or not isinstance(hr, int) or hr < 0):
                raise self.fail(
                    f"heart_rate_bpm must be a whole number or null, got {_short(hr)}", line
                )
            direction = record.get("direction")
            if direction not in ("forward", "backward"):
                raise self.fail(
                    f"direction must be 'forward' or 'backward', got {_short(direction)}", line
                )
            totals.add(t, speed, counter, Direction(direction), hr)
            if kcal is not None:
                energy = kcal
        return totals.summary(duration_s=last_t, energy_kcal=energy), tuple(sorted(notices))

    def _merge(
        self, raw: Mapping[str, Any], computed: SessionSummary, line: int | None
    ) -> SessionSummary:
        """The runner's own summary, with what it lacks (an older or a partial one) computed."""
        values: dict[str, Any] = {}
        for key in _SUMMARY_NUMBERS:
            value = self.number(raw, key, line, prefix="summary.")
            values[key] = getattr(computed, key) if value is None else value
        energy = self.number(raw, "energy_kcal", line, prefix="summary.")
        values["energy_kcal"] = computed.energy_kcal if energy is None else energy
        hr = self.number(raw, "avg_heart_rate_bpm", line, prefix="summary.")
        values["avg_heart_rate_bpm"] = computed.avg_heart_rate_bpm if hr is None else round(hr)
        values["program"] = self.text(raw, "program", line, prefix="summary.")
        return dataclasses.replace(computed, **values)


def summarize(log: SessionLog | Path) -> SessionSummary:
    """A log's totals: the end record's summary, or computed from the samples when it has none.

    Raises :class:`LogImportError` naming the file and line of a field it cannot use.
    """
    path = log if isinstance(log, Path) else log.path
    return _LogReader(path).read().summary


# --------------------------------------------------------------------------------------------
# Query results


@dataclass(frozen=True, slots=True)
class StoredSession:
    """One session as the store knows it."""

    id: str
    profile: str | None  # the profile it belongs to now (None: the log named no profile)
    log_path: Path
    started_at: datetime
    program: str | None
    end_reason: str | None  # None when interrupted
    stop_reason: str | None
    interrupted: bool
    notices: tuple[str, ...]
    summary: SessionSummary
    saved: bool = True  # False for a guest session nobody saved (yet)

    @property
    def outcome(self) -> str:
        """``completed``, ``stopped``, ``aborted``, ``interrupted`` …, with the stop reason's
        code: short, for the command line's table and progression's reasons."""
        if self.interrupted:
            return "interrupted"
        reason = self.end_reason or "unknown"
        if self.stop_reason and reason != "completed":
            return f"{reason} ({self.stop_reason})"
        return reason

    @property
    def outcome_words(self) -> str:
        """How the session ended, in words for people (the app's history and last session):
        ``"completed"``, ``"ended in the app"``, ``"aborted: safety key pulled"`` …"""
        if self.interrupted:
            return "interrupted (the app ended first)"
        reason = self.end_reason or "unknown"
        if reason == "completed" or not self.stop_reason:
            return reason
        if self.stop_reason == "app_stop":
            return "ended in the app"
        return f"{reason}: {STOP_WORDS.get(self.stop_reason, self.stop_reason)}"


#: Stop reasons (``treadctl.safety.StopReason`` values) as people say them.
STOP_WORDS = {
    "estop": "emergency stop",
    "user_pause": "paused",
    "console_stop": "stopped at the treadmill",
    "console_pause": "paused at the treadmill",
    "safety_key": "safety key pulled",
    "link_lost": "connection lost",
    "watchdog": "no data from the treadmill",
    "command_failed": "treadmill refused a command",
    "belt_not_following": "the belt did not follow",
    "deck_too_steep": "deck too steep",
    "treadmill_error": "the treadmill reported an error",
}


@dataclass(frozen=True, slots=True)
class WeekTotal:
    """Totals of one ISO week (Monday to Sunday, UTC)."""

    week_start: date
    sessions: int
    backward_minutes: float
    forward_minutes: float
    distance_m: float


@dataclass
class ImportReport:
    """What a :meth:`Store.sync` or :meth:`Store.rebuild` did. ``errors`` name file and line."""

    imported: list[str] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # deleted on purpose, not re-imported
    errors: list[LogImportError] = field(default_factory=list)
    discarded: list[str] = field(default_factory=list)  # unsaved guest sessions let go

    @property
    def ok(self) -> bool:
        return not self.errors


_SESSION_COLUMNS = """
    s.id, p.name, s.log_path, s.started_at, s.program, s.end_reason, s.stop_reason,
    s.interrupted, s.notices_json, p.builtin,
    m.duration_s, m.distance_m, m.forward_minutes, m.backward_minutes, m.forward_distance_m,
    m.backward_distance_m, m.energy_kcal, m.max_forward_kmh, m.max_backward_kmh,
    m.avg_heart_rate_bpm, m.program
"""
_SESSION_FROM = """
    FROM sessions s
    JOIN summaries m ON m.session_id = s.id
    LEFT JOIN profiles p ON p.id = s.profile_id
"""

#: The summary's fields the history keeps, in the order of ``_SESSION_COLUMNS``' ``m.`` part.
_STORED_SUMMARY = (
    *_SUMMARY_NUMBERS[:6],
    "energy_kcal",
    *_SUMMARY_NUMBERS[6:],
    "avg_heart_rate_bpm",
    "program",
)

_LOG_NAME_RE = re.compile(r"\d{8}T\d{6}Z_(?P<id>[A-Za-z0-9][A-Za-z0-9_-]{0,63})\.jsonl")


class _BadRow(ValueError):
    """A session row a hand-edited database has made unreadable; the message names it."""


#: Summary fields that may be NULL (not measured); the others must be numbers.
_OPTIONAL_SUMMARY = frozenset({"energy_kcal", "avg_heart_rate_bpm", "program"})


def _session_from_row(row: Sequence[Any]) -> StoredSession:
    """A session row as a :class:`StoredSession`; :class:`_BadRow` naming the session and the
    field when it holds something no treadctl wrote (text for a number, a NULL, a bad time)."""
    session_id = row[0] if isinstance(row[0], str) else repr(row[0])

    def bad(what: str, value: Any) -> _BadRow:
        return _BadRow(
            f"session {session_id} was skipped: its stored {what} is unusable ({value!r}); "
            "`treadctl history --rebuild` makes the history again from the session logs"
        )

    if not isinstance(row[0], str):
        raise bad("id", row[0])
    if not isinstance(row[2], str) or not row[2]:
        raise bad("log path", row[2])
    try:
        started_at = parse_time(row[3])
    except (ValueError, TypeError):
        raise bad("start time", row[3]) from None
    for index, what in ((1, "profile"), (4, "program"), (5, "end reason"), (6, "stop reason")):
        if row[index] is not None and not isinstance(row[index], str):
            raise bad(what, row[index])
    try:
        notices = json.loads(row[8])
    except (ValueError, TypeError, RecursionError):
        raise bad("notices", row[8]) from None
    if not isinstance(notices, list) or not all(isinstance(n, str) for n in notices):
        raise bad("notices", row[8])
    values: dict[str, Any] = {}
    for name, value in zip(_STORED_SUMMARY, row[10:21], strict=True):
        if value is None and name in _OPTIONAL_SUMMARY:
            values[name] = None
        elif name == "program":
            if not isinstance(value, str):
                raise bad(name, value)
            values[name] = value
        elif (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise bad(name.replace("_", " "), value)
        else:
            values[name] = round(value) if name == "avg_heart_rate_bpm" else float(value)
    return StoredSession(
        id=row[0],
        profile=row[1],
        log_path=Path(row[2]),
        started_at=started_at,
        program=row[4],
        end_reason=row[5],
        stop_reason=row[6],
        interrupted=bool(row[7]),
        notices=tuple(notices),
        # A saved guest session belongs to the profile it was saved to, so only the built-in
        # Guest profile holds unsaved ones.
        saved=not row[9],
        # Its totals: how it ended is the row's own (end_reason, stop_reason).
        summary=SessionSummary(**values),
    )


# --------------------------------------------------------------------------------------------
# The store


class Store:
    """The history database in ``data_dir`` (a :class:`treadctl.data_folder.DataFolder`'s
    ``root``: :meth:`Store.of` opens a folder's, as every front end does).

    Opening checks the schema version before changing anything: a database made by a newer
    treadctl raises :class:`StoreError` and is left exactly as it was; so is a corrupt one.
    A new database file is created 0600 (SQLite gives its -wal and -shm files the same mode),
    an existing one is tightened to 0600; a data directory the store creates is 0700, and so
    is ``private_dir`` (the platform's own folder); a ``data_dir`` the caller named otherwise
    keeps its mode.
    """

    @classmethod
    def of(cls, folder: DataFolder) -> Self:
        """The history of ``folder`` (the platform's own folder is kept private: 0700)."""
        return cls(folder.root, private_dir=folder.is_default)

    def __init__(self, data_dir: Path, *, private_dir: bool = False) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_FILENAME
        self._db = self._open(own_dir=private_dir)

    # --- opening -----------------------------------------------------------------------------

    def _open(self, *, own_dir: bool) -> sqlite3.Connection:
        try:
            if not self.data_dir.is_dir():
                self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
                # Ours alone (profiles, a PIN hash, health data): owner only, whatever the umask.
                self.data_dir.chmod(0o700)
            elif own_dir and stat.S_IMODE(self.data_dir.stat().st_mode) & 0o077:
                # The platform's data directory may have been made by the recorder (as the
                # parent of its sessions folder) with the umask's mode: tighten it. A directory
                # the user named keeps its mode, as the recorder's --log-dir does.
                self.data_dir.chmod(0o700)
            if not self.path.exists():
                # Created here, 0600, before SQLite sees it: sqlite3.connect would use the umask.
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            elif stat.S_IMODE(self.path.stat().st_mode) & 0o077:
                self.path.chmod(0o600)
        except OSError as exc:
            raise StoreError(
                f"cannot create the database: {exc.strerror or exc}", path=self.path
            ) from None
        try:
            # isolation_level=None: transactions are explicit (see transaction()), so a
            # migration and its user_version bump commit together or not at all.
            db = sqlite3.connect(self.path, isolation_level=None, timeout=_BUSY_TIMEOUT_S)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database: {exc}", path=self.path) from None
        try:
            self._prepare(db)
        except BaseException:
            db.close()
            raise
        return db

    def _prepare(self, db: sqlite3.Connection) -> None:
        try:
            # Read-only checks first: a newer or corrupt database must not be touched, and
            # switching to WAL would rewrite its header.
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"created by a newer treadctl (schema {version} > {SCHEMA_VERSION}); "
                    "upgrade treadctl",
                    path=self.path,
                )
            check = db.execute("PRAGMA quick_check(1)").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(check)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA foreign_keys = ON")
            for target in range(version + 1, SCHEMA_VERSION + 1):
                with self._transaction_on(db):
                    MIGRATIONS[target - 1](db)
                    # Inside the migration's transaction: a crash never leaves a half-applied
                    # migration marked as done.
                    db.execute(f"PRAGMA user_version = {target:d}")
        except sqlite3.OperationalError as exc:
            # Locked, read-only, disk full: the file may be fine, so do not call it corrupt.
            raise StoreError(f"cannot use the database: {exc}", path=self.path) from None
        except sqlite3.DatabaseError as exc:
            raise self._corrupt(exc) from None

    def _corrupt(self, exc: sqlite3.Error) -> StoreError:
        return StoreError(
            f"the history database is corrupt or not a treadctl database ({exc}). Nothing "
            "was deleted. Move it away and run `treadctl history --rebuild` to rebuild the "
            "history from the session logs (profiles, limits and the admin PIN must then be "
            "set again)",
            path=self.path,
        )

    # --- plumbing ----------------------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    @contextlib.contextmanager
    def _transaction_on(db: sqlite3.Connection) -> Iterator[None]:
        # IMMEDIATE: take the write lock up front, so two processes never both read, then
        # both fail to upgrade their lock half-way through.
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; SQLite errors come out as :class:`StoreError`.

        ``sqlite3.IntegrityError`` is let through: callers turn a broken constraint (a taken
        name) into their own message.
        """
        with self._errors(), self._transaction_on(self._db):
            yield self._db

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.IntegrityError:
            raise
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):
                raise StoreError(f"database error: {exc}", path=self.path) from None
            raise self._corrupt(exc) from None

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        """Run one statement (outside a transaction: on its own) and return all rows."""
        with self._errors():
            return self._db.execute(sql, parameters).fetchall()

    def integrity_check(self) -> str:
        """``PRAGMA integrity_check``: ``"ok"`` or what is wrong."""
        return "\n".join(row[0] for row in self.execute("PRAGMA integrity_check"))

    @property
    def schema_version(self) -> int:
        return int(self.execute("PRAGMA user_version")[0][0])

    # --- importing ---------------------------------------------------------------------------

    def import_log(self, path: Path) -> StoredSession | None:
        """Import (or re-import) one log; None when it was deleted on purpose and is skipped.

        Idempotent by session id: importing a log again replaces what the store had for that
        session (an interrupted session that has since ended becomes complete). A log without
        an end record imports as interrupted, totals computed from its samples. Raises
        :class:`LogImportError` naming the file and line of what it cannot use.
        """
        found = _LogReader(Path(path)).read()
        discarded: list[Path] = []
        with self.transaction() as db:
            stored = self._insert(db, Path(path), found, discarded)
        remove_log_files(discarded)
        return stored

    def sync(self, log_dir: Path) -> ImportReport:
        """Import the logs in ``log_dir`` the store does not have yet, or has as interrupted."""
        known = {
            row[0]: (row[1], bool(row[2]))
            for row in self.execute("SELECT id, log_path, interrupted FROM sessions")
        }
        forgotten = {row[0] for row in self.execute("SELECT session_id FROM forgotten_sessions")}
        todo = []
        for path in _logs_in(log_dir):
            match = _LOG_NAME_RE.fullmatch(path.name)
            session_id = match["id"] if match else None
            if session_id in forgotten:
                continue
            if session_id in known and known[session_id] == (str(path), False):
                continue  # complete and from this very file: nothing can have changed
            todo.append(path)
        return self._import_many(todo, rebuild=False)

    def rebuild(self, log_dir: Path) -> ImportReport:
        """Drop every session and import every log in ``log_dir`` again.

        In one transaction: if it fails half-way, the old history stays. Logs that cannot be
        read are reported and skipped; the others still import. What the logs do not hold is
        kept: profiles, saved guest sessions, deletions.
        """
        return self._import_many(_logs_in(log_dir), rebuild=True)

    def _import_many(self, paths: Iterable[Path], *, rebuild: bool) -> ImportReport:
        report = ImportReport()
        readable: list[tuple[Path, _Found]] = []
        for path in paths:
            try:
                readable.append((path, _LogReader(path).read()))
            except LogImportError as exc:
                # One damaged log must not hide the others: it is skipped, and said so.
                logger.warning("skipped a session log: %s", exc)
                report.errors.append(exc)
        # Oldest first, so that a guest session discards only earlier unsaved ones.
        readable.sort(key=lambda item: (item[1].started_at, item[1].session_id))
        discarded: list[Path] = []
        with self.transaction() as db:
            if rebuild:
                db.execute("DELETE FROM sessions")  # summaries go with them (cascade)
            for path, found in readable:
                try:
                    stored = self._insert(db, path, found, discarded)
                except LogImportError as exc:
                    report.errors.append(exc)
                    continue
                if stored is None:
                    report.skipped.append(path)
                else:
                    report.imported.append(stored.id)
        report.discarded = [p.name for p in discarded]
        remove_log_files(discarded)
        return report

    def _insert(
        self, db: sqlite3.Connection, path: Path, found: _Found, discarded: list[Path]
    ) -> StoredSession | None:
        if db.execute(
            "SELECT 1 FROM forgotten_sessions WHERE session_id = ?", (found.session_id,)
        ).fetchone():
            return None
        if (
            found.profile_name is not None
            and db.execute(
                "SELECT 1 FROM forgotten_profiles WHERE name = ? AND forgotten_at > ?",
                (found.profile_name, found.started_at),
            ).fetchone()
        ):
            return None  # a deleted profile's session: must not come back, nor go to a newcomer
        profile_id = self._owner(db, path, found)
        db.execute("DELETE FROM sessions WHERE id = ?", (found.session_id,))
        # The cascade has removed its summary, unless a hand edit had already cut the two apart
        # (a summary left without its session would refuse this one's, and the whole import).
        db.execute("DELETE FROM summaries WHERE session_id = ?", (found.session_id,))
        db.execute(
            "INSERT INTO sessions (id, profile_id, profile_name, log_path, started_at, program,"
            " end_reason, stop_reason, interrupted, notices_json)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                found.session_id,
                profile_id,
                found.profile_name,
                str(path),
                found.started_at,
                found.program,
                found.end_reason,
                found.stop_reason,
                int(found.end_reason is None),
                json.dumps(list(found.notices)),
            ),
        )
        s = found.summary
        db.execute(
            "INSERT INTO summaries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                found.session_id,
                s.duration_s,
                s.distance_m,
                s.forward_minutes,
                s.backward_minutes,
                s.forward_distance_m,
                s.backward_distance_m,
                s.energy_kcal,
                s.max_forward_kmh,
                s.max_backward_kmh,
                s.avg_heart_rate_bpm,
                s.program,
            ),
        )
        discarded.extend(self._discard_older_guest_sessions(db))
        row = db.execute(
            f"SELECT {_SESSION_COLUMNS} {_SESSION_FROM} WHERE s.id = ?", (found.session_id,)
        ).fetchone()
        return None if row is None else _session_from_row(row)

    def _owner(self, db: sqlite3.Connection, path: Path, found: _Found) -> int | None:
        """The profile a session belongs to: saved-to, else the header's name (created if new)."""
        row = db.execute(
            "SELECT profile_id FROM session_owners WHERE session_id = ?", (found.session_id,)
        ).fetchone()
        if row is not None:
            return int(row[0])
        name = found.profile_name
        if name is None:
            return None
        known = profile_id_named(db, name)
        if known is not None:
            return known
        # A profile the database does not know (a rebuilt database, a log from another
        # laptop): created with the defaults, as any newcomer. Its old limits are in the log's
        # header, but restoring them would let a log file raise limits without the admin PIN.
        cleaned = " ".join(name.split())
        if not cleaned or len(cleaned) > 40:
            raise LogImportError(
                f"header profile {_short(name)} is not a usable profile name", path=path, line=1
            )
        cursor = db.execute(
            "INSERT INTO profiles (name, limits_json, created_at) VALUES (?, ?, ?)",
            (cleaned, json.dumps(DEFAULT_LIMITS.to_dict()), format_time(_now())),
        )
        db.execute(
            "INSERT OR IGNORE INTO profile_names (name, profile_id) VALUES (?, ?)",
            (name, cursor.lastrowid),
        )
        db.execute(
            "INSERT OR IGNORE INTO profile_names (name, profile_id) VALUES (?, ?)",
            (cleaned, cursor.lastrowid),
        )
        return cursor.lastrowid

    def _discard_older_guest_sessions(self, db: sqlite3.Connection) -> list[Path]:
        """Keep only the newest unsaved guest session (so its owner can still save it)."""
        rows = db.execute(
            "SELECT s.id, s.log_path FROM sessions s JOIN profiles p ON p.id = s.profile_id"
            " LEFT JOIN session_owners o ON o.session_id = s.id"
            " WHERE p.builtin = 1 AND o.session_id IS NULL"
            " ORDER BY s.started_at DESC, s.id DESC"
        ).fetchall()
        return self._forget(db, [row[0] for row in rows[1:]])

    def _forget(self, db: sqlite3.Connection, session_ids: Sequence[str]) -> list[Path]:
        """Delete sessions for good (tombstoned); returns their log files, to delete after
        the commit (a file deleted before a rollback could not be brought back)."""
        paths = []
        now = format_time(_now())
        for session_id in session_ids:
            row = db.execute("SELECT log_path FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is not None:
                paths.append(Path(row[0]))
            db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            db.execute("DELETE FROM session_owners WHERE session_id = ?", (session_id,))
            db.execute("INSERT OR REPLACE INTO forgotten_sessions VALUES (?, ?)", (session_id, now))
        return paths

    def forget_sessions(self, db: sqlite3.Connection, session_ids: Sequence[str]) -> list[Path]:
        """Within a :meth:`transaction`: delete sessions so no rebuild brings them back.

        Returns the log files to delete once the transaction has committed.
        """
        return self._forget(db, session_ids)

    def discard_guest_sessions(self) -> list[str]:
        """Let go of every unsaved guest session (rows and log files). Returns their ids."""
        with self.transaction() as db:
            rows = db.execute(
                "SELECT s.id FROM sessions s JOIN profiles p ON p.id = s.profile_id"
                " LEFT JOIN session_owners o ON o.session_id = s.id"
                " WHERE p.builtin = 1 AND o.session_id IS NULL"
            ).fetchall()
            ids = [row[0] for row in rows]
            paths = self._forget(db, ids)
        remove_log_files(paths)
        return ids

    # --- queries -----------------------------------------------------------------------------

    def session(self, session_id: str) -> StoredSession | None:
        rows = self.execute(
            f"SELECT {_SESSION_COLUMNS} {_SESSION_FROM} WHERE s.id = ?", (session_id,)
        )
        if not rows:
            return None
        try:
            return _session_from_row(rows[0])
        except _BadRow as error:
            raise StoreError(str(error), path=self.path) from None

    def profile_id_named(self, name: str) -> int | None:
        """The id of the profile called ``name`` now or before a rename (:func:`name_key`)."""
        with self._errors():
            return profile_id_named(self._db, name)

    def sessions(
        self, profile: str | None = None, *, problems: list[str] | None = None
    ) -> list[StoredSession]:
        """Sessions, oldest first: of ``profile`` (by any name it has had), or all of them.

        A row a hand-edited database has made unreadable is left out (the rest of the history
        is still shown); ``problems``, if given, gets a sentence for each.
        """
        where, params = "", []
        if profile is not None:
            profile_id = self.profile_id_named(profile)
            if profile_id is None:
                return []
            where, params = "WHERE s.profile_id = ?", [profile_id]
        return self._sessions_where(where, params, problems)

    def guest_sessions(self, problems: list[str] | None = None) -> list[StoredSession]:
        """Sessions of nobody in particular, oldest first: recorded under no profile, and the
        built-in Guest's (``history --guest``, the app's page for Guest or nobody)."""
        return self._sessions_where(
            "WHERE s.profile_id IS NULL OR p.builtin = 1 OR p.id IS NULL", [], problems
        )

    def _sessions_where(
        self, where: str, params: Sequence[Any], problems: list[str] | None
    ) -> list[StoredSession]:
        rows = self.execute(
            f"SELECT {_SESSION_COLUMNS} {_SESSION_FROM} {where} ORDER BY s.started_at, s.id",
            params,
        )
        found = []
        for row in rows:
            try:
                found.append(_session_from_row(row))
            except _BadRow as error:
                if problems is not None:
                    problems.append(f"{self.path}: {error}")
        return found

    def weekly_totals(self, profile: str | None) -> list[WeekTotal]:
        """Per ISO week (UTC), oldest first: sessions, backward and forward minutes, distance.

        The backward-minutes column is the progression the backward programs aim at.
        """
        return weekly_totals_of(self.sessions(profile))


def weekly_totals_of(sessions: Iterable[StoredSession]) -> list[WeekTotal]:
    """Per ISO week (UTC) of ``sessions``, oldest first (see :meth:`Store.weekly_totals`)."""
    weeks: dict[date, list[StoredSession]] = {}
    for session in sessions:
        day = session.started_at.date()
        weeks.setdefault(day - timedelta(days=day.weekday()), []).append(session)
    return [
        WeekTotal(
            week_start=start,
            sessions=len(group),
            backward_minutes=round(sum(s.summary.backward_minutes for s in group), 2),
            forward_minutes=round(sum(s.summary.forward_minutes for s in group), 2),
            distance_m=round(sum(s.summary.distance_m for s in group), 1),
        )
        for start, group in sorted(weeks.items())
    ]


def _logs_in(log_dir: Path) -> list[Path]:
    log_dir = Path(log_dir)
    if not log_dir.is_dir():
        return []
    return sorted(p for p in log_dir.glob("*.jsonl") if p.is_file())


def remove_log_files(paths: Iterable[Path]) -> None:
    """Delete log files the store has let go of (after the commit that tombstoned them).

    Raises :class:`StoreError` listing the files it could not delete (after trying them all).
    """
    failed = []
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass  # already gone: the tombstone keeps it out of the history either way
        except OSError as exc:
            failed.append(f"{path} ({exc.strerror or exc})")
    if failed:
        raise StoreError(
            "removed from the history, but could not delete the log file(s): "
            + "; ".join(failed)
            + ". Delete them by hand"
        )
