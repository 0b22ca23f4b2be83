"""Session scenarios: a real SessionRunner, the real link, the virtual treadmill over real GATT.

`session(...)` builds a `VirtualWorld` on a `ManualClock`, connects a `TreadmillLink`, starts a
`SessionRunner` (with a `SessionRecorder` writing to a temporary directory) as a task and yields
a `Scenario`. Simulated time moves only through the scenario's driver (`step`, `run_for`,
`until`), which advances the clock by `STEP_S` at a time and notes the model's belt after each
step, so a test can say what the belt did between any two moments. Every wait is bounded:
`until` in simulated seconds, `reconnected` in `WAIT` seconds of the event loop's time.

The tests run on a `VirtualTimeLoop` (`tests.helpers.ftms_client.run`), so there are two
virtual times, neither of them real: the `ManualClock` the app and the treadmill read, which
moves only in the driver's steps, and the loop's, which Bumble's controllers advertise and
connect on and which jumps to their next timer whenever the test waits for an event. A
reconnect therefore takes no real time, comes the same way every run, and a wait for one that
never comes fails at once.

What the treadmill received is read from its trace (every control-point write, with its
result, and the belt once per simulated second); each trace record also carries ``clock``, the
clock time at which it was made, so it compares directly with `Scenario.now`.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.helpers.ftms_client import WAIT
from treadctl.clock import ManualClock
from treadctl.devices.knowledge import KnowledgeBase
from treadctl.devices.settings import DeviceSettingsSource
from treadctl.limits import Limits
from treadctl.link import BleakBackends, LinkEvent, Reconnected, Sample, TreadmillLink
from treadctl.program import Program, parse_program
from treadctl.recorder import SessionLog, SessionRecorder, read_session_log
from treadctl.session import (
    EndReason,
    SegmentStarted,
    SessionEvent,
    SessionRunner,
    SessionState,
)
from treadctl.virtual.quirks import Quirks
from treadctl.virtual.treadmill import BeltState, MachineState
from treadctl.virtual.world import VirtualWorld

STEP_S = 0.25
#: Clock time before the session starts (at 0): connecting, and the first record.
PRELUDE_S = 2.0
#: How long a session waits for the treadmill's first record before it begins without one.
FIRST_SAMPLE_S = 10.0
#: Start speed of the default limits: the most a first speed after any start may be.
START_SPEED_KMH = Limits().start_speed_kmh
#: Measured speeds within this count as equal (the belt model is exact; the wire has 0.01).
TOLERANCE_KMH = 0.011


def program(text: str, source: str = "<test>") -> Program:
    """A program from TOML text (tests write their programs the way users do)."""
    return parse_program(text, source=source)


class SessionEvents:
    """Every event the runner emitted, in order."""

    def __init__(self, runner: SessionRunner) -> None:
        self.items: list[SessionEvent] = []
        runner.add_listener(self.items.append)

    def of[E](self, kind: type[E], after: int = 0) -> list[E]:
        return [e for e in self.items[after:] if isinstance(e, kind)]

    def mark(self) -> int:
        return len(self.items)


class TreadmillTrace:
    """The virtual treadmill's trace records, each with the clock time it was made at."""

    def __init__(self, world: VirtualWorld, clock: ManualClock) -> None:
        self.records: list[dict[str, Any]] = []
        self._clock = clock
        world.treadmill.add_trace_listener(self._add)

    def _add(self, record: dict[str, Any]) -> None:
        self.records.append({**record, "clock": self._clock.now()})

    def writes(self, since: float = -math.inf) -> list[dict[str, Any]]:
        return [r for r in self.records if r["kind"] == "write" and r["clock"] >= since]

    def belt(self, since: float = -math.inf) -> list[dict[str, Any]]:
        return [r for r in self.records if r["kind"] == "belt" and r["clock"] >= since]

    def ops(self, since: float = -math.inf) -> list[str]:
        return [w["op"] for w in self.writes(since)]

    def speeds_sent(self, since: float = -math.inf) -> list[float]:
        """Values of the successful set_target_speed writes since ``since``."""
        return [
            w["value"]
            for w in self.writes(since)
            if w["op"] == "set_target_speed" and w["result"] == "success"
        ]


@dataclass
class Scenario:
    world: VirtualWorld
    clock: ManualClock
    link: TreadmillLink
    runner: SessionRunner
    recorder: SessionRecorder
    events: SessionEvents
    trace: TreadmillTrace
    link_events: list[LinkEvent]
    link_changed: asyncio.Event
    task: asyncio.Task[EndReason]
    #: (clock time, belt) after every driver step.
    belt_log: list[tuple[float, BeltState]] = field(default_factory=list)
    #: Index in ``link_events`` of the first event the runner heard (those before it were
    #: the connection's, and the sample the session begins from).
    session_from: int = 0

    # -- reading --------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.clock.now()

    @property
    def belt(self) -> BeltState:
        return self.world.model.snapshot()

    def belt_since(self, since: float) -> list[BeltState]:
        return [b for t, b in self.belt_log if t >= since]

    # -- driving --------------------------------------------------------------------------

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
                    f"not {what} within {within} s (t={self.now}, state={self.runner.state}, "
                    f"belt {belt.state.name} at {belt.speed_kmh} km/h)"
                )
            await self.step()
        return self.now

    async def until_state(self, state: SessionState, within: float = 30.0) -> float:
        return await self.until(lambda: self.runner.state is state, within, f"in {state}")

    async def reconnected(self, after: int = 0) -> Reconnected:
        """The link's first Reconnected event from index ``after``, waiting ``WAIT`` s of the
        loop's time.

        Bumble's virtual controllers advertise and connect on the event loop's timers, so this
        waits on the link's events, not on the clock (module docstring).
        """
        return await asyncio.wait_for(self._reconnect_after(after), WAIT)

    async def reconnected_with_setup(self, after: int = 0) -> Reconnected:
        """As `reconnected`, for a link whose set-up waits on the clock (a vendor setup): the
        clock moves with the loop's time meanwhile (`with_clock_moving`), the driver's steps
        noting the belt."""
        return await with_clock_moving(
            self._reconnect_after(after), self.step, CONNECT_WITHIN_S, "reconnected"
        )

    async def _reconnect_after(self, after: int) -> Reconnected:
        while True:
            for event in self.link_events[after:]:
                if isinstance(event, Reconnected):
                    return event
            self.link_changed.clear()
            await self.link_changed.wait()

    async def finish(
        self, reason: EndReason = EndReason.STOPPED, within: float = 30.0
    ) -> SessionLog:
        """End the session as the user would, drive until the runner is done, read the log."""
        self.runner.finish(reason)
        await self.until(self.task.done, within, "finished")
        await self.task
        assert self.recorder.path is not None
        return read_session_log(self.recorder.path)


#: The most clock time a connect or reconnect may take while the clock moves with it.
CONNECT_WITHIN_S = 60.0


async def with_clock_moving[T](
    awaitable: Awaitable[T], advance: Callable[[], Awaitable[None]], within: float, what: str
) -> T:
    """Await ``awaitable`` while both times pass together: each time it has waited `STEP_S`
    of the loop's time, ``advance()`` moves the clock `STEP_S` too (as they would for real).

    For what waits on the loop's time (Bumble's connection) *and* on the clock (a vendor
    setup the link writes on its clock, such as the Life Fitness one); something that waits
    on the loop's time alone takes no clock time. Fails after ``within`` clock seconds.
    """
    task = asyncio.ensure_future(awaitable)
    try:
        for _ in range(math.ceil(within / STEP_S)):
            await asyncio.wait({task}, timeout=STEP_S)
            if task.done():
                return task.result()
            await advance()
        raise AssertionError(f"not {what} within {within} s of the clock")
    finally:
        if not task.done():
            task.cancel()


async def connect_on(link: TreadmillLink, clock: ManualClock, address: str) -> None:
    """``link.connect(address)``, the clock moving while it waits (`with_clock_moving`)."""
    await with_clock_moving(
        link.connect(address), lambda: clock.advance(STEP_S), CONNECT_WITHIN_S, "connected"
    )


@asynccontextmanager
async def session(
    log_dir: Path,
    prog: Program | None = None,
    limits: Limits | None = None,
    *,
    data_rate_hz: float = 2.0,
    quirks: str | Quirks = "standard",
    start: bool = True,
    command_timeout: float = 2.0,
    with_strap: bool = False,
    knowledge: KnowledgeBase | None = None,
    device_settings: DeviceSettingsSource | None = None,
    **runner_kwargs: Any,
) -> AsyncIterator[Scenario]:
    """A running session; see the module docstring. Left unfinished, it is finished on exit.

    ``quirks`` is the virtual treadmill's profile; ``knowledge`` the device knowledge base the
    link matches it in (None: the built-in one; an empty one: as if nothing were known).
    """
    clock = ManualClock(start=-PRELUDE_S)
    async with VirtualWorld(
        clock, quirks=quirks, data_rate_hz=data_rate_hz, with_strap=with_strap
    ) as world:
        link = TreadmillLink(
            clock,
            backends=BleakBackends.of(world),
            command_timeout=command_timeout,
            reconnect_delays=(0.5,),
            knowledge=knowledge,
            device_settings=device_settings,
        )
        link_events: list[LinkEvent] = []
        link_changed = asyncio.Event()

        def on_link_event(event: LinkEvent) -> None:
            link_events.append(event)
            link_changed.set()

        link.add_listener(on_link_event)
        trace = TreadmillTrace(world, clock)
        await connect_on(link, clock, world.treadmill_address)
        # As the application core does: a session begins from the belt as last measured. The
        # clock began at -PRELUDE_S, so the session still starts at clock time 0 (tests read
        # session times and clock times as one).
        # (A treadmill whose records never complete gives none: the session then begins after
        # FIRST_SAMPLE_S of waiting, from nothing measured.)
        for _ in range(round(FIRST_SAMPLE_S / STEP_S)):
            if any(isinstance(e, Sample) for e in link_events):
                break
            await clock.advance(STEP_S)
        await clock.advance_to(max(clock.now(), 0.0))
        last = next((e for e in reversed(link_events) if isinstance(e, Sample)), None)
        if last is not None:
            runner_kwargs.setdefault("last_sample", last)
        recorder = SessionRecorder(log_dir, clock)
        runner = SessionRunner(
            link, clock, limits or Limits(), prog, recorder=recorder, **runner_kwargs
        )
        events = SessionEvents(runner)
        session_from = len(link_events)
        task = asyncio.ensure_future(runner.run(start=start))
        scenario = Scenario(
            world, clock, link, runner, recorder, events, trace, link_events, link_changed, task
        )
        scenario.session_from = session_from
        try:
            await clock.settle()
            yield scenario
        finally:
            if not task.done():
                runner.finish()
                for _ in range(400):
                    if task.done():
                        break
                    await clock.advance(STEP_S)
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: a failure shows in the test's own assertion
            else:
                task.cancel()
            await link.disconnect()


# --- what every stop must leave behind ---------------------------------------------------------


async def assert_stays_stopped(
    scn: Scenario, since: float, *, within: float = 30.0, hold_s: float = 120.0
) -> float:
    """The belt stops (or pauses) within ``within`` s and nothing moves it for ``hold_s`` s.

    Checked on the model after every driver step and on the treadmill's own trace: after the
    stop the belt never runs again and never speeds up, and since ``since`` (the moment of
    the stop's cause) the treadmill received no start. Returns the time the belt stopped.
    """
    stopped_at = await scn.until(
        lambda: scn.belt.state is not MachineState.RUNNING, within, "stopped"
    )
    await scn.run_for(hold_s)
    after = [b for t, b in scn.belt_log if t > stopped_at]
    assert all(b.state is not MachineState.RUNNING for b in after), "the belt ran again"
    speeds = [b.speed_kmh for b in after]
    rises = [(a, b) for a, b in itertools.pairwise(speeds) if b > a + 1e-9]
    assert rises == [], f"the belt sped up after the stop: {rises[:3]}"
    assert scn.belt.speed_kmh == 0.0
    assert "start_or_resume" not in scn.trace.ops(since)
    belt_trace = scn.trace.belt(stopped_at + 1.0)
    assert belt_trace, "no belt records in the trace"
    assert not any(r["running"] for r in belt_trace)
    traced = [r["speed_kmh"] for r in belt_trace]
    assert all(b <= a for a, b in itertools.pairwise(traced))
    return stopped_at


async def assert_resumes_from_start_speed(scn: Scenario, within: float = 15.0) -> float:
    """The user's Start moves the belt again, first at no more than the start speed."""
    since = scn.now
    scn.runner.start()
    started = await scn.until(
        lambda: scn.belt.state is MachineState.RUNNING and scn.belt.speed_kmh > 0,
        within,
        "running again",
    )
    ops = scn.trace.ops(since)
    assert "start_or_resume" in ops
    sent = scn.trace.speeds_sent(since)
    assert sent, "no speed was sent with the start"
    assert sent[0] <= START_SPEED_KMH, f"first speed after the start was {sent[0]} km/h"
    start_index = ops.index("start_or_resume")
    after_start = [
        w["value"] for w in scn.trace.writes(since)[start_index:] if w["op"] == "set_target_speed"
    ]
    assert after_start and after_start[0] <= START_SPEED_KMH
    # For the first second after the start, the belt runs at (or below) the start speed.
    await scn.run_for(1.0)
    start_t = next(w["clock"] for w in scn.trace.writes(since) if w["op"] == "start_or_resume")
    first_second = [b.speed_kmh for t, b in scn.belt_log if since <= t <= start_t + 1.0]
    assert max(first_second) <= START_SPEED_KMH + TOLERANCE_KMH, first_second
    return started


def assert_log_complete(scn: Scenario, log: SessionLog, *, end_reason: str) -> None:
    """Header, every sample, every command with its answer, notices, segments, end record."""
    header = log.header
    assert header["app_version"] and header["started_at"]
    assert header["limits"] == scn.runner.governor.limits.to_dict()
    if scn.runner.plan:
        assert header["mode"] == "program"
        assert len(header["program"]["segments"]) == len(scn.runner.plan)
    else:
        assert header["mode"] == "manual" and header["program"] is None
    times = [r["t"] for r in log.records]
    assert times == sorted(times), "records out of time order"
    end = log.end
    assert end is not None, "no end record"
    assert end["reason"] == end_reason
    assert end["summary"]["reason"] == end_reason
    assert end["t"] >= (times[-1] if times else 0.0)

    samples = log.of_kind("sample")
    t0 = scn.now - scn.runner.session_time  # the clock time of the session start
    heard = scn.link_events[scn.session_from :]
    received = [e.t - t0 for e in heard if isinstance(e, Sample)]
    before_end = sum(1 for t in received if t < end["t"] - 1e-6)
    at_end = sum(1 for t in received if t <= end["t"] + 1e-6)
    assert samples and before_end <= len(samples) <= at_end, (len(samples), before_end, at_end)
    # Not only as many: each one received before the end is there (by its time of receipt).
    logged = {round(s["t"], 3) for s in samples}
    missing = [t for t in received if t < end["t"] - 1e-6 and round(t, 3) not in logged]
    assert missing == [], f"samples received but not logged, at {missing[:5]}"
    assert all({"speed_kmh", "distance_m", "direction", "segment"} <= s.keys() for s in samples)

    commands = log.of_kind("command")
    assert [c["op"] for c in commands] == scn.trace.ops(), "a command is missing from the log"
    for command, write in zip(commands, scn.trace.writes(), strict=True):
        assert (command["result"] is None) != (command["error"] is None)
        if write["result"] == "success":
            assert command["result"] == "success"
        if write["op"] == "set_target_speed" and write["result"] == "success":
            assert command["value"] == write["value"]

    notices = log.of_kind("notice")
    assert {n["notice"] for n in notices} >= {"started"}
    segments = log.of_kind("segment")
    started = [e.planned.index for e in scn.events.of(SegmentStarted)]
    assert [s["index"] for s in segments] == started
