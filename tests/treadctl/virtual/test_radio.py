"""The virtual radio (treadctl.virtual.radio): connecting to nobody, and closing the radio,
seen through the real `bleak.BleakClient` against a `Gadget`."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging

import pytest
from bleak import BleakClient
from bumble import hci

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
from treadctl.virtual.radio import VirtualRadio


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


# --- Bumble's HCI debug strings, skipped while its debug log is off ----------------------------

# Bumble 0.0.236's methods the radio's _VirtualController and _VirtualHost mirror without the
# debug string. If Bumble changes one of them, this fails: re-read it and update the radio.
MIRRORED = {
    "Controller.on_hci_packet": "62d8e3f11f5b643c",
    "Controller.send_hci_packet": "99dac315f5ccc728",
    "Host.send_hci_packet": "c466fa2806dd157f",
    "Host.on_hci_packet": "8a97cd66d5162d55",
}


def test_the_quiet_hci_methods_mirror_the_pinned_bumble() -> None:
    from bumble.controller import Controller
    from bumble.host import Host

    found = {
        method.__qualname__: hashlib.sha256(inspect.getsource(method).encode()).hexdigest()[:16]
        for method in (
            Controller.on_hci_packet,
            Controller.send_hci_packet,
            Host.send_hci_packet,
            Host.on_hci_packet,
        )
    }
    assert found == MIRRORED


async def _round_trips(radio: VirtualRadio) -> None:
    async with BleakClient(GADGET_ADDRESS, backend=radio.client_backend()) as client:
        for _ in range(3):
            assert await client.read_gatt_char(READ_UUID) == READ_VALUE


@pytest.mark.parametrize("debug", [False, True])
def test_hci_packets_are_formatted_only_for_bumbles_debug_log(
    debug: bool, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    formatted: list[str] = []
    original = hci.HCI_AclDataPacket.__str__

    def counting(packet: hci.HCI_AclDataPacket) -> str:
        formatted.append(type(packet).__name__)
        return original(packet)

    monkeypatch.setattr(hci.HCI_AclDataPacket, "__str__", counting)
    if debug:
        caplog.set_level(logging.DEBUG, logger="bumble.host")
        caplog.set_level(logging.DEBUG, logger="bumble.controller")

    async def scenario() -> None:
        async with world() as (radio, _gadget):
            await _round_trips(radio)

    run(scenario)
    if debug:
        # Bumble's own methods: every ACL packet is formatted on its way, and logged.
        assert formatted
        assert any("HOST -> CONTROLLER" in r.getMessage() for r in caplog.records)
    else:
        assert formatted == []
