"""``--simulate --device FILE`` on the command line: probe, run and the app's entry take a
device report's treadmill; a bad report is one line naming the file and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from treadctl.cli import EXIT_OK, EXIT_USAGE, main
from treadctl.device_shape import DeviceShape
from treadctl.report import strip_timestamps


def _report(tmp_path: Path, name: str, *argv: str) -> dict[str, Any]:
    path = tmp_path / name
    assert main(["probe", "--simulate", *argv, "--report", str(path)]) == EXIT_OK
    report: dict[str, Any] = json.loads(path.read_text())
    return report


def test_probe_cannot_tell_the_shaped_treadmill_from_the_original(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = _report(tmp_path, "urevo.json", "--quirks", "urevo-e1l")
    again = _report(tmp_path, "again.json", "--device", str(tmp_path / "urevo.json"))
    assert strip_timestamps(again) == strip_timestamps(original)
    assert original["ranges"]["speed"]["increment_kmh"] == 0.32  # the profile's own, kept


def test_a_run_on_a_device_report_uses_its_ranges(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from treadctl.recorder import read_session_log

    _report(tmp_path, "urevo.json", "--quirks", "urevo-e1l")
    capsys.readouterr()
    program = tmp_path / "p.toml"
    program.write_text(
        'name = "Short"\n[[steps]]\ndirection = "forward"\nspeed = "3 km/h"\nduration = "20 s"\n'
    )
    data = tmp_path / "data"
    argv = ["run", str(program), "--simulate", "--device", str(tmp_path / "urevo.json")]
    code = main([*argv, "--data-dir", str(data)])
    assert code == EXIT_OK, capsys.readouterr().out
    log = read_session_log(next((data / "sessions").glob("*.jsonl")))
    speeds = [r["speed_kmh"] for r in log.of_kind("sample") if r["speed_kmh"] is not None]
    # The report's speed grid (0.96 km/h + k × 0.32): 3 km/h is sent as 2.88, never above.
    assert max(speeds) == pytest.approx(2.88)


def test_a_bad_report_is_one_line_naming_the_file_and_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _report(tmp_path, "r.json")
    report["gatt"]["services"][1]["characteristics"][0]["properties"] = "read"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(report))
    capsys.readouterr()
    for argv in (
        ["probe", "--simulate", "--device", str(bad), "--report", str(tmp_path / "x.json")],
        ["probe", "--simulate", "--device", str(bad), "--duration", "1"],
        ["run", "01-backward-walk-week-1", "--simulate", "--device", str(bad)],
    ):
        assert main(argv) == EXIT_USAGE
        err = capsys.readouterr().err
        assert err == (
            f"treadctl: unusable device report: {bad}: "
            "gatt.services[1].characteristics[0].properties: expected a list, got a string\n"
        )


def test_device_needs_the_simulation_and_no_quirks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _report(tmp_path, "r.json")
    path = str(tmp_path / "r.json")
    assert main(["probe", "F0:00:00:00:00:01", "--device", path, "--duration", "1"]) == EXIT_USAGE
    assert "--device FILE needs --simulate" in capsys.readouterr().err
    argv = ["probe", "--simulate", "--quirks", "matrix", "--device", path, "--duration", "1"]
    assert main(argv) == EXIT_USAGE
    assert "give one" in capsys.readouterr().err


def test_the_app_opens_on_a_device_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _report(tmp_path, "r.json", "--quirks", "kingsmith")
    opened: list[dict[str, Any]] = []

    def app(**kwargs: Any) -> int:
        opened.append(kwargs)
        return 0

    assert main(["--simulate", "--device", str(tmp_path / "r.json")], app=app) == 0
    (kwargs,) = opened
    assert kwargs["simulate"] is True
    device = kwargs["device"]
    assert isinstance(device, DeviceShape) and device.name == "KS-HD-Z1D"
    # A bad one never opens the window.
    (tmp_path / "bad.json").write_text("{}")
    assert main(["--simulate", "--device", str(tmp_path / "bad.json")], app=app) == EXIT_USAGE
    assert len(opened) == 1
    assert "bad.json: format: expected 'treadctl-device-report'" in capsys.readouterr().err
