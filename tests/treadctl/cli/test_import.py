"""`treadctl import FILE` and `treadctl export-program PROGRAM`: the preview in km/h and mph,
refusals, the library, --force, and FIT files out and back in."""

from __future__ import annotations

from pathlib import Path

import pytest
from garmin_fit_sdk import Decoder, Stream

from treadctl.cli import main
from treadctl.program import ProgramLibrary, load_program, read_fit_workout

# 5 km pace 5:00 /km = 12 km/h; 1 mile pace 4:00 /km = 15 km/h
ZWO = b"""<workout_file>
  <name>Tempo 5 k</name>
  <sportType>run</sportType>
  <durationType>time</durationType>
  <workout>
    <SteadyState Duration="600" Power="0.95" pace="1"/>
    <IntervalsT Repeat="4" OnDuration="60" OffDuration="120" OnPower="1.1" OffPower="0.6"
                pace="0"/>
    <FreeRide Duration="300"/>
  </workout>
</workout_file>
"""
PACES = ["--pace", "5k=5:00/km", "--pace", "mile=4:00/km", "--free-speed", "8 km/h"]


@pytest.fixture
def zwo(tmp_path: Path) -> Path:
    path = tmp_path / "tempo.zwo"
    path.write_bytes(ZWO)
    return path


def data(tmp_path: Path) -> list[str]:
    return ["--data-dir", str(tmp_path / "data")]


def test_import_prints_the_preview_in_kmh_and_saves_the_program(
    tmp_path: Path, zwo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(zwo), *PACES, *data(tmp_path)]) == 0
    out = capsys.readouterr().out
    # 0.95 × 12 = 11.4 km/h; 1.1 × 15 = 16.5 km/h; 0.6 × 15 = 9 km/h
    assert "Steady  10 min  95 % of 5 km pace (5:00 /km)  →  11.4 km/h" in out
    assert "Interval  1 min  110 % of 1 mile pace  →  16.5 km/h" in out
    assert "Recovery  2 min  60 % of 1 mile pace  →  9 km/h" in out
    assert "Free run  5 min  your free-run speed  →  8 km/h" in out
    # The default limits' forward cap is 12 km/h: the interval runs slower, and it says so.
    assert "limits: steps[1].steps[0]: 16.5 km/h runs as 12 km/h (forward maximum)" in out
    saved = tmp_path / "data" / "programs" / "tempo-5-k.toml"
    assert out.rstrip().endswith(f"saved as {saved}")
    program = load_program(saved)
    assert program.name == "Tempo 5 k"
    assert [p.segment.speed_kmh for p in program.segments()][:3] == [11.4, 16.5, 9.0]
    assert [e.path for e in ProgramLibrary(saved.parent).entries()] == [saved]


def test_import_shows_mph_when_asked_or_when_the_app_shows_mph(
    tmp_path: Path, zwo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(zwo), *PACES, "--unit", "mph", "--dry-run", *data(tmp_path)]) == 0
    out = capsys.readouterr().out
    # 11.4 / 1.609344 = 7.0836 mph; 16.5 / 1.609344 = 10.2527 mph; 8 / 1.609344 = 4.9710 mph
    assert "→  7.08 mph" in out and "→  10.25 mph" in out and "→  4.97 mph" in out
    assert "dry run: nothing saved" in out
    assert not (tmp_path / "data" / "programs").exists()
    # The app's setting (settings.ini, as QSettings writes it): a pace in miles shows mph.
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "settings.ini").write_text("[display]\nspeed_unit=min/mi\n")
    assert main(["import", str(zwo), *PACES, "--dry-run", *data(tmp_path)]) == 0
    assert "→  7.08 mph" in capsys.readouterr().out
    # --unit wins over the setting.
    assert main(["import", str(zwo), *PACES, "--dry-run", "--unit", "km/h", *data(tmp_path)]) == 0
    assert "→  11.4 km/h" in capsys.readouterr().out


def test_a_refused_step_exits_1_says_what_to_give_and_saves_nothing(
    tmp_path: Path, zwo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(zwo), "--pace", "5k=5:00/km", *data(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "→  11.4 km/h" in captured.out  # what converts is still shown
    assert "refused: pace: expected your 1 mile pace" in captured.out
    assert captured.err.splitlines() == [
        f"treadctl: import: {zwo}: workout[1] (IntervalsT): pace: expected your 1 mile pace "
        "(this step is written against it), found none given",
        f"treadctl: import: {zwo}: workout[2] (FreeRide): speed: expected a speed for this "
        "free run (the file leaves it to the runner), found none given",
        "treadctl: import: give your 1 mile pace with --pace mile=M:SS/km (or /mi)",
        'treadctl: import: give a speed for the steps with no target with --free-speed "8 km/h"',
        "treadctl: import: nothing was saved",
    ]
    assert not (tmp_path / "data" / "programs").exists()


def test_a_program_of_that_name_is_replaced_only_with_force(
    tmp_path: Path, zwo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(zwo), *PACES, *data(tmp_path)]) == 0
    saved = tmp_path / "data" / "programs" / "tempo-5-k.toml"
    saved.write_text(saved.read_text().replace("Tempo 5 k", "Edited"), encoding="utf-8")
    capsys.readouterr()
    assert main(["import", str(zwo), *PACES, *data(tmp_path)]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"treadctl: import: {saved} is already one of your programs; use --force to replace "
        "it, or --name to save this one under another name"
    )
    assert load_program(saved).name == "Edited"
    assert main(["import", str(zwo), *PACES, "--force", *data(tmp_path)]) == 0
    assert load_program(saved).name == "Tempo 5 k"
    assert main(["import", str(zwo), *PACES, "--name", "Tuesday", *data(tmp_path)]) == 0
    assert load_program(saved.parent / "tuesday.toml").name == "Tuesday"


def test_the_profiles_limits_are_the_ones_shown(
    tmp_path: Path, zwo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["profiles", "add", "Ana", *data(tmp_path)]) == 0
    assert (
        main(["profiles", "set-limit", "Ana", "forward_max_speed_kmh", "10", *data(tmp_path)]) == 0
    )
    capsys.readouterr()
    assert main(["import", str(zwo), *PACES, "--profile", "Ana", "--dry-run", *data(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "limits: Ana's" in out
    # 11.4 and 16.5 km/h are above Ana's 10 km/h; 9 and 8 km/h are not.
    assert "limits: steps[0]: 11.4 km/h runs as 10 km/h (forward maximum)" in out
    assert "limits: steps[1].steps[0]: 16.5 km/h runs as 10 km/h (forward maximum)" in out
    assert out.count("runs as") == 2
    assert main(["import", str(zwo), *PACES, "--profile", "Bo", *data(tmp_path)]) == 1
    assert "no profile 'Bo'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--pace", "5k=fast"], "treadctl: --pace '5k=fast': expected a pace"),
        (["--pace", "3k=4:00/km"], "treadctl: --pace no pace zone '3k'"),
        (["--free-speed", "8"], "treadctl: --free-speed: expected a speed with a unit"),
        (["--open-duration", "1:30"], "treadctl: --open-duration: expected a duration"),
    ],
)
def test_a_bad_option_value_exits_2(
    tmp_path: Path, zwo: Path, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    assert main(["import", str(zwo), *argv, *data(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith(says)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><workout_file/>',
            "line 1: expected a workout file without a DOCTYPE",
        ),
        (b"\x00\x01binary", "expected a Zwift run workout (.zwo, XML) or a FIT workout file"),
        (ZWO.replace(b"run", b"bike"), 'sportType: expected "run"'),
    ],
)
def test_a_file_that_cannot_be_imported_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, says: str
) -> None:
    path = tmp_path / "odd.zwo"
    path.write_bytes(content)
    assert main(["import", str(path), *data(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"treadctl: import: {path}: ") and says in err
    assert len(err.splitlines()) == 1


def test_export_program_writes_a_fit_workout_that_imports_back(
    tmp_path: Path, zwo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(zwo), *PACES, *data(tmp_path)]) == 0
    capsys.readouterr()
    out = tmp_path / "out"
    out.mkdir()
    # By the program's name, from the library, into a folder.
    assert (
        main(["export-program", "Tempo 5 k", "--format", "fit", "-o", str(out), *data(tmp_path)])
        == 0
    )
    written = out / "tempo-5-k.fit"
    assert capsys.readouterr().out == f"{written}\n"
    assert Decoder(Stream.from_byte_array(bytearray(written.read_bytes()))).check_integrity()
    program = load_program(tmp_path / "data" / "programs" / "tempo-5-k.toml")
    assert read_fit_workout(written.read_bytes(), "t.fit").require_program().steps == program.steps
    # Not over an existing file without --force.
    args = ["export-program", "tempo-5-k", "--format", "fit", "-o", str(written), *data(tmp_path)]
    assert main(args) == 1
    assert capsys.readouterr().err == (
        f"treadctl: export-program: {written} already exists; use --force to replace it\n"
    )
    assert main([*args, "--force"]) == 0
    # The program file itself, never, even with --force.
    own = tmp_path / "data" / "programs" / "tempo-5-k.toml"
    assert main(["export-program", str(own), "--format", "toml", "-o", str(own), "--force"]) == 1
    assert "is the program's own file" in capsys.readouterr().err
    assert load_program(own) == program


def test_export_program_finds_builtins_and_writes_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (
        main(["export-program", "Backward jog intervals", "--format", "toml", *data(tmp_path)]) == 0
    )
    assert capsys.readouterr().out == "backward-jog-intervals.toml\n"
    assert load_program(tmp_path / "backward-jog-intervals.toml").name == "Backward jog intervals"
    assert main(["export-program", "nothing-like-it", "--format", "fit", *data(tmp_path)]) == 2
    assert "no program file, none of your programs" in capsys.readouterr().err


def test_import_reads_a_fit_workout_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["export-program", "Backward jog intervals", "--format", "fit"]) == 0
    capsys.readouterr()
    assert main(["import", "backward-jog-intervals.fit", "--name", "Again", *data(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "backward (from the step's name)" in out
    again = load_program(tmp_path / "data" / "programs" / "again.toml")
    from treadctl.program import builtin_programs

    (original,) = [p for p in builtin_programs() if p.name == "Backward jog intervals"]
    assert again.steps == original.steps


@pytest.mark.parametrize(
    ("content", "unit"),
    [
        (b"[display]\nspeed_unit=mph\n", "mph"),
        (b"[display]\nspeed_unit=min/km\n", "km/h"),
        (b"[display]\nspeed_unit=furlongs\n", "km/h"),
        (b"not an ini file at all", "km/h"),
        (b"\xff\xfe\x00garbage", "km/h"),
        (b"[display]\n[display]\n", "km/h"),  # a duplicate section: configparser refuses it
    ],
)
def test_the_display_unit_comes_from_the_apps_settings_or_is_kmh(
    tmp_path: Path, content: bytes, unit: str
) -> None:
    from treadctl.cli.output import speed_unit

    settings = tmp_path / "settings.ini"
    settings.write_bytes(content)
    assert speed_unit(settings) == unit
    assert speed_unit(tmp_path / "none.ini") == "km/h"
    assert speed_unit(settings, "mph") == "mph"


def test_the_format_is_told_by_content_not_by_name(tmp_path: Path) -> None:
    from treadctl.program import builtin_programs, program_to_fit, workout_format

    fit = program_to_fit(builtin_programs()[0])
    assert workout_format(fit) == "fit"
    assert workout_format(b"\xef\xbb\xbf  <workout_file/>") == "zwo"
    assert workout_format(b"name = 'toml'") is None
    path = tmp_path / "looks-like.zwo"
    path.write_bytes(fit)
    assert main(["import", str(path), "--dry-run", "--data-dir", str(tmp_path)]) == 0


def test_the_profiles_stored_paces_are_used_and_typed_ones_saved_only_when_asked(
    tmp_path: Path, zwo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["profiles", "add", "Ana", *data(tmp_path)]) == 0
    assert main(["profiles", "select", "Ana", *data(tmp_path)]) == 0
    assert main(["profiles", "set-paces", "Ana", "5k=5:00/km", *data(tmp_path)]) == 0
    capsys.readouterr()
    free = ["--free-speed", "8 km/h"]
    # Only the 1 mile pace is missing: the 5 km pace comes from Ana's profile.
    assert main(["import", str(zwo), *free, "--dry-run", *data(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("paces: from Ana's profile: 5 km pace 5:00 /km\n")
    assert "→  11.4 km/h" in captured.out  # 0.95 × 12 km/h
    assert (
        "treadctl: import: give your 1 mile pace with --pace mile=M:SS/km (or /mi) (add "
        "--save-paces to keep it in Ana's profile)" in captured.err
    )
    # A --pace is for this import only...
    mile = ["--pace", "mile=4:00/km"]
    assert main(["import", str(zwo), *free, *mile, "--dry-run", *data(tmp_path)]) == 0
    assert main(["import", str(zwo), *free, *mile, *data(tmp_path)]) == 0
    assert main(["profiles", "paces", "Ana", *data(tmp_path)]) == 0
    assert "  mile      1 mile pace         -\n" in capsys.readouterr().out
    # ... unless saved, and a 5 km pace typed goes over the stored one for this import.
    argv = [*free, *mile, "--pace", "5k=4:00/km", "--save-paces", "--force"]
    assert main(["import", str(zwo), *argv, *data(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "→  14.25 km/h" in out  # 0.95 × 3600 / 240
    assert out.rstrip().endswith("saved to Ana's profile: 1 mile pace, 5 km pace")
    assert main(["profiles", "paces", "Ana", "--unit", "mi", *data(tmp_path)]) == 0
    # 240 s/km × 1.609344 = 386.24 s → 6:26 per mile
    assert "  mile      1 mile pace         6:26 /mi\n" in capsys.readouterr().out


def test_save_paces_needs_a_persons_profile_and_paces_to_save(
    tmp_path: Path, zwo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(zwo), *PACES, "--save-paces", *data(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        "treadctl: import: --save-paces: choose a person's profile to keep the paces in "
        "(--profile P); none is chosen\n"
    )
    guest = ["--profile", "Guest", *data(tmp_path)]
    assert main(["import", str(zwo), *PACES, "--save-paces", *guest]) == 1
    assert "Guest keeps none" in capsys.readouterr().err
    assert not (tmp_path / "data" / "programs").exists()
    free = ["--free-speed", "8 km/h"]
    assert main(["import", str(zwo), *free, "--save-paces", *data(tmp_path)]) == 2
    assert "--save-paces: give the paces to save with --pace" in capsys.readouterr().err


def test_profiles_set_paces_clears_and_refuses_with_a_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["profiles", "add", "Ana", *data(tmp_path)]) == 0
    assert (
        main(["profiles", "set-paces", "Ana", "5k=4:30/km", "half=8:00/mi", *data(tmp_path)]) == 0
    )
    out = capsys.readouterr().out
    # 8:00 /mi = 480 / 1.609344 = 298.3 s per km → 4:58 /km
    assert "  5k        5 km pace           4:30 /km\n" in out
    assert "  half      half marathon pace  4:58 /km\n" in out
    assert main(["profiles", "set-paces", "Ana", "5k=none", *data(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "  5k        5 km pace           -\n" in out and "4:58 /km" in out
    assert main(["profiles", "set-paces", "Ana", "3k=4:00/km", *data(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        "treadctl: profiles set-paces: no pace zone '3k': expected one of mile, 5k, 10k, half, "
        "marathon\n"
    )
    assert main(["profiles", "set-paces", "Guest", "5k=4:00/km", *data(tmp_path)]) == 1
    assert "Guest keeps no race paces" in capsys.readouterr().err
