"""The Device Information Service 0x180A the virtual devices serve, as real ones do.

Shape::

    VIRTUAL_TREADMILL_INFORMATION / VIRTUAL_STRAP_INFORMATION     what they say by default
    device_information_service(info) -> bumble Service            0x180A, read-only strings

Every value is encoded by :mod:`protocols.device_information`; only the characteristics whose
field is set are served (a real device serves some of them, rarely all). Serial Number and
System ID are never served by default: a test that wants them (a device report must leave
them out) adds them with ``extra``.
"""

from __future__ import annotations

from collections.abc import Mapping

from bumble.gatt import Characteristic, Service

from protocols.device_information import DEVICE_INFORMATION_SERVICE_UUID, DeviceInformation
from treadctl import __version__
from treadctl.virtual.backend import bumble_uuid

__all__ = [
    "VIRTUAL_STRAP_INFORMATION",
    "VIRTUAL_TREADMILL_INFORMATION",
    "device_information_service",
]

#: What the virtual treadmill says it is, unless its world is told otherwise.
VIRTUAL_TREADMILL_INFORMATION = DeviceInformation(
    manufacturer="treadctl",
    model="Virtual Treadmill",
    hardware_revision="virtual",
    firmware_revision=__version__,
    software_revision=__version__,
)

#: What the virtual heart-rate strap says it is.
VIRTUAL_STRAP_INFORMATION = DeviceInformation(
    manufacturer="treadctl",
    model="Virtual HR",
    hardware_revision="virtual",
    firmware_revision=__version__,
)


def device_information_service(
    info: DeviceInformation, extra: Mapping[str, bytes] | None = None
) -> Service:
    """A DIS serving ``info``'s fields (and ``extra``: UUID → value), each read-only."""
    values = {**info.values(), **(extra or {})}
    characteristics = [
        Characteristic(
            bumble_uuid(uuid), Characteristic.Properties.READ, Characteristic.READABLE, value
        )
        for uuid, value in values.items()
    ]
    return Service(bumble_uuid(DEVICE_INFORMATION_SERVICE_UUID), characteristics)
