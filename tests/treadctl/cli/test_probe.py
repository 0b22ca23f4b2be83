"""`treadctl probe` against the virtual treadmill."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from treadctl.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main


def test_probe_simulate_streams_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "--simulate", "--duration", "1.2"]) == EXIT_OK
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["kind"] == "info"
    assert lines[0]["speed_range"] == {"min_kmh": 0.5, "max_kmh": 16.0, "increment_kmh": 0.1}
    assert "SPEED" in lines[0]["target_settings"]
    device = lines[0]["device_information"]
    assert (device["manufacturer"], device["model"]) == ("treadctl", "Virtual Treadmill")
    assert "serial_number" not in device
    samples = [line for line in lines if line["kind"] == "sample"]
    assert samples and samples[0]["speed_kmh"] == 0.0 and samples[0]["raw"]
    assert lines[-1]["kind"] == "disconnected"


def test_probe_needs_an_address(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe"]) == EXIT_USAGE
    assert "ADDRESS" in capsys.readouterr().out


def test_probe_report_on_the_virtual_treadmill(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "report.json"
    assert main(["probe", "--simulate", "--report", str(path), "--rest-seconds", "2"]) == EXIT_OK
    out = capsys.readouterr().out
    assert f"Device report written to {path}" in out and "no serial number" in out
    report = json.loads(path.read_text())
    assert (report["format"], report["version"], report["source"]) == (
        "treadctl-device-report",
        1,
        "virtual",
    )
    assert report["rest"]["seconds"] == 2 and len(report["rest"]["notifications"]) == 4
    assert report["guided"] is None


def test_probe_guided_needs_a_terminal_or_yes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "report.json"
    assert main(["probe", "--simulate", "--report", str(path), "--guided"]) == EXIT_USAGE
    assert "--yes" in capsys.readouterr().out
    assert not path.exists()
    assert main(["probe", "--simulate", "--guided", "--yes"]) == EXIT_USAGE  # no --report
    assert main(["probe", "--simulate", "--report", str(path), "--rest-seconds", "-1"]) == (
        EXIT_USAGE
    )


def test_probe_guided_with_yes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "report.json"
    argv = ["probe", "--simulate", "--report", str(path), "--guided", "--yes"]
    assert main(argv) == EXIT_OK
    out = capsys.readouterr().out
    assert out.index("MOVES THE BELT") < out.index("Device report written")
    assert "finding: Measured / commanded speed: 1.000." in out
    assert json.loads(path.read_text())["guided"]["stop_seen_still"] is True


def test_probe_report_never_replaces_a_file_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "report.json"
    path.write_text("my notes\n")
    argv = ["probe", "--simulate", "--report", str(path), "--guided", "--yes"]
    assert main(argv) == EXIT_FAILED
    out = capsys.readouterr().out
    # Refused before anything was asked of the treadmill: the guided test never moved the belt.
    assert "already exists" in out and "MOVES THE BELT" not in out
    assert path.read_text() == "my notes\n"
    assert main([*argv, "--force"]) == EXIT_OK
    assert json.loads(path.read_text())["guided"]["stop_seen_still"] is True


def test_probe_shows_a_fitshow_module_s_own_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "--simulate", "--quirks", "fitshow", "--duration", "1.2"]) == EXIT_OK
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert any("FitShow module" in note for note in lines[0]["notes"])
    (status,) = [line for line in lines if line["kind"] == "vendor_status"]  # told once
    assert status == {**status, "state": "IDLE", "error_code": None, "problem": None}
