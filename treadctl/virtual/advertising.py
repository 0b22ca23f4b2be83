"""Advertising data of the virtual peripherals: what a scan of the virtual radio finds.

Shape::

    advertising_data(name, service, service_data=None) -> bytes
     ├── Flags                         LE General Discoverable, BR/EDR not supported
     ├── Complete Local Name           ``name``
     ├── Complete List of 16-bit UUIDs [service]
     └── Service Data - 16-bit UUID    (service, service_data), when given

    FtmsPeripheral:  advertising_data(name, 0x1826, bytes(ServiceData()))   [FTMS §3.1]
    HeartRateStrap:  advertising_data(name, 0x180D)

Everything goes in the advertising data, none in a scan response: Bumble's emulated controller
never sends scan response data (see :meth:`~treadctl.virtual.radio.VirtualRadio.add_peripheral`).
A long name can exceed the 31 bytes of legacy advertising; the virtual link carries it anyway
(Bumble's emulated controller does not check), a real controller would not.
"""

from __future__ import annotations

from bumble import data_types
from bumble.core import UUID, AdvertisingData, DataType

__all__ = ["advertising_data"]


def advertising_data(name: str, service: UUID, service_data: bytes | None = None) -> bytes:
    """The advertising data of a virtual peripheral named ``name`` that serves ``service``.

    ``service_data`` is the service's Service Data (FTMS: available, treadmill), left out when
    None.
    """
    structures: list[DataType] = [
        data_types.Flags(
            AdvertisingData.Flags.LE_GENERAL_DISCOVERABLE_MODE
            | AdvertisingData.Flags.BR_EDR_NOT_SUPPORTED
        ),
        data_types.CompleteLocalName(name),
        data_types.CompleteListOf16BitServiceUUIDs([service]),
    ]
    if service_data is not None:
        structures.append(data_types.ServiceData16BitUUID(service, service_data))
    return bytes(AdvertisingData(structures))
