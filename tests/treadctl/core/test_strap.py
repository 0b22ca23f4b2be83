"""The strap in use (treadctl.core.strap), for what ``test_app_core`` leaves out: connecting
twice, a strap that cannot be reached, one connect replacing another, letting go (disconnect,
close), the name from the scans, how long a reading counts, and which link events count in
which state.

`Strap` runs here on its own, over a real `HeartRateLink` to the virtual world's strap on a
ManualClock. ``test_app_core`` has the rest through the core: connected, readings reaching a
session, a drop-out that is not a lost treadmill, and the strap coming back.

A few rules are about link events the virtual strap never sends on cue (no sensor contact, a
reading that arrives while the strap is lost, a failed reconnect attempt): those are put through
the link's own ``_emit``, the path every link event takes to its listeners.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.helpers.ftms_client import WAIT, run
from treadctl.clock import ManualClock
from treadctl.core.events import (
    CoreEvent,
    StrapConnected,
    StrapConnectFailed,
    StrapConnecting,
    StrapDisconnected,
    StrapLost,
    StrapReading,
    StrapReconnecting,
    StrapState,
)
from treadctl.core.strap import STRAP_FRESH_S, Strap
from treadctl.link import (
    BleakBackends,
    Disconnected,
    HeartRateLink,
    HeartRateSample,
    LinkEvent,
    Reconnecting,
    StrapReconnected,
)
from treadctl.virtual.world import VirtualWorld

NOWHERE = "F0:00:00:00:00:99"  # no device on the virtual radio has this address
SCANNED_NAME = "Polar H10 A1B2C3"


@dataclass
class StrapWorld:
    world: VirtualWorld
    clock: ManualClock
    link: HeartRateLink
    strap: Strap
    address: str
    events: list[CoreEvent] = field(default_factory=list)

    def of[E](self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]

    async def event[E](self, kind: type[E]) -> E:
        """The first ``kind`` event, waiting ``WAIT`` s of the loop's time (the radio's timers)."""

        async def find() -> E:
            while not self.of(kind):
                await asyncio.sleep(0.01)
            return self.of(kind)[0]

        return await asyncio.wait_for(find(), WAIT)

    def emit(self, event: LinkEvent) -> None:
        """Put ``event`` through the link's listeners, as the link does with its own."""
        self.link._emit(event)


@asynccontextmanager
async def strap_world(names: dict[str, str] | None = None) -> AsyncIterator[StrapWorld]:
    clock = ManualClock()
    tasks: set[asyncio.Task[Any]] = set()

    def spawn(coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        tasks.add(task)  # referenced, as the core keeps its tasks
        task.add_done_callback(tasks.discard)
        return task

    async with VirtualWorld(clock, with_strap=True) as world:
        assert world.strap_address is not None
        link = HeartRateLink(
            clock,
            backends=BleakBackends.of(world),
            connect_timeout=0.3,
            connect_attempts=1,
            reconnect_delays=(0.5,),
        )
        events: list[CoreEvent] = []
        if names is None:
            names = {world.strap_address: SCANNED_NAME}
        strap = Strap(clock, link, events.append, spawn, names)
        try:
            yield StrapWorld(world, clock, link, strap, world.strap_address, events)
        finally:
            await strap.close()
            if tasks:
                await asyncio.wait(tasks, timeout=WAIT)


async def connected(sw: StrapWorld) -> None:
    task = sw.strap.connect(sw.address)
    assert task is not None
    await asyncio.wait_for(task, WAIT)
    assert state_of(sw) is StrapState.CONNECTED


def state_of(sw: StrapWorld) -> StrapState:
    """The strap's state, read through a call (so type checkers do not narrow it)."""
    return sw.strap.state


def reading(
    sw: StrapWorld, bpm: int, *, contact: bool | None = True, age: float = 0.0
) -> HeartRateSample:
    return HeartRateSample(sw.clock.now() - age, bpm, contact, ())


# --- connecting ---------------------------------------------------------------------------------


def test_a_connect_says_connecting_then_connected_with_the_scanned_name() -> None:
    async def scenario() -> None:
        async with strap_world() as sw:
            await connected(sw)
            assert sw.events == [
                StrapConnecting(sw.address),
                StrapConnected(sw.address, SCANNED_NAME),
            ]
            assert sw.strap.address == sw.address and sw.strap.name == SCANNED_NAME
            assert sw.link.is_connected

    run(scenario)


def test_a_strap_no_scan_named_goes_by_the_name_it_gives() -> None:
    # `treadctl run --strap ADDRESS` connects without scanning: the strap's own name shows.
    async def scenario() -> None:
        async with strap_world(names={}) as sw:
            await connected(sw)
            assert sw.strap.name == "Virtual HR"
            assert sw.of(StrapConnected) == [StrapConnected(sw.address, "Virtual HR")]

    run(scenario)


def test_connecting_the_strap_in_use_again_does_nothing() -> None:
    async def scenario() -> None:
        async with strap_world() as sw:
            task = sw.strap.connect(sw.address)
            assert task is not None
            assert sw.strap.connect(sw.address) is None  # while it connects
            await asyncio.wait_for(task, WAIT)
            assert sw.strap.connect(sw.address) is None  # once connected
            assert len(sw.of(StrapConnecting)) == 1 and len(sw.of(StrapConnected)) == 1

    run(scenario)


def test_a_strap_that_cannot_be_reached_fails_to_connect() -> None:
    async def scenario() -> None:
        async with strap_world() as sw:
            task = sw.strap.connect(NOWHERE)
            assert task is not None and state_of(sw) is StrapState.CONNECTING
            await asyncio.wait_for(task, WAIT)
            (failed,) = sw.of(StrapConnectFailed)
            assert failed.address == NOWHERE and NOWHERE in failed.message
            assert state_of(sw) is StrapState.NONE and sw.strap.address is None
            assert not sw.link.is_connected
            await connected(sw)  # and another strap can be tried after it

    run(scenario)


def test_a_connect_replaces_the_one_under_way() -> None:
    async def scenario() -> None:
        async with strap_world() as sw:
            first = sw.strap.connect(NOWHERE)
            second = sw.strap.connect(sw.address)
            assert first is not None and second is not None
            await asyncio.wait_for(second, WAIT)
            assert first.cancelled()
            assert sw.of(StrapConnectFailed) == []  # the first was cancelled, not failed
            assert sw.of(StrapConnected) == [StrapConnected(sw.address, SCANNED_NAME)]
            assert state_of(sw) is StrapState.CONNECTED

    run(scenario)


# --- letting go ---------------------------------------------------------------------------------


def test_disconnect_lets_the_strap_go_at_once() -> None:
    async def scenario() -> None:
        async with strap_world() as sw:
            await connected(sw)
            sw.emit(reading(sw, 120))
            sw.strap.disconnect()
            assert state_of(sw) is StrapState.NONE
            assert sw.strap.address is None and sw.strap.name is None and sw.strap.bpm is None
            await sw.event(StrapDisconnected)
            assert not sw.link.is_connected
            sw.strap.disconnect()  # nothing in use: nothing happens
            await asyncio.sleep(0)
            assert len(sw.of(StrapDisconnected)) == 1

    run(scenario)


def test_close_lets_go_for_good_and_says_so_once() -> None:
    async def scenario() -> None:
        async with strap_world() as sw:
            await connected(sw)
            await sw.strap.close()
            assert state_of(sw) is StrapState.NONE and not sw.link.is_connected
            await sw.strap.close()  # already let go: no second event
            assert len(sw.of(StrapDisconnected)) == 1

    run(scenario)


# --- readings -----------------------------------------------------------------------------------


def test_the_strap_reading_arrives_and_counts_while_fresh() -> None:
    async def scenario() -> None:
        async with strap_world() as sw:
            assert sw.world.strap is not None
            sw.world.strap.bpm = 131
            await connected(sw)
            await sw.clock.advance(1.0)  # the virtual strap notifies once a second
            first = await sw.event(StrapReading)
            assert first.bpm == 131 and sw.strap.bpm == 131
            sw.emit(reading(sw, 140, age=STRAP_FRESH_S))  # as old as still counts
            assert sw.strap.bpm == 140
            sw.emit(reading(sw, 150, age=STRAP_FRESH_S + 0.1))
            assert sw.strap.bpm is None  # stale: the session goes back to the hand grips

    run(scenario)


@pytest.mark.parametrize(("contact", "counts"), [(False, False), (None, True), (True, True)])
def test_a_reading_without_skin_contact_does_not_count(contact: bool | None, counts: bool) -> None:
    # None: a strap that cannot tell; only a strap that says "no contact" is ignored.
    async def scenario() -> None:
        async with strap_world() as sw:
            await connected(sw)
            sw.emit(reading(sw, 99, contact=contact))
            assert (sw.of(StrapReading) == [StrapReading(99)]) is counts
            assert (sw.strap.bpm == 99) is counts

    run(scenario)


def test_readings_count_only_once_the_strap_is_reported_connected() -> None:
    async def scenario() -> None:
        async with strap_world() as sw:
            sw.emit(reading(sw, 99))  # nothing in use
            task = sw.strap.connect(sw.address)
            sw.emit(reading(sw, 99))  # connecting
            assert sw.of(StrapReading) == [] and sw.strap.bpm is None
            assert task is not None
            await asyncio.wait_for(task, WAIT)

    run(scenario)


# --- lost and back ------------------------------------------------------------------------------


def test_while_lost_readings_wait_for_the_link_to_say_it_is_back() -> None:
    async def scenario() -> None:
        async with strap_world() as sw:
            await connected(sw)
            sw.emit(reading(sw, 120))
            sw.emit(Disconnected(sw.clock.now(), expected=False))
            assert state_of(sw) is StrapState.LOST and sw.strap.bpm is None
            assert sw.of(StrapLost) == [StrapLost()]
            sw.emit(reading(sw, 125))
            assert sw.strap.bpm is None and [r.bpm for r in sw.of(StrapReading)] == [120]
            attempt = Reconnecting(sw.clock.now(), 1, 0.5, "not found")
            sw.emit(attempt)
            assert sw.of(StrapReconnecting) == [StrapReconnecting(attempt)]
            sw.emit(StrapReconnected(sw.clock.now(), sw.address, None))
            assert state_of(sw) is StrapState.CONNECTED
            # The link gave no name: the scanned one.
            assert sw.of(StrapConnected)[-1] == StrapConnected(sw.address, SCANNED_NAME)
            sw.emit(reading(sw, 126))
            assert sw.strap.bpm == 126

    run(scenario)


def test_link_events_out_of_their_state_change_nothing() -> None:
    async def scenario() -> None:
        async with strap_world() as sw:
            await connected(sw)
            before = list(sw.events)
            # A drop-out is news only for a connected strap; reconnects only for a lost one.
            sw.emit(Disconnected(sw.clock.now(), expected=True))
            sw.emit(Reconnecting(sw.clock.now(), 1, 0.5, "not found"))
            sw.emit(StrapReconnected(sw.clock.now(), sw.address, "Strap"))
            assert sw.events == before and state_of(sw) is StrapState.CONNECTED

    run(scenario)
