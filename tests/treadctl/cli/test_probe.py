"""`treadctl probe` against the virtual treadmill."""

from __future__ import annotations

import json

import pytest

from treadctl.cli import EXIT_OK, EXIT_USAGE, main


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
