"""Bleak backends that drive the Bumble central of a `VirtualRadio`.

Shape (who owns what)::

    BleakScanner(backend=radio.scanner_backend())
     └── BumbleScannerBackend ──► radio.acquire_scanning() ──► central Device (scans, shared)
    BleakClient(device, backend=radio.client_backend())
     └── BumbleClientBackend  ──► central.connect() ──► one bumble Connection + GATT client
          └── services: BleakGATTServiceCollection whose `.obj` are Bumble GATT proxies

Bleak instantiates backend classes itself and passes no hook for extra arguments, so the
radio is bound to a subclass: `bind_scanner_backend(radio)` / `bind_client_backend(radio)`
(what `VirtualRadio.scanner_backend()` / `.client_backend()` return) create
``BumbleScannerBackend`` / ``BumbleClientBackend`` subclasses carrying the radio as a class
attribute. Bleak needs a real class (it reads ``backend.__name__``), so `functools.partial`
would not do.

The backends see the radio only as the :class:`Radio` protocol (its central, scanning and
connect lock): :mod:`treadctl.virtual.radio` imports this module to bind them, so this module
does not import it back.

Conventions kept from Bleak's built-in backends:
- a characteristic's ``handle`` is its *value* handle (the one ATT requests address);
- ATT error responses surface as `BleakGATTProtocolError` carrying the ATT error code;
- `disconnected_callback` fires once per link, whichever side ended it;
- a connect that does not complete within ``timeout`` raises the built-in `TimeoutError`;
- notification callbacks and the disconnected callback run from the event loop (scheduled
  with ``call_soon``), never inside Bumble's packet handling, so an exception in app code
  cannot corrupt the stack (and an indication is confirmed even if the callback fails).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Literal, Protocol, TypeVar

from bleak.args import SizedBuffer
from bleak.assigned_numbers import CHARACTERISTIC_PROPERTIES, CharacteristicPropertyName
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError, BleakGATTProtocolError
from bleak.uuids import normalize_uuid_16
from bumble import att, core, hci
from bumble.core import AdvertisingData
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.gatt_client import CharacteristicProxy

logger = logging.getLogger(__name__)

#: ATT MTU the client asks for after connecting (what current phones and BlueZ request).
REQUESTED_MTU = 247

#: Longest wait for the emulated controllers to finish a disconnection.
DISCONNECT_TIMEOUT = 5.0

#: Slack given to Bumble's own connect timeout (which cancels the attempt cleanly) before
#: the outer guard gives up on the controller altogether.
CONNECT_GUARD_SLACK = 1.0

_CCCD_UUID = normalize_uuid_16(0x2902)

_T = TypeVar("_T")


def bleak_uuid(value: core.UUID) -> str:
    """A Bumble UUID as Bleak spells UUIDs: full 128-bit, lower case, dashed."""
    # Bumble keeps UUIDs little-endian; `uuid.UUID(bytes=...)` wants big-endian.
    return str(uuid.UUID(bytes=value.uuid_128_bytes[::-1]))


_BASE_UUID_TAIL = "-0000-1000-8000-00805f9b34fb"


def bumble_uuid(value: str) -> core.UUID:
    """A Bleak UUID string as Bumble spells it: 16-bit when it is an assigned number on the
    Bluetooth base UUID (so it goes over the air in 2 bytes, as a real device sends it)."""
    text = value.lower()
    if text.startswith("0000") and text.endswith(_BASE_UUID_TAIL):
        return core.UUID.from_16_bits(int(text[4:8], 16))
    return core.UUID(text)


def bleak_address(address: hci.Address) -> str:
    """A Bumble address as Bleak shows it: colon-separated hex, no "/P" type suffix."""
    return address.to_string(with_type_qualifier=False)


def advertisement_data(advertisement: Advertisement) -> AdvertisementData:
    """Translate one Bumble advertisement into Bleak's `AdvertisementData`."""
    data = advertisement.data
    local_name = data.get(AdvertisingData.Type.COMPLETE_LOCAL_NAME) or data.get(
        AdvertisingData.Type.SHORTENED_LOCAL_NAME
    )
    # One call per AD type: Bumble's `get_all` is typed per literal type, not per loop.
    uuid_lists = [
        *data.get_all(AdvertisingData.Type.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS),
        *data.get_all(AdvertisingData.Type.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS),
        *data.get_all(AdvertisingData.Type.COMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS),
        *data.get_all(AdvertisingData.Type.INCOMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS),
        *data.get_all(AdvertisingData.Type.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS),
        *data.get_all(AdvertisingData.Type.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS),
    ]
    service_uuids = [bleak_uuid(u) for uuids in uuid_lists for u in uuids]
    service_data = {
        bleak_uuid(service_uuid): bytes(payload)
        for service_uuid, payload in [
            *data.get_all(AdvertisingData.Type.SERVICE_DATA_16_BIT_UUID),
            *data.get_all(AdvertisingData.Type.SERVICE_DATA_32_BIT_UUID),
            *data.get_all(AdvertisingData.Type.SERVICE_DATA_128_BIT_UUID),
        ]
    }
    manufacturer_data = {
        company: bytes(payload)
        for company, payload in data.get_all(AdvertisingData.Type.MANUFACTURER_SPECIFIC_DATA)
    }
    tx_power = data.get(AdvertisingData.Type.TX_POWER_LEVEL)
    if isinstance(tx_power, int) and tx_power > 127:
        # Bumble reads the byte unsigned; it is a signed dBm figure (-4 dBm is 0xFC), as every
        # Bleak backend gives it.
        tx_power -= 256
    return AdvertisementData(
        local_name=local_name,
        manufacturer_data=manufacturer_data,
        service_data=service_data,
        service_uuids=list(dict.fromkeys(service_uuids)),  # de-duplicated, order kept
        tx_power=tx_power,
        rssi=advertisement.rssi,
        platform_data=(advertisement,),
    )


class Radio(Protocol):
    """What the backends use of a radio (:class:`~treadctl.virtual.radio.VirtualRadio`)."""

    async def central(self) -> Device:
        """The app-side central device, created and powered on at first use."""
        ...

    async def acquire_scanning(self) -> Device:
        """Start the central scanning (reference-counted across scanners); return it."""
        ...

    async def release_scanning(self) -> None:
        """Undo one `acquire_scanning`; the last release stops the central scanning."""
        ...

    @property
    def connect_lock(self) -> asyncio.Lock:
        """Serialises connection attempts: a Bumble central initiates one at a time."""
        ...


def _radio_of(backend: type[object], bound: Radio | None) -> Radio:
    if bound is None:
        raise TypeError(
            f"{backend.__name__} is not bound to a radio: pass "
            "VirtualRadio.scanner_backend() / .client_backend() to Bleak instead"
        )
    return bound


# ---------------------------------------------------------------------------------------
# Scanner
# ---------------------------------------------------------------------------------------


class BumbleScannerBackend(BaseBleakScanner):
    """`BaseBleakScanner` over the radio's central. Use `bind_scanner_backend` to get one."""

    radio: ClassVar[Radio | None] = None

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: Literal["active", "passive"] = "active",
        **kwargs: Any,  # bluez=, cb=: other platforms' options, meaningless here
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._radio = _radio_of(type(self), self.radio)
        # Scanning mode changes nothing on the virtual link: the emulated controller never
        # sends real scan responses (see `_on_advertisement`).
        self._scanning_mode = scanning_mode
        self._central: Device | None = None

    async def start(self) -> None:
        if self._central is not None:
            return
        self.seen_devices = {}  # Bleak's contract: cleared on every start
        central = await self._radio.acquire_scanning()
        central.on(central.EVENT_ADVERTISEMENT, self._on_advertisement)
        self._central = central

    async def stop(self) -> None:
        central, self._central = self._central, None
        if central is None:
            return
        central.remove_listener(central.EVENT_ADVERTISEMENT, self._on_advertisement)
        await self._radio.release_scanning()

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        # Bumble's emulated controller answers every advertisement with a "scan response"
        # that repeats the advertising data, and Bumble's accumulator then concatenates the
        # two (every field twice). Real scan response data never exists on this link, so
        # dropping these echoes loses nothing and keeps one callback per advertisement.
        if advertisement.is_scan_response:
            return
        adv = advertisement_data(advertisement)
        if not self.is_allowed_uuid(adv.service_uuids):
            return
        address = bleak_address(advertisement.address)
        device = self.create_or_update_device(
            address, address, adv.local_name, advertisement.address, adv
        )
        self.call_detection_callbacks(device, adv)


def bind_scanner_backend(radio: Radio) -> type[BumbleScannerBackend]:
    """A `BumbleScannerBackend` subclass bound to `radio`, for `BleakScanner(backend=...)`."""
    return type("BumbleScannerBackend", (BumbleScannerBackend,), {"radio": radio})


# ---------------------------------------------------------------------------------------
# Client
# ---------------------------------------------------------------------------------------


class BumbleClientBackend(BaseBleakClient):
    """`BaseBleakClient` over one connection of the radio's central.

    Use `bind_client_backend` (or `VirtualRadio.client_backend()`) to get a usable class.
    """

    radio: ClassVar[Radio | None] = None

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        services: set[str] | None = None,
        *,
        disconnected_callback: Callable[[], None] | None,
        timeout: float,
        **kwargs: Any,  # bluez=, winrt=: other platforms' options, meaningless here
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        self._radio = _radio_of(type(self), self.radio)
        if isinstance(address_or_ble_device, BLEDevice) and isinstance(
            address_or_ble_device.details, hci.Address
        ):
            # Found by our scanner: keeps the address type the peripheral advertised with.
            self._peer_address: hci.Address = address_or_ble_device.details
        else:
            self._peer_address = hci.Address(self.address)
        self._name = (
            address_or_ble_device.name
            if isinstance(address_or_ble_device, BLEDevice) and address_or_ble_device.name
            else self.address
        )
        self._requested_services = services
        self._connection: Connection | None = None
        self._mtu = att.ATT_DEFAULT_MTU
        self._subscriptions: dict[int, Callable[[bytes], None]] = {}

    # -- properties -----------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def mtu_size(self) -> int:
        return self._mtu

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    # -- connection -----------------------------------------------------------------------

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        if pair:
            logger.info("virtual radio: pairing requested but not supported; connecting anyway")
        if self._connection is not None:
            return
        timeout: float = kwargs.get("timeout", self._timeout)
        self._mtu = att.ATT_DEFAULT_MTU  # until this link's exchange says otherwise
        central = await self._radio.central()
        async with self._radio.connect_lock:
            connection = await self._create_connection(central, timeout)
        self._connection = connection
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        try:
            async with asyncio.timeout(timeout):
                peer = Peer(connection)
                self._mtu = await self._gatt(peer.request_mtu(REQUESTED_MTU))
                self.services = await self._discover(peer)
        except BaseException:
            # Bleak's contract: a failed connect leaves nothing connected behind.
            await self.disconnect()
            raise

    async def _create_connection(self, central: Device, timeout: float) -> Connection:
        try:
            # Bumble's own timeout cancels the attempt at the controller; the outer guard
            # only matters if the emulated controller never answers that cancel (it did not
            # before `radio._VirtualController`), so a connect can never hang.
            async with asyncio.timeout(timeout + CONNECT_GUARD_SLACK):
                return await central.connect(self._peer_address, timeout=timeout)
        except (TimeoutError, core.TimeoutError) as error:
            raise TimeoutError(f"{self.address}: no connection within {timeout} s") from error
        except core.ConnectionError as error:
            raise BleakError(f"{self.address}: connection failed: {error}") from error

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None:
            return
        try:
            async with asyncio.timeout(DISCONNECT_TIMEOUT):
                await connection.disconnect(
                    hci.HCI_ErrorCode.REMOTE_USER_TERMINATED_CONNECTION_ERROR
                )
        except TimeoutError:
            # The controller lost track of the link; treat it as gone all the same.
            logger.warning("%s: disconnection not confirmed; dropping the link", self.address)
            self._on_disconnection(hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR)

    def _on_disconnection(self, reason: int) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        connection.remove_listener(connection.EVENT_DISCONNECTION, self._on_disconnection)
        logger.debug("%s: disconnected, reason 0x%02X", self.address, reason)
        self.services = None
        self._subscriptions.clear()
        callback = self._disconnected_callback
        if callback is not None:
            asyncio.get_running_loop().call_soon(callback)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("pairing is not supported on the virtual radio")

    async def unpair(self) -> None:
        raise NotImplementedError("pairing is not supported on the virtual radio")

    # -- discovery ------------------------------------------------------------------------

    async def _discover(self, peer: Peer) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        for service_proxy in await self._gatt(peer.discover_services()):
            service_uuid = bleak_uuid(service_proxy.uuid)
            if self._requested_services and service_uuid not in self._requested_services:
                continue
            service = BleakGATTService(service_proxy, service_proxy.handle, service_uuid)
            collection.add_service(service)
            for char_proxy in await self._gatt(service_proxy.discover_characteristics()):
                characteristic = BleakGATTCharacteristic(
                    char_proxy,
                    char_proxy.handle,
                    bleak_uuid(char_proxy.uuid),
                    _property_names(char_proxy.properties),
                    self._max_write_without_response_size,
                    service,
                )
                collection.add_characteristic(characteristic)
                for descriptor_proxy in await self._gatt(peer.discover_descriptors(char_proxy)):
                    collection.add_descriptor(
                        BleakGATTDescriptor(
                            descriptor_proxy,
                            descriptor_proxy.handle,
                            bleak_uuid(descriptor_proxy.type),
                            characteristic,
                        )
                    )
                # Bumble never sets this flag itself, and would re-discover descriptors
                # on every subscribe/unsubscribe without it.
                char_proxy.descriptors_discovered = True
        return collection

    def _max_write_without_response_size(self) -> int:
        return self._mtu - 3  # ATT Write Command header: opcode + handle

    # -- I/O ------------------------------------------------------------------------------

    async def read_gatt_char(
        self,
        characteristic: BleakGATTCharacteristic,
        *,
        use_cached: bool = False,
        **kwargs: Any,
    ) -> bytearray:
        return await self._read(characteristic.handle, use_cached=use_cached)

    async def read_gatt_descriptor(
        self,
        descriptor: BleakGATTDescriptor,
        *,
        use_cached: bool = False,
        **kwargs: Any,
    ) -> bytearray:
        return await self._read(descriptor.handle, use_cached=use_cached)

    async def _read(self, handle: int, *, use_cached: bool) -> bytearray:
        client = self._require_connection().gatt_client
        if use_cached and handle in client.cached_values:
            return bytearray(client.cached_values[handle][1])
        return bytearray(await self._gatt(client.read_value(handle)))

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        client = self._require_connection().gatt_client
        await self._gatt(client.write_value(characteristic.handle, bytes(data), response))

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        client = self._require_connection().gatt_client
        await self._gatt(client.write_value(descriptor.handle, bytes(data), True))

    async def start_notify(
        self,
        characteristic: BleakGATTCharacteristic,
        callback: NotifyCallback,
        **kwargs: Any,
    ) -> None:
        client = self._require_connection().gatt_client
        properties = characteristic.properties
        if "notify" not in properties and "indicate" not in properties:
            raise BleakError(f"characteristic {characteristic.uuid} cannot notify or indicate")
        if characteristic.get_descriptor(_CCCD_UUID) is None:
            # Bumble would only log a warning and return, leaving the caller waiting.
            raise BleakError(f"characteristic {characteristic.uuid} has no CCCD")
        proxy: CharacteristicProxy[bytes] = characteristic.obj
        if characteristic.handle in self._subscriptions:
            await self.stop_notify(characteristic)
        loop = asyncio.get_running_loop()

        def on_value(value: bytes) -> None:
            loop.call_soon(callback, bytearray(value))

        self._subscriptions[characteristic.handle] = on_value
        # Bumble writes the CCCD from the properties: 0x0001 (notify; preferred when both,
        # as Bleak asks of backends) or 0x0002 (indicate), and confirms each indication.
        try:
            await self._gatt(client.subscribe(proxy, on_value, prefer_notify=True))
        except BaseException:
            self._subscriptions.pop(characteristic.handle, None)
            raise

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        client = self._require_connection().gatt_client
        on_value = self._subscriptions.pop(characteristic.handle, None)
        if on_value is None:
            return
        proxy: CharacteristicProxy[bytes] = characteristic.obj
        await self._gatt(client.unsubscribe(proxy, on_value))  # writes 0x0000 to the CCCD

    # -- helpers --------------------------------------------------------------------------

    def _require_connection(self) -> Connection:
        if self._connection is None:
            raise BleakError(f"{self.address}: not connected")
        return self._connection

    async def _gatt(self, operation: Awaitable[_T]) -> _T:
        """Await a Bumble GATT operation, translating its failures into Bleak's errors."""
        task = asyncio.current_task()
        try:
            return await operation
        except att.ATT_Error as error:
            raise BleakGATTProtocolError(error.error_code) from error
        except asyncio.CancelledError:
            # Bumble cancels a request's pending response when the link drops; only a
            # cancellation of *our* task must propagate as such.
            if task is not None and task.cancelling():
                raise
            raise BleakError(f"{self.address}: disconnected during a GATT operation") from None
        except core.TimeoutError as error:
            raise TimeoutError(f"{self.address}: GATT request timed out") from error


def _property_names(properties: int) -> list[CharacteristicPropertyName]:
    return [name for bit, name in CHARACTERISTIC_PROPERTIES.items() if properties & bit]


def bind_client_backend(radio: Radio) -> type[BumbleClientBackend]:
    """A `BumbleClientBackend` subclass bound to `radio`, for `BleakClient(backend=...)`."""
    return type("BumbleClientBackend", (BumbleClientBackend,), {"radio": radio})
