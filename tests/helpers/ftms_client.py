"""A tiny raw-Bleak FTMS client for tests of the virtual peripherals (not the app's link).

It does nothing clever on purpose: subscribe, write, and put every notification in a queue,
so a test sees exactly what went over the air. Waits are bounded by `WAIT` seconds of the
event loop's time, which `run` makes virtual; they end as soon as the loop has delivered the
value.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic
from bumble import hci
from bumble.core import UUID
from bumble.device import Connection, Device, Peer

from protocols.ftms import (
    FITNESS_MACHINE_CONTROL_POINT_UUID,
    FITNESS_MACHINE_STATUS_UUID,
    TRAINING_STATUS_UUID,
    TREADMILL_DATA_UUID,
    ControlPointRequest,
    ControlPointResponse,
    MachineStatus,
    RecordAssembler,
    TrainingStatus,
    TreadmillData,
)
from treadctl import virtual_time
from treadctl.virtual.world import VirtualWorld

WAIT = 5.0  # upper bound for any single wait; tests finish far sooner


class FtmsTestClient:
    """One Bleak connection to a virtual treadmill; each notifying characteristic has a queue."""

    def __init__(self, client: BleakClient) -> None:
        self.client = client
        self.data: asyncio.Queue[bytes] = asyncio.Queue()
        self.status: asyncio.Queue[bytes] = asyncio.Queue()
        self.training: asyncio.Queue[bytes] = asyncio.Queue()
        self.answers: asyncio.Queue[bytes] = asyncio.Queue()
        self.assembler = RecordAssembler()

    async def subscribe(
        self,
        *,
        data: bool = True,
        status: bool = True,
        training: bool = True,
        control: bool = True,
    ) -> None:
        wanted = [
            (data, TREADMILL_DATA_UUID, self.data),
            (status, FITNESS_MACHINE_STATUS_UUID, self.status),
            (training, TRAINING_STATUS_UUID, self.training),
            (control, FITNESS_MACHINE_CONTROL_POINT_UUID, self.answers),
        ]
        for enabled, uuid, queue in wanted:
            if enabled:
                await self.client.start_notify(uuid, _into(queue))

    async def write(self, request: ControlPointRequest | bytes, *, response: bool = True) -> None:
        await asyncio.wait_for(
            self.client.write_gatt_char(
                FITNESS_MACHINE_CONTROL_POINT_UUID, bytes(request), response=response
            ),
            WAIT,
        )

    async def answer(self) -> ControlPointResponse:
        raw: bytes = await get(self.answers)
        return ControlPointResponse.from_bytes(raw)

    async def command(self, request: ControlPointRequest | bytes) -> ControlPointResponse:
        """Write a request and wait for its 0x80 answer."""
        await self.write(request)
        return await self.answer()

    async def next_status(self) -> MachineStatus:
        raw: bytes = await get(self.status)
        return MachineStatus.from_bytes(raw)

    async def next_training_status(self) -> TrainingStatus:
        raw: bytes = await get(self.training)
        return TrainingStatus.from_bytes(raw)

    async def next_record(self) -> TreadmillData:
        """The next whole record, More Data fragments merged."""
        while True:
            raw: bytes = await get(self.data)
            record = self.assembler.feed(raw)
            if record is not None:
                return record

    async def read(self, uuid: str) -> bytes:
        return bytes(await asyncio.wait_for(self.client.read_gatt_char(uuid), WAIT))


class OtherApp:
    """A second FTMS client on a central of its own (a phone app beside treadctl).

    Straight on Bumble: the radio's Bleak backends all share one central, and a central holds
    one link per peripheral. Needs a world with ``max_connections >= 2``.
    """

    def __init__(self, device: Device, connection: Connection, peer: Peer) -> None:
        self.device = device
        self.connection = connection
        self.peer = peer
        self.status: asyncio.Queue[bytes] = asyncio.Queue()
        self.training: asyncio.Queue[bytes] = asyncio.Queue()
        self.answers: asyncio.Queue[bytes] = asyncio.Queue()

    @classmethod
    async def connect(cls, world: VirtualWorld, address: str = "C0:00:00:00:00:02") -> OtherApp:
        device = world.radio.attach(Device(name="phone", address=hci.Address(address)))
        await device.power_on()
        connection = await asyncio.wait_for(
            device.connect(hci.Address(world.treadmill_address)), WAIT
        )
        peer = Peer(connection)
        await peer.discover_services()
        await peer.discover_characteristics()
        return cls(device, connection, peer)

    def _characteristic(self, uuid: str) -> Any:
        (characteristic,) = self.peer.get_characteristics_by_uuid(UUID(uuid))
        return characteristic

    async def subscribe(self) -> None:
        for uuid, queue, notify in (
            (FITNESS_MACHINE_STATUS_UUID, self.status, True),
            (TRAINING_STATUS_UUID, self.training, True),
            (FITNESS_MACHINE_CONTROL_POINT_UUID, self.answers, False),
        ):
            await self.peer.subscribe(
                self._characteristic(uuid), queue.put_nowait, prefer_notify=notify
            )

    async def command(self, request: ControlPointRequest | bytes) -> ControlPointResponse:
        await self.peer.write_value(
            self._characteristic(FITNESS_MACHINE_CONTROL_POINT_UUID),
            bytes(request),
            with_response=True,
        )
        raw: bytes = await get(self.answers)
        return ControlPointResponse.from_bytes(raw)

    async def next_status(self) -> MachineStatus:
        raw: bytes = await get(self.status)
        return MachineStatus.from_bytes(raw)

    async def barrier(self) -> None:
        await self.peer.read_value(self._characteristic(TRAINING_STATUS_UUID))

    async def disconnect(self) -> None:
        # VirtualRadio.close() only ends the links of its own central.
        if self.connection.handle in self.device.connections:
            await asyncio.wait_for(self.connection.disconnect(), WAIT)


@asynccontextmanager
async def other_app(world: VirtualWorld) -> AsyncIterator[OtherApp]:
    app = await OtherApp.connect(world)
    try:
        yield app
    finally:
        await app.disconnect()


def _into(queue: asyncio.Queue[bytes]) -> Callable[[BleakGATTCharacteristic, bytearray], None]:
    def callback(_: BleakGATTCharacteristic, value: bytearray) -> None:
        queue.put_nowait(bytes(value))

    return callback


async def get[T](queue: asyncio.Queue[T]) -> T:
    return await asyncio.wait_for(queue.get(), WAIT)


@asynccontextmanager
async def connect(world: VirtualWorld, **kwargs: Any) -> AsyncIterator[FtmsTestClient]:
    """A connected client on ``world``'s treadmill (``kwargs`` go to `BleakClient`)."""
    client = BleakClient(world.treadmill_address, backend=world.client_backend(), **kwargs)
    async with client:
        yield FtmsTestClient(client)


async def controlling(client: FtmsTestClient) -> FtmsTestClient:
    """Subscribe to everything and take control (asserting it was granted)."""
    await client.subscribe()
    answer = await client.command(bytes.fromhex("00"))
    assert answer.ok, answer
    return client


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    """Run ``scenario`` in a fresh loop on virtual time (`treadctl.virtual_time`); fail on any
    error the loop had to swallow.

    On virtual time, Bumble's controllers, ``asyncio.wait_for`` and every clock reading the
    loop jump to their next timer whenever everything waits: a wait of ``WAIT`` seconds for
    something that never comes fails at once, and the same scenario runs the same way every
    time. A `ManualClock` still moves only when the test advances it.
    """
    swallowed: list[dict[str, Any]] = []

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _, ctx: swallowed.append(ctx))
        await scenario()

    virtual_time.run(main())
    assert swallowed == []
