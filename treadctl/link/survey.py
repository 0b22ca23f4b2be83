"""Looking at a device as it is, for a device report: its advertisement and its GATT table.

Shape::

    advertisement_of(address, clock, backends, timeout) -> Advertisement | None
     └── a scan that keeps the latest advertisement of ``address`` (merged with its scan
         response, as Bleak gives it), ADVERTISEMENT_SETTLE_S after it was first seen
    survey_gatt(client, clock) -> (GattService, ...)
     └── every service but the stack's own (0x1800, 0x1801), every characteristic with its
         properties and descriptors, the value of every readable one but the withheld
         (Serial Number, System ID), each read bounded by READ_TIMEOUT_S
    TreadmillLink.survey_gatt() calls the latter on its own connection (treadctl.link.treadmill)

Nothing here writes. A read that fails is kept as what it is (``read_error``, with its ATT
error code) and the survey goes on: a report is most useful for the devices that misbehave.
What is left out, for privacy: the address and the RSSI of the advertisement (the types have no
field for them) and the values of Serial Number 0x2A25 and System ID 0x2A23 (``withheld``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError, BleakGATTProtocolError

from treadctl.clock import Clock, wait_for
from treadctl.device_shape import (
    CCCD_UUID,
    STACK_SERVICE_UUIDS,
    WITHHELD_UUIDS,
    Advertisement,
    GattCharacteristic,
    GattDescriptor,
    GattService,
)
from treadctl.link.adapter import no_adapter_error
from treadctl.link.backends import BleakBackends
from treadctl.link.device_information import READ_TIMEOUT_S
from treadctl.link.errors import ScanFailed

__all__ = ["ADVERTISEMENT_SETTLE_S", "advertisement_of", "survey_gatt"]

logger = logging.getLogger(__name__)

#: After a device is first seen, how long the scan goes on for its scan response to arrive.
ADVERTISEMENT_SETTLE_S = 1.0


async def advertisement_of(
    address: str, clock: Clock, *, backends: BleakBackends | None = None, timeout: float = 10.0
) -> Advertisement | None:
    """What ``address`` advertises; ``None`` when it is not seen within ``timeout``.

    Raises :class:`NoAdapterError` or :class:`ScanFailed` as :func:`treadctl.link.scan` does.
    """
    backends = backends or BleakBackends()
    wanted = address.upper()
    seen = asyncio.Event()
    latest: list[AdvertisementData] = []

    def on_advertisement(device: BLEDevice, data: AdvertisementData) -> None:
        if device.address.upper() == wanted:
            latest[:] = [data]
            seen.set()

    try:
        scanner = BleakScanner(detection_callback=on_advertisement, **backends.scanner_kwargs())
        await scanner.start()
    except (BleakError, OSError) as error:
        if (no_adapter := no_adapter_error(error)) is not None:
            raise no_adapter from error
        raise ScanFailed(f"scan failed: {error}") from error
    try:
        try:
            await wait_for(clock, seen.wait(), timeout)
        except TimeoutError:
            return None
        await clock.sleep(ADVERTISEMENT_SETTLE_S)
    finally:
        try:
            await scanner.stop()
        except (BleakError, OSError) as error:
            logger.warning("stopping the scan: %s", error)
    data = latest[0]
    return Advertisement(
        name=data.local_name,
        service_uuids=tuple(u.lower() for u in data.service_uuids),
        service_data=tuple((u.lower(), bytes(v)) for u, v in data.service_data.items()),
        manufacturer_data=tuple((k, bytes(v)) for k, v in data.manufacturer_data.items()),
        tx_power=data.tx_power,
    )


async def survey_gatt(client: BleakClient, clock: Clock) -> tuple[GattService, ...]:
    """The connected device's GATT table, values read; see the module docstring."""
    services: list[GattService] = []
    for service in client.services:
        if service.uuid.lower() in STACK_SERVICE_UUIDS:
            continue
        characteristics: list[GattCharacteristic] = []
        for characteristic in service.characteristics:
            uuid = characteristic.uuid.lower()
            properties = tuple(characteristic.properties)
            descriptors: list[GattDescriptor] = []
            for descriptor in characteristic.descriptors:
                d_uuid = descriptor.uuid.lower()
                d_value = None
                if d_uuid != CCCD_UUID:
                    d_value, _, _ = await _read(
                        clock, client.read_gatt_descriptor(descriptor), f"{uuid}/{d_uuid}"
                    )
                descriptors.append(GattDescriptor(d_uuid, d_value))
            value = error = code = None
            withheld = uuid in WITHHELD_UUIDS and "read" in properties
            if "read" in properties and not withheld:
                value, error, code = await _read(clock, client.read_gatt_char(characteristic), uuid)
            characteristics.append(
                GattCharacteristic(
                    uuid, properties, value, tuple(descriptors), error, code, withheld
                )
            )
        services.append(GattService(service.uuid.lower(), tuple(characteristics)))
    return tuple(services)


async def _read(
    clock: Clock, read: Awaitable[bytearray], what: str
) -> tuple[bytes | None, str | None, int | None]:
    """``(value, None, None)``, or ``(None, why, ATT error code or None)`` when it failed."""
    try:
        raw = await wait_for(clock, read, READ_TIMEOUT_S)
    except BleakGATTProtocolError as error:
        code = int(error.code)
        text = f"ATT error 0x{code:02X}"
        logger.info("reading %s: %s", what, text)
        return None, text, code
    except (BleakError, OSError) as error:
        logger.info("reading %s: %s", what, error)
        return None, str(error) or type(error).__name__, None
    except TimeoutError:
        logger.info("reading %s: no answer within %s s", what, READ_TIMEOUT_S)
        return None, f"no answer within {READ_TIMEOUT_S:g} s", None
    return bytes(raw), None, None
