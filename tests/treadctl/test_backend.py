"""The Bleak-over-Bumble backend, driven through the real `bleak.BleakScanner`/`BleakClient`.

Each test builds a small Bumble GATT peripheral (`Gadget`) on a fresh `VirtualRadio` and runs
in its own event loop (`asyncio.run`). Nothing sleeps: every wait is on an event, a future or
a queue, bounded by `asyncio.wait_for`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError, BleakGATTProtocolError
from bleak.uuids import normalize_uuid_16
from bumble import att, data_types, hci
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device
from bumble.gatt import Characteristic, CharacteristicValue, Service

from treadctl.virtual.world import LINK_LOSS_REASON, VirtualRadio

WAIT = 5.0  # upper bound for any single wait; tests finish far sooner

GADGET_ADDRESS = "F0:00:00:00:00:01"
ABSENT_ADDRESS = "F0:00:00:00:00:99"
GADGET_NAME = "VTM-1"

FTMS_UUID = normalize_uuid_16(0x1826)
SERVICE_UUID = "7e5e0001-4c1f-4b8a-9d5e-000000000000"
READ_UUID = "7e5e0002-4c1f-4b8a-9d5e-000000000000"
CONTROL_UUID = "7e5e0003-4c1f-4b8a-9d5e-000000000000"
DATA_UUID = "7e5e0004-4c1f-4b8a-9d5e-000000000000"
REJECT_UUID = "7e5e0005-4c1f-4b8a-9d5e-000000000000"

READ_VALUE = b"virtual treadmill"
REJECT_CODE = 0x81  # an application error code, to show the code travels unchanged
CONTROL_ANSWER = 0x80  # the indication echoes each control write behind this byte

ADVERTISING_DATA = bytes(
    AdvertisingData(
        [
            data_types.Flags(
                AdvertisingData.Flags.LE_GENERAL_DISCOVERABLE_MODE
                | AdvertisingData.Flags.BR_EDR_NOT_SUPPORTED
            ),
            data_types.CompleteLocalName(GADGET_NAME),
            data_types.CompleteListOf16BitServiceUUIDs([UUID.from_16_bits(0x1826)]),
            data_types.ServiceData16BitUUID(UUID.from_16_bits(0x1826), b"\x01\x01\x00"),
            data_types.ManufacturerSpecificData(0x0A0B, b"\xca\xfe"),
        ]
    )
)


class Gadget:
    """A small Bumble peripheral with one custom service.

    - READ: readable, fixed value;
    - CONTROL: write / write-without-response / indicate; each write is queued in `writes`
      and answered by an indication ``0x80 + value`` (scheduled, never awaited inline);
    - DATA: notify only; the test pushes values with `notify`;
    - REJECT: write only; every write fails with ATT error `REJECT_CODE`.
    """

    def __init__(self) -> None:
        self.device = Device(name=GADGET_NAME, address=hci.Address(GADGET_ADDRESS))
        self.writes: asyncio.Queue[bytes] = asyncio.Queue()
        self.subscriptions: asyncio.Queue[tuple[str, bool, bool]] = asyncio.Queue()
        self.connections: asyncio.Queue[Connection] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self.read = Characteristic(
            READ_UUID, Characteristic.Properties.READ, Characteristic.READABLE, READ_VALUE
        )
        self.control: Characteristic[bytes] = Characteristic(
            CONTROL_UUID,
            Characteristic.Properties.WRITE
            | Characteristic.Properties.WRITE_WITHOUT_RESPONSE
            | Characteristic.Properties.INDICATE,
            Characteristic.WRITEABLE,
            CharacteristicValue(write=self._on_control_write),
        )
        self.data = Characteristic(
            DATA_UUID, Characteristic.Properties.NOTIFY, Characteristic.READABLE, b""
        )
        self.reject: Characteristic[bytes] = Characteristic(
            REJECT_UUID,
            Characteristic.Properties.WRITE,
            Characteristic.WRITEABLE,
            CharacteristicValue(write=self._on_reject_write),
        )
        self.device.add_services(
            [Service(SERVICE_UUID, [self.read, self.control, self.data, self.reject])]
        )
        self.device.on("characteristic_subscription", self._on_subscription)
        self.device.on("connection", self.connections.put_nowait)

    def _on_control_write(self, connection: Connection, value: bytes) -> None:
        self.writes.put_nowait(value)
        # An indication waits for the client's confirmation, which cannot arrive while this
        # write's own response is still unsent: answer from a task, keep it referenced.
        task = asyncio.create_task(
            self.device.indicate_subscribers(self.control, bytes([CONTROL_ANSWER]) + value)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_reject_write(self, connection: Connection, value: bytes) -> None:
        raise att.ATT_Error(REJECT_CODE)

    def _on_subscription(
        self,
        connection: Connection,
        characteristic: Characteristic[Any],
        notify: bool,
        indicate: bool,
    ) -> None:
        self.subscriptions.put_nowait((str(characteristic.uuid).lower(), notify, indicate))

    async def notify(self, value: bytes) -> None:
        await self.device.notify_subscribers(self.data, value)


@asynccontextmanager
async def world() -> AsyncIterator[tuple[VirtualRadio, Gadget]]:
    async with VirtualRadio() as radio:
        gadget = Gadget()
        await radio.add_peripheral(gadget.device, advertising_data=ADVERTISING_DATA)
        yield radio, gadget


@asynccontextmanager
async def connected() -> AsyncIterator[tuple[VirtualRadio, Gadget, BleakClient]]:
    """A world whose gadget was found by scanning and is connected through Bleak."""
    async with world() as (radio, gadget):
        client = BleakClient(await find_gadget(radio), backend=radio.client_backend())
        async with client:
            yield radio, gadget, client


async def find_gadget(radio: VirtualRadio) -> BLEDevice:
    device = await BleakScanner.find_device_by_address(
        GADGET_ADDRESS, timeout=WAIT, backend=radio.scanner_backend()
    )
    assert device is not None
    return device


def disconnections() -> tuple[asyncio.Queue[BleakClient], Callable[[BleakClient], None]]:
    """A queue receiving the client each time Bleak's disconnected callback fires."""
    fired: asyncio.Queue[BleakClient] = asyncio.Queue()
    return fired, fired.put_nowait


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    """Run `scenario` in a fresh loop; fail on any error the loop had to swallow.

    Callbacks run from the loop (Bleak's disconnected/notify callbacks, Bumble's handlers),
    so their exceptions would otherwise only be logged.
    """
    swallowed: list[dict[str, Any]] = []

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _, ctx: swallowed.append(ctx))
        await scenario()

    asyncio.run(main())
    assert swallowed == []


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
