"""The device report format: what is written, what is read back, and errors naming the field."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from protocols import ftms
from protocols.device_information import MODEL_NUMBER_UUID, SERIAL_NUMBER_UUID
from treadctl.device_shape import (
    Advertisement,
    ControlExchange,
    DeviceShape,
    GattCharacteristic,
    GattDescriptor,
    GattService,
    Notification,
)
from treadctl.report import (
    FORMAT,
    VERSION,
    Finding,
    ReportError,
    parse_report,
    read_report,
    report_json,
    strip_timestamps,
)

FFF0 = "0000fff0-0000-1000-8000-00805f9b34fb"
FFF1 = "0000fff1-0000-1000-8000-00805f9b34fb"
USER_DESCRIPTION = "00002901-0000-1000-8000-00805f9b34fb"
CCCD = "00002902-0000-1000-8000-00805f9b34fb"

SHAPE = DeviceShape(
    advertisement=Advertisement(
        name="FS-A1B2C3",
        service_uuids=(ftms.FITNESS_MACHINE_SERVICE_UUID, FFF0),
        service_data=((ftms.FITNESS_MACHINE_SERVICE_UUID, bytes.fromhex("010100")),),
        manufacturer_data=((0x0059, bytes.fromhex("0102")),),
        tx_power=-4,
    ),
    services=(
        GattService(
            "0000180a-0000-1000-8000-00805f9b34fb",
            (
                GattCharacteristic(MODEL_NUMBER_UUID, ("read",), b"FS-BT-T4"),
                GattCharacteristic(SERIAL_NUMBER_UUID, ("read",), withheld=True),
            ),
        ),
        GattService(
            ftms.FITNESS_MACHINE_SERVICE_UUID,
            (
                GattCharacteristic(
                    ftms.FITNESS_MACHINE_FEATURE_UUID, ("read",), bytes.fromhex("0d16000003000000")
                ),
                GattCharacteristic(
                    ftms.TREADMILL_DATA_UUID, ("notify",), descriptors=(GattDescriptor(CCCD),)
                ),
                GattCharacteristic(
                    ftms.SUPPORTED_SPEED_RANGE_UUID, ("read",), bytes.fromhex("320040060a00")
                ),
            ),
        ),
        GattService(
            FFF0,
            (
                GattCharacteristic(
                    FFF1,
                    ("read", "write", "notify"),
                    None,
                    (GattDescriptor(CCCD), GattDescriptor(USER_DESCRIPTION, b"status")),
                    read_error="ATT error 0x02",
                    att_error=0x02,
                ),
            ),
        ),
    ),
    mtu=185,
    rest_seconds=2.0,
    rest=(
        Notification(0.5, ftms.TREADMILL_DATA_UUID, bytes.fromhex("0000")),
        Notification(0.9, ftms.FITNESS_MACHINE_STATUS_UUID, bytes.fromhex("0201")),
    ),
    control=(
        ControlExchange(2.1, "request_control", b"\x00", bytes.fromhex("800001"), "SUCCESS"),
        ControlExchange(2.2, "reset", b"\x01", None, None, "ATT error 0xFD", 0xFD),
    ),
)
CREATED = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _report(**kw: Any) -> dict[str, Any]:
    return report_json(SHAPE, created=CREATED, source="bluetooth", **kw)


def test_a_report_reads_back_as_its_shape(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(_report()))
    assert read_report(path) == SHAPE


def test_what_a_report_says_for_a_person() -> None:
    report = _report(
        findings=(Finding("speed_ratio", "Measured / commanded speed: 1.609.", {"ratio": 1.609}),)
    )
    assert (
        (report["format"], report["version"])
        == (FORMAT, VERSION)
        == (
            "treadctl-device-report",
            1,
        )
    )
    assert report["created"] == "2025-03-01T12:00:00Z"
    assert report["advertisement"]["manufacturer_data"] == {"0x0059": "0102"}
    assert report["device_information"]["model"] == "FS-BT-T4"
    assert report["feature"]["target_settings"] == ["SPEED", "INCLINATION"]
    assert report["ranges"]["speed"]["min_kmh"] == 0.5 and report["ranges"]["inclination"] is None
    status = report["rest"]["notifications"][1]
    assert status["name"] == "Fitness Machine Status"
    assert status["decoded"] == {"op": "STOPPED_OR_PAUSED_BY_USER", "value": 1}
    # Flags 0x0000 promise a speed the two bytes do not hold: said, never read as 0 km/h.
    assert report["rest"]["notifications"][0]["decoded"] == {"more_data": False, "truncated": True}
    serial = report["gatt"]["services"][0]["characteristics"][1]
    assert serial == {
        "uuid": SERIAL_NUMBER_UUID,
        "name": "Serial Number",
        "properties": ["read"],
        "value": None,
        "descriptors": [],
        "withheld": True,
    }
    assert report["findings"] == [
        {"kind": "speed_ratio", "text": "Measured / commanded speed: 1.609.", "ratio": 1.609}
    ]
    assert report["deviations"] == {} and report["guided"] is None
    # Parses back as the same shape, with the speed ratio of the guided test kept.
    assert parse_report(report).speed_ratio == 1.609


def test_writing_is_deterministic_and_only_timestamps_differ() -> None:
    first = _report()
    later = report_json(SHAPE, created=datetime(2026, 1, 1, tzinfo=UTC), source="bluetooth")
    assert json.dumps(first) != json.dumps(later)
    assert strip_timestamps(first) == strip_timestamps(later)
    assert "created" not in strip_timestamps(first)
    assert all("t" not in n for n in strip_timestamps(first)["rest"]["notifications"])


def _broken(change: Any) -> dict[str, Any]:
    report = copy.deepcopy(_report())
    change(report)
    return report


def _set(path: str, value: Any) -> Any:
    def change(report: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node: Any = report
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is KeyError:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return change


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (_set("format", "qz-log"), "format", "expected 'treadctl-device-report'"),
        (_set("version", 2), "version", "reads version 1"),
        (_set("gatt", KeyError), "gatt", "missing"),
        (_set("gatt/services", {}), "gatt.services", "expected a list"),
        (_set("gatt/services", []), "gatt.services", "no services"),
        (
            _set("gatt/services/1/characteristics/0/properties/0", "readable"),
            "gatt.services[1].characteristics[0].properties[0]",
            "unknown property 'readable'",
        ),
        (
            _set("gatt/services/1/characteristics/0/value", "0d1g"),
            "gatt.services[1].characteristics[0].value",
            "hexadecimal",
        ),
        (_set("gatt/services/2/uuid", "fff0"), "gatt.services[2].uuid", "128-bit UUID"),
        (_set("gatt/mtu", "185"), "gatt.mtu", "whole number"),
        (_set("rest/seconds", None), "rest.seconds", "expected a number"),
        (
            _set("rest/notifications/0/raw", KeyError),
            "rest.notifications[0].raw",
            "missing",
        ),
        (
            _set("control_point/0/written", 0),
            "control_point[0].written",
            "expected a string",
        ),
        (
            _set("advertisement/manufacturer_data", {"Nordic": "00"}),
            "advertisement.manufacturer_data.Nordic",
            "company identifier",
        ),
        (_set("deviations", {"speed_in_mph": {"a": 1}}), "deviations.speed_in_mph", "plain value"),
        (
            _set("gatt/services/0/characteristics/1/withheld", "yes"),
            "gatt.services[0].characteristics[1].withheld",
            "true or false",
        ),
    ],
)
def test_a_bad_report_names_the_file_and_the_field(
    tmp_path: Path, change: Any, field: str, problem: str
) -> None:
    path = tmp_path / "kingsmith.json"
    path.write_text(json.dumps(_broken(change)))
    with pytest.raises(ReportError) as error:
        read_report(path)
    assert error.value.field == field
    assert problem in error.value.problem
    assert str(error.value).startswith(f"{path}: {field}: ")
    assert "\n" not in str(error.value)


def test_a_file_that_is_not_a_report(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_text("2025-03-01 >> 02 32 00 // speed\n")
    with pytest.raises(ReportError, match=r"log\.txt: not JSON \(line 1"):
        read_report(path)
    with pytest.raises(ReportError, match="cannot be read"):
        read_report(tmp_path / "missing.json")
    with pytest.raises(ReportError, match="expected an object, got a list"):
        parse_report([], "x.json")
