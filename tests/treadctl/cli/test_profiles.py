"""`treadctl profiles …` over a real store; a corrupt database is one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.treadctl.cli.support import cli
from tests.treadctl.profiles.support import PIN
from treadctl.store import DB_FILENAME


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
