"""A device's shape: what a probe sees of a treadmill, as plain data the virtual one can take.

Shape::

    DeviceShape                         what ``treadctl probe --report`` records, minus its prose
     ├── advertisement: Advertisement   name, service UUIDs, service data, manufacturer data, TX
     │                                  power (never the address, never the RSSI)
     ├── services: (GattService, ...)   handle order; each GattCharacteristic with its
     │                                  properties, descriptors and value as read
     ├── mtu
     ├── rest: (Notification, ...)      raw notifications while the belt stood, ``rest_seconds``
     ├── control: (ControlExchange, ...) harmless control-point requests and their answers
     ├── speed_ratio                    measured / commanded speed of a guided test (None: none)
     └── deviations: {name: value}      reserved for the device knowledge base's vocabulary

Three parts read or write it, and none owns it, so it lives apart from all three: the link
fills the advertisement and the GATT table (``treadctl.link.survey``), the report reads and
writes it as JSON (``treadctl.report``), and the virtual treadmill takes its shape
(``treadctl.virtual.reported_device``). Plain frozen data, no I/O; UUIDs are Bleak's
spelling (128-bit, lower case, dashed).

What is never in it, for privacy: the device's address, the signal strength, and the values
of Serial Number 0x2A25 and System ID 0x2A23 (``withheld``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from protocols.device_information import PRIVATE_UUIDS

__all__ = [
    "CCCD_UUID",
    "STACK_SERVICE_UUIDS",
    "WITHHELD_UUIDS",
    "Advertisement",
    "ControlExchange",
    "DeviceShape",
    "GattCharacteristic",
    "GattDescriptor",
    "GattService",
    "Notification",
]

#: Generic Access 0x1800 and Generic Attribute 0x1801: the Bluetooth stack's own services.
#: Some stacks hide them from applications (BlueZ, CoreBluetooth), and they carry the device
#: name again and a hash of the database, so a shape leaves them out and the virtual radio
#: serves its own.
STACK_SERVICE_UUIDS = frozenset(
    {"00001800-0000-1000-8000-00805f9b34fb", "00001801-0000-1000-8000-00805f9b34fb"}
)

#: Characteristics whose values are never read nor kept: they identify the person's unit.
WITHHELD_UUIDS = PRIVATE_UUIDS

#: The Client Characteristic Configuration descriptor: its value is the client's own
#: subscription, not the device's, so a shape keeps its presence only.
CCCD_UUID = "00002902-0000-1000-8000-00805f9b34fb"


@dataclass(frozen=True, slots=True)
class Advertisement:
    """What the device advertises (merged with its scan response, as Bleak gives it)."""

    name: str | None = None
    service_uuids: tuple[str, ...] = ()
    service_data: tuple[tuple[str, bytes], ...] = ()
    manufacturer_data: tuple[tuple[int, bytes], ...] = ()
    tx_power: int | None = None


@dataclass(frozen=True, slots=True)
class GattDescriptor:
    """A descriptor; ``value`` as read (``None``: not read — a CCCD, or the read failed)."""

    uuid: str
    value: bytes | None = None


@dataclass(frozen=True, slots=True)
class GattCharacteristic:
    """A characteristic: Bleak's property names (``"read"``, ``"notify"``...) and its value.

    ``value`` is what a read gave (``None``: not readable, not read, or the read failed).
    ``read_error`` says why a read failed, ``att_error`` its ATT error code when it was one.
    ``withheld``: readable, but never read for privacy (Serial Number, System ID).
    """

    uuid: str
    properties: tuple[str, ...]
    value: bytes | None = None
    descriptors: tuple[GattDescriptor, ...] = ()
    read_error: str | None = None
    att_error: int | None = None
    withheld: bool = False


@dataclass(frozen=True, slots=True)
class GattService:
    uuid: str
    characteristics: tuple[GattCharacteristic, ...] = ()


@dataclass(frozen=True, slots=True)
class Notification:
    """One notification or indication as it arrived: ``t`` seconds since the probe began."""

    t: float
    characteristic: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ControlExchange:
    """One control-point write and what came of it.

    ``request`` is the link's name for it (``request_control``, ``reset``, ``start_or_resume``,
    ``set_target_speed``...), ``written`` the bytes written, ``answer`` the raw indication
    that answered it (``None``: none came), ``result`` the answer's result code name.
    ``error`` is why the procedure failed on our side (a timeout, an ATT error: then
    ``att_error`` is its code), ``None`` when an answer came.
    """

    t: float
    request: str
    written: bytes
    answer: bytes | None = None
    result: str | None = None
    error: str | None = None
    att_error: int | None = None


@dataclass(frozen=True, slots=True)
class DeviceShape:
    """A treadmill as a probe saw it; see the module docstring."""

    advertisement: Advertisement = Advertisement()
    services: tuple[GattService, ...] = ()
    mtu: int | None = None
    rest_seconds: float = 0.0
    rest: tuple[Notification, ...] = ()
    control: tuple[ControlExchange, ...] = ()
    speed_ratio: float | None = None
    deviations: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def name(self) -> str | None:
        return self.advertisement.name

    def service(self, uuid: str) -> GattService | None:
        return next((s for s in self.services if s.uuid == uuid), None)

    def characteristic(self, uuid: str) -> GattCharacteristic | None:
        """The first characteristic with ``uuid``, in any service."""
        return next((c for s in self.services for c in s.characteristics if c.uuid == uuid), None)

    def value(self, uuid: str) -> bytes | None:
        """The value a read of characteristic ``uuid`` gave (``None``: absent or unread)."""
        found = self.characteristic(uuid)
        return found.value if found is not None else None
