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


# -- issue 14: hostile values, a hand-edited database, look-alike names ----------------------


@pytest.mark.parametrize("value", ["nan", "inf", "1e400"])
def test_a_maximum_heart_rate_that_is_not_a_number_is_refused_with_a_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    data = tmp_path / "data"
    assert cli(data, "profiles", "add", "Ana") == 0
    capsys.readouterr()
    assert cli(data, "profiles", "set-max-hr", "Ana", value) == 1
    out, err = capsys.readouterr()
    assert err.startswith(
        "treadctl: the maximum heart rate must be a number of beats per minute from 40 to 250, got "
    )
    assert len(err.splitlines()) == 1 and out == ""
    assert cli(data, "profiles", "set-max-hr", "Ana", "171.6") == 0
    assert capsys.readouterr().out == "Ana: maximum heart rate 172 bpm\n"


def _hand_edit(data: Path, *statements: str) -> None:
    import sqlite3

    db = sqlite3.connect(data / DB_FILENAME, isolation_level=None)
    try:
        for statement in statements:
            db.execute(statement)
    finally:
        db.close()


def test_a_hand_edited_profile_row_is_skipped_with_a_sentence_and_the_rest_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    for name in ("Ana", "Bo", "Cy", "Di"):
        assert cli(data, "profiles", "add", name) == 0
    assert cli(data, "profiles", "select", "Bo") == 0
    _hand_edit(
        data,
        'UPDATE profiles SET limits_json = \'{"forward_max_speed_kmh": "fast"}\' '
        "WHERE name = 'Bo'",
        "UPDATE profiles SET backward_minutes_cap = 'lots' WHERE name = 'Cy'",
        "UPDATE profiles SET created_at = 'yesterday' WHERE name = 'Di'",
        "INSERT OR REPLACE INTO settings (key, value) VALUES ('admin_pin', 'garbage')",
    )
    capsys.readouterr()
    assert cli(data, "profiles", "list") == 1
    out, err = capsys.readouterr()
    listed = [line.split()[0] for line in out.splitlines()[1:-1]]
    assert listed == ["Guest", "Ana"]
    assert out.splitlines()[-1] == "admin PIN: set"  # damaged, never "not set"
    assert "Traceback" not in err
    problems = err.splitlines()
    assert len(problems) == 3
    assert all(line.startswith("treadctl: skipped: ") for line in problems)
    for name, what in (("Bo", "limits"), ("Cy", "backward-minutes cap"), ("Di", "creation date")):
        assert any(f"profile {name!r} has an unusable stored {what}" in p for p in problems)

    # set-limit: the damaged profile is one sentence; a good one still changes; raising
    # anything while the stored PIN is unreadable is refused (never read as "no PIN").
    assert cli(data, "profiles", "set-limit", "Bo", "forward_max_speed_kmh", "8") == 1
    err = capsys.readouterr().err
    assert err.startswith("treadctl: ") and "'Bo' has an unusable stored limits" in err
    assert cli(data, "profiles", "set-limit", "Ana", "forward_max_speed_kmh", "8") == 0
    assert cli(data, "profiles", "set-limit", "Ana", "forward_max_speed_kmh", "15") == 1
    err = capsys.readouterr().err
    assert "the stored admin PIN is unreadable" in err and len(err.splitlines()) == 1


def test_profiles_alone_lists_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from treadctl.cli import main

    data = tmp_path / "data"
    assert cli(data, "profiles", "add", "Ana") == 0
    capsys.readouterr()
    assert main(["profiles", "--data-dir", str(data)]) == 0
    alone = capsys.readouterr().out
    assert main(["profiles", "--data-dir", str(data), "list"]) == 0
    assert capsys.readouterr().out == alone
    assert [line.split()[0] for line in alone.splitlines()[1:-1]] == ["Guest", "Ana"]


def test_names_are_one_person_after_unicode_normalisation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert cli(data, "profiles", "add", "Ana") == 0
    capsys.readouterr()
    # Full-width letters (NFKC) and another case (casefold): the same person.
    assert cli(data, "profiles", "add", "ＡＮＡ") == 1
    assert capsys.readouterr().err == "treadctl: a profile called 'Ana' already exists\n"
    assert cli(data, "profiles", "add", "STRAẞE") == 0
    assert cli(data, "profiles", "add", "strasse") == 1  # ß casefolds to ss
    assert cli(data, "profiles", "select", "ａｎａ") == 0
    assert capsys.readouterr().out.endswith("current profile: Ana\n")
    assert cli(data, "profiles", "rename", "STRAẞE", "Ａｎａ") == 1
