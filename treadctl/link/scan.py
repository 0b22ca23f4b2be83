"""Scanning: which advertisers nearby are FTMS treadmills and which are heart-rate straps.

Shape::

    scan(timeout, backends)     -> [FoundDevice]    strongest signal first
     ├── BleakScanner.discover  filtered on the FTMS (0x1826) and Heart Rate (0x180D) services
     └── classify(device, adv)  -> FoundDevice | None   a treadmill, a strap, or nothing

A Bleak or OS failure leaves :func:`scan` as :class:`NoAdapterError` (see
``treadctl.link.adapter``) or :class:`ScanFailed`, never as Bleak's own error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError

from protocols import ParseError, ftms
from protocols.heart_rate import HEART_RATE_SERVICE_UUID
from treadctl.link.adapter import no_adapter_error
from treadctl.link.backends import BleakBackends
from treadctl.link.errors import ScanFailed

__all__ = ["FoundDevice", "classify", "scan"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FoundDevice:
    """One advertiser seen by :func:`scan`."""

    kind: Literal["treadmill", "heart_rate"]
    name: str | None
    address: str
    rssi: int | None
    machine_type: ftms.MachineType | None = None
    available: bool | None = None


async def scan(timeout: float = 5.0, *, backends: BleakBackends | None = None) -> list[FoundDevice]:
    """Scan for FTMS treadmills and heart-rate straps; strongest signal first.

    A device advertising the FTMS service with service data is listed only if its machine type
    includes a treadmill; one advertising the service without service data is listed too (the
    type is unknown, and some treadmills omit it).

    Raises :class:`NoAdapterError` when no adapter can be used, :class:`ScanFailed` (with the
    Bleak or OS error as ``__cause__``) when the scan fails otherwise.
    """
    backends = backends or BleakBackends()
    try:
        seen = await BleakScanner.discover(
            timeout=timeout,
            return_adv=True,
            service_uuids=[ftms.FITNESS_MACHINE_SERVICE_UUID, HEART_RATE_SERVICE_UUID],
            **backends.scanner_kwargs(),
        )
    except (BleakError, OSError, TimeoutError) as error:
        if (no_adapter := no_adapter_error(error)) is not None:
            raise no_adapter from error
        raise ScanFailed(f"scan failed: {error}") from error
    found = [item for device, adv in seen.values() if (item := classify(device, adv))]
    return sorted(found, key=lambda d: (d.rssi is None, -(d.rssi or 0), d.address))


def classify(device: BLEDevice, adv: AdvertisementData) -> FoundDevice | None:
    """What an advertisement is to us: a treadmill, a heart-rate strap, or nothing."""
    uuids = {u.lower() for u in adv.service_uuids}
    service_data = adv.service_data.get(ftms.FITNESS_MACHINE_SERVICE_UUID)
    name = adv.local_name or device.name
    if service_data is not None or ftms.FITNESS_MACHINE_SERVICE_UUID in uuids:
        machine_type = available = None
        if service_data is not None:
            try:
                decoded = ftms.ServiceData.from_bytes(service_data)
            except ParseError as error:
                logger.warning("%s: undecodable FTMS service data: %s", device.address, error)
            else:
                if decoded.machine_type is not None and not decoded.is_treadmill:
                    return None  # a bike or rower
                machine_type, available = decoded.machine_type, decoded.available
        return FoundDevice("treadmill", name, device.address, adv.rssi, machine_type, available)
    if HEART_RATE_SERVICE_UUID in uuids:
        return FoundDevice("heart_rate", name, device.address, adv.rssi)
    return None
