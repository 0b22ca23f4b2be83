"""The virtual FTMS treadmill, driven over real GATT by the real `bleak.BleakClient`.

Each test runs a `VirtualWorld` on a `ManualClock` in its own event loop: data flows only when
the test advances the clock, and every wait is on a queue bounded by `WAIT` seconds. Where a
test must show that something did *not* arrive, it first makes a GATT read round trip
(`barrier`): notifications sent before the read's response are delivered before it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakGATTProtocolError
from bumble import att

from protocols import ParseError
from protocols.ftms import (
    FITNESS_MACHINE_CONTROL_POINT_UUID,
    FITNESS_MACHINE_FEATURE_UUID,
    FITNESS_MACHINE_SERVICE_UUID,
    FITNESS_MACHINE_STATUS_UUID,
    SUPPORTED_INCLINATION_RANGE_UUID,
    SUPPORTED_SPEED_RANGE_UUID,
    TRAINING_STATUS_UUID,
    TREADMILL_DATA_UUID,
    ControlPointResponse,
    FitnessMachineFeature,
    InclinationRange,
    MachineFeature,
    MachineStatus,
    OpCode,
    RecordAssembler,
    RequestControl,
    Reset,
    ResultCode,
    ServiceData,
    SetTargetInclination,
    SetTargetSpeed,
    SpeedRange,
    StartOrResume,
    StatusOp,
    StopOrPause,
    TargetSettingFeature,
    TrainingStatus,
    TrainingStatusCode,
    TreadmillData,
    TreadmillDataFlags,
)
from tests.helpers.ftms_client import (
    WAIT,
    FtmsTestClient,
    connect,
    controlling,
    get,
    other_app,
    run,
)
from treadctl.clock import ManualClock, ScaledClock
from treadctl.virtual.peripheral import (
    FEATURES,
    QUIRK_PROFILES,
    Faults,
    FtmsPeripheral,
    Quirks,
    quirks_by_name,
)
from treadctl.virtual.treadmill import MachineState, TreadmillModel, TreadmillSpec
from treadctl.virtual.world import VirtualWorld

SECOND_ADDRESS = "F0:00:00:00:00:03"


@asynccontextmanager
async def world_of(**kwargs: Any) -> AsyncIterator[tuple[VirtualWorld, ManualClock]]:
    clock = ManualClock()
    async with VirtualWorld(clock, **kwargs) as world:
        yield world, clock


async def barrier(client: FtmsTestClient) -> None:
    """Everything the treadmill sent before now has reached the client's queues."""
    await client.read(FITNESS_MACHINE_FEATURE_UUID)


def belt_state(world: VirtualWorld) -> MachineState:
    return world.model.state  # a call, so mypy does not narrow it across awaits


def status(op: StatusOp, value: Any = None, trailing: bytes = b"") -> MachineStatus:
    return MachineStatus(op, value, trailing)


# -- advertising, feature, ranges --------------------------------------------------------------


def test_advertisement_is_found_and_decodes_to_an_available_treadmill() -> None:
    async def scenario() -> None:
        async with world_of(name="VTM") as (world, _clock):
            seen: asyncio.Queue[tuple[BLEDevice, AdvertisementData]] = asyncio.Queue()
            async with BleakScanner(
                lambda d, ad: seen.put_nowait((d, ad)),
                service_uuids=[FITNESS_MACHINE_SERVICE_UUID],
                backend=world.scanner_backend(),
            ):
                device, adv = await get(seen)
        assert device.address == world.treadmill_address == "F0:00:00:00:00:01"
        assert adv.local_name == "VTM"
        assert adv.service_uuids == [FITNESS_MACHINE_SERVICE_UUID]
        service_data = ServiceData.from_bytes(adv.service_data[FITNESS_MACHINE_SERVICE_UUID])
        assert service_data == ServiceData()
        assert service_data.available and service_data.is_treadmill

    run(scenario)


def test_feature_ranges_and_properties_are_served() -> None:
    spec = TreadmillSpec(
        min_speed_kmh=0.8, max_speed_kmh=12.0, speed_increment_kmh=0.1, min_incline_pct=-3.0
    )

    async def scenario() -> None:
        async with world_of(spec=spec) as (world, _clock), connect(world) as c:
            feature = FitnessMachineFeature.from_bytes(await c.read(FITNESS_MACHINE_FEATURE_UUID))
            assert feature == FEATURES
            assert feature.machine_features == (
                MachineFeature.AVERAGE_SPEED
                | MachineFeature.TOTAL_DISTANCE
                | MachineFeature.INCLINATION
                | MachineFeature.EXPENDED_ENERGY
                | MachineFeature.HEART_RATE_MEASUREMENT
                | MachineFeature.ELAPSED_TIME
            )
            assert feature.target_settings == (
                TargetSettingFeature.SPEED | TargetSettingFeature.INCLINATION
            )
            speeds = SpeedRange.from_bytes(await c.read(SUPPORTED_SPEED_RANGE_UUID))
            assert speeds == SpeedRange(0.8, 12.0, 0.1)
            inclines = InclinationRange.from_bytes(await c.read(SUPPORTED_INCLINATION_RANGE_UUID))
            assert inclines == InclinationRange(-3.0, 15.0, 0.5)
            training = TrainingStatus.from_bytes(await c.read(TRAINING_STATUS_UUID))
            assert training == TrainingStatus(TrainingStatusCode.IDLE)

            service = c.client.services.get_service(FITNESS_MACHINE_SERVICE_UUID)
            assert service is not None
            properties = {ch.uuid: ch.properties for ch in service.characteristics}
            assert properties == {
                FITNESS_MACHINE_FEATURE_UUID: ["read"],
                TREADMILL_DATA_UUID: ["notify"],
                TRAINING_STATUS_UUID: ["read", "notify"],
                SUPPORTED_SPEED_RANGE_UUID: ["read"],
                SUPPORTED_INCLINATION_RANGE_UUID: ["read"],
                FITNESS_MACHINE_CONTROL_POINT_UUID: ["write", "indicate"],
                FITNESS_MACHINE_STATUS_UUID: ["notify"],
            }

    run(scenario)


# -- Treadmill Data ---------------------------------------------------------------------------


def test_data_notifications_decode_and_follow_the_model() -> None:
    async def scenario() -> None:
        async with world_of() as (world, clock), connect(world) as c:
            await c.subscribe(status=False, training=False, control=False)
            assert world.treadmill.console_set_speed(4.0) is ResultCode.SUCCESS
            assert world.treadmill.console_start() is ResultCode.SUCCESS
            speeds = []
            for _ in range(12):  # 6 s at 2 Hz: the belt ramps up at 1 km/h/s to 4 km/h
                await clock.advance(0.5)
                record = await c.next_record()
                assert record == world.treadmill.record()
                assert record.speed_kmh == pytest.approx(world.model.snapshot().speed_kmh)
                speeds.append(record.speed_kmh)
            assert speeds[:3] == [0.5, 1.0, 1.5]
            assert speeds[-1] == 4.0
            last = world.treadmill.record()
            assert last.elapsed_time_s == 6
            assert last.total_distance_m == int(world.model.snapshot().distance_m) > 0
            assert last.inclination_pct == 0.0
            assert last.ramp_angle_deg is None  # sent as "not available"
            assert last.energy_per_hour_kcal is None and last.energy_per_minute_kcal is None
            assert last.heart_rate_bpm is None
            distance = world.model.snapshot().distance_m
            assert last.average_speed_kmh == pytest.approx(distance / 6 * 3.6, abs=0.01)

            world.treadmill.heart_rate_bpm = 131
            await clock.advance(0.5)
            assert (await c.next_record()).heart_rate_bpm == 131

    run(scenario)


@pytest.mark.parametrize("rate", [1.0, 2.0, 10.0])
def test_data_rate_is_configurable(rate: float) -> None:
    async def scenario() -> None:
        async with world_of(data_rate_hz=rate) as (world, clock), connect(world) as c:
            await c.subscribe(status=False, training=False, control=False)
            await clock.advance(3.0)
            await barrier(c)
            assert c.data.qsize() == int(3 * rate)

    run(scenario)


def test_bad_configuration_is_refused() -> None:
    model = TreadmillModel()
    clock = ManualClock()
    for rate in (0.5, 10.5):
        with pytest.raises(ValueError, match="data rate"):
            FtmsPeripheral(model, clock, data_rate_hz=rate)
    with pytest.raises(ValueError, match="max_fragment_size"):
        FtmsPeripheral(model, clock, max_fragment_size=6)
    with pytest.raises(ValueError, match="max_connections"):
        FtmsPeripheral(model, clock, max_connections=0)
    with pytest.raises(ValueError, match="known profiles: fitshow, kingsmith"):
        quirks_by_name("peloton")


def test_records_split_into_more_data_fragments_and_reassemble() -> None:
    async def scenario() -> None:
        async with world_of(max_fragment_size=9) as (world, clock), connect(world) as c:
            await c.subscribe(status=False, training=False, control=False)
            world.treadmill.heart_rate_bpm = 99
            world.treadmill.console_start()
            await clock.advance(0.5)
            await barrier(c)
            raw = [c.data.get_nowait() for _ in range(c.data.qsize())]
            fragments = [TreadmillData.from_bytes(r) for r in raw]
            assert len(fragments) > 2
            assert all(len(r) <= 9 for r in raw)
            assert [f.more_data for f in fragments] == [True] * (len(fragments) - 1) + [False]
            assert [f.speed_kmh is not None for f in fragments] == [False] * (
                len(fragments) - 1
            ) + [True]
            assembler = RecordAssembler()
            merged = [assembler.feed(r) for r in raw]
            assert merged[:-1] == [None] * (len(raw) - 1)
            assert merged[-1] == world.treadmill.record()

    run(scenario)


@pytest.mark.parametrize("limit", [7, 8, 10, 12, 16, 20, 21, 244])
@pytest.mark.parametrize("quirks", ["standard", "matrix", "technogym", "urevo-e1l"])
def test_fragments_fit_the_limit_and_merge_back(limit: int, quirks: str) -> None:
    model = TreadmillModel()
    peripheral = FtmsPeripheral(model, ManualClock(), quirks=quirks)
    peripheral.heart_rate_bpm = 150
    model.console_start()
    model.advance_to(30.0)
    record = peripheral.record()
    parts = peripheral.fragments(record, limit)
    split_quirk = QUIRK_PROFILES[quirks].split_after is not None
    # The trailing step count only ever rides in the last fragment.
    extra = len(record.trailing)
    assert all(len(bytes(p)) <= limit for p in parts[:-1])
    assert len(bytes(parts[-1])) <= max(limit, 4 + extra + 2)
    assert [p.more_data for p in parts] == [True] * (len(parts) - 1) + [False]
    if limit >= 21 + extra and not split_quirk:
        assert parts == [record]  # fits: one notification, More Data clear
    assembler = RecordAssembler()
    merged = [assembler.feed(bytes(p)) for p in parts]
    assert merged[-1] == record


def test_split_quirk_with_nothing_after_the_split_point_sends_the_speed_alone() -> None:
    peripheral = FtmsPeripheral(TreadmillModel(), ManualClock(), quirks="technogym")
    record = TreadmillData(speed_kmh=2.0, average_speed_kmh=1.5, total_distance_m=12)
    first, last = peripheral.fragments(record, 244)
    assert first == TreadmillData(more_data=True, average_speed_kmh=1.5, total_distance_m=12)
    assert last == TreadmillData(speed_kmh=2.0)


def test_a_record_longer_than_mtu_minus_3_is_split() -> None:
    # With heart rate the record is 21 bytes: one more than the default ATT MTU (23) allows.
    model = TreadmillModel()
    peripheral = FtmsPeripheral(model, ManualClock())
    peripheral.heart_rate_bpm = 120
    record = peripheral.record()
    assert len(bytes(record)) == 21
    first, last = peripheral.fragments(record, 20)
    assert first.more_data and not last.more_data
    assert last.speed_kmh == 0.0


# -- Control Point rules ----------------------------------------------------------------------


def test_command_before_request_control_is_refused_with_0x05() -> None:
    async def scenario() -> None:
        async with world_of() as (world, _clock), connect(world) as c:
            await c.subscribe()
            for request in (SetTargetSpeed(3.0), StartOrResume(), Reset(), StopOrPause()):
                answer = await c.command(request)
                assert answer == answer.__class__(request.op, ResultCode.CONTROL_NOT_PERMITTED)
            assert belt_state(world) is MachineState.STOPPED
            assert (await c.command(RequestControl())).ok
            assert (await c.command(StartOrResume())).ok
            assert belt_state(world) is MachineState.RUNNING

    run(scenario)


def test_write_without_indications_enabled_is_an_att_error() -> None:
    async def scenario() -> None:
        async with world_of() as (world, _clock), connect(world) as c:
            trace: list[dict[str, Any]] = []
            world.treadmill.add_trace_listener(trace.append)
            await c.subscribe(control=False)
            with pytest.raises(BleakGATTProtocolError) as raised:
                await c.write(RequestControl())
            assert int(raised.value.code) == int(att.ErrorCode.CCCD_IMPROPERLY_CONFIGURED) == 0xFD
            assert world.treadmill.controller is None
            assert trace[-1]["result"] == "cccd_improperly_configured"
            # An ATT error starts no procedure: once subscribed, the same write works.
            await c.subscribe(data=False, status=False, training=False)
            assert (await c.command(RequestControl())).ok

    run(scenario)


def test_malformed_parameter_is_invalid_parameter() -> None:
    async def scenario() -> None:
        async with world_of() as (world, _clock), connect(world) as c:
            await controlling(c)
            for raw in ("0264", "026400ff", "0301", "08", "0803", "0800", "0001", "0701"):
                answer = await c.command(bytes.fromhex(raw))
                assert answer.request_op == int(raw[:2], 16)
                assert answer.result is ResultCode.INVALID_PARAMETER, raw
            # Out of the supported range is the model's Invalid Parameter.
            assert (await c.command(SetTargetSpeed(30.0))).result is ResultCode.INVALID_PARAMETER
            assert world.model.snapshot().target_speed_kmh == 0.0

    run(scenario)


def test_unknown_or_unsupported_op_is_op_code_not_supported() -> None:
    async def scenario() -> None:
        async with world_of() as (world, _clock), connect(world) as c:
            await c.subscribe()
            # Whether or not the client has control: it is about what the machine can do.
            for raw in ("15", "7f", "ff01", "0464", "05c800", "1301"):
                answer = await c.command(bytes.fromhex(raw))
                assert answer.request_op == int(raw[:2], 16)
                assert answer.result is ResultCode.OP_CODE_NOT_SUPPORTED

    run(scenario)


def test_empty_write_is_an_att_error() -> None:
    async def scenario() -> None:
        async with world_of() as (world, _clock), connect(world) as c:
            await controlling(c)
            with pytest.raises(BleakGATTProtocolError) as raised:
                await c.write(b"")
            assert int(raised.value.code) == int(att.ErrorCode.INVALID_ATTRIBUTE_LENGTH)

    run(scenario)


def test_full_control_sequence_with_two_clients() -> None:
    """The controller gets answers; the other client gets Machine Status (FTMS §4.17.1)."""

    async def scenario() -> None:
        async with (
            world_of(max_connections=2) as (world, clock),
            connect(world) as a,
            other_app(world) as b,
        ):
            trace: list[dict[str, Any]] = []
            world.treadmill.add_trace_listener(trace.append)
            await b.subscribe()
            await controlling(a)

            assert await a.command(SetTargetSpeed(5.0)) == answer_for(OpCode.SET_TARGET_SPEED)
            assert await b.next_status() == status(StatusOp.TARGET_SPEED_CHANGED, 5.0)
            assert await a.command(SetTargetInclination(2.0)) == answer_for(
                OpCode.SET_TARGET_INCLINATION
            )
            assert await b.next_status() == status(StatusOp.TARGET_INCLINE_CHANGED, 2.0)
            assert await a.command(StartOrResume()) == answer_for(OpCode.START_OR_RESUME)
            assert await b.next_status() == status(StatusOp.STARTED_OR_RESUMED_BY_USER)
            training = await a.next_training_status()
            assert training.status is TrainingStatusCode.MANUAL_MODE
            b_training: bytes = await get(b.training)
            assert TrainingStatus.from_bytes(b_training) == training

            await clock.advance(6.0)
            assert world.model.snapshot().speed_kmh == 5.0
            record = await a.next_record()
            assert record.speed_kmh == 0.5  # first tick: the belt ramps from rest

            assert await a.command(StopOrPause(pause=True)) == answer_for(OpCode.STOP_OR_PAUSE)
            assert await b.next_status() == status(StatusOp.STOPPED_OR_PAUSED_BY_USER, 2)
            assert await a.command(StartOrResume()) == answer_for(OpCode.START_OR_RESUME)
            assert await b.next_status() == status(StatusOp.STARTED_OR_RESUMED_BY_USER)
            assert await a.command(StopOrPause()) == answer_for(OpCode.STOP_OR_PAUSE)
            assert await b.next_status() == status(StatusOp.STOPPED_OR_PAUSED_BY_USER, 1)

            # Stop while stopped: the model's Operation Failed.
            failed = await a.command(StopOrPause())
            assert failed.result is ResultCode.OPERATION_FAILED

            # The other client cannot take control while the first holds it.
            b_answer = await b.command(RequestControl())
            assert b_answer.result is ResultCode.CONTROL_NOT_PERMITTED

            # A console action goes to everyone, the controller included.
            world.treadmill.console_set_incline(3.0)
            assert await a.next_status() == status(StatusOp.TARGET_INCLINE_CHANGED, 3.0)
            assert await b.next_status() == status(StatusOp.TARGET_INCLINE_CHANGED, 3.0)

            await barrier(a)
            await b.barrier()
            assert a.status.empty()  # the writer never hears of its own changes
            assert b.status.empty()
            assert [r["op"] for r in trace if r["kind"] == "write"] == [
                "request_control",
                "set_target_speed",
                "set_target_inclination",
                "start_or_resume",
                "pause",
                "start_or_resume",
                "stop",
                "stop",
                "request_control",
            ]

    run(scenario)


def answer_for(op: OpCode, result: ResultCode = ResultCode.SUCCESS) -> ControlPointResponse:
    return ControlPointResponse(op, result)


def test_control_is_lost_on_disconnection_and_reset() -> None:
    async def scenario() -> None:
        async with world_of(max_connections=2) as (world, _clock):
            async with connect(world) as a:
                await controlling(a)
                assert world.treadmill.controller is not None
            async with other_app(world) as b:  # by now the peripheral saw the link end
                assert world.treadmill.controller is None
                await b.subscribe()
                # The first controller's link is gone, and control with it.
                assert (await b.command(RequestControl())).ok
                async with connect(world) as c:
                    await c.subscribe()
                    assert (await b.command(StartOrResume())).ok
                    assert await c.next_status() == status(StatusOp.STARTED_OR_RESUMED_BY_USER)
                    assert await c.next_status() == status(StatusOp.TARGET_SPEED_CHANGED, 0.5)
                    assert (await b.command(Reset())).ok
                    assert await c.next_status() == status(StatusOp.RESET)
                    assert world.treadmill.controller is None
                    assert belt_state(world) is MachineState.STOPPED
                    refused = await b.command(StartOrResume())
                    assert refused.result is ResultCode.CONTROL_NOT_PERMITTED
                    assert (await c.command(RequestControl())).ok  # free for anyone now

    run(scenario)


def test_one_procedure_at_a_time() -> None:
    async def scenario() -> None:
        async with world_of() as (world, clock), connect(world) as c:
            await controlling(c)
            world.treadmill.faults.answer_delay(1.0)
            await c.write(SetTargetSpeed(3.0))
            with pytest.raises(BleakGATTProtocolError) as raised:
                await c.write(SetTargetSpeed(4.0))
            in_progress = int(att.ErrorCode.PROCEDURE_ALREADY_IN_PROGRESS)
            assert int(raised.value.code) == in_progress == 0xFE
            await clock.advance(1.0)
            assert await c.answer() == answer_for(OpCode.SET_TARGET_SPEED)
            assert world.model.snapshot().target_speed_kmh == 3.0  # the refused write did not
            world.treadmill.faults.answer_delay(0)
            assert (await c.command(SetTargetSpeed(4.0))).ok

    run(scenario)


# -- console ----------------------------------------------------------------------------------


def test_console_actions_and_safety_key_notify_every_client() -> None:
    async def scenario() -> None:
        async with world_of() as (world, _clock), connect(world) as c:
            await controlling(c)
            tm = world.treadmill
            assert tm.console_start() is ResultCode.SUCCESS
            assert await c.next_status() == status(StatusOp.STARTED_OR_RESUMED_BY_USER)
            assert await c.next_status() == status(StatusOp.TARGET_SPEED_CHANGED, 0.5)
            assert tm.console_set_speed(6.0) is ResultCode.SUCCESS
            assert await c.next_status() == status(StatusOp.TARGET_SPEED_CHANGED, 6.0)
            assert tm.console_set_incline(1.5) is ResultCode.SUCCESS
            assert await c.next_status() == status(StatusOp.TARGET_INCLINE_CHANGED, 1.5)
            assert tm.console_pause() is ResultCode.SUCCESS
            assert await c.next_status() == status(StatusOp.STOPPED_OR_PAUSED_BY_USER, 2)
            assert tm.console_start() is ResultCode.SUCCESS
            assert await c.next_status() == status(StatusOp.STARTED_OR_RESUMED_BY_USER)
            assert tm.console_stop() is ResultCode.SUCCESS
            stopped = await c.next_status()
            assert stopped == status(StatusOp.STOPPED_OR_PAUSED_BY_USER, 1)
            assert stopped.paused is False

            assert tm.console_start() is ResultCode.SUCCESS
            await c.next_status()
            await c.next_status()
            assert tm.pull_safety_key() is ResultCode.SUCCESS
            assert await c.next_status() == status(StatusOp.STOPPED_BY_SAFETY_KEY)
            refused = await c.command(StartOrResume())
            assert refused.result is ResultCode.OPERATION_FAILED
            assert tm.insert_safety_key() is ResultCode.SUCCESS
            assert (await c.command(StartOrResume())).ok
            await barrier(c)
            trainings = [c.training.get_nowait() for _ in range(c.training.qsize())]
            codes = [TrainingStatus.from_bytes(t).status for t in trainings]
            assert codes == [
                TrainingStatusCode.MANUAL_MODE,  # console start
                TrainingStatusCode.IDLE,  # pause
                TrainingStatusCode.MANUAL_MODE,
                TrainingStatusCode.IDLE,  # stop
                TrainingStatusCode.MANUAL_MODE,
                TrainingStatusCode.IDLE,  # safety key
                TrainingStatusCode.MANUAL_MODE,  # started through the Control Point
            ]

    run(scenario)


# -- faults -----------------------------------------------------------------------------------


def test_fault_drop_link() -> None:
    async def scenario() -> None:
        async with world_of() as (world, _clock):
            dropped: asyncio.Queue[BleakClient] = asyncio.Queue()
            async with connect(world, disconnected_callback=dropped.put_nowait) as c:
                await controlling(c)
                await world.treadmill.drop_link()
                assert await get(dropped) is c.client
                assert world.treadmill.controller is None
                await c.client.connect()  # it advertises again
                await controlling(c)

    run(scenario)


def test_fault_silent() -> None:
    async def scenario() -> None:
        async with world_of() as (world, clock), connect(world) as c:
            await c.subscribe()
            world.treadmill.faults.silent = True
            await clock.advance(2.0)
            await barrier(c)
            assert c.data.empty()
            # Status still flows while silent.
            world.treadmill.console_start()
            assert (await c.next_status()).op is StatusOp.STARTED_OR_RESUMED_BY_USER
            world.treadmill.faults.silent = False
            await clock.advance(0.5)
            assert (await c.next_record()).speed_kmh == 0.5  # started at t=2

    run(scenario)


def test_fault_refuse() -> None:
    async def scenario() -> None:
        async with world_of() as (world, _clock), connect(world) as c:
            await controlling(c)
            faults = world.treadmill.faults
            faults.refuse(ResultCode.OPERATION_FAILED, ops=[OpCode.START_OR_RESUME])
            for _ in range(2):
                refused = await c.command(StartOrResume())
                assert refused == answer_for(OpCode.START_OR_RESUME, ResultCode.OPERATION_FAILED)
            assert belt_state(world) is MachineState.STOPPED  # not applied
            assert (await c.command(SetTargetSpeed(2.0))).ok  # other ops unaffected
            faults.refuse(ResultCode.CONTROL_NOT_PERMITTED)  # every op
            assert (await c.command(SetTargetSpeed(3.0))).result is (
                ResultCode.CONTROL_NOT_PERMITTED
            )
            assert world.model.snapshot().target_speed_kmh == 2.0
            faults.clear()
            assert (await c.command(StartOrResume())).ok

    run(scenario)


def test_fault_ignore_commands() -> None:
    async def scenario() -> None:
        async with world_of() as (world, clock), connect(world) as c:
            trace: list[dict[str, Any]] = []
            world.treadmill.add_trace_listener(trace.append)
            await controlling(c)
            faults = world.treadmill.faults
            faults.ignore_commands(2)
            await c.write(StartOrResume())
            await c.write(SetTargetSpeed(4.0))  # no 0xFE: nothing is in progress
            await clock.advance(30.0)
            await barrier(c)
            assert c.answers.empty()
            assert belt_state(world) is MachineState.STOPPED
            assert (await c.command(StartOrResume())).ok  # the third is answered again

            faults.ignore_commands()  # all, until cleared
            for _ in range(3):
                await c.write(StopOrPause())
            await barrier(c)
            assert c.answers.empty()
            faults.clear()
            assert (await c.command(StopOrPause())).ok
            results = [r["result"] for r in trace if r["kind"] == "write"]
            assert results == ["success", "ignored", "ignored", "success"] + ["ignored"] * 3 + [
                "success"
            ]
        with pytest.raises(ValueError, match="cannot ignore"):
            Faults().ignore_commands(-1)

    run(scenario)


def test_fault_answer_delay() -> None:
    async def scenario() -> None:
        async with world_of() as (world, clock), connect(world) as c:
            await controlling(c)
            world.treadmill.faults.answer_delay(2.5)
            await c.write(StartOrResume())
            assert belt_state(world) is MachineState.RUNNING  # applied at once
            await clock.advance(2.0)
            await barrier(c)
            assert c.answers.empty()
            await clock.advance(0.5)
            assert await c.answer() == answer_for(OpCode.START_OR_RESUME)
        with pytest.raises(ValueError, match="answer delay"):
            Faults().answer_delay(float("nan"))

    run(scenario)


def test_fault_malformed_records() -> None:
    async def scenario() -> None:
        async with world_of() as (world, clock), connect(world) as c:
            await c.subscribe(status=False, training=False, control=False)
            world.treadmill.faults.malformed_records = True
            await clock.advance(1.0)
            raw = [await get(c.data), await get(c.data)]
            assert sorted(raw) == [b"", b"\x00"]
            for value in raw:
                with pytest.raises(ParseError):
                    TreadmillData.from_bytes(value)
            world.treadmill.faults.malformed_records = False
            await clock.advance(0.5)
            raw_record: bytes = await get(c.data)
            assert TreadmillData.from_bytes(raw_record).speed_kmh == 0.0

    run(scenario)


def test_fault_truncated_records() -> None:
    async def scenario() -> None:
        async with world_of() as (world, clock), connect(world) as c:
            await c.subscribe(status=False, training=False, control=False)
            world.treadmill.faults.truncated_records = True
            await clock.advance(0.5)
            raw_record: bytes = await get(c.data)
            record = TreadmillData.from_bytes(raw_record)
            assert record.truncated
            assert record.elapsed_time_s is None  # the last field is cut off
            assert record.speed_kmh == 0.0

    run(scenario)


def test_fault_reserved_bit_records() -> None:
    async def scenario() -> None:
        async with world_of() as (world, clock), connect(world) as c:
            await c.subscribe(status=False, training=False, control=False)
            world.treadmill.faults.reserved_bit_records = True
            world.treadmill.console_set_speed(6.0)
            world.treadmill.console_start()
            await clock.advance(20.0)
            await barrier(c)
            *_, raw = [c.data.get_nowait() for _ in range(c.data.qsize())]
            record = TreadmillData.from_bytes(raw)
            assert record.reserved_flags == 1 << 13
            assert len(record.trailing) == 3
            distance = world.model.snapshot().distance_m
            assert int.from_bytes(record.trailing, "little") == int(distance / 0.7)
            assert not record.truncated and record.speed_kmh == 6.0

    run(scenario)


def test_fault_lose_control() -> None:
    async def scenario() -> None:
        async with world_of() as (world, _clock), connect(world) as c:
            await controlling(c)
            world.treadmill.lose_control()
            assert await c.next_status() == status(StatusOp.CONTROL_PERMISSION_LOST)
            refused = await c.command(StartOrResume())
            assert refused.result is ResultCode.CONTROL_NOT_PERMITTED
            assert (await c.command(RequestControl())).ok
            assert (await c.command(StartOrResume())).ok
            world.treadmill.lose_control()
            world.treadmill.lose_control()  # nobody holds control: nothing to send
            assert await c.next_status() == status(StatusOp.CONTROL_PERMISSION_LOST)
            await barrier(c)
            assert c.status.empty()

    run(scenario)


# -- quirk profiles ---------------------------------------------------------------------------


def test_every_profile_has_a_description_naming_its_source() -> None:
    assert set(QUIRK_PROFILES) == {
        "standard",
        "urevo-e1l",
        "kingsmith",
        "fitshow",
        "matrix",
        "technogym",
        "no-ranges",
    }
    for name, quirks in QUIRK_PROFILES.items():
        assert quirks.name == name
        assert quirks.description
        assert quirks_by_name(name) is quirks
    assert Quirks().apply_to(TreadmillSpec()) == TreadmillSpec()


def test_quirks_urevo_e1l() -> None:
    async def scenario() -> None:
        async with (
            world_of(quirks="urevo-e1l", max_connections=2) as (world, clock),
            connect(world) as a,
            other_app(world) as b,
        ):
            await b.subscribe()
            service = a.client.services.get_service(FITNESS_MACHINE_SERVICE_UUID)
            assert service is not None
            control = service.get_characteristic(FITNESS_MACHINE_CONTROL_POINT_UUID)
            assert control is not None
            assert control.properties == ["write-without-response", "write", "notify", "indicate"]
            speeds = SpeedRange.from_bytes(await a.read(SUPPORTED_SPEED_RANGE_UUID))
            assert speeds == SpeedRange(0.96, 6.43, 0.32)
            inclines = InclinationRange.from_bytes(await a.read(SUPPORTED_INCLINATION_RANGE_UUID))
            assert inclines == InclinationRange(0.0, 0.0, 0.0)

            # No CCCD needed and no Request Control: the write is applied.
            await a.write(SetTargetInclination(2.0))
            assert world.model.snapshot().target_incline_pct == 2.0

            await a.subscribe()
            assert (await a.command(RequestControl())).ok  # harmless, and never needed
            # Answers are notifications (Bleak subscribed with notify, Bumble forced).
            assert await a.command(SetTargetInclination(1.0)) == answer_for(
                OpCode.SET_TARGET_INCLINATION
            )
            # Back-to-back Write Commands are all answered.
            await a.write(StartOrResume(), response=False)
            await a.write(SetTargetSpeed(3.2), response=False)
            assert await a.answer() == answer_for(OpCode.START_OR_RESUME)
            assert await a.answer() == answer_for(OpCode.SET_TARGET_SPEED)

            # Padded status messages (to the other client).
            padded = [await b.next_status() for _ in range(5)]
            assert [bytes(s).hex() for s in padded] == [
                "061400",  # incline 2.0 % from the early write
                "060a00",  # 1.0 %
                "040000",  # 04 00 00
                "056000",  # 0.96 km/h: the start substituted the minimum speed
                "054001",  # 3.2 km/h
            ]
            world.treadmill.console_pause()
            paused = await b.next_status()
            assert bytes(paused).hex() == "020200"
            assert paused.paused is True

            world.treadmill.console_start()
            await clock.advance(30.0)
            await barrier(a)
            *_, raw = [a.data.get_nowait() for _ in range(a.data.qsize())]
            record = TreadmillData.from_bytes(raw)
            assert int(record.flags) == 0x2000 | int(
                TreadmillDataFlags.AVERAGE_SPEED
                | TreadmillDataFlags.TOTAL_DISTANCE
                | TreadmillDataFlags.INCLINATION_AND_RAMP_ANGLE
                | TreadmillDataFlags.EXPENDED_ENERGY
                | TreadmillDataFlags.ELAPSED_TIME
            )
            assert len(record.trailing) == 3
            assert record.total_distance_m is not None
            assert record.total_distance_m % 10 == 0 and record.total_distance_m > 0

    run(scenario)


def test_quirks_kingsmith_drops_the_link_on_speed_while_stopped() -> None:
    async def scenario() -> None:
        async with world_of(quirks="kingsmith") as (world, clock):
            assert world.model.spec.needs_start_before_speed
            trace: list[dict[str, Any]] = []
            world.treadmill.add_trace_listener(trace.append)
            dropped: asyncio.Queue[BleakClient] = asyncio.Queue()
            async with connect(world, disconnected_callback=dropped.put_nowait) as c:
                await controlling(c)
                await c.write(SetTargetSpeed(3.0))  # the Write Response still comes
                assert await get(dropped) is c.client
                assert trace[-1]["result"] == "dropped_link"

                await c.client.connect()
                await controlling(c)
                assert (await c.command(StartOrResume())).ok
                assert (await c.command(SetTargetSpeed(3.0))).ok
                await clock.advance(0.5)
                record = await c.next_record()
                assert record.reserved_flags == 1 << 13 and len(record.trailing) == 3

    run(scenario)


def test_quirks_fitshow() -> None:
    async def scenario() -> None:
        async with world_of(quirks="fitshow") as (world, _clock), connect(world) as c:
            raw = await c.read(TRAINING_STATUS_UUID)
            assert raw == bytes.fromhex("0101")  # "string present", no string
            assert TrainingStatus.from_bytes(raw) == TrainingStatus(TrainingStatusCode.IDLE)
            await controlling(c)
            # Accepted, but the belt ignores it while stopped.
            assert (await c.command(SetTargetSpeed(5.0))).ok
            assert world.model.snapshot().target_speed_kmh == 0.0
            assert (await c.command(StartOrResume())).ok
            assert (await c.next_training_status()).status is TrainingStatusCode.MANUAL_MODE
            assert await c.read(TRAINING_STATUS_UUID) == bytes.fromhex("010d")
            assert (await c.command(SetTargetSpeed(5.0))).ok
            assert world.model.snapshot().target_speed_kmh == 5.0

    run(scenario)


@pytest.mark.parametrize(
    ("quirks", "first_flags", "last_flags"),
    [
        ("matrix", "8f00", "0005"),  # like the TouchXL's 9f00... then 001f...
        ("technogym", "0f00", "8005"),  # like the MyRun's 1f00... then 8006...
    ],
)
def test_quirks_split_records(quirks: str, first_flags: str, last_flags: str) -> None:
    async def scenario() -> None:
        async with world_of(quirks=quirks) as (world, clock), connect(world) as c:
            await c.subscribe(status=False, training=False, control=False)
            world.treadmill.heart_rate_bpm = 101
            world.treadmill.console_start()
            await clock.advance(0.5)
            first, last = await get(c.data), await get(c.data)
            assert first[:2].hex() == first_flags
            assert last[:2].hex() == last_flags
            assembler = RecordAssembler()
            assert assembler.feed(first) is None
            assert assembler.feed(last) == world.treadmill.record()

    run(scenario)


def test_quirks_no_ranges() -> None:
    async def scenario() -> None:
        async with world_of(quirks="no-ranges") as (world, _clock), connect(world) as c:
            service = c.client.services.get_service(FITNESS_MACHINE_SERVICE_UUID)
            assert service is not None
            uuids = {ch.uuid for ch in service.characteristics}
            assert SUPPORTED_SPEED_RANGE_UUID not in uuids
            assert SUPPORTED_INCLINATION_RANGE_UUID not in uuids
            assert FITNESS_MACHINE_CONTROL_POINT_UUID in uuids
            await controlling(c)
            assert (await c.command(SetTargetSpeed(3.0))).ok

    run(scenario)


def test_quirks_standard_control_point_answers_by_indication_only() -> None:
    async def scenario() -> None:
        async with world_of(quirks="standard") as (world, _clock), connect(world) as c:
            await controlling(c)  # subscribed with indications (the CCCD check passed)
            assert world.treadmill.quirks is QUIRK_PROFILES["standard"]

    run(scenario)


# -- trace ------------------------------------------------------------------------------------


def test_trace_records_writes_and_the_belt_every_second() -> None:
    async def scenario() -> None:
        clock = ManualClock(start=100.0)
        async with VirtualWorld(clock) as world, connect(world) as c:
            trace: list[dict[str, Any]] = []
            world.treadmill.add_trace_listener(trace.append)
            assert world.treadmill.started_at == 100.0
            await controlling(c)
            await c.command(SetTargetSpeed(3.5))
            await c.command(StartOrResume())
            await clock.advance(2.0)
            await c.command(SetTargetInclination(1.0))
            await c.command(StopOrPause(pause=True))
            await c.command(StopOrPause())
            await c.command(Reset())
            await c.command(bytes.fromhex("15"))
            await c.command(bytes.fromhex("0264"))
            world.treadmill.remove_trace_listener(trace.append)
            await clock.advance(1.0)
        assert trace == [
            {
                "t": 0.0,
                "kind": "write",
                "op": "request_control",
                "value": None,
                "result": "success",
            },
            {
                "t": 0.0,
                "kind": "write",
                "op": "set_target_speed",
                "value": 3.5,
                "result": "success",
            },
            {
                "t": 0.0,
                "kind": "write",
                "op": "start_or_resume",
                "value": None,
                "result": "success",
            },
            {"t": 1.0, "kind": "belt", "speed_kmh": 1.0, "incline_pct": 0.0, "running": True},
            {"t": 2.0, "kind": "belt", "speed_kmh": 2.0, "incline_pct": 0.0, "running": True},
            {
                "t": 2.0,
                "kind": "write",
                "op": "set_target_inclination",
                "value": 1.0,
                "result": "success",
            },
            {"t": 2.0, "kind": "write", "op": "pause", "value": None, "result": "success"},
            {"t": 2.0, "kind": "write", "op": "stop", "value": None, "result": "success"},
            {"t": 2.0, "kind": "write", "op": "reset", "value": None, "result": "success"},
            {
                "t": 2.0,
                "kind": "write",
                "op": "0x15",
                "value": None,
                "result": "op_code_not_supported",
            },
            {
                "t": 2.0,
                "kind": "write",
                "op": "set_target_speed",
                "value": None,
                "result": "control_not_permitted",  # Reset ended control
            },
        ]

    run(scenario)


def test_a_failing_trace_listener_does_not_break_the_treadmill() -> None:
    async def scenario() -> None:
        async with world_of() as (world, _clock), connect(world) as c:

            def broken(record: dict[str, Any]) -> None:
                raise OSError("disk full")

            world.treadmill.add_trace_listener(broken)
            await c.subscribe()
            assert (await c.command(RequestControl())).ok

    run(scenario)


# -- the world --------------------------------------------------------------------------------


def test_world_shape_and_quirk_overrides() -> None:
    async def scenario() -> None:
        clock = ManualClock(start=5.0)
        world = VirtualWorld(clock, quirks="urevo-e1l", name="E1L", address=SECOND_ADDRESS)
        assert world.treadmill_address == SECOND_ADDRESS
        assert world.treadmill.model is world.model
        assert world.model.now == 5.0
        assert world.model.spec.min_speed_kmh == 0.96
        assert world.strap is None and world.strap_address is None
        assert world.scanner_backend() is world.radio.scanner_backend()
        assert world.client_backend() is world.radio.client_backend()
        await world.start()
        await world.start()  # idempotent
        assert b"\tE1L" in world.treadmill.advertising_data  # AD type 0x09, complete local name
        async with connect(world) as c:
            assert c.client.is_connected
        await world.close()
        await world.close()

        custom = Quirks(name="custom", has_ranges=False)
        async with VirtualWorld(clock, quirks=custom) as other:
            assert other.treadmill.quirks is custom

    run(scenario)


def test_world_on_a_scaled_clock() -> None:
    async def scenario() -> None:
        clock = ScaledClock(500.0)  # 2 Hz of simulated time is every millisecond
        async with VirtualWorld(clock) as world, connect(world) as c:
            await c.subscribe(status=False, training=False, control=False)
            world.treadmill.console_start()
            records = [await c.next_record() for _ in range(6)]
            assert all(r.speed_kmh is not None for r in records)
            assert records[-1].speed_kmh is not None and records[-1].speed_kmh > 0

    run(scenario)


def test_peripheral_start_twice_is_an_error() -> None:
    async def scenario() -> None:
        async with world_of() as (world, _clock):
            with pytest.raises(RuntimeError, match="already started"):
                await world.treadmill.start(world.radio)
        peripheral = FtmsPeripheral(TreadmillModel(), ManualClock())
        with pytest.raises(RuntimeError, match="not started"):
            await peripheral.drop_link()
        await asyncio.wait_for(peripheral.close(), WAIT)

    run(scenario)
