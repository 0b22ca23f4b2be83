"""The virtual radio: one in-process Bumble link and every device on it.

Shape (who owns what)::

    VirtualRadio
     ├── link: bumble.link.LocalLink          the "air" every emulated controller shares
     ├── central: bumble Device (lazy)        the app's side; driven by the Bleak backends
     │    └── _VirtualController              emulated controller attached to `link`
     └── peripherals: [bumble Device, ...]    treadmills, straps...; built by tests/world code
          └── _VirtualController              one each, attached to the same `link`

The radio builds every controller and host, so callers only describe *what* a peripheral
serves (a Bumble ``Device`` with its GATT services added) and hand it to `add_peripheral`.
Bleak never sees any of this: it receives backend classes bound to the radio from
`scanner_backend()` / `client_backend()` (:mod:`treadctl.virtual.backend`) and drives the
central through them::

    async with VirtualRadio() as radio:
        device = Device(name="Treadmill", address=Address("F0:00:00:00:00:01"))
        device.add_services([...])
        await radio.add_peripheral(device, advertising_data=advertising_data(...))
        scanner = BleakScanner(backend=radio.scanner_backend())
        client = BleakClient(ble_device, backend=radio.client_backend())

The radio imports the backends, never the other way round: a backend sees the radio only as
the :class:`~treadctl.virtual.backend.Radio` protocol. A treadmill and a strap already wired to
a radio are :class:`~treadctl.virtual.world.VirtualWorld`.

Everything here must run inside a running asyncio loop: Bumble's controller, host transport
and advertising timers all capture the running loop when they are created. On a
:class:`~treadctl.virtual_time.VirtualTimeLoop` they all run on its virtual time.

Bumble 0.0.236 builds a debug string of every HCI packet (``logger.debug(f"...{packet}")``)
four times per hop between a host and its controller, whether or not debug logging is on;
for a simulated session on virtual time that was a tenth of the CPU. While the
``bumble.host`` and ``bumble.controller`` loggers are not at DEBUG, this radio's controllers
and hosts (:class:`_VirtualController`, :class:`_VirtualHost`) pass packets on as Bumble
does, without the string; with DEBUG on (``BUMBLE_LOGLEVEL=DEBUG``) they are Bumble's own
methods. ``tests/treadctl/virtual/test_radio.py`` pins the Bumble methods this mirrors.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from types import TracebackType
from typing import Self

from bumble import hci
from bumble.controller import Controller
from bumble.core import AdvertisingData
from bumble.device import Device
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

from treadctl.virtual.backend import (
    BumbleClientBackend,
    BumbleScannerBackend,
    bind_client_backend,
    bind_scanner_backend,
)

__all__ = [
    "CLOSE_TIMEOUT",
    "DEFAULT_ADVERTISING_INTERVAL_MS",
    "DEFAULT_CENTRAL_ADDRESS",
    "LINK_LOSS_REASON",
    "QUIET_HCI_LOGGING",
    "VirtualRadio",
]

#: Advertising interval of virtual peripherals. Real treadmills use 100 ms-1 s; the virtual
#: link is free, and a short interval keeps scans and (re)connections fast in tests.
DEFAULT_ADVERTISING_INTERVAL_MS = 20.0

#: Static random address of the app-side central (top two bits set, as static addresses need).
DEFAULT_CENTRAL_ADDRESS = "C0:00:00:00:00:01"

#: Longest wait for the emulated controllers to confirm a disconnection at close.
CLOSE_TIMEOUT = 5.0

#: HCI reason a supervision timeout reports (Core Vol 1 Part F, 0x08 Connection Timeout).
LINK_LOSS_REASON = hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR


#: Skip Bumble's per-packet HCI debug strings while its debug logging is off (module
#: docstring). False: always Bumble's own methods (the benchmark's "before" figure).
QUIET_HCI_LOGGING = True

_CONTROLLER_LOG = logging.getLogger("bumble.controller")
_HOST_LOG = logging.getLogger("bumble.host")


def _bumble_formats(log: logging.Logger) -> bool:
    """Whether Bumble's own method must run: its debug log is on (or quiet mode is off)."""
    return not QUIET_HCI_LOGGING or log.isEnabledFor(logging.DEBUG)


class _VirtualController(Controller):
    """Bumble's emulated controller, with LE Create Connection Cancel made spec-conformant.

    Bumble 0.0.236's emulated controller answers LE Create Connection Cancel with "success"
    but keeps the connection pending and never sends the LE Connection Complete event that
    Core Vol 4 Part E 7.8.13 requires. The host then waits forever (this is why
    ``Device.connect(timeout=...)`` to an absent address hangs), and the stale pending
    connection blocks every later connect with "Command Disallowed".
    """

    def on_hci_le_create_connection_cancel_command(
        self, command: hci.HCI_LE_Create_Connection_Cancel_Command
    ) -> hci.HCI_StatusReturnParameters:
        pending = self.pending_le_connection
        if pending is None:
            return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR)
        self.pending_le_connection = None
        failure = hci.HCI_LE_Connection_Complete_Event(
            status=hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR,
            connection_handle=0,
            role=hci.Role.CENTRAL,
            peer_address_type=pending.peer_address_type,
            peer_address=pending.peer_address,
            connection_interval=0,
            peripheral_latency=0,
            supervision_timeout=0,
            central_clock_accuracy=0,
        )
        # The spec orders this event *after* the command's Command Complete, which the base
        # class sends once this handler returns; one extra loop turn keeps that order.
        asyncio.get_running_loop().call_soon(self.send_hci_packet, failure)
        return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.SUCCESS)

    # Controller.on_hci_packet and send_hci_packet of Bumble 0.0.236 without the debug string
    # (module docstring); any other packet goes to Bumble's method, which warns about it.

    def on_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if _bumble_formats(_CONTROLLER_LOG):
            super().on_hci_packet(packet)
            return
        match packet:
            case hci.HCI_Command():
                self.on_hci_command_packet(packet)
            case hci.HCI_AclDataPacket():
                self.on_hci_acl_data_packet(packet)
            case hci.HCI_Event():
                self.on_hci_event_packet(packet)
            case _:
                super().on_hci_packet(packet)

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if _bumble_formats(_CONTROLLER_LOG):
            super().send_hci_packet(packet)
            return
        if self.host:
            asyncio.get_running_loop().call_soon(self.host.on_packet, bytes(packet))


class _VirtualHost(Host):
    """Bumble's host, passing HCI packets on without their debug string (module docstring).

    Host.send_hci_packet and on_hci_packet of Bumble 0.0.236; with a snooper attached, or
    for SCO, ISO or unknown packets, Bumble's own methods run.
    """

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if self.snooper or _bumble_formats(_HOST_LOG):
            super().send_hci_packet(packet)
            return
        if self.hci_sink:
            self.hci_sink.on_packet(bytes(packet))

    def on_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if self.snooper or _bumble_formats(_HOST_LOG):
            super().on_hci_packet(packet)
            return
        match packet:
            case hci.HCI_Command():
                self.on_hci_command_packet(packet)
            case hci.HCI_Event():
                self.on_hci_event_packet(packet)
            case hci.HCI_AclDataPacket():
                self.on_hci_acl_data_packet(packet)
            case _:
                super().on_hci_packet(packet)


class VirtualRadio:
    """One shared virtual radio: a Bumble `LocalLink` and the devices attached to it.

    Create it anywhere; use it (and close it) inside one running asyncio loop. Prefer
    ``async with VirtualRadio() as radio:`` so every device is powered off on exit.
    """

    def __init__(self, *, central_address: str = DEFAULT_CENTRAL_ADDRESS) -> None:
        self.link = LocalLink()  # type: ignore[no-untyped-call]  # bumble leaves it unannotated
        self.peripherals: list[Device] = []
        self._central_address = central_address
        self._central: Device | None = None
        self._central_ready: asyncio.Lock | None = None
        self._devices: list[Device] = []
        self._controllers: list[Controller] = []
        self._controller_names = (f"virtual-{n}" for n in itertools.count())
        self._scan_users = 0
        self._scan_lock: asyncio.Lock | None = None
        self._connect_lock: asyncio.Lock | None = None
        self._scanner_backend: type[BumbleScannerBackend] | None = None
        self._client_backend: type[BumbleClientBackend] | None = None
        self._closed = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- wiring ---------------------------------------------------------------------------

    def attach(self, device: Device) -> Device:
        """Give `device` an emulated controller on this radio's link, and a host for it.

        `device` must have been built without a host. Call inside the running loop.
        """
        if self._closed:
            raise RuntimeError("this VirtualRadio is closed")
        controller = _VirtualController(next(self._controller_names), link=self.link)
        device.host = _VirtualHost(controller, AsyncPipeSink(controller))
        self._controllers.append(controller)
        self._devices.append(device)
        return device

    async def central(self) -> Device:
        """The app-side central device, created and powered on at first use."""
        if self._central_ready is None:
            self._central_ready = asyncio.Lock()
        async with self._central_ready:
            if self._central is None:
                device = self.attach(
                    Device(name="treadctl", address=hci.Address(self._central_address))
                )
                await device.power_on()
                self._central = device
        return self._central

    async def add_peripheral(
        self,
        device: Device,
        *,
        advertising_data: bytes | AdvertisingData,
        advertising_interval_ms: float = DEFAULT_ADVERTISING_INTERVAL_MS,
    ) -> Device:
        """Attach `device` (GATT services already added), power it on and start advertising.

        Advertising restarts by itself after each disconnection, as a real treadmill does.
        Scan response data is not supported: Bumble's emulated controller never sends it
        (it echoes the advertising data instead), so put everything in `advertising_data`.
        """
        self.attach(device)
        await device.power_on()
        await device.start_advertising(
            advertising_data=bytes(advertising_data),
            advertising_interval_min=advertising_interval_ms,
            advertising_interval_max=advertising_interval_ms,
            auto_restart=True,
        )
        self.peripherals.append(device)
        return device

    async def drop_link(self, peripheral: Device, reason: int = LINK_LOSS_REASON) -> None:
        """Cut every connection of `peripheral`, as the peripheral side.

        The emulated link has no supervision timeout, so a lost link is simulated by the
        peripheral disconnecting with reason 0x08 (Connection Timeout): the central sees
        exactly what a real supervision timeout would report.
        """
        for connection in list(peripheral.connections.values()):
            await connection.disconnect(reason)

    # -- central-side coordination used by the Bleak backends -----------------------------

    async def acquire_scanning(self) -> Device:
        """Start the central scanning (reference-counted across scanners); return it."""
        central = await self.central()
        if self._scan_lock is None:
            self._scan_lock = asyncio.Lock()
        async with self._scan_lock:
            if self._scan_users == 0:
                # Active scanning, duplicates kept: Bleak reports every advertisement.
                await central.start_scanning(active=True, filter_duplicates=False)
            self._scan_users += 1
        return central

    async def release_scanning(self) -> None:
        """Undo one `acquire_scanning`; the last release stops the central scanning."""
        if self._scan_lock is None or self._central is None:
            return
        async with self._scan_lock:
            if self._scan_users == 0:
                return
            self._scan_users -= 1
            if self._scan_users == 0 and not self._closed:
                await self._central.stop_scanning()

    @property
    def connect_lock(self) -> asyncio.Lock:
        """Serialises connection attempts: a Bumble central initiates one at a time."""
        if self._connect_lock is None:
            self._connect_lock = asyncio.Lock()
        return self._connect_lock

    # -- Bleak backends -------------------------------------------------------------------

    def scanner_backend(self) -> type[BumbleScannerBackend]:
        """A `BleakScanner(backend=...)` class bound to this radio (the same one each call)."""
        if self._scanner_backend is None:
            self._scanner_backend = bind_scanner_backend(self)
        return self._scanner_backend

    def client_backend(self) -> type[BumbleClientBackend]:
        """A `BleakClient(backend=...)` class bound to this radio (the same one each call)."""
        if self._client_backend is None:
            self._client_backend = bind_client_backend(self)
        return self._client_backend

    # -- teardown -------------------------------------------------------------------------

    async def close(self) -> None:
        """Disconnect the central's links, stop advertising and power everything off.

        Idempotent. Bleak clients still connected see their disconnected callback fire.
        """
        if self._closed:
            return
        self._closed = True
        if self._central is not None:
            # Only the central initiates links here, so this ends every connection.
            for connection in list(self._central.connections.values()):
                async with asyncio.timeout(CLOSE_TIMEOUT):
                    await connection.disconnect(
                        hci.HCI_ErrorCode.REMOTE_USER_TERMINATED_CONNECTION_ERROR
                    )
        for device in self._devices:
            await device.stop_advertising()
            await device.power_off()
        for controller in self._controllers:
            self.link.remove_controller(controller)
        self._devices.clear()
        self._controllers.clear()
        self.peripherals.clear()
