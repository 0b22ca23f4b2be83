"""Tests for treadctl.store: the history database over real session logs.

Logs are written by the real :class:`SessionRecorder` (times given explicitly with ``at=``);
a crash is the log with its end record cut off, as a kill -9 leaves it. Covers import
(idempotent, interrupted, totals computed from samples), rebuild, corrupt and hand-edited logs
(named by file and line, the others still imported), the schema (migrations from version 0 and
1, refusal of a newer one), a corrupt database (a clear error, nothing deleted) and
permissions.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import stat
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from treadctl.clock import ManualClock
from treadctl.data_folder import DataFolder
from treadctl.limits import Direction, Limits
from treadctl.recorder import SessionRecorder
from treadctl.store import (
    DB_FILENAME,
    MIGRATIONS,
    SCHEMA_VERSION,
    LogImportError,
    Store,
    StoreError,
    summarize,
)

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday


def write_log(
    log_dir: Path,
    session_id: str,
    *,
    profile: str | None = "Ana",
    started: datetime = START,
    forward_s: int = 60,
    backward_s: int = 120,
    reason: str = "completed",
    stop_reason: str | None = None,
    notices: Sequence[str] = (),
    heart_rate: int | None = 120,
    program: str = "Backward walking, week 1",
) -> Path:
    """A session log as ``treadctl run`` writes it: one sample a second, forward then
    backward, the treadmill counting whole metres, ending with the runner's summary."""
    recorder = SessionRecorder(
        log_dir, ManualClock(), session_id=session_id, wall_clock=lambda: started
    )
    path = recorder.start(
        {
            "program": {"name": program, "source": "builtin:test"},
            "limits": Limits(),
            "profile": profile,
        }
    )
    t = 0
    distance = 0.0
    forward_m = backward_m = 0.0
    speeds = [(Direction.FORWARD, 4.0)] * (forward_s + 1) + [(Direction.BACKWARD, 2.5)] * backward_s
    last_counter = 0
    for t, (direction, speed) in enumerate(speeds):
        if t:
            distance += speed / 3.6
        counter = int(distance)
        if direction is Direction.FORWARD:
            forward_m += counter - last_counter
        else:
            backward_m += counter - last_counter
        last_counter = counter
        recorder.sample(
            speed_kmh=speed,
            incline_pct=0.0,
            distance_m=counter,
            elapsed_s=t,
            energy_kcal=t * 0.05,
            heart_rate_bpm=heart_rate,
            direction=direction,
            segment=0,
            at=t,
        )
    for kind in notices:
        recorder.notice(kind, f"{kind} happened", at=t)
    recorder.close(
        reason,
        {
            "reason": reason,
            "stop_reason": stop_reason,
            "duration_s": float(t),
            "distance_m": float(last_counter),
            "forward_minutes": forward_s / 60,
            "backward_minutes": backward_s / 60,
            "forward_distance_m": forward_m,
            "backward_distance_m": backward_m,
            "energy_kcal": round(t * 0.05, 1),
            "max_forward_kmh": 4.0 if forward_s else 0.0,
            "max_backward_kmh": 2.5 if backward_s else 0.0,
            "avg_heart_rate_bpm": heart_rate,
            "segments_completed": 1,
            "segments_total": 1,
            "program": program,
        },
        at=t,
    )
    return path


def crash(path: Path, tail: bytes = b"") -> None:
    """Make ``path`` what a kill -9 leaves: no end record, maybe half a line at the end."""
    lines = path.read_bytes().splitlines(keepends=True)
    assert json.loads(lines[-1])["kind"] == "end"
    path.write_bytes(b"".join(lines[:-1]) + tail)


def file_bytes(data_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(data_dir.iterdir())}


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path / "sessions"


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with Store(tmp_path / "data") as store:
        yield store


# --- import ------------------------------------------------------------------------------


def test_import_keeps_the_runners_summary(store: Store, log_dir: Path) -> None:
    path = write_log(log_dir, "s1", notices=["heart_rate_high"])
    session = store.import_log(path)
    assert session is not None
    assert session.id == "s1"
    assert session.profile == "Ana"
    assert session.log_path == path
    assert session.started_at == START
    assert session.program == "Backward walking, week 1"
    assert (session.end_reason, session.interrupted, session.outcome) == (
        "completed",
        False,
        "completed",
    )
    assert session.notices == ("heart_rate_high",)
    s = session.summary
    assert (s.duration_s, s.forward_minutes, s.backward_minutes) == (180.0, 1.0, 2.0)
    assert (s.max_forward_kmh, s.max_backward_kmh, s.avg_heart_rate_bpm) == (4.0, 2.5, 120)
    assert s.distance_m == s.forward_distance_m + s.backward_distance_m > 0
    assert s.energy_kcal == 9.0


def test_import_is_idempotent_by_session_id(store: Store, log_dir: Path) -> None:
    path = write_log(log_dir, "s1")
    first = store.import_log(path)
    assert store.import_log(path) == first
    assert [s.id for s in store.sessions()] == ["s1"]


@pytest.mark.parametrize(
    ("reason", "stop_reason", "short", "words"),
    [
        ("completed", None, "completed", "completed"),
        ("completed", "program_end", "completed", "completed"),
        ("stopped", "app_stop", "stopped (app_stop)", "ended in the app"),
        ("aborted", "safety_key", "aborted (safety_key)", "aborted: safety key pulled"),
        ("aborted", "watchdog", "aborted (watchdog)", "aborted: no data from the treadmill"),
        ("aborted", "something_new", "aborted (something_new)", "aborted: something_new"),
        ("stopped", None, "stopped", "stopped"),
    ],
)
def test_how_a_session_ended_short_and_in_words(
    store: Store, log_dir: Path, reason: str, stop_reason: str | None, short: str, words: str
) -> None:
    session = store.import_log(write_log(log_dir, "s1", reason=reason, stop_reason=stop_reason))
    assert session is not None
    assert (session.outcome, session.outcome_words) == (short, words)


def test_an_interrupted_log_imports_with_totals_from_its_samples(
    store: Store, log_dir: Path
) -> None:
    path = write_log(log_dir, "s1")
    complete = summarize(path)
    crash(path, tail=b'{"kind":"sample","t":181.0,"speed_')  # the writer died mid-line
    session = store.import_log(path)
    assert session is not None
    assert session.interrupted and session.end_reason is None
    assert session.outcome == "interrupted"
    assert session.outcome_words == "interrupted (the app ended first)"
    # Computed from the samples the way the runner accounts them: the same totals.
    assert session.summary == complete
    assert session.summary.program == "Backward walking, week 1"


def test_an_interrupted_session_that_ends_later_is_completed_on_reimport(
    store: Store, log_dir: Path
) -> None:
    path = write_log(log_dir, "s1")
    whole = path.read_bytes()
    crash(path)
    assert store.sync(log_dir).imported == ["s1"]
    path.write_bytes(whole)  # the session was still running; now it has ended
    assert store.sync(log_dir).imported == ["s1"]
    session = store.session("s1")
    assert session is not None and not session.interrupted
    assert store.sync(log_dir).imported == []  # complete and unchanged: not read again


def test_sessions_per_profile_and_weekly_backward_minutes(store: Store, log_dir: Path) -> None:
    write_log(log_dir, "a1", started=START, backward_s=120)
    write_log(log_dir, "a2", started=START + timedelta(days=2), backward_s=180)
    write_log(log_dir, "a3", started=START + timedelta(days=8), backward_s=240)
    write_log(log_dir, "b1", profile="Ben", started=START + timedelta(days=1))
    write_log(log_dir, "n1", profile=None, started=START + timedelta(days=1))
    assert store.sync(log_dir).ok
    assert [s.id for s in store.sessions("Ana")] == ["a1", "a2", "a3"]
    assert [s.id for s in store.sessions("ben")] == ["b1"]  # names are case-insensitive
    assert [s.id for s in store.sessions()] == ["a1", "b1", "n1", "a2", "a3"]
    weeks = store.weekly_totals("Ana")
    assert [(w.week_start, w.sessions, w.backward_minutes) for w in weeks] == [
        (date(2025, 3, 3), 2, 5.0),
        (date(2025, 3, 10), 1, 4.0),
    ]


# --- rebuild ------------------------------------------------------------------------------


def test_rebuild_from_the_logs(tmp_path: Path, log_dir: Path) -> None:
    paths = [
        write_log(log_dir, f"s{i}", started=START + timedelta(days=i), profile=name)
        for i, name in enumerate(["Ana", "Ben", "Ana"])
    ]
    crash(paths[2])
    with Store(tmp_path / "one") as store:
        store.sync(log_dir)
        before = store.sessions()
        # The logs are the source of truth: a session whose log is gone leaves the history.
        paths[1].unlink()
        report = store.rebuild(log_dir)
        assert report.ok and sorted(report.imported) == ["s0", "s2"]
        assert [s.id for s in store.sessions()] == ["s0", "s2"]
        assert store.sessions() == [before[0], before[2]]
        assert store.session("s2") is not None and store.session("s2").interrupted  # type: ignore[union-attr]
    # A brand-new database rebuilt from the same logs holds the same history.
    with Store(tmp_path / "two") as fresh:
        assert fresh.rebuild(log_dir).ok
        assert fresh.sessions() == [before[0], before[2]]


def test_rebuild_keeps_the_old_history_if_nothing_can_be_read(
    store: Store, tmp_path: Path, log_dir: Path
) -> None:
    write_log(log_dir, "s1")
    store.sync(log_dir)
    empty = tmp_path / "no-such-dir"
    assert store.rebuild(empty).imported == []
    assert store.sessions() == []  # rebuilt from nothing: the logs are the truth
    assert store.rebuild(log_dir).imported == ["s1"]


# --- corrupt and hand-edited logs ---------------------------------------------------------


def edit_line(path: Path, number: int, change: Any) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[number - 1] = change(lines[number - 1])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def set_field(**values: Any) -> Any:
    def change(line: str) -> str:
        record = json.loads(line)
        record.update(values)
        return json.dumps(record)

    return change


@pytest.mark.parametrize(
    ("line", "change", "message"),
    [
        (5, lambda _: "{not json", "not JSON"),
        (5, set_field(speed_kmh="fast"), "speed_kmh must be a number or null, got 'fast'"),
        (7, set_field(direction="sideways"), "direction must be 'forward' or 'backward'"),
        (9, set_field(distance_m=-3), "distance_m must be finite and not negative"),
        (1, set_field(started_at="yesterday"), "header started_at is not an ISO 8601"),
        (1, set_field(profile=42), "header profile must be a string or null, got 42"),
        (-1, set_field(summary={"distance_m": "far"}), "summary.distance_m must be a number"),
        (-1, set_field(reason=None), "the end record has no reason"),
        (-1, set_field(reason=7), "end reason must be a string or null, got 7"),
        (1, lambda _: "", "header"),
    ],
)
def test_a_bad_log_is_named_by_file_and_line_and_the_others_still_import(
    store: Store, log_dir: Path, line: int, change: Any, message: str
) -> None:
    good = write_log(log_dir, "good", started=START)
    bad = write_log(log_dir, "bad", started=START + timedelta(days=1))
    write_log(log_dir, "later", started=START + timedelta(days=2))
    number = line if line > 0 else len(bad.read_text(encoding="utf-8").splitlines())
    edit_line(bad, number, change)
    edited = bad.read_bytes()

    with pytest.raises(LogImportError) as raised:
        store.import_log(bad)
    assert str(raised.value).startswith(f"{bad}:{number}: ")
    assert message in str(raised.value)
    assert (raised.value.path, raised.value.line) == (bad, number)

    report = store.rebuild(log_dir)
    assert sorted(report.imported) == ["good", "later"]
    assert [str(e) for e in report.errors] == [str(raised.value)]
    assert [s.id for s in store.sessions()] == ["good", "later"]
    assert bad.read_bytes() == edited  # a bad log is reported, never changed or deleted
    assert good.exists()


def test_an_unreadable_or_empty_log_is_reported(store: Store, log_dir: Path) -> None:
    write_log(log_dir, "good")
    (log_dir / "20250303T000000Z_empty.jsonl").write_bytes(b"")
    report = store.sync(log_dir)
    assert report.imported == ["good"]
    assert len(report.errors) == 1
    assert "20250303T000000Z_empty.jsonl:1: " in str(report.errors[0])
    assert "empty" in str(report.errors[0])


# --- schema -------------------------------------------------------------------------------


def tables(path: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_a_new_database_is_migrated_from_version_0(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with contextlib.closing(sqlite3.connect(data / DB_FILENAME)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 0
    with Store(data) as store:
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
        assert store.execute("PRAGMA journal_mode")[0][0] == "wal"
        assert store.execute("PRAGMA foreign_keys")[0][0] == 1
        assert store.execute("SELECT name, builtin FROM profiles") == [("Guest", 1)]
    assert {"profiles", "sessions", "summaries", "settings", "profile_names"} <= tables(
        data / DB_FILENAME
    )


def test_migration_from_version_1_keeps_the_data(tmp_path: Path, log_dir: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with contextlib.closing(sqlite3.connect(data / DB_FILENAME, isolation_level=None)) as db:
        MIGRATIONS[0](db)
        db.execute("PRAGMA user_version = 1")
        db.execute(
            "INSERT INTO profiles (name, limits_json, created_at) VALUES "
            "('Ana', '{\"backward_minutes_per_session\": 8.0}', '2025-01-01T00:00:00.000Z')"
        )
    path = write_log(log_dir, "s1", profile="Ana")
    with Store(data) as store:
        assert store.schema_version == SCHEMA_VERSION
        rows = store.execute("SELECT name, limits_json, builtin FROM profiles ORDER BY id")
        assert rows[0] == ("Ana", '{"backward_minutes_per_session": 8.0}', 0)
        assert rows[1][0::2] == ("Guest", 1)
        session = store.import_log(path)  # the version-1 profile gets its logs by name
        assert session is not None and session.profile == "Ana"


def test_a_failed_migration_leaves_the_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with contextlib.closing(sqlite3.connect(data / DB_FILENAME, isolation_level=None)) as db:
        MIGRATIONS[0](db)
        db.execute("PRAGMA user_version = 1")

    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr("treadctl.store.MIGRATIONS", (MIGRATIONS[0], broken))
    with pytest.raises(StoreError, match="cannot use the database: disk I/O error"):
        Store(data)
    with contextlib.closing(sqlite3.connect(data / DB_FILENAME)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "half_done" not in tables(data / DB_FILENAME)


def test_a_database_from_a_newer_treadctl_is_refused_untouched(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    newer = SCHEMA_VERSION + 7
    with contextlib.closing(sqlite3.connect(data / DB_FILENAME)) as db:
        db.execute("CREATE TABLE future_things (x)")
        db.execute(f"PRAGMA user_version = {newer}")
    before = file_bytes(data)
    with pytest.raises(StoreError) as raised:
        Store(data)
    assert str(raised.value) == (
        f"{data / DB_FILENAME}: created by a newer treadctl "
        f"(schema {newer} > {SCHEMA_VERSION}); upgrade treadctl"
    )
    assert file_bytes(data) == before


# --- a corrupt database -------------------------------------------------------------------


def test_a_corrupt_database_is_a_clear_error_and_nothing_is_lost(
    tmp_path: Path, log_dir: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / DB_FILENAME).write_bytes(b"this is not SQLite at all\n" * 200)
    path = write_log(log_dir, "s1")
    before = file_bytes(data), path.read_bytes()
    with pytest.raises(StoreError) as raised:
        Store(data)
    message = str(raised.value)
    assert message.startswith(f"{data / DB_FILENAME}: the history database is corrupt")
    assert "Nothing was deleted" in message and "--rebuild" in message
    assert (file_bytes(data), path.read_bytes()) == before
    # The logs are intact, so the history comes back in a new database.
    with Store(tmp_path / "new") as store:
        assert store.rebuild(log_dir).imported == ["s1"]


def test_a_database_damaged_inside_is_a_clear_error(tmp_path: Path, log_dir: Path) -> None:
    data = tmp_path / "data"
    for i in range(40):
        write_log(log_dir, f"s{i}", started=START + timedelta(days=i), forward_s=1, backward_s=2)
    with Store(data) as store:
        store.sync(log_dir)
        page_size = store.execute("PRAGMA page_size")[0][0]
    db_file = data / DB_FILENAME
    raw = bytearray(db_file.read_bytes())
    assert len(raw) >= 4 * page_size
    raw[2 * page_size : 4 * page_size] = b"\xa5" * (2 * page_size)  # two pages of garbage
    db_file.write_bytes(bytes(raw))
    with pytest.raises(StoreError, match="the history database is corrupt"):
        Store(data)
    assert db_file.read_bytes() == bytes(raw)


# --- permissions --------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_its_directory_are_owner_only(tmp_path: Path, log_dir: Path) -> None:
    data = tmp_path / "deep" / "data"
    with Store(data) as store:
        store.import_log(write_log(log_dir, "s1"))
        assert mode(data) == 0o700
        # While open, WAL mode keeps -wal and -shm files beside it: owner only as well.
        files = sorted(data.iterdir())
        assert [p.name for p in files] == [
            DB_FILENAME,
            f"{DB_FILENAME}-shm",
            f"{DB_FILENAME}-wal",
        ]
        assert {mode(p) for p in files} == {0o600}


def test_a_database_left_readable_by_others_is_tightened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    Store(data).close()
    (data / DB_FILENAME).chmod(0o644)
    Store(data).close()
    assert mode(data / DB_FILENAME) == 0o600


def test_the_default_data_directory_is_made_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As the recorder leaves it: made as the parent of its sessions folder, with the umask.
    default = tmp_path / "share" / "treadctl"
    (default / "sessions").mkdir(parents=True)
    default.chmod(0o755)
    # The platform's folder stands in for the OS's: the one place that knows it is DataFolder.
    monkeypatch.setattr("treadctl.data_folder._platform_root", lambda: default)
    with Store.of(DataFolder()) as store:
        assert store.path == default / DB_FILENAME
    assert mode(default) == 0o700
    named = tmp_path / "named"
    named.mkdir(mode=0o755)
    named.chmod(0o755)
    Store(named).close()
    assert mode(named) == 0o755  # a directory the user named keeps its mode
    assert mode(named / DB_FILENAME) == 0o600
