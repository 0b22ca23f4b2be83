"""Reading a device's Device Information Service 0x180A at connect: what it says it is.

Shape::

    read_device_information(client, clock) -> DeviceInformation | None
     └── each characteristic of protocols.device_information.FIELDS that the device serves
         and declares readable: one read, bounded by READ_TIMEOUT_S of clock time

Both links call it (the treadmill's into ``TreadmillInfo.device_information``, the strap's
into ``HeartRateLink.device_information``). Everything here is optional: a device without the
service gives ``None``; a characteristic that is missing, not readable, fails to read, times
out or cannot be decoded is logged and left out. Nothing here fails a connect. Serial Number
and System ID are never read (``protocols.device_information.PRIVATE_UUIDS``).
"""

from __future__ import annotations

import logging

from bleak import BleakClient
from bleak.exc import BleakError

from protocols import ParseError
from protocols.device_information import (
    DEVICE_INFORMATION_SERVICE_UUID,
    FIELDS,
    DeviceInformation,
)
from treadctl.clock import Clock, wait_for

__all__ = ["READ_TIMEOUT_S", "read_device_information"]

logger = logging.getLogger(__name__)

#: The longest one read may take (clock seconds). A device answers a read in tens of ms; one
#: that does not must not hold up the connect for Bleak's own (much longer) timeout.
READ_TIMEOUT_S = 3.0


async def read_device_information(client: BleakClient, clock: Clock) -> DeviceInformation | None:
    """What the connected device's Device Information Service says; ``None`` without one."""
    service = client.services.get_service(DEVICE_INFORMATION_SERVICE_UUID)
    if service is None:
        return None
    values: dict[str, bytes] = {}
    for field in FIELDS:
        characteristic = service.get_characteristic(field.uuid)
        if characteristic is None or "read" not in characteristic.properties:
            continue
        try:
            raw = await wait_for(clock, client.read_gatt_char(characteristic), READ_TIMEOUT_S)
        except (BleakError, OSError, TimeoutError) as error:
            logger.warning(
                "%s: Device Information %s unreadable, skipped: %s",
                client.address,
                field.attribute,
                error or type(error).__name__,
            )
            continue
        values[field.uuid] = bytes(raw)
    errors: list[ParseError] = []
    info = DeviceInformation.from_values(values, errors)
    for problem in errors:
        logger.warning("%s: Device Information undecodable, skipped: %s", client.address, problem)
    return info
