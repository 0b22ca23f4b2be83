"""`treadctl history` over a real store and real session logs (``write_log`` from test_store)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.treadctl.cli.support import cli
from tests.treadctl.test_store import START, write_log


def test_history_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, logs = tmp_path / "data", tmp_path / "logs"
    assert cli(data, "profiles", "add", "Ana") == 0
    write_log(logs, "abc123", profile="Ana", notices=["heart_rate_high"])
    crashed = write_log(logs, "def456", profile="Ana", started=START + timedelta(days=1))
    crashed.write_bytes(b"".join(crashed.read_bytes().splitlines(keepends=True)[:-1]))
    write_log(logs, "guest1", profile="Guest", started=START + timedelta(days=2))
    capsys.readouterr()
    assert cli(data, "history", "--profile", "Ana", log_dir=logs) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == "Sessions of Ana (2)"
    assert lines[1].split() == [
        "started", "(UTC)", "program", "outcome", "time", "km", "fwd", "min", "bwd", "min",
        "kcal", "max", "f/b", "km/h", "HR", "id",
    ]  # fmt: skip
    assert lines[2].split() == [
        "2025-03-03", "09:00", "Backward", "walking,", "week", "1", "completed", "0:03:00",
        "0.15", "1.0", "2.0", "9", "4.0/2.5", "120", "abc123",
    ]  # fmt: skip
    assert "interrupted" in lines[3] and lines[3].endswith("def456")
    assert "  2025-03-03   2 session(s)     4.0 min  ####" in lines
    assert lines[-1] == (
        "Backward minutes stay at 10 min: at the cap of 10; an admin can raise it."
    )
    assert cli(data, "history", "--profile", "Guest", log_dir=logs) == 0
    out, _ = capsys.readouterr()
    assert "completed, unsaved" in out and "save-guest SESSION_ID NAME" in out

    # Without a selected profile: every session, with its profile.
    assert cli(data, "history", log_dir=logs) == 0
    out, _ = capsys.readouterr()
    assert out.splitlines()[0] == "All sessions (3); no profile selected"

    # A corrupt log: one line naming it, the rest still shown, a non-zero exit.
    (logs / "20250310T000000Z_bad.jsonl").write_text('{"kind": "header"}\n', encoding="utf-8")
    assert cli(data, "history", "--rebuild", log_dir=logs) == 1
    out, err = capsys.readouterr()
    assert err.startswith(f"treadctl: skipped a log: {logs / '20250310T000000Z_bad.jsonl'}:1: ")
    assert len(err.splitlines()) == 1
    assert out.startswith(f"rebuilt from {logs}: 3 session(s), 1 unreadable log(s)\n")


def test_guest_and_no_profile_sessions_are_listed_with_their_weeks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, logs = tmp_path / "data", tmp_path / "logs"
    assert cli(data, "profiles", "add", "Ana") == 0
    write_log(logs, "ana1", profile="Ana")
    write_log(logs, "nobody1", profile=None, started=START + timedelta(days=1))
    write_log(logs, "guest1", profile="Guest", started=START + timedelta(days=2))
    assert cli(data, "profiles", "select", "Guest") == 0
    capsys.readouterr()
    # Guest is current (the app chose it): the sessions of nobody in particular, as --guest.
    assert cli(data, "history", log_dir=logs) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Sessions of Guest or no profile (2)"
    assert "nobody1" in out and "guest1" in out and "ana1" not in out
    assert "  2025-03-03   2 session(s)     4.0 min  ####" in out.splitlines()
    assert cli(data, "history", "--guest", log_dir=logs) == 0
    assert capsys.readouterr().out == out
    assert cli(data, "history", "--all", log_dir=logs) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "All sessions (3)"
    assert all(session in out for session in ("ana1", "nobody1", "guest1"))


def test_a_hand_edited_session_row_is_skipped_with_a_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, logs = tmp_path / "data", tmp_path / "logs"
    assert cli(data, "profiles", "add", "Ana") == 0
    for day, name in enumerate(("good1", "bad1", "bad2", "bad3", "good2")):
        write_log(logs, name, profile="Ana", started=START + timedelta(days=day))
    assert cli(data, "history", "--profile", "Ana", log_dir=logs) == 0
    import sqlite3

    from treadctl.store import DB_FILENAME

    db = sqlite3.connect(data / DB_FILENAME, isolation_level=None)
    db.execute("UPDATE summaries SET distance_m = 'far' WHERE session_id = 'bad1'")
    db.execute("UPDATE sessions SET started_at = 'someday' WHERE id = 'bad2'")
    db.execute("UPDATE sessions SET notices_json = '{' WHERE id = 'bad3'")
    db.close()
    capsys.readouterr()
    # No --rebuild: the rows stay as edited (the logs are complete, so nothing is re-imported).
    assert cli(data, "history", "--profile", "Ana", log_dir=logs) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "Sessions of Ana (2)"
    assert "good1" in out and "good2" in out and "bad" not in out
    problems = err.splitlines()
    assert len(problems) == 3 and "Traceback" not in err
    for name, what in (("bad1", "distance m"), ("bad2", "start time"), ("bad3", "notices")):
        assert any(
            f"session {name} was skipped: its stored {what} is unusable" in p for p in problems
        )
    assert all("treadctl history --rebuild" in p for p in problems)


def test_each_sessions_uploads_follow_its_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from treadctl.clock import SystemWallClock
    from treadctl.data_folder import DataFolder
    from treadctl.store import Store
    from treadctl.upload import Service, UploadQueue

    data, logs = tmp_path / "data", tmp_path / "logs"
    assert cli(data, "profiles", "add", "Ana") == 0
    write_log(logs, "abc123", profile="Ana")
    write_log(logs, "def456", profile="Ana", started=START + timedelta(days=1))
    assert cli(data, "history", "--profile", "Ana", log_dir=logs) == 0
    out, _ = capsys.readouterr()
    assert "uploads" not in out.splitlines()[1]  # nothing uploaded: no column
    store = Store.of(DataFolder.at(data, sessions=logs))
    try:
        queue = UploadQueue(store, SystemWallClock())
        queue.add("abc123", Service.STRAVA)
        queue.finish("abc123", Service.STRAVA, duplicate=False, activity_id="9", activity_url=None)
        queue.add("abc123", Service.INTERVALS)
    finally:
        store.close()
    assert cli(data, "history", "--profile", "Ana", log_dir=logs) == 0
    lines = capsys.readouterr()[0].splitlines()
    assert lines[1].endswith("id  uploads")
    assert lines[2].endswith("abc123  Strava ok, intervals.icu queued")
    assert lines[3].endswith("def456")
