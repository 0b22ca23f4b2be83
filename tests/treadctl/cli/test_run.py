"""`treadctl run` in this process: a profile's limits, its history, the fault option.

The simulated runs are on virtual time (``--simulate`` without ``--time-scale``): a 20-second
program takes a fraction of a real second, the same way every time.
"""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest

from treadctl.cli import UsageError, main
from treadctl.cli.run import SIM_FAULTS, parse_fault


def test_run_with_a_profile_uses_its_limits(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from treadctl.recorder import read_session_log

    data = tmp_path / "data"
    assert main(["profiles", "add", "ana", "--data-dir", str(data)]) == 0
    assert (
        main(
            ["profiles", "set-limit", "ana", "backward_max_speed_kmh", "3", "--data-dir", str(data)]
        )
        == 0
    )
    program = tmp_path / "p.toml"
    program.write_text(
        'name = "Short"\n[[steps]]\ndirection = "backward"\nspeed = "5 km/h"\nduration = "20 s"\n'
    )
    code = main(
        [
            "run",
            str(program),
            "--simulate",
            "--profile",
            "ana",
            "--data-dir",
            str(data),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "shown as 3 km/h" in out  # the clamp notice names the profile's cap
    log = read_session_log(next((data / "sessions").glob("*.jsonl")))
    assert log.header["profile"] == "ana"
    assert log.header["limits"]["backward_max_speed_kmh"] == 3.0
    speeds = [r["speed_kmh"] for r in log.of_kind("sample") if r["speed_kmh"] is not None]
    assert max(speeds) <= 3.0
    # The run's session is in ana's history, as a session in the app is (the core imports it).
    assert "history: session " in out and "(ana)" in out
    assert main(["history", "--profile", "ana", "--data-dir", str(data)]) == 0
    listed = capsys.readouterr().out
    assert "Sessions of ana (1)" in listed and "Short" in listed


def test_the_command_line_offers_its_faults_by_the_same_names_in_the_same_order() -> None:
    assert SIM_FAULTS == (
        "drop-link",
        "silence",
        "console-stop",
        "console-pause",
        "safety-key",
        "refuse",
        "no-answer",
        "lose-control",
        "malformed",
    )
    assert parse_fault("safety-key@30") == ("safety-key", 30.0)
    with pytest.raises(UsageError, match=r"KIND one of \('drop-link', 'silence', "):
        parse_fault("drop-strap@5")


def test_a_headless_run_uses_the_virtual_strap(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from treadctl.recorder import read_session_log

    program = tmp_path / "p.toml"
    program.write_text(
        'name = "Short"\n[[steps]]\ndirection = "forward"\nspeed = "3 km/h"\nduration = "20 s"\n'
    )
    data = tmp_path / "data"
    code = main(
        [
            "run",
            str(program),
            "--simulate",
            "--strap",
            "--data-dir",
            str(data),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "heart-rate strap: Virtual HR" in out
    log = read_session_log(next((data / "sessions").glob("*.jsonl")))
    # The virtual treadmill's hand grips send nothing: every heart rate is the strap's.
    rates = [r["heart_rate_bpm"] for r in log.of_kind("sample")]
    assert any(rate is not None for rate in rates)


def test_strap_without_an_address_needs_the_simulation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", "01-backward-walk-week-1", "--address", "AA:BB", "--strap"]) == 2
    assert "--strap needs an ADDRESS" in capsys.readouterr().out


def test_time_scale_and_the_simulation_options_need_the_simulation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for option in (["--time-scale", "2"], ["--sim-fault", "silence@5"]):
        assert main(["run", "01-backward-walk-week-1", "--address", "AA:BB", *option]) == 2
        assert "need --simulate" in capsys.readouterr().out


@pytest.mark.parametrize("scale", ["0", "-1", "inf", "nan"])
def test_time_scale_must_be_a_positive_number(
    scale: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "01-backward-walk-week-1", "--simulate", "--time-scale", scale]) == 2
    assert "--time-scale must be above 0" in capsys.readouterr().out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_virtual_time_a_terminal_is_not_read_and_a_stop_ends_the_session(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from treadctl.recorder import read_session_log

    # Nobody can follow a run that goes as fast as the CPU: as without a terminal, the
    # console's pause ends the session instead of waiting for Enter.
    monkeypatch.setattr(sys, "stdin", _Terminal())
    program = tmp_path / "p.toml"
    program.write_text(
        'name = "Short"\n[[steps]]\ndirection = "forward"\nspeed = "3 km/h"\nduration = "60 s"\n'
    )
    data = tmp_path / "data"
    code = main(
        [
            "run",
            str(program),
            "--simulate",
            "--sim-fault",
            "console-pause@20",
            "--data-dir",
            str(data),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1, out
    assert "virtual time: the run goes as fast as it can and a stop ends it" in out
    assert "state: stopped (console_pause)" in out
    assert "press Enter to resume" not in out
    log = read_session_log(next((data / "sessions").glob("*.jsonl")))
    assert log.end is not None and log.end["reason"] == "stopped"
    assert 20.0 <= log.end["t"] < 25.0  # ended at the pause, not after the program's minute


def _short_program(tmp_path: Any) -> Any:
    program = tmp_path / "p.toml"
    program.write_text(
        'name = "Short"\n[[steps]]\ndirection = "backward"\nspeed = "5 km/h"\nduration = "20 s"\n'
    )
    return program


def test_run_without_profile_runs_as_the_current_person_and_is_found_in_history(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 14: `profiles list` marked Guest current, yet `run` recorded under no profile,
    # and `history` (the current profile's) never showed the run.
    from treadctl.recorder import read_session_log

    data = tmp_path / "data"
    assert main(["profiles", "add", "ana", "--data-dir", str(data)]) == 0
    assert main(["profiles", "select", "ana", "--data-dir", str(data)]) == 0
    capsys.readouterr()
    assert main(["run", str(_short_program(tmp_path)), "--simulate", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "profile ana (the current one; --profile to run as another)" in out
    log = read_session_log(next((data / "sessions").glob("*.jsonl")))
    assert log.header["profile"] == "ana"
    assert main(["history", "--data-dir", str(data)]) == 0
    assert capsys.readouterr().out.startswith("Sessions of ana (1)\n")

    # Guest current: the run is Guest's, and `history` (Guest: Guest's and nobody's) lists it.
    assert main(["profiles", "select", "Guest", "--data-dir", str(data)]) == 0
    capsys.readouterr()
    assert main(["run", str(_short_program(tmp_path)), "--simulate", "--data-dir", str(data)]) == 0
    assert "history: session " in capsys.readouterr().out
    assert main(["history", "--data-dir", str(data)]) == 0
    assert capsys.readouterr().out.startswith("Sessions of Guest or no profile (1)\n")


@pytest.mark.parametrize("damage", ["corrupt file", "hand-edited row"])
def test_run_with_a_profile_and_an_unusable_database_is_one_sentence(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    import sqlite3

    data = tmp_path / "data"
    if damage == "corrupt file":
        data.mkdir()
        (data / "history.sqlite3").write_bytes(b"not a database at all" * 100)
        expected = "the history database is corrupt"
    else:
        assert main(["profiles", "add", "ana", "--data-dir", str(data)]) == 0
        db = sqlite3.connect(data / "history.sqlite3", isolation_level=None)
        db.execute("UPDATE profiles SET created_at = 'last week' WHERE name = 'ana'")
        db.close()
        expected = "profile 'ana' has an unusable stored creation date"
    capsys.readouterr()
    code = main(
        ["run", str(_short_program(tmp_path)), "--simulate", "--profile", "ana",
         "--data-dir", str(data)]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 1
    assert err.startswith(f"treadctl: {data / 'history.sqlite3'}: ") and expected in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "state: running" not in out  # refused before the session


def test_a_simulated_run_is_never_exported_to_the_folder_or_uploaded(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """A watch's folder or a training log holds only what a person ran."""
    data, watch = tmp_path / "data", tmp_path / "watch"
    watch.mkdir()
    assert main(["profiles", "add", "ana", "--data-dir", str(data)]) == 0
    assert (
        main(["accounts", "export-folder", str(watch), "--profile", "ana", "--data-dir", str(data)])
        == 0
    )
    program = tmp_path / "p.toml"
    program.write_text(
        'name = "S"\n[[steps]]\ndirection = "forward"\nspeed = "3 km/h"\nduration = "20 s"\n'
    )
    code = main(["run", str(program), "--simulate", "--profile", "ana", "--data-dir", str(data)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert list(watch.iterdir()) == []
    assert "after the session" not in out


def test_after_the_session_lines_say_how_to_upload_what_asks() -> None:
    from pathlib import Path

    from treadctl.cli.run import _shared_lines
    from treadctl.upload import AfterSessionReport, FolderExport, Service

    report = AfterSessionReport(
        "s7",
        export=FolderExport(written=[Path("/w/a.fit")]),
        to_ask=[Service.STRAVA],
        problems=["intervals.icu: no answer"],
    )
    assert _shared_lines(report) == [
        "exported /w/a.fit",
        "intervals.icu: no answer",
        "Strava: not uploaded (set to ask): treadctl upload s7 --service strava",
    ]
