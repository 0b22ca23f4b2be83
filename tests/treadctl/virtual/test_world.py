"""The virtual world (treadctl.virtual.world): a radio with a treadmill wired to it."""

from __future__ import annotations

from tests.helpers.ftms_client import connect, run
from tests.treadctl.virtual.scenario import SECOND_ADDRESS
from treadctl.clock import ManualClock, ScaledClock
from treadctl.devices.deviations import Deviations
from treadctl.virtual.quirks import Quirks
from treadctl.virtual.world import VirtualWorld


def test_world_shape_and_quirk_overrides() -> None:
    async def scenario() -> None:
        clock = ManualClock(start=5.0)
        world = VirtualWorld(clock, quirks="urevo-e1l", name="E1L", address=SECOND_ADDRESS)
        assert world.treadmill_address == SECOND_ADDRESS
        assert world.treadmill.model is world.model
        assert world.model.now == 5.0
        assert world.model.spec.min_speed_kmh == 0.96
        assert world.strap is None and world.strap_address is None
        assert world.scanner_backend() is world.radio.scanner_backend()
        assert world.client_backend() is world.radio.client_backend()
        await world.start()
        await world.start()  # idempotent
        assert b"\tE1L" in world.treadmill.advertising_data  # AD type 0x09, complete local name
        async with connect(world) as c:
            assert c.client.is_connected
        await world.close()
        await world.close()

        custom = Quirks(name="custom", deviations=Deviations(has_ranges=False))
        async with VirtualWorld(clock, quirks=custom) as other:
            assert other.treadmill.quirks is custom

    run(scenario)


def test_world_on_a_scaled_clock() -> None:
    async def scenario() -> None:
        clock = ScaledClock(500.0)  # 2 Hz of simulated time is every millisecond
        async with VirtualWorld(clock) as world, connect(world) as c:
            await c.subscribe(status=False, training=False, control=False)
            world.treadmill.console_start()
            records = [await c.next_record() for _ in range(6)]
            assert all(r.speed_kmh is not None for r in records)
            assert records[-1].speed_kmh is not None and records[-1].speed_kmh > 0

    run(scenario)
