"""The heart-rate strap's link against the virtual strap, over real GATT through the real Bleak API.

Each scenario runs a `VirtualWorld` (with its strap) on a `ManualClock` in its own loop (`run`).
Measurements move only when the test advances the clock; every wait for something that should
happen is bounded by `WAIT` seconds of the loop's virtual time and fails the test when it
runs out.
"""

from __future__ import annotations

from tests.helpers.ftms_client import run
from tests.helpers.link import Events
from treadctl.clock import ManualClock
from treadctl.link import BleakBackends, HeartRateLink, HeartRateSample, StrapReconnected
from treadctl.virtual.world import VirtualWorld


def test_heart_rate_strap() -> None:
    async def scenario() -> None:
        clock = ManualClock()
        async with VirtualWorld(clock, with_strap=True) as world:
            assert world.strap is not None
            world.strap.bpm = 128
            strap = HeartRateLink(clock, backends=BleakBackends.of(world))
            events = Events(strap)
            assert world.strap_address is not None
            await strap.connect(world.strap_address)
            await clock.advance(2.0)
            sample = await events.next(HeartRateSample)
            assert sample.heart_rate_bpm == 128
            assert strap.name == "Virtual HR"

            # Dropped, and silent: the link still says when it is back, readings or not.
            await world.strap.close()
            mark = len(events.items)
            readings = len(events.of(HeartRateSample))
            await world.radio.drop_link(world.strap.device)
            back = await events.next(StrapReconnected, after=mark)
            assert (back.address, back.name) == (world.strap_address, "Virtual HR")
            assert len(events.of(HeartRateSample)) == readings  # nothing read since the drop
            await strap.disconnect()

    run(scenario)
