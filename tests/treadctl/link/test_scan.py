"""Scanning the virtual radio for treadmills and straps through the real Bleak scanner."""

from __future__ import annotations

from tests.helpers.ftms_client import run
from treadctl.clock import ManualClock
from treadctl.link import BleakBackends, scan
from treadctl.virtual.world import VirtualWorld


def test_scan_lists_the_treadmill_and_the_strap() -> None:
    async def scenario() -> None:
        async with VirtualWorld(ManualClock(), with_strap=True) as world:
            backends = BleakBackends(world.scanner_backend(), world.client_backend())
            found = await scan(1.0, backends=backends)
            kinds = {(d.kind, d.address) for d in found}
            assert ("treadmill", world.treadmill_address) in kinds
            assert ("heart_rate", world.strap_address) in kinds
            treadmill = next(d for d in found if d.kind == "treadmill")
            assert treadmill.name == "Virtual Treadmill" and treadmill.rssi is not None
            assert treadmill.available is True

    run(scenario)
