"""The virtual radio (treadctl.virtual.radio): connecting to nobody, and closing the radio,
seen through the real `bleak.BleakClient` against a `Gadget`."""

from __future__ import annotations

import asyncio

import pytest
from bleak import BleakClient

from tests.treadctl.virtual.gadget import (
    ABSENT_ADDRESS,
    GADGET_ADDRESS,
    READ_UUID,
    READ_VALUE,
    WAIT,
    disconnections,
    run,
    world,
)


def test_connect_to_absent_address_times_out_cleanly() -> None:
    async def scenario() -> None:
        async with world() as (radio, _gadget):
            loop = asyncio.get_running_loop()
            absent = BleakClient(ABSENT_ADDRESS, timeout=0.2, backend=radio.client_backend())
            started = loop.time()
            with pytest.raises(TimeoutError):
                await absent.connect()
            assert loop.time() - started < 0.2 + 1.0
            assert not absent.is_connected
            # Nothing is left pending in the controller: a real connection still works.
            async with BleakClient(GADGET_ADDRESS, backend=radio.client_backend()) as client:
                assert await client.read_gatt_char(READ_UUID) == READ_VALUE

    run(scenario)


def test_closing_the_radio_disconnects_connected_clients() -> None:
    async def scenario() -> None:
        fired, callback = disconnections()
        async with world() as (radio, _gadget):
            client = BleakClient(GADGET_ADDRESS, callback, backend=radio.client_backend())
            await client.connect()
        assert await asyncio.wait_for(fired.get(), WAIT) is client
        assert not client.is_connected
        await client.disconnect()  # nothing left to do, and no error

    run(scenario)
