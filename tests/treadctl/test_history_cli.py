"""Tests for the `profiles` and `history` commands (treadctl.history_cli), over a real store
and real session logs (``write_log`` from test_store)."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.treadctl.profiles.support import PIN
from tests.treadctl.test_store import START, write_log
from treadctl import history_cli
from treadctl.store import DB_FILENAME


def cli(data_dir: Path, *argv: str, log_dir: Path | None = None) -> int:
    parser = argparse.ArgumentParser(prog="treadctl")
    sub = parser.add_subparsers(dest="command")
    history_cli.add_profile_commands(sub)
    history_cli.add_history_commands(sub)
    extra = ["--data-dir", str(data_dir)]
    if log_dir is not None:
        extra += ["--log-dir", str(log_dir)]
    args = parser.parse_args([*argv, *extra])
    result: int = args.handler(args, sys.stdout)
    return result


def test_profile_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    assert cli(data, "profiles", "add", "Ana") == 0
    assert cli(data, "profiles", "set-limit", "Ana", "backward_max_speed_kmh", "7") == 1
    out, err = capsys.readouterr()
    assert err == (
        "treadctl: raising backward_max_speed_kmh 7 (default 6) for 'Ana' needs the admin "
        "PIN, and none is set yet: give one (--pin) to set it now; from then on it guards "
        "every raise above the defaults\n"
    )
    assert cli(data, "profiles", "set-pin", "--new", PIN) == 0
    assert cli(data, "profiles", "set-limit", "Ana", "backward_max_speed_kmh", "7") == 1
    assert (
        cli(data, "profiles", "set-limit", "Ana", "backward_max_speed_kmh", "7", "--pin", "0000")
        == 1
    )
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "treadctl: raising backward_max_speed_kmh 7 (default 6) for 'Ana' needs the admin PIN "
        "(--pin)",
        "treadctl: wrong admin PIN: raising backward_max_speed_kmh 7 (default 6) for 'Ana' was "
        "refused",
    ]
    assert (
        cli(data, "profiles", "set-limit", "Ana", "backward_max_speed_kmh", "7", "--pin", PIN) == 0
    )
    assert cli(data, "profiles", "set-limit", "Ana", "forward_max_speed_kmh", "9") == 0
    assert cli(data, "profiles", "set-max-hr", "Ana", "168") == 0
    assert cli(data, "profiles", "set-cap", "Ana", "15", "--pin", PIN) == 0
    assert cli(data, "profiles", "select", "Ana") == 0
    assert cli(data, "profiles", "rename", "Ana", "Ana B") == 0
    assert cli(data, "profiles", "set-pin", "--old", PIN, "--new", "5678") == 0
    capsys.readouterr()
    assert cli(data, "profiles", "list") == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "  name                 sessions  max HR  bwd cap  limits",
        "  Guest                       0       -       10  fwd 12 km/h, bwd 6 km/h, bwd 10 min",
        "* Ana B                       0     168       15  fwd 9 km/h, bwd 7 km/h, bwd 10 min",
        "admin PIN: set",
    ]
    assert cli(data, "profiles", "remove", "Ana B") == 1
    assert cli(data, "profiles", "remove", "Ana B", "--yes") == 0
    assert cli(data, "profiles", "remove", "Ana B", "--yes") == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "treadctl: deleting profile 'Ana B' also deletes its 0 session(s) and their log files; "
        "confirm to go ahead (--yes)",
        "treadctl: no profile 'Ana B' (see `treadctl profiles list`)",
    ]
    assert "Traceback" not in out + err


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


def test_a_corrupt_database_is_one_line_from_the_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / DB_FILENAME).write_bytes(b"garbage" * 1000)
    assert cli(data, "profiles", "list") == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"treadctl: {data / DB_FILENAME}: the history database is corrupt")
    assert len(err.splitlines()) == 1
