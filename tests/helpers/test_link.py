"""The link's test world (tests.helpers.link), tested: `linked`, `Events`, `Trace`,
`belt_reaches` and `failing_scanner` do what the link's tests take them to do, and every wait
in them ends: at its bound, with an error, when what it waits for never comes.
"""

from __future__ import annotations

import pytest
from bleak.exc import BleakError

import tests.helpers.link as link_helpers
from tests.helpers.ftms_client import run
from tests.helpers.link import belt_reaches, failing_scanner, linked
from treadctl.link import Connected, Disconnected, Sample


def test_linked_connects_a_link_and_disconnects_it_on_exit() -> None:
    async def scenario() -> None:
        async with linked() as (world, link, events, _trace, clock):
            assert link.info is not None and link.info.address == world.treadmill_address
            assert len(events.of(Connected)) == 1  # the listener was there before the connect
            assert clock.now() == 0.0  # connecting takes no simulated time
        assert events.of(Disconnected)[-1].expected

    run(scenario)


def test_events_next_finds_a_later_event_that_matches() -> None:
    async def scenario() -> None:
        async with linked() as (world, link, events, _, clock):
            await link.start_at(3.0)
            mark = len(events.items)
            await belt_reaches(world, clock, 3.0)
            sample = await events.next(Sample, lambda s: s.speed_kmh == 3.0, after=mark)
            assert sample in events.items[mark:] and sample.speed_kmh == 3.0
            earlier = [s for s in events.of(Sample) if s.speed_kmh != 3.0]
            assert earlier and events.of(Sample)[0] is earlier[0]  # `of` keeps order
            assert all(isinstance(e, Sample) for e in events.of(Sample))

    run(scenario)


def test_events_next_is_bounded_in_real_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(link_helpers, "WAIT", 0.2)

    async def scenario() -> None:
        async with linked() as (_, _link, events, _, _clock):
            with pytest.raises(TimeoutError):
                await events.next(Sample)  # the clock stands still: no sample ever comes

    run(scenario)


def test_trace_keeps_only_the_control_point_writes_in_order() -> None:
    async def scenario() -> None:
        async with linked() as (_world, link, _, trace, clock):
            await link.start_at(3.0)
            await clock.advance(3.0)  # the belt is traced every second: not a write
            await link.stop()
            assert trace.ops() == [
                "request_control",
                "set_target_speed",
                "start_or_resume",
                "set_target_speed",
                "stop",
            ]
            assert {w["kind"] for w in trace.writes} == {"write"}
            assert trace.writes[1]["value"] == 3.0 and trace.writes[1]["result"] == "success"

    run(scenario)


def test_belt_reaches_returns_once_the_belt_is_at_the_speed() -> None:
    async def scenario() -> None:
        async with linked() as (world, link, _, _trace, clock):
            await link.start_at(3.0)
            await belt_reaches(world, clock, 3.0)
            assert world.model.snapshot().speed_kmh == 3.0
            reached = clock.now()
            await belt_reaches(world, clock, 3.0)  # already there: no time passes
            assert clock.now() == reached

    run(scenario)


def test_belt_reaches_fails_after_sixty_simulated_seconds() -> None:
    async def scenario() -> None:
        async with linked() as (world, _link, _, _trace, clock):
            with pytest.raises(AssertionError, match=r"belt at 0\.0 km/h, wanted 3\.0"):
                await belt_reaches(world, clock, 3.0)  # never started
            assert clock.now() == 60.0

    run(scenario)


def test_failing_scanner_raises_a_fresh_error_at_every_start() -> None:
    made: list[BaseException] = []

    def error() -> BaseException:
        made.append(BleakError("no adapter"))
        return made[-1]

    async def scenario() -> None:
        scanner = failing_scanner(error)(None, None)
        for _ in range(2):
            with pytest.raises(BleakError, match="no adapter") as raised:
                await scanner.start()
            assert raised.value is made[-1]
        await scanner.stop()  # stopping a scanner that never started is harmless
        assert len(made) == 2

    run(scenario)
