"""Tests for treadctl.clock: the manual clock (ordering, settling), scaling, wait_for.

No test here sleeps for real except two RealClock checks of at most a millisecond. Async tests
run through ``asyncio.run`` so they need no plugin.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import time
from collections.abc import Awaitable, Callable

import pytest

from treadctl.clock import Clock, ManualClock, RealClock, ScaledClock, wait_for


def run(main: Callable[[], Awaitable[None]]) -> None:
    async def wrapper() -> None:
        await main()

    asyncio.run(wrapper())


# --- RealClock -----------------------------------------------------------------------------


def test_real_clock_outside_a_loop_is_monotonic() -> None:
    clock = RealClock()
    first = clock.now()
    assert clock.now() >= first
    assert abs(first - time.monotonic()) < 1.0


def test_real_clock_inside_a_loop_reads_the_loop_time() -> None:
    async def main() -> None:
        clock = RealClock()
        loop = asyncio.get_running_loop()
        before = loop.time()
        now = clock.now()
        assert before <= now <= loop.time()

    run(main)


def test_real_clock_sleeps() -> None:
    async def main() -> None:
        clock = RealClock()
        start = clock.now()
        await clock.sleep(-5)  # negative is "no time", like asyncio.sleep
        await clock.sleep(0.001)
        assert clock.now() - start >= 0.001
        await clock.sleep_until(clock.now() - 1)  # a past deadline returns at once

    run(main)


# --- ScaledClock ---------------------------------------------------------------------------


def test_scaled_clock_runs_faster_than_its_base() -> None:
    async def main() -> None:
        base = ManualClock(start=100.0)
        clock = ScaledClock(60.0, base=base)
        assert clock.scale == 60.0
        assert clock.now() == 100.0  # starts at the base's reading
        await base.advance(0.5)
        assert clock.now() == pytest.approx(130.0)

    run(main)


def test_scaled_clock_with_explicit_start() -> None:
    base = ManualClock(start=7.0)
    assert ScaledClock(10.0, base=base, start=0.0).now() == 0.0


def test_scaled_clock_sleep_takes_scaled_base_time() -> None:
    async def main() -> None:
        base = ManualClock()
        clock = ScaledClock(60.0, base=base)
        woke_at: list[float] = []

        async def sleeper() -> None:
            await clock.sleep(1800.0)  # 30 simulated minutes
            woke_at.append(clock.now())

        task = asyncio.create_task(sleeper())
        await base.advance(29.9)
        assert not woke_at
        await base.advance(0.1)
        assert task.done()
        assert woke_at == [pytest.approx(1800.0)]

    run(main)


def test_scaled_clock_sleep_until() -> None:
    async def main() -> None:
        base = ManualClock()
        clock = ScaledClock(10.0, base=base, start=0.0)
        task = asyncio.create_task(clock.sleep_until(50.0))
        await base.advance(4.9)
        assert not task.done()
        await base.advance(0.1)
        assert task.done()

    run(main)


def test_scaled_clock_defaults_to_real_time() -> None:
    clock = ScaledClock(1000.0)
    first = clock.now()
    assert clock.now() >= first


@pytest.mark.parametrize("scale", [0.0, -1.0, math.nan, math.inf])
def test_scaled_clock_rejects_bad_scales(scale: float) -> None:
    with pytest.raises(ValueError, match="time scale"):
        ScaledClock(scale, base=ManualClock())


# --- ManualClock ---------------------------------------------------------------------------


def test_manual_clock_stands_still_until_advanced() -> None:
    async def main() -> None:
        clock = ManualClock(start=5.0)
        assert clock.now() == 5.0
        await asyncio.sleep(0)
        assert clock.now() == 5.0
        await clock.advance(2.5)
        assert clock.now() == 7.5
        await clock.advance_to(10.0)
        assert clock.now() == 10.0
        await clock.advance(0)
        assert clock.now() == 10.0

    run(main)


def test_manual_clock_wakes_sleepers_in_deadline_order_at_their_deadline() -> None:
    async def main() -> None:
        clock = ManualClock()
        woke: list[tuple[str, float]] = []

        async def sleeper(name: str, seconds: float) -> None:
            await clock.sleep(seconds)
            woke.append((name, clock.now()))

        tasks = [
            asyncio.create_task(sleeper(name, seconds))
            for name, seconds in [("c", 3.0), ("a", 1.0), ("d", 10.0), ("b", 2.0)]
        ]
        await clock.advance(5.0)
        assert woke == [("a", 1.0), ("b", 2.0), ("c", 3.0)]
        assert clock.now() == 5.0
        assert clock.sleepers == 1
        assert clock.next_deadline() == 10.0
        await clock.advance(5.0)
        assert woke[-1] == ("d", 10.0)
        assert all(task.done() for task in tasks)
        assert clock.sleepers == 0
        assert clock.next_deadline() is None

    run(main)


def test_manual_clock_ties_wake_in_the_order_they_slept() -> None:
    async def main() -> None:
        clock = ManualClock()
        woke: list[int] = []

        async def sleeper(index: int) -> None:
            await clock.sleep(1.0)
            woke.append(index)

        tasks = [asyncio.create_task(sleeper(index)) for index in range(5)]
        await clock.advance(1.0)
        assert woke == [0, 1, 2, 3, 4]
        assert all(task.done() for task in tasks)

    run(main)


def test_manual_clock_does_not_wake_before_the_deadline() -> None:
    async def main() -> None:
        clock = ManualClock()
        task = asyncio.create_task(clock.sleep(1.0))
        await clock.advance(0.999)
        assert not task.done()
        assert clock.sleepers == 1
        await clock.advance(0.001)
        assert task.done()

    run(main)


def test_manual_clock_periodic_task_sees_every_tick_within_one_advance() -> None:
    async def main() -> None:
        clock = ManualClock()
        ticks: list[float] = []

        async def periodic() -> None:
            deadline = clock.now()
            while True:
                deadline += 1.0
                await clock.sleep_until(deadline)
                ticks.append(clock.now())

        task = asyncio.create_task(periodic())
        await clock.advance(5.0)
        assert ticks == [1.0, 2.0, 3.0, 4.0, 5.0]
        task.cancel()
        await clock.settle()
        assert task.cancelled()
        assert clock.sleepers == 0

    run(main)


def test_manual_clock_sleeps_registered_during_an_advance_also_wake_in_it() -> None:
    async def main() -> None:
        clock = ManualClock()
        woke: list[tuple[str, float]] = []

        async def chain() -> None:
            await clock.sleep(1.0)
            woke.append(("first", clock.now()))
            await clock.sleep(0.5)
            woke.append(("second", clock.now()))

        async def other() -> None:
            await clock.sleep(1.2)
            woke.append(("other", clock.now()))

        tasks = [asyncio.create_task(chain()), asyncio.create_task(other())]
        await clock.advance(2.0)
        assert woke == [("first", 1.0), ("other", 1.2), ("second", 1.5)]
        assert all(task.done() for task in tasks)

    run(main)


def test_manual_clock_lets_new_tasks_register_before_time_moves() -> None:
    async def main() -> None:
        clock = ManualClock()
        task = asyncio.create_task(clock.sleep(1.0))  # has not run yet
        await clock.advance(1.0)
        assert task.done()

    run(main)


def test_manual_clock_runs_what_woken_tasks_trigger_before_returning() -> None:
    async def main() -> None:
        clock = ManualClock()
        queue: asyncio.Queue[float] = asyncio.Queue()
        received: list[float] = []

        async def producer() -> None:
            await clock.sleep(1.0)
            await queue.put(clock.now())

        async def consumer() -> None:
            value = await queue.get()
            # A few more hops through the loop before the effect is visible.
            for _ in range(3):
                await asyncio.sleep(0)
            received.append(value)

        tasks = [asyncio.create_task(producer()), asyncio.create_task(consumer())]
        await clock.advance(1.0)
        assert received == [1.0]
        assert all(task.done() for task in tasks)

    run(main)


def test_manual_clock_skips_cancelled_sleepers() -> None:
    async def main() -> None:
        clock = ManualClock()
        woke: list[str] = []

        async def sleeper(name: str, seconds: float) -> None:
            await clock.sleep(seconds)
            woke.append(name)

        doomed = asyncio.create_task(sleeper("doomed", 1.0))
        kept = asyncio.create_task(sleeper("kept", 2.0))
        await clock.settle()
        assert clock.sleepers == 2
        doomed.cancel()
        await clock.settle()
        assert clock.sleepers == 1
        assert clock.next_deadline() == 2.0
        await clock.advance(3.0)
        assert woke == ["kept"]
        assert kept.done()

    run(main)


def test_manual_clock_zero_and_negative_sleeps_only_yield() -> None:
    async def main() -> None:
        clock = ManualClock()
        await clock.sleep(0)
        await clock.sleep(-1.0)
        await clock.sleep_until(clock.now())
        assert clock.now() == 0.0
        assert clock.sleepers == 0

    run(main)


def test_manual_clock_sleep_until_uses_the_exact_deadline() -> None:
    async def main() -> None:
        clock = ManualClock(start=0.1)
        deadline = 0.1 + 0.2  # 0.30000000000000004: must not be rounded away
        task = asyncio.create_task(clock.sleep_until(deadline))
        await clock.settle()
        assert clock.next_deadline() == deadline
        await clock.advance_to(deadline)
        assert task.done()

    run(main)


def test_manual_clock_rejects_bad_arguments() -> None:
    async def main() -> None:
        clock = ManualClock(start=1.0)
        with pytest.raises(ValueError, match="advance"):
            await clock.advance(-0.1)
        with pytest.raises(ValueError, match="advance"):
            await clock.advance(math.nan)
        with pytest.raises(ValueError, match="back"):
            await clock.advance_to(0.5)
        with pytest.raises(ValueError, match="NaN"):
            await clock.sleep(math.nan)
        with pytest.raises(ValueError, match="NaN"):
            await clock.sleep_until(math.nan)

    run(main)


def test_manual_clock_refuses_two_concurrent_advances() -> None:
    async def main() -> None:
        clock = ManualClock()
        failures: list[BaseException] = []

        async def meddler() -> None:
            await clock.sleep(1.0)
            try:
                await clock.advance(1.0)
            except RuntimeError as error:
                failures.append(error)

        task = asyncio.create_task(meddler())
        await clock.advance(2.0)
        assert task.done()
        assert len(failures) == 1
        assert clock.now() == 2.0
        # The guard is released afterwards.
        await clock.advance(1.0)
        assert clock.now() == 3.0

    run(main)


def test_manual_clock_never_sleeps_for_real() -> None:
    async def main() -> None:
        clock = ManualClock()
        ticks = 0

        async def periodic() -> None:
            nonlocal ticks
            while True:
                await clock.sleep(1.0)
                ticks += 1

        task = asyncio.create_task(periodic())
        started = time.monotonic()
        await clock.advance(3600.0)  # an hour of 1 Hz ticks
        assert time.monotonic() - started < 5.0
        assert ticks == 3600
        task.cancel()

    run(main)


def test_manual_clock_settle_detects_a_busy_loop() -> None:
    async def main() -> None:
        clock = ManualClock()
        stop = False

        async def busy() -> None:
            while not stop:
                await asyncio.sleep(0)

        task = asyncio.create_task(busy())
        with pytest.raises(RuntimeError, match="never went idle"):
            await clock.settle()
        stop = True
        await task

    run(main)


class _ForwardingLoop(asyncio.SelectorEventLoop):
    """A loop that overrides call_soon, like qasync does: ManualClock must not trust _ready."""

    def call_soon[*Ts](
        self,
        callback: Callable[[*Ts], object],
        *args: *Ts,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        return super().call_soon(callback, *args, context=context)


def test_manual_clock_on_a_loop_with_its_own_call_soon_uses_fixed_yields() -> None:
    async def main() -> None:
        clock = ManualClock()
        woke: list[float] = []

        async def sleeper(seconds: float) -> None:
            await clock.sleep(seconds)
            woke.append(clock.now())

        tasks = [asyncio.create_task(sleeper(2.0)), asyncio.create_task(sleeper(1.0))]
        await clock.advance(3.0)
        assert woke == [1.0, 2.0]
        assert all(task.done() for task in tasks)

    with asyncio.Runner(loop_factory=_ForwardingLoop) as runner:
        runner.run(main())


def test_clocks_share_the_abstract_interface() -> None:
    clocks: list[Clock] = [RealClock(), ManualClock(), ScaledClock(2.0, base=ManualClock())]
    assert all(isinstance(clock.now(), float) for clock in clocks)


# --- wait_for ------------------------------------------------------------------------------


def test_wait_for_returns_the_result_in_time() -> None:
    async def main() -> None:
        clock = ManualClock()

        async def work() -> str:
            await clock.sleep(2.0)
            return "done"

        task = asyncio.create_task(wait_for(clock, work(), 5.0))
        await clock.advance(2.0)
        assert task.result() == "done"
        assert clock.sleepers == 0  # the timer was cancelled

    run(main)


def test_wait_for_times_out_and_cancels_the_work() -> None:
    async def main() -> None:
        clock = ManualClock()
        cancelled = asyncio.Event()

        async def work() -> str:
            try:
                await clock.sleep(10.0)
            except asyncio.CancelledError:
                cancelled.set()
                raise
            return "late"

        task = asyncio.create_task(wait_for(clock, work(), 5.0))
        await clock.advance(4.9)
        assert not task.done()
        await clock.advance(0.1)
        assert task.done()
        with pytest.raises(TimeoutError):
            task.result()
        assert cancelled.is_set()
        assert clock.sleepers == 0

    run(main)


def test_wait_for_propagates_the_works_exception() -> None:
    async def main() -> None:
        clock = ManualClock()

        async def work() -> None:
            await clock.sleep(1.0)
            raise KeyError("boom")

        task = asyncio.create_task(wait_for(clock, work(), 5.0))
        await clock.advance(1.0)
        with pytest.raises(KeyError):
            task.result()

    run(main)


def test_wait_for_cancelled_from_outside_cancels_the_work() -> None:
    async def main() -> None:
        clock = ManualClock()
        cancelled = asyncio.Event()

        async def work() -> None:
            try:
                await clock.sleep(10.0)
            except asyncio.CancelledError:
                cancelled.set()
                raise

        task = asyncio.create_task(wait_for(clock, work(), 5.0))
        await clock.advance(1.0)
        task.cancel()
        await clock.settle()
        assert task.cancelled()
        assert cancelled.is_set()
        assert clock.sleepers == 0

    run(main)


def test_wait_for_keeps_a_result_from_work_that_ignores_cancellation() -> None:
    async def main() -> None:
        clock = ManualClock()

        async def stubborn() -> str:
            try:
                await clock.sleep(10.0)
            except asyncio.CancelledError:
                return "finished anyway"
            return "never"

        task = asyncio.create_task(wait_for(clock, stubborn(), 1.0))
        await clock.advance(1.0)
        assert task.result() == "finished anyway"

    run(main)


def test_wait_for_cancelled_while_cleaning_up_stays_cancelled() -> None:
    async def main() -> None:
        clock = ManualClock()
        release = asyncio.Event()

        async def slow_cleanup() -> None:
            try:
                await clock.sleep(10.0)
            except asyncio.CancelledError:
                await release.wait()
                raise

        task = asyncio.create_task(wait_for(clock, slow_cleanup(), 1.0))
        await clock.advance(1.0)  # timed out; now waiting for the clean-up
        assert not task.done()
        task.cancel()
        release.set()
        await clock.settle()
        assert task.cancelled()

    run(main)


def test_the_manual_wall_clock_moves_only_when_told() -> None:
    from treadctl.clock import ManualWallClock, SystemWallClock

    clock = ManualWallClock(start=100.0)
    clock.sleep(1.5)
    clock.sleep(-3)  # nothing to wait for: no time passes
    clock.advance(10)
    assert clock.time() == 111.5
    assert clock.slept == [1.5, -3]
    with pytest.raises(ValueError, match="time does not go back"):
        clock.advance(-1)
    real = SystemWallClock()
    before = real.time()
    real.sleep(0)  # returns at once
    assert 1.7e9 < before <= real.time()
