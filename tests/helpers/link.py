"""The link's test world: a real link over real GATT to the virtual treadmill, and what to watch.

`linked(...)` runs a `VirtualWorld` on a `ManualClock` and connects a `TreadmillLink` to its
treadmill; `Events` keeps every event a link emitted and waits for the next that matches;
`Trace` keeps what the virtual treadmill received on its control point, in order. Every wait
for something that should happen is bounded by `WAIT` seconds of the event loop's (virtual)
time.

`failing_scanner(...)` is a Bleak scanner backend whose start fails: it stands in for the
operating system's Bluetooth stack (outside the project), as a missing or broken adapter.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal

from bleak.backends.scanner import AdvertisementDataCallback, BaseBleakScanner

from tests.helpers.ftms_client import WAIT
from tests.helpers.session import connect_on
from treadctl.clock import ManualClock
from treadctl.devices.knowledge import KnowledgeBase
from treadctl.devices.settings import DeviceSettingsSource
from treadctl.link import BleakBackends, HeartRateLink, LinkEvent, TreadmillLink
from treadctl.virtual.quirks import Quirks
from treadctl.virtual.world import VirtualWorld


class Events:
    """Every event the link emitted, with a way to wait for the next one that matches."""

    def __init__(self, link: TreadmillLink | HeartRateLink) -> None:
        self.items: list[LinkEvent] = []
        self._changed = asyncio.Event()
        link.add_listener(self._add)

    def _add(self, event: LinkEvent) -> None:
        self.items.append(event)
        self._changed.set()

    def of[E](self, kind: type[E]) -> list[E]:
        return [e for e in self.items if isinstance(e, kind)]

    async def next[E](
        self, kind: type[E], where: Callable[[E], bool] = lambda _: True, after: int = 0
    ) -> E:
        """The first event of ``kind`` (from index ``after``) satisfying ``where``."""

        async def find() -> E:
            while True:
                for event in self.items[after:]:
                    if isinstance(event, kind) and where(event):
                        return event
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(find(), WAIT)


class Trace:
    """What the virtual treadmill received on its control point, in order."""

    def __init__(self, world: VirtualWorld) -> None:
        self.writes: list[dict[str, Any]] = []
        world.treadmill.add_trace_listener(self._add)

    def _add(self, record: dict[str, Any]) -> None:
        if record["kind"] == "write":
            self.writes.append(record)

    def ops(self) -> list[str]:
        return [w["op"] for w in self.writes]


@asynccontextmanager
async def linked(
    quirks: str | Quirks = "standard",
    *,
    command_timeout: float = 2.0,
    knowledge: KnowledgeBase | None = None,
    device_settings: DeviceSettingsSource | None = None,
    **world_kwargs: Any,
) -> AsyncIterator[tuple[VirtualWorld, TreadmillLink, Events, Trace, ManualClock]]:
    """A link connected to a virtual treadmill; ``knowledge`` is the device knowledge base
    the link matches it in (None: the built-in one)."""
    clock = ManualClock()
    async with VirtualWorld(clock, quirks=quirks, **world_kwargs) as world:
        link = TreadmillLink(
            clock,
            backends=BleakBackends.of(world),
            command_timeout=command_timeout,
            reconnect_delays=(0.5,),
            knowledge=knowledge,
            device_settings=device_settings,
        )
        events = Events(link)
        trace = Trace(world)
        # A vendor setup (Life Fitness) waits on the clock: it moves while the link connects.
        await connect_on(link, clock, world.treadmill_address)
        try:
            yield world, link, events, trace, clock
        finally:
            await link.disconnect()


async def belt_reaches(world: VirtualWorld, clock: ManualClock, kmh: float) -> None:
    """Advance simulated time until the virtual belt runs at ``kmh`` (at most 60 s)."""
    for _ in range(120):
        if abs(world.model.snapshot().speed_kmh - kmh) < 1e-6:
            return
        await clock.advance(0.5)
    raise AssertionError(f"belt at {world.model.snapshot().speed_kmh} km/h, wanted {kmh}")


def failing_scanner(error: Callable[[], BaseException]) -> type[BaseBleakScanner]:
    """A scanner backend whose ``start`` raises ``error()``, as the OS's stack would."""

    class FailingScanner(BaseBleakScanner):
        def __init__(
            self,
            detection_callback: AdvertisementDataCallback | None,
            service_uuids: list[str] | None,
            scanning_mode: Literal["active", "passive"] = "active",
            **kwargs: Any,
        ) -> None:
            super().__init__(detection_callback, service_uuids)

        async def start(self) -> None:
            raise error()

        async def stop(self) -> None:
            pass

    return FailingScanner
