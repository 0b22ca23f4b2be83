"""The virtual FTMS treadmill's GATT server (treadctl.virtual.peripheral), driven over real GATT
by the real `bleak.BleakClient`: characteristics, Treadmill Data, Control Point rules, the
console, the trace.

Each test runs a `VirtualWorld` on a `ManualClock` in its own event loop (see
`tests.treadctl.virtual.scenario`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from bleak.exc import BleakGATTProtocolError
from bumble import att

from protocols.ftms import (
    FITNESS_MACHINE_CONTROL_POINT_UUID,
    FITNESS_MACHINE_FEATURE_UUID,
    FITNESS_MACHINE_SERVICE_UUID,
    FITNESS_MACHINE_STATUS_UUID,
    SUPPORTED_INCLINATION_RANGE_UUID,
    SUPPORTED_SPEED_RANGE_UUID,
    TRAINING_STATUS_UUID,
    TREADMILL_DATA_UUID,
    FitnessMachineFeature,
    InclinationRange,
    MachineFeature,
    OpCode,
    RecordAssembler,
    RequestControl,
    Reset,
    ResultCode,
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
)
from tests.helpers.ftms_client import WAIT, connect, controlling, get, other_app, run
from tests.treadctl.virtual.scenario import answer_for, barrier, belt_state, status, world_of
from treadctl.clock import ManualClock
from treadctl.virtual.peripheral import FEATURES, FtmsPeripheral
from treadctl.virtual.quirks import QUIRK_PROFILES, quirks_by_name
from treadctl.virtual.treadmill import MachineState, TreadmillModel, TreadmillSpec
from treadctl.virtual.world import VirtualWorld

# -- feature, ranges -------------------------------------------------------------------------------


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
    with pytest.raises(ValueError, match=r"known profiles: .*fitshow, .*kingsmith"):
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
    split_quirk = QUIRK_PROFILES[quirks].deviations.split_after is not None
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
