"""A missing Bluetooth adapter, told by the type of the error Bleak raises, never its text.

The adapter is outside the project: a scanner backend whose start fails stands in for it
(`failing_scanner`), passed through `BleakBackends` like the virtual radio's. Both places that
reach the adapter are checked: `scan` and the connect of each link.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from bleak.exc import BleakBluetoothNotAvailableError, BleakBluetoothNotAvailableReason, BleakError

from tests.helpers.ftms_client import run
from tests.helpers.link import failing_scanner
from treadctl.clock import ManualClock
from treadctl.link import (
    BleakBackends,
    ConnectFailed,
    HeartRateLink,
    NoAdapterError,
    ScanFailed,
    TreadmillLink,
    scan,
)

ADDRESS = "AA:BB:CC:DD:EE:FF"


def powered_off() -> BaseException:
    # What Bleak's BlueZ backend raises with every adapter powered off (manager.py,
    # get_default_adapter); the other backends raise the same type with their own reasons.
    return BleakBluetoothNotAvailableError(
        "No powered Bluetooth adapters found. Turn on Bluetooth and try again.",
        BleakBluetoothNotAvailableReason.POWERED_OFF,
    )


def no_bluez_socket() -> BaseException:
    # What Bleak 3.1 lets through on Linux without BlueZ's D-Bus socket (this CI machine).
    return FileNotFoundError(2, "No such file or directory")


def no_bus_permission() -> BaseException:
    return PermissionError(13, "Permission denied")


async def assert_no_adapter(
    error: Callable[[], BaseException], expected_type: type[BaseException], words: str
) -> None:
    backends = BleakBackends(scanner=failing_scanner(error))
    with pytest.raises(NoAdapterError, match=words) as raised:
        await scan(1.0, backends=backends)
    assert isinstance(raised.value.__cause__, expected_type)
    clock = ManualClock()
    for link in (TreadmillLink(clock, backends=backends), HeartRateLink(clock, backends=backends)):
        with pytest.raises(NoAdapterError, match=words) as raised:
            await link.connect(ADDRESS)  # at once: no retry can bring an adapter back
        assert isinstance(raised.value.__cause__, expected_type)
        assert not link.is_connected


@pytest.mark.parametrize(
    ("error", "expected_type", "words"),
    [
        (powered_off, BleakBluetoothNotAvailableError, "No powered Bluetooth adapters found"),
        (no_bluez_socket, FileNotFoundError, r"BlueZ over D-Bus\) is not running"),
        (no_bus_permission, PermissionError, "Permission denied"),
    ],
)
def test_no_adapter_is_told_by_the_error_type(
    error: Callable[[], BaseException], expected_type: type[BaseException], words: str
) -> None:
    run(lambda: assert_no_adapter(error, expected_type, words))


def test_an_error_that_only_mentions_the_adapter_is_not_a_missing_adapter() -> None:
    def busy() -> BaseException:
        return BleakError("adapter hci0 busy: org.bluez.Error.InProgress")

    async def scenario() -> None:
        backends = BleakBackends(scanner=failing_scanner(busy))
        with pytest.raises(ScanFailed) as raised:
            await scan(1.0, backends=backends)
        assert not isinstance(raised.value, NoAdapterError)
        link = TreadmillLink(ManualClock(), backends=backends, connect_attempts=1)
        with pytest.raises(ConnectFailed):
            await link.connect(ADDRESS)

    run(scenario)
