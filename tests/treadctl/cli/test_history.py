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
