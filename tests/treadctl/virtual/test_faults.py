"""The fault knobs (treadctl.virtual.faults) of a virtual treadmill, seen over real GATT."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from bleak import BleakClient

from protocols import ParseError
from protocols.ftms import (
    OpCode,
    RequestControl,
    ResultCode,
    SetTargetSpeed,
    StartOrResume,
    StatusOp,
    StopOrPause,
    TreadmillData,
)
from tests.helpers.ftms_client import connect, controlling, get, run
from tests.treadctl.virtual.scenario import answer_for, barrier, belt_state, status, world_of
from treadctl.virtual.faults import Faults
from treadctl.virtual.treadmill import MachineState


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
