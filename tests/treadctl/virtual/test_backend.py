"""The Bleak-over-Bumble backend (treadctl.virtual.backend), driven through the real
`bleak.BleakScanner`/`BleakClient` against a `Gadget` on a fresh `VirtualRadio`."""

from __future__ import annotations

import asyncio

import pytest
from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError, BleakGATTProtocolError
from bleak.uuids import normalize_uuid_16
from bumble import hci
from bumble.device import Connection
from bumble.gatt import CharacteristicValue

from tests.treadctl.virtual.gadget import (
    ADVERTISING_DATA,
    CONTROL_ANSWER,
    CONTROL_UUID,
    DATA_UUID,
    FTMS_UUID,
    GADGET_ADDRESS,
    GADGET_NAME,
    READ_UUID,
    READ_VALUE,
    REJECT_CODE,
    REJECT_UUID,
    SERVICE_UUID,
    WAIT,
    connected,
    disconnections,
    find_gadget,
    run,
    world,
)
from treadctl.virtual.radio import LINK_LOSS_REASON

# -- scanning --------------------------------------------------------------------------------


def test_scan_reports_advertisement_data_once_per_advertisement() -> None:
    async def scenario() -> None:
        async with world() as (radio, _gadget):
            seen: asyncio.Queue[tuple[BLEDevice, AdvertisementData]] = asyncio.Queue()
            scanner = BleakScanner(
                lambda d, ad: seen.put_nowait((d, ad)), backend=radio.scanner_backend()
            )
            async with scanner:
                device, adv = await asyncio.wait_for(seen.get(), WAIT)
                second_device, second = await asyncio.wait_for(seen.get(), WAIT)

        assert device.address == GADGET_ADDRESS
        assert device.name == GADGET_NAME
        assert adv.local_name == GADGET_NAME
        assert adv.service_uuids == [FTMS_UUID]
        assert adv.service_data == {FTMS_UUID: b"\x01\x01\x00"}
        assert adv.manufacturer_data == {0x0A0B: b"\xca\xfe"}
        assert adv.tx_power is None
        assert adv.rssi == -50  # what Bumble's emulated controller reports
        # No echo "scan response" merged in: the data is exactly what was advertised.
        (bumble_adv,) = adv.platform_data
        assert bytes(bumble_adv.data) == ADVERTISING_DATA
        assert second_device is device
        assert second._replace(platform_data=()) == adv._replace(platform_data=())
        assert scanner.discovered_devices_and_advertisement_data == {
            GADGET_ADDRESS: (device, second)
        }

    run(scenario)


def test_scan_filter_by_service_uuid() -> None:
    async def scenario() -> None:
        async with world() as (radio, _gadget):
            matching: asyncio.Queue[str] = asyncio.Queue()
            excluded: list[str] = []
            unfiltered: asyncio.Queue[str] = asyncio.Queue()
            backend = radio.scanner_backend()
            async with (
                BleakScanner(
                    lambda d, ad: matching.put_nowait(d.address),
                    service_uuids=[FTMS_UUID],
                    backend=backend,
                ),
                BleakScanner(
                    lambda d, ad: excluded.append(d.address),
                    service_uuids=[normalize_uuid_16(0x180D)],  # heart rate
                    backend=backend,
                ),
                BleakScanner(lambda d, ad: unfiltered.put_nowait(d.address), backend=backend),
            ):
                assert await asyncio.wait_for(matching.get(), WAIT) == GADGET_ADDRESS
                # Every scanner sees the same advertisements, in the same loop turn: once
                # the unfiltered one has seen several, the excluding one has passed on them.
                for _ in range(5):
                    assert await asyncio.wait_for(unfiltered.get(), WAIT) == GADGET_ADDRESS
            assert excluded == []

    run(scenario)


def test_scanner_backend_must_be_bound_to_a_radio() -> None:
    from treadctl.virtual.backend import BumbleClientBackend, BumbleScannerBackend

    with pytest.raises(TypeError, match="not bound to a radio"):
        BleakScanner(backend=BumbleScannerBackend)
    with pytest.raises(TypeError, match="not bound to a radio"):
        BleakClient(GADGET_ADDRESS, backend=BumbleClientBackend)


# -- connection and GATT ---------------------------------------------------------------------


def test_connect_enumerates_services_and_exchanges_mtu() -> None:
    async def scenario() -> None:
        async with world() as (radio, _gadget):
            device = await find_gadget(radio)
            async with BleakClient(device, backend=radio.client_backend()) as client:
                assert client.is_connected
                assert client.backend_id == "BumbleClientBackend"
                assert client.name == GADGET_NAME
                assert client.address == GADGET_ADDRESS
                assert client.mtu_size == 247
                services = client.services

                service = services.get_service(SERVICE_UUID)
                assert service is not None
                assert services.get_service(normalize_uuid_16(0x1800)) is not None  # GAP
                chars = {c.uuid: c for c in service.characteristics}
                assert list(chars) == [READ_UUID, CONTROL_UUID, DATA_UUID, REJECT_UUID]
                assert chars[READ_UUID].properties == ["read"]
                assert chars[CONTROL_UUID].properties == [
                    "write-without-response",
                    "write",
                    "indicate",
                ]
                assert chars[DATA_UUID].properties == ["notify"]
                assert chars[REJECT_UUID].properties == ["write"]
                assert chars[CONTROL_UUID].max_write_without_response_size == 244
                # Handles are distinct, ordered, and resolvable back through the collection.
                handles = [c.handle for c in service.characteristics]
                assert handles == sorted(set(handles))
                assert all(
                    services.get_characteristic(h) is chars[u]
                    for u, h in zip(chars, handles, strict=True)
                )
                cccd = normalize_uuid_16(0x2902)
                for uuid in (CONTROL_UUID, DATA_UUID):
                    descriptor = chars[uuid].get_descriptor(cccd)
                    assert descriptor is not None
                    assert descriptor.characteristic_handle == chars[uuid].handle
                    assert services.get_descriptor(descriptor.handle) is descriptor
                assert chars[READ_UUID].descriptors == []
            assert not client.is_connected

    run(scenario)


def test_connect_by_address_string_with_service_filter() -> None:
    async def scenario() -> None:
        async with world() as (radio, _gadget):
            client = BleakClient(
                GADGET_ADDRESS, services=[SERVICE_UUID], backend=radio.client_backend()
            )
            async with client:
                assert [s.uuid for s in client.services] == [SERVICE_UUID]

    run(scenario)


def test_read_and_write_with_and_without_response() -> None:
    async def scenario() -> None:
        async with connected() as (_radio, gadget, c):
            assert await c.read_gatt_char(READ_UUID) == bytearray(READ_VALUE)
            assert await c.read_gatt_char(READ_UUID, use_cached=True) == READ_VALUE

            await c.write_gatt_char(CONTROL_UUID, b"\x01\x02", response=True)
            assert gadget.writes.get_nowait() == b"\x01\x02"  # done before the response

            await c.write_gatt_char(CONTROL_UUID, bytearray(b"\x03"), response=False)
            assert await asyncio.wait_for(gadget.writes.get(), WAIT) == b"\x03"

            # A value as long as a write command can carry at this MTU.
            long_value = bytes(range(244))
            await c.write_gatt_char(CONTROL_UUID, long_value, response=False)
            assert await asyncio.wait_for(gadget.writes.get(), WAIT) == long_value

    run(scenario)


def test_notifications_and_indications_are_delivered() -> None:
    async def scenario() -> None:
        async with connected() as (_radio, gadget, c):
            notified: asyncio.Queue[tuple[str, bytearray]] = asyncio.Queue()
            indicated: asyncio.Queue[tuple[str, bytearray]] = asyncio.Queue()

            def on_data(sender: BleakGATTCharacteristic, value: bytearray) -> None:
                notified.put_nowait((sender.uuid, value))

            async def on_control(sender: BleakGATTCharacteristic, value: bytearray) -> None:
                indicated.put_nowait((sender.uuid, value))

            await c.start_notify(DATA_UUID, on_data)
            await c.start_notify(CONTROL_UUID, on_control)
            # The CCCD got 0x0001 for the notify-only characteristic, 0x0002 for the
            # indicate-only one.
            assert gadget.subscriptions.get_nowait() == (DATA_UUID, True, False)
            assert gadget.subscriptions.get_nowait() == (CONTROL_UUID, False, True)

            big = bytes(range(200))  # spans several 27-byte ACL fragments
            await gadget.notify(b"\x10")
            await gadget.notify(big)
            assert await asyncio.wait_for(notified.get(), WAIT) == (DATA_UUID, bytearray(b"\x10"))
            assert await asyncio.wait_for(notified.get(), WAIT) == (DATA_UUID, bytearray(big))

            await c.write_gatt_char(CONTROL_UUID, b"\x07", response=True)
            answer = await asyncio.wait_for(indicated.get(), WAIT)
            assert answer == (CONTROL_UUID, bytearray(b"\x80\x07"))
            assert isinstance(answer[1], bytearray)

            await c.stop_notify(DATA_UUID)
            assert gadget.subscriptions.get_nowait() == (DATA_UUID, False, False)
            await c.stop_notify(CONTROL_UUID)
            assert gadget.subscriptions.get_nowait() == (CONTROL_UUID, False, False)

    run(scenario)


def test_start_notify_refuses_characteristic_without_notify() -> None:
    async def scenario() -> None:
        async with connected() as (_radio, _gadget, c):
            with pytest.raises(BleakError, match="cannot notify or indicate"):
                await c.start_notify(READ_UUID, lambda sender, value: None)

    run(scenario)


def test_att_error_surfaces_as_gatt_protocol_error_with_its_code() -> None:
    async def scenario() -> None:
        async with connected() as (_radio, _gadget, c):
            with pytest.raises(BleakGATTProtocolError) as raised:
                await c.write_gatt_char(REJECT_UUID, b"\x00", response=True)
            assert raised.value.code == REJECT_CODE
            # The link survives an ATT error.
            assert await c.read_gatt_char(READ_UUID) == READ_VALUE

    run(scenario)


def test_two_hundred_write_indication_round_trips() -> None:
    async def scenario() -> None:
        async with connected() as (_radio, gadget, c):
            answers: asyncio.Queue[bytearray] = asyncio.Queue()
            await c.start_notify(CONTROL_UUID, lambda sender, value: answers.put_nowait(value))
            for n in range(200):
                request = n.to_bytes(2, "little")
                await asyncio.wait_for(c.write_gatt_char(CONTROL_UUID, request, True), WAIT)
                answer = await asyncio.wait_for(answers.get(), WAIT)
                assert answer == bytes([CONTROL_ANSWER]) + request
            assert answers.empty()
            assert gadget.writes.qsize() == 200

    run(scenario)


# -- disconnection ---------------------------------------------------------------------------


def test_client_disconnect_fires_callback_and_reaches_peripheral() -> None:
    async def scenario() -> None:
        async with world() as (radio, gadget):
            fired, callback = disconnections()
            client = BleakClient(await find_gadget(radio), callback, backend=radio.client_backend())
            await client.connect()
            read_char = client.services.get_characteristic(READ_UUID)
            assert read_char is not None
            peripheral_side = await asyncio.wait_for(gadget.connections.get(), WAIT)
            reasons: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            peripheral_side.on(peripheral_side.EVENT_DISCONNECTION, reasons.set_result)

            await client.disconnect()
            assert not client.is_connected
            assert await asyncio.wait_for(fired.get(), WAIT) is client
            assert await asyncio.wait_for(reasons, WAIT) == (
                hci.HCI_ErrorCode.REMOTE_USER_TERMINATED_CONNECTION_ERROR
            )
            with pytest.raises(BleakError):
                await client.read_gatt_char(read_char)  # Bleak: services gone with the link
            await client.disconnect()  # a second disconnect is a no-op

    run(scenario)


def test_peripheral_side_link_loss_fires_callback_and_allows_reconnect() -> None:
    async def scenario() -> None:
        async with world() as (radio, gadget):
            device = await find_gadget(radio)
            fired, callback = disconnections()
            client = BleakClient(device, callback, backend=radio.client_backend())
            await client.connect()

            await radio.drop_link(gadget.device)
            assert await asyncio.wait_for(fired.get(), WAIT) is client
            assert not client.is_connected
            with pytest.raises(BleakError):
                await client.read_gatt_char(READ_UUID)  # services are gone with the link

            # The peripheral advertises again by itself; the same client reconnects.
            await client.connect()
            assert await client.read_gatt_char(READ_UUID) == READ_VALUE
            await client.disconnect()
            assert await asyncio.wait_for(fired.get(), WAIT) is client  # once per link

    run(scenario)


def test_link_loss_during_a_request_raises_bleak_error() -> None:
    async def scenario() -> None:
        async with connected() as (radio, gadget, c):
            # The peripheral drops the link while the write's response is outstanding.
            async def write_then_wait(connection: Connection, value: bytes) -> None:
                await radio.drop_link(gadget.device, LINK_LOSS_REASON)
                await asyncio.Event().wait()

            gadget.control.value = CharacteristicValue(write=write_then_wait)
            with pytest.raises(BleakError, match="disconnected during a GATT operation"):
                await asyncio.wait_for(c.write_gatt_char(CONTROL_UUID, b"\x01", True), WAIT)
            assert not c.is_connected

    run(scenario)
