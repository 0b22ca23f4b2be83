"""`treadctl scan`, and the no-adapter message scan and probe share."""

from __future__ import annotations

import json
from typing import Any

import bleak
import pytest

from treadctl.cli import EXIT_NO_ADAPTER, EXIT_OK, main


def test_scan_simulate_lists_treadmill_and_strap(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--simulate", "--timeout", "0.5", "--json"]) == EXIT_OK
    found = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {(d["kind"], d["name"]) for d in found} == {
        ("treadmill", "Virtual Treadmill"),
        ("heart_rate", "Virtual HR"),
    }


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
