"""The control point's procedure queue, seen through the treadmill link over the virtual treadmill.

Each scenario runs a `VirtualWorld` on a `ManualClock` in its own loop (`run`). Treadmill data
and command timeouts move only when the test advances the clock; every wait for something that
should happen is bounded by `WAIT` seconds of the loop's virtual time and fails the test when it
runs out. What the treadmill received is read from its trace (every control-point write, with
its result).
"""

from __future__ import annotations

import asyncio

from tests.helpers.ftms_client import WAIT, run
from tests.helpers.link import linked
from treadctl.link import CommandAnswered, StartCancelled


def test_stop_jumps_ahead_of_queued_commands() -> None:
    async def scenario() -> None:
        async with linked() as (world, link, _events, trace, clock):
            await link.request_control()
            world.treadmill.faults.answer_delay(1.0)
            queued = [asyncio.ensure_future(link.set_target_speed(v)) for v in (1.0, 1.5, 2.0)]
            await asyncio.sleep(0)
            stop = asyncio.ensure_future(link.stop())
            for _ in range(8):
                await clock.advance(1.0)
            results = await asyncio.wait_for(
                asyncio.gather(stop, *queued, return_exceptions=True), WAIT
            )
            values = [(w["op"], w.get("value")) for w in trace.writes[1:]]
            # The speeds still waiting when the stop was asked for never go out after it.
            assert values == [
                ("set_target_speed", 1.0),  # in flight when the stop was asked for
                ("stop", None),
            ]
            assert results[:2] == [None, 1.0]
            assert all(isinstance(r, StartCancelled) for r in results[2:])

    run(scenario)


def test_two_hundred_round_trips_without_leak_or_hang() -> None:
    async def scenario() -> None:
        async with linked() as (_, link, events, trace, _clock):
            await link.request_control()
            tasks_before = len(asyncio.all_tasks())
            for i in range(200):
                await link.set_target_speed(1.0 + (i % 50) / 10)
            assert len(trace.writes) == 201
            assert len(asyncio.all_tasks()) <= tasks_before
            assert link._procedures.queued == 0
            assert len(events.of(CommandAnswered)) == 201

    run(scenario)
