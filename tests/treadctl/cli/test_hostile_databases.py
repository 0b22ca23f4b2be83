"""Hand-edited and damaged history databases through the commands that read them.

A person (or a tool they ran) may have edited ``history.sqlite3``: text where a number was, a
NULL, a huge number, bytes that are not text, JSON that never ends. Every command that reads
the database must then say so in a sentence (or show the rest), never raise. Each case here
is a real database built by the commands themselves, with one value changed by SQL, walked
through the commands a person types. The default run takes a deterministic sample; ``-m slow``
takes every column × every value, and whole-file damage.

A case is *handled* when every command returns an exit status the CLI documents (0, 1, 2)
without an exception escaping ``treadctl.cli.main``.
"""

from __future__ import annotations

import contextlib
import io
import random
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from tests.treadctl.test_store import START, write_log
from treadctl.cli import main

DB = "history.sqlite3"

#: What a hand edit may leave in a cell.
HOSTILE_VALUES: tuple[object, ...] = (
    None,
    "",
    "x",
    "nan",
    "inf",
    "-1",
    -1,
    0,
    9_223_372_036_854_775_807,
    -9_223_372_036_854_775_808,
    1e308,
    -1e308,
    b"\xff\xfe\x00",
    "{",
    "[]",
    '{"forward_max_speed_kmh": "fast"}',
    '{"forward_max_speed_kmh": 1e999}',
    "[" * 5000 + "]" * 5000,
    '{"a":' * 3000 + "1" + "}" * 3000,
    "\u0000\ud7ff\uffff",
    "🙂" * 2000,
    "2025-13-45T99:99:99Z",
    "9" * 5000,
)

#: The commands a person types that read the database (``--data-dir`` and ``--log-dir`` added).
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("profiles",),
    ("profiles", "list"),
    ("history",),
    ("history", "--profile", "Ana"),
    ("history", "--profile", "Guest"),
    ("profiles", "set-limit", "Ana", "forward_max_speed_kmh", "8"),
    ("profiles", "set-max-hr", "Ana", "170"),
    ("profiles", "select", "Ben"),
    ("profiles", "add", "Cleo"),
    ("history", "--rebuild"),
)


@dataclass(frozen=True)
class Case:
    """One damaged database: a description and how to damage it."""

    name: str
    damage: Callable[[Path], None]


def _set_cell(table: str, column: str, value: object, where: str = "") -> Callable[[Path], None]:
    def damage(db_path: Path) -> None:
        db = sqlite3.connect(db_path)
        try:
            # A hand edit does not care for the schema's checks.
            db.execute("PRAGMA ignore_check_constraints = ON")
            db.execute(f"UPDATE {table} SET {column} = ? {where}", (value,))
            db.commit()
        finally:
            db.close()

    return damage


def _write_bytes(data: bytes) -> Callable[[Path], None]:
    def damage(db_path: Path) -> None:
        for extra in (db_path.with_name(DB + "-wal"), db_path.with_name(DB + "-shm")):
            extra.unlink(missing_ok=True)
        db_path.write_bytes(data)

    return damage


def _truncate(fraction: float) -> Callable[[Path], None]:
    def damage(db_path: Path) -> None:
        data = db_path.read_bytes()
        _write_bytes(data[: int(len(data) * fraction)])(db_path)

    return damage


def _sql(statement: str) -> Callable[[Path], None]:
    def damage(db_path: Path) -> None:
        db = sqlite3.connect(db_path)
        try:
            db.executescript(statement)
            db.commit()
        finally:
            db.close()

    return damage


def _columns(db_path: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(db_path)
    try:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return [
            (table, row[1]) for table in tables for row in db.execute(f"PRAGMA table_info({table})")
        ]
    finally:
        db.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder as the commands leave it: Ana, Ben and Guest, sessions of each and one
    under no profile, the history built from the logs, a setting chosen."""
    root = tmp_path_factory.mktemp("hostile_db_base")
    logs = root / "sessions"
    for i, profile in enumerate(("Ana", "Ana", "Ben", "Guest", None)):
        write_log(logs, f"s{i}", profile=profile, started=START + timedelta(days=i))
    for argv in (("profiles", "add", "Ana"), ("profiles", "add", "Ben"), ("history", "--rebuild")):
        assert _run(root, argv)[0] == 0
    assert _run(root, ("profiles", "select", "Ana"))[0] == 0
    return root


def _run(root: Path, argv: tuple[str, ...]) -> tuple[int, str]:
    """``treadctl ARGV`` on ``root``'s data: its exit status and everything it printed."""
    extra = ["--data-dir", str(root)]
    if argv[0] == "history":
        extra += ["--log-dir", str(root / "sessions")]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main([*argv, *extra])
    return status, out.getvalue()


def all_cases(columns: list[tuple[str, str]]) -> Iterator[Case]:
    for table, column in columns:
        for value in HOSTILE_VALUES:
            shown = repr(value)[:24]
            yield Case(f"{table}.{column}={shown}", _set_cell(table, column, value))
    yield Case("random bytes", _write_bytes(random.Random(1).randbytes(8192)))
    yield Case("empty file", _write_bytes(b""))
    yield Case("text file", _write_bytes(b"profiles: Ana\n"))
    yield Case("half a database", _truncate(0.5))
    yield Case("header only", _truncate(0.01))
    yield Case("a newer schema", _sql("PRAGMA user_version = 999;"))
    yield Case("an older schema", _sql("PRAGMA user_version = 1;"))
    for table in ("profiles", "sessions", "summaries", "settings", "profile_names"):
        yield Case(f"no {table} table", _sql(f"DROP TABLE {table};"))
    yield Case(
        "a session row whose profile is gone",
        _sql("PRAGMA foreign_keys = OFF; DELETE FROM profiles WHERE name = 'Ana';"),
    )


def walk(base: Path, case: Case, where: Path) -> list[str]:
    """Damage a copy of ``base`` and walk it through every command; what went wrong."""
    shutil.copytree(base, where)
    try:
        case.damage(where / DB)
    except sqlite3.DatabaseError:
        return []  # a damage SQLite itself refuses (NOT NULL, …): not a case
    wrong = []
    for argv in COMMANDS:
        try:
            status, printed = _run(where, argv)
        except BaseException as error:  # noqa: BLE001 - any escape is what this test finds
            wrong.append(f"{' '.join(argv)}: {type(error).__name__}: {str(error)[:120]}")
            continue
        if status not in (0, 1, 2):
            wrong.append(f"{' '.join(argv)}: exit status {status}")
        if "Traceback" in printed:
            wrong.append(f"{' '.join(argv)}: printed a traceback")
    return wrong


def _report(
    base: Path, cases: list[Case], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    failures: dict[str, list[str]] = {}
    for n, case in enumerate(cases):
        wrong = walk(base, case, tmp_path / f"case{n}")
        if wrong:
            failures[case.name] = wrong
    handled = len(cases) - len(failures)
    with capsys.disabled():
        print(f"\nhostile databases: {handled}/{len(cases)} handled")
    assert not failures, "\n".join(f"{name}: {'; '.join(w)}" for name, w in failures.items())


def test_a_sample_of_damaged_databases_is_handled(
    base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = list(all_cases(_columns(base / DB)))
    sample = random.Random(14).sample(cases, 40)
    _report(base, sample, tmp_path, capsys)


@pytest.mark.slow
def test_every_damaged_database_is_handled(
    base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _report(base, list(all_cases(_columns(base / DB))), tmp_path, capsys)
