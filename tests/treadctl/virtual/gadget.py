"""A small Bumble GATT peripheral (`Gadget`) on a fresh `VirtualRadio`, for the tests of the
Bleak-over-Bumble backend and of the radio.

Each test runs in its own event loop on virtual time (`run`). Nothing sleeps: every wait is on
an event, a future or a queue, bounded by `asyncio.wait_for`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.uuids import normalize_uuid_16
from bumble import att, data_types, hci
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device
from bumble.gatt import Characteristic, CharacteristicValue, Service

from treadctl import virtual_time
from treadctl.virtual.radio import VirtualRadio

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
    """Run `scenario` in a fresh loop on virtual time; fail on any error the loop had to swallow.

    Callbacks run from the loop (Bleak's disconnected/notify callbacks, Bumble's handlers),
    so their exceptions would otherwise only be logged. On virtual time
    (`treadctl.virtual_time`) Bumble's timers and the `WAIT` bounds are the loop's: a wait
    for what never comes fails at once, and a timeout is exactly as long as it says.
    """
    swallowed: list[dict[str, Any]] = []

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _, ctx: swallowed.append(ctx))
        await scenario()

    virtual_time.run(main())
    assert swallowed == []
