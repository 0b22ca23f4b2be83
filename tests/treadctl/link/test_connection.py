"""Connecting either link to the virtual world, and failing to: only a LinkError comes out.

Each scenario runs a `VirtualWorld` (treadmill and strap) on a `ManualClock` in its own loop
(`run`). A failed connect raises `ConnectFailed`, whose ``__cause__`` is what Bleak raised
where Bleak raised something, and leaves the link disconnected with no reconnect under way.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from bleak.exc import BleakError

from tests.helpers.ftms_client import run
from tests.helpers.link import Events
from treadctl.clock import ManualClock
from treadctl.link import (
    BleakBackends,
    Connected,
    ConnectFailed,
    HeartRateLink,
    Reconnecting,
    TreadmillLink,
)
from treadctl.virtual.world import VirtualWorld

ABSENT = "AA:BB:CC:DD:EE:01"

type AnyLink = TreadmillLink | HeartRateLink


@asynccontextmanager
async def strap_world() -> AsyncIterator[tuple[VirtualWorld, ManualClock, BleakBackends]]:
    clock = ManualClock()
    async with VirtualWorld(clock, with_strap=True) as world:
        yield world, clock, BleakBackends.of(world)


def one_try[L: (TreadmillLink, HeartRateLink)](
    kind: type[L], clock: ManualClock, backends: BleakBackends
) -> Callable[[], tuple[L, Events]]:
    """Fresh links of ``kind`` that try once (no backoff on the clock), with their events."""

    def make() -> tuple[L, Events]:
        link = kind(clock, backends=backends, connect_attempts=1, connect_timeout=0.5)
        return link, Events(link)

    return make


async def assert_nothing_left(clock: ManualClock, *tried: tuple[AnyLink, Events]) -> None:
    await clock.advance(5.0)  # past every reconnect delay: none may be tried
    for link, events in tried:
        assert not link.is_connected
        assert events.of(Reconnecting) == [] and events.of(Connected) == []


def test_a_failing_connect_of_the_treadmill_link_raises_a_link_error() -> None:
    async def scenario() -> None:
        async with strap_world() as (world, clock, backends):
            link = one_try(TreadmillLink, clock, backends)
            absent, not_a_treadmill, dropped = link(), link(), link()

            with pytest.raises(ConnectFailed, match="not found"):
                await absent[0].connect(ABSENT)
            assert world.strap_address is not None
            with pytest.raises(ConnectFailed, match="no Treadmill Data"):
                await not_a_treadmill[0].connect(world.strap_address)

            # The treadmill drops every link as it comes up: Bleak's error is the cause.
            drops: set[asyncio.Task[None]] = set()

            def drop(_: object) -> None:
                drops.add(asyncio.ensure_future(world.treadmill.drop_link()))

            world.treadmill.device.on("connection", drop)
            with pytest.raises(ConnectFailed) as failed:
                await dropped[0].connect(world.treadmill_address)
            assert isinstance(failed.value.__cause__, BleakError | TimeoutError)
            await asyncio.gather(*drops)
            await assert_nothing_left(clock, absent, not_a_treadmill, dropped)

    run(scenario)


def test_a_failing_connect_of_the_strap_link_raises_a_link_error() -> None:
    async def scenario() -> None:
        async with strap_world() as (world, clock, backends):
            link = one_try(HeartRateLink, clock, backends)
            absent, not_a_strap = link(), link()

            with pytest.raises(ConnectFailed, match="not found"):
                await absent[0].connect(ABSENT)
            # A treadmill has no Heart Rate Measurement (0x2A37): Bleak's "characteristic not
            # found" is the cause, and the half-made connection is closed again.
            with pytest.raises(ConnectFailed, match="2a37") as failed:
                await not_a_strap[0].connect(world.treadmill_address)
            assert isinstance(failed.value.__cause__, BleakError)
            await assert_nothing_left(clock, absent, not_a_strap)
            assert world.treadmill.connections == []

    run(scenario)
