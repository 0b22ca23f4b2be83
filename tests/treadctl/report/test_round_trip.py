"""The acceptance test of ``--simulate --device``: a report of each virtual quirk profile, then
a report of the virtual treadmill shaped after it, are equal apart from their timestamps.

Both runs are real probes (the link over real GATT through Bleak) on virtual time, so the two
reports are made the same way a user's would be; nothing here waits for real.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

import pytest

from tests.helpers.ftms_client import run
from treadctl.clock import LoopClock
from treadctl.link import BleakBackends
from treadctl.report import parse_report, strip_timestamps
from treadctl.report.collect import collect_report
from treadctl.virtual.quirks import QUIRK_PROFILES
from treadctl.virtual.reported_device import reported_world
from treadctl.virtual.world import VirtualWorld


async def _probe(world: VirtualWorld, clock: LoopClock) -> dict[str, Any]:
    async with world:
        return await collect_report(
            world.treadmill_address, clock, BleakBackends.of(world), source="virtual"
        )


def _same(first: dict[str, Any], second: dict[str, Any]) -> None:
    a, b = (json.dumps(strip_timestamps(r), indent=1).splitlines() for r in (first, second))
    assert a == b, "\n".join(difflib.unified_diff(a, b, "original", "from its report", n=2))


@pytest.mark.parametrize("profile", sorted(QUIRK_PROFILES))
def test_a_report_of_the_shaped_treadmill_is_the_same_report(profile: str) -> None:
    async def scenario() -> None:
        clock = LoopClock()
        original = await _probe(VirtualWorld(clock, quirks=profile), clock)
        shape = parse_report(json.loads(json.dumps(original)), f"{profile}.json")
        again = await _probe(reported_world(clock, shape), clock)
        _same(original, again)
        # Not trivially: the report does describe this profile.
        assert original["rest"]["notifications"]
        assert original["gatt"]["services"]

    run(scenario)


VENDOR_SERVICE = "0000fff0-0000-1000-8000-00805f9b34fb"
VENDOR_128 = "49535343-fe7d-4ae5-8fa9-9fafd205e455"


def _fitshow_like(report: dict[str, Any]) -> dict[str, Any]:
    """A report of the standard profile, edited as a FitShow module's would read: a vendor
    service 0xFFF0 (mlervaag/treadmill-controller docs/TREADMILL_HARDWARE.md), a 128-bit
    vendor UUID advertised, manufacturer data and TX power, a characteristic that refuses
    reads, a withheld serial number, Request Control not supported and a Reset never answered."""
    edited: dict[str, Any] = json.loads(json.dumps(report))
    edited["advertisement"] = {
        "name": "FS-A1B2C3",
        "service_uuids": [
            "00001826-0000-1000-8000-00805f9b34fb",
            VENDOR_SERVICE,
            VENDOR_128,
        ],
        "service_data": {"00001826-0000-1000-8000-00805f9b34fb": "010100"},
        "manufacturer_data": {"0x0059": "0102"},
        "tx_power": -4,
    }
    dis_service = edited["gatt"]["services"][0]
    dis_service["characteristics"].append(
        {
            "uuid": "00002a25-0000-1000-8000-00805f9b34fb",
            "name": "Serial Number",
            "properties": ["read"],
            "value": None,
            "descriptors": [],
            "withheld": True,
        }
    )
    edited["gatt"]["services"].append(
        {
            "uuid": VENDOR_SERVICE,
            "characteristics": [
                {
                    "uuid": "0000fff1-0000-1000-8000-00805f9b34fb",
                    "properties": ["read", "write", "notify"],
                    "value": "aa01000155",
                    "descriptors": [
                        {
                            "uuid": "00002901-0000-1000-8000-00805f9b34fb",
                            "name": "Characteristic User Description",
                            "value": "737461747573",
                        },
                        {
                            "uuid": "00002902-0000-1000-8000-00805f9b34fb",
                            "name": "Client Characteristic Configuration",
                            "value": None,
                        },
                    ],
                },
                {
                    "uuid": "0000fff2-0000-1000-8000-00805f9b34fb",
                    "properties": ["read"],
                    "value": None,
                    "descriptors": [],
                    "read_error": "ATT error 0x02",
                    "att_error": 2,
                },
            ],
        }
    )
    not_supported = {
        "answer": "800002",
        "result": "OP_CODE_NOT_SUPPORTED",
        "error": None,
        "att_error": None,
    }
    edited["control_point"] = [
        {"t": 4.0, "request": "request_control", "written": "00", **not_supported},
        # Reset needs control: the link asks again, learns it is not needed, and goes on.
        {"t": 4.0, "request": "request_control", "written": "00", **not_supported},
        {
            "t": 4.0,
            "request": "reset",
            "written": "01",
            "answer": None,
            "result": None,
            "error": "no answer to RESET (op code 0x01) within 2 s",
            "att_error": None,
        },
    ]
    return edited


def test_a_real_devices_report_becomes_a_treadmill_probe_cannot_tell_apart() -> None:
    async def scenario() -> None:
        clock = LoopClock()
        edited = _fitshow_like(await _probe(VirtualWorld(clock), clock))
        shape = parse_report(edited, "fitshow.json")
        again = await _probe(reported_world(clock, shape), clock)
        for section in ("advertisement", "gatt", "device_information", "rest", "control_point"):
            assert strip_timestamps(again[section]) == strip_timestamps(edited[section]), section
        assert again["writes"] == again["control_point"]

    run(scenario)
