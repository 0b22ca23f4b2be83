"""The virtual heart-rate strap, found and read through the real Bleak scanner and client."""

from __future__ import annotations

import asyncio

import pytest
from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.uuids import normalize_uuid_16

from protocols.ftms import FITNESS_MACHINE_SERVICE_UUID
from protocols.heart_rate import (
    HEART_RATE_MEASUREMENT_UUID,
    HEART_RATE_SERVICE_UUID,
    HeartRateMeasurement,
)
from tests.helpers.ftms_client import get, run
from treadctl.clock import ManualClock
from treadctl.virtual.heart_rate_strap import DEFAULT_STRAP_ADDRESS, HeartRateStrap
from treadctl.virtual.radio import VirtualRadio
from treadctl.virtual.world import VirtualWorld


async def measurements(client: BleakClient) -> asyncio.Queue[HeartRateMeasurement]:
    queue: asyncio.Queue[HeartRateMeasurement] = asyncio.Queue()
    await client.start_notify(
        HEART_RATE_MEASUREMENT_UUID,
        lambda _, value: queue.put_nowait(HeartRateMeasurement.from_bytes(value)),
    )
    return queue


def test_strap_advertises_and_notifies_once_per_second() -> None:
    async def scenario() -> None:
        clock = ManualClock()
        async with VirtualRadio() as radio:
            strap = HeartRateStrap(clock, bpm=72)
            await strap.start(radio)
            seen: asyncio.Queue[tuple[BLEDevice, AdvertisementData]] = asyncio.Queue()
            async with BleakScanner(
                lambda d, ad: seen.put_nowait((d, ad)),
                service_uuids=[HEART_RATE_SERVICE_UUID],
                backend=radio.scanner_backend(),
            ):
                device, adv = await get(seen)
            assert device.address == DEFAULT_STRAP_ADDRESS
            assert adv.local_name == "Virtual HR"
            assert adv.service_uuids == [normalize_uuid_16(0x180D)]

            async with BleakClient(device, backend=radio.client_backend()) as client:
                queue = await measurements(client)
                await clock.advance(3.0)
                got = [await get(queue) for _ in range(3)]
                assert got == [HeartRateMeasurement(72, sensor_contact=True)] * 3
                strap.bpm = 151
                await clock.advance(1.0)
                assert (await get(queue)).heart_rate_bpm == 151
                # Half a second more: no new measurement (a read round trip flushes the link).
                await clock.advance(0.5)
                await client.read_gatt_char(normalize_uuid_16(0x2A00))  # GAP device name
                assert queue.empty()
            await strap.close()
            await strap.close()  # idempotent

    run(scenario)


def test_strap_follows_the_treadmill_in_a_world() -> None:
    async def scenario() -> None:
        clock = ManualClock()
        async with VirtualWorld(clock, with_strap=True) as world:
            strap = world.strap
            assert strap is not None
            assert world.strap_address == DEFAULT_STRAP_ADDRESS
            seen: asyncio.Queue[str] = asyncio.Queue()
            async with BleakScanner(
                lambda d, ad: seen.put_nowait(d.address), backend=world.scanner_backend()
            ):
                found = {await get(seen) for _ in range(6)}
            assert found == {world.treadmill_address, DEFAULT_STRAP_ADDRESS}

            async with BleakClient(DEFAULT_STRAP_ADDRESS, backend=world.client_backend()) as client:
                assert client.services.get_service(FITNESS_MACHINE_SERVICE_UUID) is None
                queue = await measurements(client)
                await clock.advance(1.0)
                assert (await get(queue)).heart_rate_bpm == 70  # at rest
                world.treadmill.console_set_speed(10.0)
                world.treadmill.console_start()
                await clock.advance(12.0)  # the belt reaches 10 km/h after 10 s at 1 km/h/s
                *_, last = [await get(queue) for _ in range(12)]
                assert last.heart_rate_bpm == 70 + 8 * 10
                strap.bpm = 100  # a fixed value stops following
                await clock.advance(1.0)
                assert (await get(queue)).heart_rate_bpm == 100

    run(scenario)


def test_strap_caps_and_validates() -> None:
    clock = ManualClock()
    with pytest.raises(ValueError, match="0-255"):
        HeartRateStrap(clock, bpm=300)
    strap = HeartRateStrap(clock)
    with pytest.raises(ValueError, match="0-255"):
        strap.bpm = -1
    world = VirtualWorld(clock)
    world.model.console_set_speed(16.0)
    world.model.console_start()
    world.model.advance_to(30.0)
    strap.follow(world.model, rest_bpm=60, bpm_per_kmh=20, max_bpm=190)
    assert strap.bpm == 190
    assert strap.measurement() == HeartRateMeasurement(190, sensor_contact=True)


def test_strap_start_twice_is_an_error() -> None:
    async def scenario() -> None:
        async with VirtualRadio() as radio:
            strap = HeartRateStrap(ManualClock())
            await strap.start(radio)
            with pytest.raises(RuntimeError, match="already started"):
                await strap.start(radio)
            await strap.close()

    run(scenario)
