"""Advertising data of the virtual peripherals (treadctl.virtual.advertising), found by a scan."""

from __future__ import annotations

import asyncio

from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bumble import hci
from bumble.core import UUID, AdvertisingData
from bumble.device import Device

from protocols.ftms import FITNESS_MACHINE_SERVICE_UUID, ServiceData
from protocols.heart_rate import HEART_RATE_SERVICE_UUID
from tests.helpers.ftms_client import WAIT, get, run
from tests.treadctl.virtual.scenario import world_of
from treadctl.virtual.advertising import advertising_data
from treadctl.virtual.radio import VirtualRadio


def test_advertisement_is_found_and_decodes_to_an_available_treadmill() -> None:
    async def scenario() -> None:
        async with world_of(name="VTM") as (world, _clock):
            seen: asyncio.Queue[tuple[BLEDevice, AdvertisementData]] = asyncio.Queue()
            async with BleakScanner(
                lambda d, ad: seen.put_nowait((d, ad)),
                service_uuids=[FITNESS_MACHINE_SERVICE_UUID],
                backend=world.scanner_backend(),
            ):
                device, adv = await get(seen)
        assert device.address == world.treadmill_address == "F0:00:00:00:00:01"
        assert adv.local_name == "VTM"
        assert adv.service_uuids == [FITNESS_MACHINE_SERVICE_UUID]
        service_data = ServiceData.from_bytes(adv.service_data[FITNESS_MACHINE_SERVICE_UUID])
        assert service_data == ServiceData()
        assert service_data.available and service_data.is_treadmill

    run(scenario)


def test_advertising_data_is_flags_name_service_and_its_service_data() -> None:
    ftms = UUID.from_16_bits(0x1826)
    data = AdvertisingData.from_bytes(advertising_data("VTM", ftms, b"\x01\x01\x00"))
    assert [type_ for type_, _ in data.ad_structures] == [
        AdvertisingData.Type.FLAGS,
        AdvertisingData.Type.COMPLETE_LOCAL_NAME,
        AdvertisingData.Type.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
        AdvertisingData.Type.SERVICE_DATA_16_BIT_UUID,
    ]
    # LE General Discoverable, BR/EDR not supported
    assert data.get(AdvertisingData.Type.FLAGS) == 0x06
    assert data.get(AdvertisingData.Type.SERVICE_DATA_16_BIT_UUID) == (ftms, b"\x01\x01\x00")
    strap = AdvertisingData.from_bytes(advertising_data("HR", UUID.from_16_bits(0x180D)))
    assert strap.get(AdvertisingData.Type.SERVICE_DATA_16_BIT_UUID) is None  # none given


def test_a_scan_finds_a_device_advertising_it_with_its_service_data() -> None:
    async def scenario() -> None:
        async with VirtualRadio() as radio:
            device = Device(name="VTM", address=hci.Address("F0:00:00:00:00:07"))
            ftms = UUID.from_16_bits(0x1826)
            await radio.add_peripheral(
                device, advertising_data=advertising_data("VTM", ftms, bytes(ServiceData()))
            )
            seen: asyncio.Queue[tuple[BLEDevice, AdvertisementData]] = asyncio.Queue()
            async with BleakScanner(
                lambda d, ad: seen.put_nowait((d, ad)), backend=radio.scanner_backend()
            ):
                found, adv = await get(seen)
        assert found.address == "F0:00:00:00:00:07"
        assert adv.local_name == "VTM"
        assert adv.service_uuids == [FITNESS_MACHINE_SERVICE_UUID]
        service_data = ServiceData.from_bytes(adv.service_data[FITNESS_MACHINE_SERVICE_UUID])
        assert service_data.available and service_data.is_treadmill

    run(scenario)


def test_the_treadmill_and_the_strap_advertise_with_it() -> None:
    async def scenario() -> None:
        async with world_of(with_strap=True, name="VTM") as (world, _clock):
            assert world.strap is not None
            assert world.treadmill.advertising_data == advertising_data(
                "VTM", UUID.from_16_bits(0x1826), bytes(ServiceData())
            )
            assert world.strap.advertising_data == advertising_data(
                world.strap.name, UUID.from_16_bits(0x180D)
            )
            seen: dict[str, AdvertisementData] = {}
            both = asyncio.Event()

            def on_advertisement(device: BLEDevice, adv: AdvertisementData) -> None:
                seen[device.address] = adv
                if len(seen) == 2:
                    both.set()

            async with BleakScanner(on_advertisement, backend=world.scanner_backend()):
                await asyncio.wait_for(both.wait(), WAIT)
        assert seen[world.treadmill_address].service_uuids == [FITNESS_MACHINE_SERVICE_UUID]
        assert world.strap_address is not None
        strap = seen[world.strap_address]
        assert strap.local_name == world.strap.name
        assert strap.service_uuids == [HEART_RATE_SERVICE_UUID]
        assert strap.service_data == {}

    run(scenario)
