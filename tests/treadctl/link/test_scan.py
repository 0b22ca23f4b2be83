"""Scanning: the virtual radio's treadmill and strap through the real Bleak scanner, and a
scan that fails (a failing scanner backend stands in for the OS's Bluetooth stack)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from bleak.exc import BleakError

from tests.helpers.ftms_client import run
from tests.helpers.link import failing_scanner
from treadctl.clock import ManualClock
from treadctl.link import BleakBackends, ScanFailed, scan
from treadctl.virtual.world import VirtualWorld


def test_scan_lists_the_treadmill_and_the_strap() -> None:
    async def scenario() -> None:
        async with VirtualWorld(ManualClock(), with_strap=True) as world:
            backends = BleakBackends.of(world)
            found = await scan(1.0, backends=backends)
            kinds = {(d.kind, d.address) for d in found}
            assert ("treadmill", world.treadmill_address) in kinds
            assert ("heart_rate", world.strap_address) in kinds
            treadmill = next(d for d in found if d.kind == "treadmill")
            assert treadmill.name == "Virtual Treadmill" and treadmill.rssi is not None
            assert treadmill.available is True

    run(scenario)


@pytest.mark.parametrize(
    "error",
    [
        lambda: BleakError("org.bluez.Error.Failed: scan failed"),
        lambda: OSError(5, "Input/output error"),
        lambda: TimeoutError("no answer from the adapter"),
    ],
    ids=["bleak", "os", "timeout"],
)
def test_a_failed_scan_raises_scan_failed_with_its_cause(
    error: Callable[[], BaseException],
) -> None:
    async def scenario() -> None:
        backends = BleakBackends(scanner=failing_scanner(error))
        with pytest.raises(ScanFailed, match="scan failed") as raised:
            await scan(1.0, backends=backends)
        assert type(raised.value.__cause__) is type(error())

    run(scenario)
