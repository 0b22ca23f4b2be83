"""The command line: version, scan and probe against the virtual treadmill, no-adapter message."""

from __future__ import annotations

import json
from typing import Any

import bleak
import pytest

from treadctl import __version__
from treadctl.cli import EXIT_NO_ADAPTER, EXIT_OK, EXIT_USAGE, main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"treadctl {__version__}"


def test_version_is_the_packaged_one() -> None:
    # The package states its version as a constant (cheap at startup); the project's metadata
    # (pyproject) is what gets published. They must not drift apart.
    from importlib.metadata import version

    assert __version__ == version("treadctl")


def test_scan_simulate_lists_treadmill_and_strap(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--simulate", "--timeout", "0.5", "--json"]) == EXIT_OK
    found = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {(d["kind"], d["name"]) for d in found} == {
        ("treadmill", "Virtual Treadmill"),
        ("heart_rate", "Virtual HR"),
    }


def test_probe_simulate_streams_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "--simulate", "--duration", "1.2"]) == EXIT_OK
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["kind"] == "info"
    assert lines[0]["speed_range"] == {"min_kmh": 0.5, "max_kmh": 16.0, "increment_kmh": 0.1}
    assert "SPEED" in lines[0]["target_settings"]
    samples = [line for line in lines if line["kind"] == "sample"]
    assert samples and samples[0]["speed_kmh"] == 0.0 and samples[0]["raw"]
    assert lines[-1]["kind"] == "disconnected"


def test_probe_needs_an_address(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe"]) == EXIT_USAGE
    assert "ADDRESS" in capsys.readouterr().out


def test_no_adapter_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stands in for the operating system's Bluetooth service (outside the project): on Linux
    # without BlueZ, Bleak fails to reach the D-Bus socket with FileNotFoundError.
    async def no_bluez(*args: Any, **kwargs: Any) -> Any:
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(bleak.BleakScanner, "discover", no_bluez)
    monkeypatch.setattr(bleak.BleakScanner, "find_device_by_address", no_bluez)
    assert main(["scan"]) == EXIT_NO_ADAPTER
    assert main(["probe", "AA:BB:CC:DD:EE:FF"]) == EXIT_NO_ADAPTER
    err = capsys.readouterr().err
    assert err.count("no usable Bluetooth adapter") == 2
    assert "Traceback" not in err and "--simulate" in err


def test_export_by_id_and_all(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from treadctl.clock import ManualClock
    from treadctl.limits import Direction
    from treadctl.recorder import SessionRecorder

    logs = tmp_path / "logs"
    recorder = SessionRecorder(logs, ManualClock(), session_id="abc123")
    recorder.start({"program": None, "profile": "ana", "limits": {}})
    recorder.segment(
        index=0,
        label="Walk",
        direction=Direction.BACKWARD,
        target_speed_kmh=2.0,
        target_incline_pct=0.0,
    )
    for i in range(3):
        recorder.sample(
            speed_kmh=2.0,
            incline_pct=0.0,
            distance_m=i,
            elapsed_s=i,
            energy_kcal=0.1 * i,
            heart_rate_bpm=None,
            direction=Direction.BACKWARD,
            segment=0,
            at=float(i),
        )
    recorder.close("completed", {})
    out = tmp_path / "out"
    assert (
        main(["export", "abc123", "--format", "csv", "-o", str(out), "--log-dir", str(logs)]) == 0
    )
    written = capsys.readouterr().out.split()
    assert len(written) == 1 and written[0].endswith(".csv")
    rows = (out / written[0].split("/")[-1]).read_text().splitlines()
    assert rows[0].startswith("time_s") and len(rows) == 4
    assert (
        main(
            [
                "export",
                "--all",
                "--profile",
                "ana",
                "--format",
                "fit",
                "-o",
                str(out),
                "--log-dir",
                str(logs),
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.strip().endswith(".fit")
    assert main(["export", "nope", "--format", "tcx", "--log-dir", str(logs)]) == 1
    assert "no session log" in capsys.readouterr().out


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
            "--time-scale",
            "20",
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
