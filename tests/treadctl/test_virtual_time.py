"""Tests for treadctl.virtual_time: the loop whose time jumps to the next timer, settle, advance.

Each test runs its own ``virtual_time.run``; none sleeps for real except where a thread's or a
socket's real time is the point (a few milliseconds).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable

import pytest

from treadctl import virtual_time
from treadctl.clock import LoopClock, RealClock
from treadctl.virtual_time import VirtualTimeLoop, advance, settle


def run(main: Callable[[], Awaitable[None]]) -> None:
    async def wrapper() -> None:
        await main()

    virtual_time.run(wrapper())


def test_time_starts_at_zero_and_a_sleep_jumps_to_its_deadline_exactly() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, VirtualTimeLoop)
        assert loop.time() == 0.0
        began = time.perf_counter()
        await asyncio.sleep(3600.0)
        assert loop.time() == 3600.0
        await asyncio.sleep(1 / 3)
        assert loop.time() == 3600.0 + 1 / 3
        assert time.perf_counter() - began < 1.0  # an hour and a bit, at once

    run(main)


def test_a_loop_can_start_elsewhere() -> None:
    loop = VirtualTimeLoop(start=100.0)
    try:
        assert loop.time() == 100.0
        assert loop.run_until_complete(asyncio.sleep(2.5, result="done")) == "done"
        assert loop.time() == 102.5
    finally:
        loop.close()


def test_time_stands_still_while_anything_can_run() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        seen: list[float] = []

        async def busy() -> None:
            for _ in range(1000):
                seen.append(loop.time())
                await asyncio.sleep(0)

        timer = asyncio.ensure_future(asyncio.sleep(0.001))
        await busy()
        assert set(seen) == {0.0}
        assert not timer.done()
        await timer
        assert loop.time() == 0.001

    run(main)


def test_timers_fire_in_deadline_order_each_at_its_deadline() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        fired: list[tuple[str, float]] = []

        def fire(name: str) -> None:
            fired.append((name, loop.time()))

        for name, when in (("c", 3.0), ("a", 1 / 3), ("b", 2.0000001), ("a2", 1 / 3)):
            loop.call_at(when, fire, name)
        await asyncio.sleep(5.0)
        assert fired == [("a", 1 / 3), ("a2", 1 / 3), ("b", 2.0000001), ("c", 3.0)]

    run(main)


def test_what_a_timer_triggers_runs_before_time_moves_on() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        order: list[tuple[str, float]] = []

        def chain(n: int) -> None:
            order.append((f"chain{n}", loop.time()))
            if n < 3:
                loop.call_soon(chain, n + 1)

        loop.call_at(1.0, chain, 0)
        loop.call_at(1.0 + 1e-6, lambda: order.append(("later", loop.time())))
        await asyncio.sleep(2.0)
        assert order == [
            ("chain0", 1.0),
            ("chain1", 1.0),
            ("chain2", 1.0),
            ("chain3", 1.0),
            ("later", 1.0 + 1e-6),
        ]

    run(main)


def test_timeouts_are_virtual_too() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(3.0):
                await asyncio.Event().wait()
        assert loop.time() == 3.0
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.sleep(10.0), 0.5)
        assert loop.time() == 3.5

    run(main)


def test_work_in_a_thread_takes_no_virtual_time() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        timer_fired: list[float] = []
        loop.call_later(0.001, lambda: timer_fired.append(loop.time()))

        def slow() -> str:
            time.sleep(0.02)  # far longer in real time than the timer's 1 virtual ms
            return "done"

        assert await loop.run_in_executor(None, slow) == "done"
        assert loop.time() == 0.0 and timer_fired == []
        assert await asyncio.to_thread(slow) == "done"
        assert loop.time() == 0.0 and timer_fired == []
        await asyncio.sleep(0.01)
        assert timer_fired == [0.001]

    run(main)  # and closing joins the executor without a 300 s virtual timeout firing


def test_a_thread_wakes_a_loop_with_no_timers() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        woken = asyncio.Event()
        thread = threading.Timer(0.01, loop.call_soon_threadsafe, (woken.set,))
        thread.start()
        await woken.wait()  # no timer at all: the loop waits for the thread in real time
        assert loop.time() == 0.0
        thread.join()

    run(main)


def test_real_io_is_seen_at_the_virtual_instant_it_arrives() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        a, b = socket.socketpair()
        try:
            reader, writer = await asyncio.open_connection(sock=a)
            b.sendall(b"ping\n")
            assert await reader.readline() == b"ping\n"
            assert loop.time() == 0.0
            writer.close()
            await writer.wait_closed()
        finally:
            b.close()

    run(main)


def test_settle_runs_everything_due_at_this_instant() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        done: list[str] = []

        async def worker() -> None:
            for _ in range(50):
                await asyncio.sleep(0)
            done.append("worker")

        task = asyncio.ensure_future(worker())
        loop.call_at(0.0, lambda: done.append("timer now"))
        loop.call_at(1.0, lambda: done.append("timer later"))
        await settle()
        assert done == ["timer now", "worker"] and task.done()
        assert loop.time() == 0.0

    run(main)


def test_advance_lets_the_time_pass_and_settles_at_the_end() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        ticks: list[float] = []

        async def periodic() -> None:
            while True:
                await asyncio.sleep(0.25)
                ticks.append(loop.time())
                for _ in range(10):  # some work after each wake-up
                    await asyncio.sleep(0)

        task = asyncio.ensure_future(periodic())
        await advance(1.0)
        assert ticks == [0.25, 0.5, 0.75, 1.0]  # the tick at exactly 1.0 has run, work and all
        assert loop.time() == 1.0
        task.cancel()

    run(main)


def test_settle_detects_a_busy_loop() -> None:
    async def main() -> None:
        stop = False

        async def spinner() -> None:
            while not stop:
                await asyncio.sleep(0)

        task = asyncio.ensure_future(spinner())
        with pytest.raises(RuntimeError, match="never went idle"):
            await settle()
        stop = True
        await task

    run(main)


def test_settle_and_advance_need_a_virtual_loop() -> None:
    async def main() -> None:
        with pytest.raises(RuntimeError, match="not running on a VirtualTimeLoop"):
            await settle()
        with pytest.raises(RuntimeError, match="not running on a VirtualTimeLoop"):
            await advance(1.0)

    asyncio.run(main())


def test_the_same_work_gives_the_same_times_every_run() -> None:
    def once() -> list[tuple[int, float]]:
        log: list[tuple[int, float]] = []

        async def worker(n: int) -> None:
            loop = asyncio.get_running_loop()
            for i in range(20):
                await asyncio.sleep((n * 7 + i * 3) % 11 / 10 + 0.01 * n)
                log.append((n, loop.time()))

        async def main() -> None:
            await asyncio.gather(*(worker(n) for n in range(5)))

        virtual_time.run(main())
        return log

    assert once() == once()


# --- LoopClock ---------------------------------------------------------------------------------


def test_loop_clock_reads_and_sleeps_on_the_loops_time() -> None:
    async def main() -> None:
        clock = LoopClock()
        assert clock.now() == 0.0
        await clock.sleep(1.5)
        assert clock.now() == 1.5
        await clock.sleep_until(4.0)
        assert clock.now() == 4.0
        await clock.sleep(-1.0)  # just yields
        assert clock.now() == 4.0

    run(main)


def test_loop_clock_has_no_time_outside_a_loop() -> None:
    with pytest.raises(RuntimeError):
        LoopClock().now()
    assert isinstance(RealClock(), LoopClock)
    assert abs(RealClock().now() - time.monotonic()) < 1.0  # RealClock keeps its fallback
