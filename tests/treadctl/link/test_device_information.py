"""Device Information at connect: read from the virtual devices over real GATT, through Bleak.

What a device serves is read; what it does not, or cannot give, is left out and never fails
the connect; Serial Number and System ID are never even read.
"""

from __future__ import annotations

from typing import Any

import pytest
from bumble import att
from bumble.gatt import Characteristic, CharacteristicValue, Service

from protocols import device_information as dis
from protocols.device_information import DeviceInformation, PnpId, VendorIdSource
from tests.helpers.ftms_client import run
from tests.helpers.link import linked
from treadctl.clock import ManualClock
from treadctl.link import BleakBackends, HeartRateLink
from treadctl.virtual.backend import bumble_uuid
from treadctl.virtual.device_information import (
    VIRTUAL_STRAP_INFORMATION,
    VIRTUAL_TREADMILL_INFORMATION,
)
from treadctl.virtual.peripheral import FTMS_SERVICE_UUID, FtmsPeripheral
from treadctl.virtual.world import VirtualWorld

KINGSMITH = DeviceInformation(
    manufacturer="KINGSMITH", model="KS-HD-Z1D", firmware_revision="1.2.8"
)


def test_the_virtual_treadmill_names_itself() -> None:
    async def scenario() -> None:
        async with linked() as (_, link, *_rest):
            assert link.info is not None
            assert link.info.device_information == VIRTUAL_TREADMILL_INFORMATION
            assert link.info.device_information.model == "Virtual Treadmill"

    run(scenario)


def test_a_world_gives_its_treadmill_a_real_devices_information() -> None:
    async def scenario() -> None:
        async with linked("kingsmith", device_information=KINGSMITH) as (_, link, *_rest):
            assert link.info is not None
            assert link.info.device_information == KINGSMITH
            assert link.info.device_information.summary() == "KINGSMITH KS-HD-Z1D, firmware 1.2.8"

    run(scenario)


class _OddDis(FtmsPeripheral):
    """A treadmill whose DIS has a firmware revision that fails to read, a bad PnP ID, a serial
    number and a system ID (counted when read), and a model padded like a C buffer."""

    private_reads = 0

    def _services(self, ftms_characteristics: list[Characteristic[Any]]) -> list[Service]:
        def refuse(_: Any) -> bytes:
            raise att.ATT_Error(att.ErrorCode.READ_NOT_PERMITTED)

        def private(_: Any) -> bytes:
            _OddDis.private_reads += 1
            return b"SN-0042"

        def readable(uuid: str, value: Any) -> Characteristic[Any]:
            return Characteristic(
                bumble_uuid(uuid), Characteristic.Properties.READ, Characteristic.READABLE, value
            )

        service = Service(
            bumble_uuid(dis.DEVICE_INFORMATION_SERVICE_UUID),
            [
                readable(dis.MANUFACTURER_NAME_UUID, b"Sole\x00\x00\x00"),
                readable(dis.MODEL_NUMBER_UUID, b"F85    "),
                readable(dis.FIRMWARE_REVISION_UUID, CharacteristicValue(read=refuse)),
                readable(dis.SERIAL_NUMBER_UUID, CharacteristicValue(read=private)),
                readable(dis.SYSTEM_ID_UUID, CharacteristicValue(read=private)),
                readable(dis.PNP_ID_UUID, b"\x01\x02"),
                # Declared without READ: not asked for.
                Characteristic(
                    bumble_uuid(dis.SOFTWARE_REVISION_UUID),
                    Characteristic.Properties.NOTIFY,
                    Characteristic.READABLE,
                    b"x",
                ),
            ],
        )
        return [service, Service(FTMS_SERVICE_UUID, ftms_characteristics)]


def test_what_cannot_be_read_is_skipped_and_the_private_never_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        async with linked(peripheral=_OddDis) as (_, link, *_rest):
            assert link.info is not None
            assert link.info.device_information == DeviceInformation("Sole", "F85")
            assert link.info.speed_range is not None  # the connect went on as ever
        assert _OddDis.private_reads == 0

    run(scenario)
    logged = caplog.text
    assert "firmware_revision unreadable" in logged and "undecodable" in logged


class _NoDis(FtmsPeripheral):
    def _services(self, ftms_characteristics: list[Characteristic[Any]]) -> list[Service]:
        return [Service(FTMS_SERVICE_UUID, ftms_characteristics)]


def test_a_treadmill_without_the_service() -> None:
    async def scenario() -> None:
        async with linked(peripheral=_NoDis) as (_, link, *_rest):
            assert link.info is not None and link.info.device_information is None

    run(scenario)


def test_pnp_id_is_read() -> None:
    pnp = PnpId(VendorIdSource.BLUETOOTH_SIG, 0x0059, 0x1234, 0x0128)

    async def scenario() -> None:
        info = DeviceInformation(model="T01", pnp_id=pnp)
        async with linked(device_information=info) as (_, link, *_rest):
            assert link.info is not None and link.info.device_information == info

    run(scenario)


def test_the_strap_names_itself() -> None:
    async def scenario() -> None:
        clock = ManualClock()
        async with VirtualWorld(clock, with_strap=True) as world:
            strap = HeartRateLink(clock, backends=BleakBackends.of(world))
            assert strap.device_information is None
            assert world.strap_address is not None
            await strap.connect(world.strap_address)
            assert strap.device_information == VIRTUAL_STRAP_INFORMATION
            await strap.disconnect()

    run(scenario)
