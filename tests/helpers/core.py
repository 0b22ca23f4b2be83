"""Core scenarios: the real application core, the real link, the virtual treadmill, no Qt.

`core_scenario(...)` builds a `VirtualWorld` (with its heart-rate strap) on a `ManualClock`, an
`AppCore` on a temporary data folder, connects it and yields a `CoreScenario`. As in
``tests.helpers.session``, simulated time moves only through the driver (`step`, `run_for`,
`until`), and every wait is bounded: `until` in simulated seconds, `event` in `WAIT` seconds
of the event loop's virtual time (Bumble's virtual controllers connect and reconnect on the
loop's timers; see ``tests.helpers.session`` for the two virtual times).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.helpers.ftms_client import WAIT
from tests.helpers.session import STEP_S, TreadmillTrace, with_clock_moving
from treadctl.clock import ManualClock
from treadctl.core import AppCore, BleakBackends, CoreEvent, DataFolder, Limits
from treadctl.link import HeartRateLink, TreadmillLink
from treadctl.virtual.treadmill import BeltState
from treadctl.virtual.world import VirtualWorld


class CoreEvents:
    """Every event the core emitted, in order; `changed` is set on each."""

    def __init__(self, core: AppCore) -> None:
        self.items: list[CoreEvent] = []
        self.changed = asyncio.Event()
        core.add_listener(self._add)

    def _add(self, event: CoreEvent) -> None:
        self.items.append(event)
        self.changed.set()

    def of[E](self, kind: type[E], after: int = 0) -> list[E]:
        return [e for e in self.items[after:] if isinstance(e, kind)]

    def mark(self) -> int:
        return len(self.items)


@dataclass
class CoreScenario:
    world: VirtualWorld
    clock: ManualClock
    core: AppCore
    events: CoreEvents
    trace: TreadmillTrace
    folder: DataFolder
    #: (clock time, belt) after every driver step.
    belt_log: list[tuple[float, BeltState]] = field(default_factory=list)

    @property
    def now(self) -> float:
        return self.clock.now()

    @property
    def belt(self) -> BeltState:
        return self.world.model.snapshot()

    async def step(self, seconds: float = STEP_S) -> None:
        await self.clock.advance(seconds)
        self.belt_log.append((self.clock.now(), self.world.model.snapshot()))

    async def run_for(self, seconds: float) -> None:
        for _ in range(math.ceil(seconds / STEP_S - 1e-9)):
            await self.step()

    async def until(self, done: Callable[[], bool], within: float, what: str) -> float:
        """Drive until ``done()``; fail after ``within`` simulated seconds. Returns the time."""
        deadline = self.now + within
        while not done():
            if self.now >= deadline:
                belt = self.belt
                raise AssertionError(
                    f"not {what} within {within} s (t={self.now}, session "
                    f"{self.core.session_state}, belt {belt.state.name} at {belt.speed_kmh})"
                )
            await self.step()
        return self.now

    async def event[E](self, kind: type[E], after: int = 0) -> E:
        """The first ``kind`` event from index ``after``, waiting ``WAIT`` seconds of the loop's
        time (for what happens on the radio's timers: connects, reconnects)."""

        async def find() -> E:
            while True:
                found = self.events.of(kind, after)
                if found:
                    return found[0]
                self.events.changed.clear()
                await self.events.changed.wait()

        return await asyncio.wait_for(find(), WAIT)

    async def until_event[E](self, kind: type[E], after: int = 0, within: float = 60.0) -> E:
        """Drive the clock until a ``kind`` event from index ``after`` (simulated seconds)."""
        await self.until(lambda: bool(self.events.of(kind, after)), within, f"a {kind.__name__}")
        return self.events.of(kind, after)[0]


@asynccontextmanager
async def core_scenario(
    data_dir: Path,
    *,
    limits: Limits | None = None,
    resume_possible: bool = True,
    data_rate_hz: float = 2.0,
    quirks: str = "standard",
    connect: bool = True,
    **core_kwargs: Any,
) -> AsyncIterator[CoreScenario]:
    """A connected core; see the module docstring. Shut down (belt stopped) on exit.

    ``quirks`` names the virtual treadmill's quirk profile (``treadctl.virtual.quirks``).
    """
    clock = ManualClock()
    async with VirtualWorld(
        clock, quirks=quirks, data_rate_hz=data_rate_hz, with_strap=True
    ) as world:
        backends = BleakBackends.of(world)
        folder = DataFolder.at(data_dir)
        core = AppCore(
            clock,
            backends,
            folder,
            base_limits=limits or Limits(),
            resume_possible=resume_possible,
            scan_timeout_s=0.5,
            link=TreadmillLink(
                clock, backends=backends, command_timeout=2.0, reconnect_delays=(0.5,)
            ),
            strap_link=HeartRateLink(clock, backends=backends, reconnect_delays=(0.5,)),
            **core_kwargs,
        )
        scenario = CoreScenario(
            world, clock, core, CoreEvents(core), TreadmillTrace(world, clock), folder
        )
        try:
            if connect:
                # The clock moves while it waits: a vendor setup the link writes on its clock
                # (Life Fitness) would otherwise never end.
                await with_clock_moving(
                    core.connect(world.treadmill_address),
                    lambda: clock.advance(STEP_S),
                    60.0,
                    "connected",
                )
                await clock.settle()
            yield scenario
        finally:
            shutdown = asyncio.ensure_future(core.shutdown())
            for _ in range(400):
                if shutdown.done():
                    break
                await clock.advance(STEP_S)
            await shutdown
            core.people.close()
