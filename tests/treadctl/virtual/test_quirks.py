"""The quirk profiles (treadctl.virtual.quirks): each device's deviations, seen over real GATT."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from bleak import BleakClient

from protocols import life_fitness
from protocols.ftms import (
    FITNESS_MACHINE_CONTROL_POINT_UUID,
    FITNESS_MACHINE_SERVICE_UUID,
    SUPPORTED_INCLINATION_RANGE_UUID,
    SUPPORTED_SPEED_RANGE_UUID,
    TRAINING_STATUS_UUID,
    InclinationRange,
    OpCode,
    RecordAssembler,
    RequestControl,
    SetTargetInclination,
    SetTargetSpeed,
    SpeedRange,
    StartOrResume,
    TrainingStatus,
    TrainingStatusCode,
    TreadmillData,
    TreadmillDataFlags,
)
from tests.helpers.ftms_client import connect, controlling, get, other_app, run
from tests.treadctl.virtual.scenario import answer_for, barrier, world_of
from treadctl.devices.deviations import Deviations
from treadctl.devices.knowledge import KnowledgeBase
from treadctl.virtual.quirks import QUIRK_PROFILES, Quirks, quirks_by_name
from treadctl.virtual.treadmill import TreadmillSpec


def test_every_profile_is_a_knowledge_base_entry_with_its_description() -> None:
    entries = KnowledgeBase.builtin().entries
    assert set(QUIRK_PROFILES) == {"standard"} | {e.id for e in entries}
    # Today's profiles kept their names (``--quirks`` and the tests name them).
    assert {"urevo-e1l", "kingsmith", "fitshow", "matrix", "technogym", "no-ranges"} <= set(
        QUIRK_PROFILES
    )
    for entry in entries:
        quirks = QUIRK_PROFILES[entry.id]
        assert quirks.deviations == entry.virtual_deviations
        assert quirks.advertised_name == entry.virtual_name
        assert entry.description in quirks.description
    for name, quirks in QUIRK_PROFILES.items():
        assert quirks.name == name
        assert quirks.description
        assert quirks_by_name(name) is quirks
    assert QUIRK_PROFILES["standard"].deviations == Deviations()
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


def test_quirks_life_fitness_send_no_data_until_the_setup_per_connection() -> None:
    async def scenario() -> None:
        async with world_of(quirks="life-fitness") as (world, clock):
            traced: list[dict[str, Any]] = []
            world.treadmill.add_trace_listener(traced.append)
            async with connect(world) as a:
                services = a.client.services
                control = services.get_service(life_fitness.CONTROL_SERVICE_UUID)
                user = services.get_service(life_fitness.USER_SERVICE_UUID)
                assert control is not None and user is not None
                assert [c.uuid for c in control.characteristics] == list(
                    life_fitness.CONTROL_CHARACTERISTICS
                )
                assert [c.uuid for c in user.characteristics] == list(
                    life_fitness.USER_CHARACTERISTICS
                )
                assert control.characteristics[0].properties == ["notify"]
                assert all(c.properties == ["write"] for c in user.characteristics)
                await a.subscribe()
                await clock.advance(5.0)
                await barrier(a)
                assert a.data.empty()  # subscribed, not set up: nothing
                for step in life_fitness.SETUP:
                    await a.client.write_gatt_char(step.characteristic, step.value, response=True)
                await clock.advance(1.0)
                await barrier(a)
                assert not a.data.empty()  # set up: its records come
                vendor = [r for r in traced if r["kind"] == "vendor_write"]
                assert [(r["characteristic"], r["value"]) for r in vendor] == [
                    (s.characteristic, s.value.hex()) for s in life_fitness.SETUP
                ]
            # A new connection starts from nothing again.
            async with connect(world) as b:
                await b.subscribe()
                await clock.advance(5.0)
                await barrier(b)
                assert b.data.empty()

    run(scenario)
