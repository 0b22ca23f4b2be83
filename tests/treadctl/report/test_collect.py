"""Collecting a device report from the virtual treadmill, over real GATT through Bleak, on
virtual time: what is in it, what never is, and that the belt moves only when asked."""

from __future__ import annotations

import itertools
import json
from typing import Any

from bumble.gatt import Characteristic, Service

from protocols import device_information as dis
from protocols.ftms import OpCode, ResultCode
from tests.helpers.ftms_client import run
from tests.helpers.link import Trace
from treadctl.clock import LoopClock
from treadctl.link import BleakBackends
from treadctl.report import parse_report
from treadctl.report.collect import GUIDED_HOLD_S, collect_report
from treadctl.virtual.device_information import (
    VIRTUAL_TREADMILL_INFORMATION,
    device_information_service,
)
from treadctl.virtual.peripheral import FTMS_SERVICE_UUID, FtmsPeripheral
from treadctl.virtual.treadmill import MachineState
from treadctl.virtual.world import VirtualWorld

SERIAL = b"SN-0042-XYZ"
SYSTEM_ID = bytes.fromhex("f0000000000001fe")


class _WithSerial(FtmsPeripheral):
    """A treadmill whose DIS also serves a Serial Number and a System ID."""

    def _services(self, ftms_characteristics: list[Characteristic[Any]]) -> list[Service]:
        extra = {dis.SERIAL_NUMBER_UUID: SERIAL, dis.SYSTEM_ID_UUID: SYSTEM_ID}
        return [
            device_information_service(VIRTUAL_TREADMILL_INFORMATION, extra),
            Service(FTMS_SERVICE_UUID, ftms_characteristics),
        ]


async def _report(world: VirtualWorld, clock: LoopClock, **kw: Any) -> dict[str, Any]:
    report = await collect_report(
        world.treadmill_address, clock, BleakBackends.of(world), source="virtual", **kw
    )
    # What is written is JSON: it survives a round trip unchanged.
    assert json.loads(json.dumps(report)) == report
    return report


def test_a_report_at_rest_moves_nothing_and_keeps_nothing_private() -> None:
    async def scenario() -> None:
        clock = LoopClock()
        async with VirtualWorld(clock, peripheral=_WithSerial) as world:
            trace = Trace(world)
            report = await _report(world, clock, rest_seconds=3.0)
            assert trace.ops() == ["request_control", "reset"]  # and nothing else, ever
            assert world.model.state is MachineState.STOPPED
            assert world.model.snapshot().distance_m == 0.0
        text = json.dumps(report).lower()
        assert world.treadmill_address.lower() not in text
        assert world.treadmill_address.replace(":", "").lower() not in text
        assert "rssi" not in text
        assert SERIAL.hex() not in text and SYSTEM_ID.hex() not in text
        (dis_service, _ftms_service) = report["gatt"]["services"]
        withheld = [c for c in dis_service["characteristics"] if c.get("withheld")]
        assert [c["name"] for c in withheld] == ["Serial Number", "System ID"]
        assert all(c["value"] is None for c in withheld)
        assert report["device_information"]["model"] == "Virtual Treadmill"
        assert report["advertisement"] == {
            "name": "Virtual Treadmill",
            "service_uuids": ["00001826-0000-1000-8000-00805f9b34fb"],
            "service_data": {"00001826-0000-1000-8000-00805f9b34fb": "010100"},
            "manufacturer_data": {},
            "tx_power": None,
        }
        assert report["feature"]["target_settings"] == ["SPEED", "INCLINATION"]
        assert report["ranges"]["speed"]["raw"] == "320040060a00"
        # 2 Hz for 3 s at rest: six records, half a second apart, all at 0 km/h.
        rest = report["rest"]["notifications"]
        assert len(rest) == 6
        assert {n["decoded"]["speed_kmh"] for n in rest} == {0.0}
        assert [round(b["t"] - a["t"], 3) for a, b in itertools.pairwise(rest)] == [0.5] * 5
        assert [
            (c["request"], c["written"], c["answer"], c["result"]) for c in report["control_point"]
        ] == [
            ("request_control", "00", "800001", "SUCCESS"),
            ("reset", "01", "800101", "SUCCESS"),
        ]
        assert report["writes"] == report["control_point"]
        assert report["guided"] is None and report["findings"] == [] and report["deviations"] == {}
        parse_report(report)  # and it reads back

    run(scenario)


def test_refused_requests_are_recorded_as_answered() -> None:
    async def scenario() -> None:
        clock = LoopClock()
        async with VirtualWorld(clock) as world:
            world.treadmill.faults.refuse(ResultCode.OP_CODE_NOT_SUPPORTED, [OpCode.RESET])
            report = await _report(world, clock, rest_seconds=0.5)
        reset = report["control_point"][1]
        assert (reset["request"], reset["answer"], reset["result"]) == (
            "reset",
            "800102",
            "OP_CODE_NOT_SUPPORTED",
        )
        assert reset["error"] is None  # an answer came: a refusal, not a failure to answer

    run(scenario)


def test_the_guided_test_measures_the_belt_through_the_governor() -> None:
    asked: list[bool] = []

    async def confirm() -> bool:
        asked.append(True)
        return True

    async def scenario() -> None:
        clock = LoopClock()
        async with VirtualWorld(clock) as world:
            trace = Trace(world)
            report = await _report(world, clock, rest_seconds=1.0, guided=True, confirm=confirm)
            # Stopped, and seen still (at most the governor's still speed: it coasts on).
            assert world.model.state is MachineState.STOPPED
            assert world.model.snapshot().speed_kmh <= 0.1
            ops = trace.ops()
        assert asked == [True]
        guided = report["guided"]
        assert guided["run"] and guided["end"] == "stopped" and guided["stop_seen_still"]
        assert guided["steps"] == [
            {"label": "slowest", "commanded_kmh": 0.5, "measured_kmh": 0.5, "cut_short": False},
            {"label": "one step up", "commanded_kmh": 1.5, "measured_kmh": 1.5, "cut_short": False},
        ]
        # The governor's slow start and ramp: never a jump, and a stop at the end.
        assert ops[:2] == ["request_control", "reset"]
        assert "start_or_resume" in ops and ops[-1] == "stop"
        sent = [
            int.from_bytes(bytes.fromhex(w["written"])[1:3], "little") / 100
            for w in report["writes"]
            if w["request"] == "set_target_speed"
        ]
        assert sent == [0.5, 0.5, 1.0, 1.5]  # ramped at 0.5 km/h a second by the governor
        assert [w["request"] for w in report["writes"]][-1] == "stop"
        assert [f["kind"] for f in report["findings"]] == ["speed_ratio"]
        assert report["findings"][0]["ratio"] == 1.0
        samples = guided["samples"]
        assert samples and samples[-1]["speed_kmh"] <= 0.1
        assert samples[-1]["t"] - samples[0]["t"] >= 2 * GUIDED_HOLD_S
        assert max(s["speed_kmh"] for s in samples) <= 1.5

    run(scenario)


def test_a_guided_test_not_confirmed_moves_nothing() -> None:
    async def no() -> bool:
        return False

    async def scenario() -> None:
        clock = LoopClock()
        async with VirtualWorld(clock) as world:
            trace = Trace(world)
            report = await _report(world, clock, rest_seconds=0.5, guided=True, confirm=no)
            assert trace.ops() == ["request_control", "reset"]
        assert report["guided"] == {"run": False, "reason": "not confirmed: the belt was not moved"}

    run(scenario)


def test_no_guided_test_without_speed_control() -> None:
    async def yes() -> bool:
        raise AssertionError("never asked: there is nothing to test")

    async def scenario() -> None:
        clock = LoopClock()
        async with VirtualWorld(clock, quirks="no-ranges") as world:
            report = await _report(world, clock, rest_seconds=0.5, guided=True, confirm=yes)
        assert report["guided"]["run"] is False
        assert "no speed control" in report["guided"]["reason"]
        assert report["ranges"] == {"speed": None, "inclination": None}
        assert any("no supported speed range" in n for n in report["link_notes"])

    run(scenario)


def test_a_guided_test_on_a_treadmill_refusing_speed_stops_and_says_so() -> None:
    async def yes() -> bool:
        return True

    async def scenario() -> None:
        clock = LoopClock()
        async with VirtualWorld(clock) as world:
            world.treadmill.faults.refuse(ResultCode.OPERATION_FAILED, [OpCode.SET_TARGET_SPEED])
            report = await _report(world, clock, rest_seconds=0.5, guided=True, confirm=yes)
            assert world.model.state is MachineState.STOPPED
        guided = report["guided"]
        kinds = [f["kind"] for f in report["findings"]]
        # The governor stopped the belt on the failed command, before anything was measured.
        assert kinds == ["test_cut_short", "command_failed", "safety_notice"]
        assert report["findings"][0]["steps_measured"] == 0
        assert all(step["cut_short"] for step in guided["steps"])
        assert "SET_TARGET_SPEED" in report["findings"][1]["why"]
        assert report["findings"][2]["notice"] == "command_failed"
        assert guided["stop_seen_still"] and guided["end"] == "stopped"
        # Speed refused while stopped: the link starts first (Start succeeds) and asks again.
        requests = [w["request"] for w in report["writes"]]
        assert requests[-5:] == [
            "set_target_speed",
            "stop",
            "start_or_resume",
            "set_target_speed",
            "stop",
        ]
        assert report["writes"][-2]["result"] == "OPERATION_FAILED"

    run(scenario)
