"""The one source of "now" and "sleep" for everything in the engine.

Shape: an abstract :class:`Clock` with ``now()`` (monotonic seconds, as a float) and
``async sleep(seconds)``, plus ``sleep_until(deadline)`` for drift-free periodic loops, and these
implementations:

- :class:`LoopClock` — the running event loop's own time and ``asyncio.sleep``: real time on
  asyncio's and qasync's loops, virtual time on a :class:`~treadctl.virtual_time.VirtualTimeLoop`,
  where a simulated session runs as fast as the CPU allows with every timing at its real value
  (``treadctl run --simulate``, the scenario tests).
- :class:`RealClock` — a :class:`LoopClock` for real-time loops, readable before the loop
  runs. Used by the app.
- :class:`ScaledClock` — simulated time running ``scale`` times faster than another clock, so
  ``--time-scale 60`` runs a 30-minute program against the virtual treadmill in 30 seconds.
- :class:`ManualClock` — time moves only when a test calls ``advance()``; sleepers wake in
  deadline order and run before ``advance()`` returns. Tests never sleep for real.

And a second, blocking kind for work that runs on a worker thread, away from the event loop
(uploads to Strava and intervals.icu, ``treadctl.upload``): :class:`WallClock` with ``time()``
(seconds since the epoch: a token's ``expires_at``, an upload's next try, which must mean the
same after a restart, so not a monotonic time) and a blocking ``sleep()``;
:class:`SystemWallClock` is the real one, :class:`ManualWallClock` the tests' (its ``sleep``
moves its time at once).

:func:`wait_for` is ``asyncio.wait_for`` measured on a :class:`Clock`, so control-point timeouts
and watchdogs are testable under a :class:`ManualClock` too.

Why: the virtual treadmill, the safety governor and the session runner all need time. If any
of them called ``time.monotonic()`` or ``asyncio.sleep()`` directly, a simulated session would
take as long as a real one and a test of a 30 s timeout would wait 30 s. This module is the only
place in the engine allowed to touch the real clock.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable

__all__ = [
    "Clock",
    "LoopClock",
    "ManualClock",
    "ManualWallClock",
    "RealClock",
    "ScaledClock",
    "SystemWallClock",
    "WallClock",
    "wait_for",
]


class Clock(ABC):
    """Supplies monotonic time and sleeping on it.

    ``now()`` is in seconds from an arbitrary origin; only differences mean anything.
    """

    @abstractmethod
    def now(self) -> float:
        """Return the current time in seconds (monotonic, arbitrary origin)."""

    @abstractmethod
    async def sleep(self, seconds: float) -> None:
        """Suspend the calling task for ``seconds`` of this clock's time (<= 0: just yield)."""

    async def sleep_until(self, deadline: float) -> None:
        """Suspend until ``now() >= deadline`` (return after one yield if it already is).

        Periodic loops should compute ``deadline += period`` and call this rather than
        ``sleep(period)``, so the time their own work takes does not accumulate as drift.
        """
        await self.sleep(deadline - self.now())


class LoopClock(Clock):
    """The running event loop's ``time()`` and ``asyncio.sleep``, whatever that time is.

    On a :class:`~treadctl.virtual_time.VirtualTimeLoop` this is virtual time, and then
    everything on the loop — this clock's sleepers, ``asyncio.timeout``, Bumble's controllers
    and timers — follows the same time. ``now()`` outside a running loop raises RuntimeError:
    a loop's time means nothing before it runs.
    """

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class RealClock(LoopClock):
    """Wall-independent real time: a :class:`LoopClock` on a real-time loop.

    ``now()`` uses the running loop's clock so that it agrees with the deadlines
    ``asyncio.sleep`` computes; outside a running loop it falls back to ``time.monotonic()``,
    which is the clock every real-time asyncio loop we use (default, qasync) reads anyway.
    """

    def now(self) -> float:
        try:
            return asyncio.get_running_loop().time()
        except RuntimeError:  # no running loop, e.g. building objects before the app starts
            return time.monotonic()


class ScaledClock(Clock):
    """Time running ``scale`` times faster than a base clock (a :class:`RealClock` by default).

    ``now() = start + (base elapsed since construction) * scale`` and ``sleep(s)`` sleeps
    ``s / scale`` on the base clock. ``start`` defaults to the base clock's reading at
    construction, so values look like ordinary monotonic times. The base clock is injectable so
    that the scaling itself is tested on a :class:`ManualClock`, without real sleeping.
    """

    def __init__(self, scale: float, *, base: Clock | None = None, start: float | None = None):
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"time scale must be a positive finite number, got {scale!r}")
        self._scale = scale
        self._base = base if base is not None else RealClock()
        self._base_origin = self._base.now()
        self._origin = self._base_origin if start is None else start

    @property
    def scale(self) -> float:
        """How many seconds of this clock pass per second of the base clock."""
        return self._scale

    def now(self) -> float:
        return self._origin + (self._base.now() - self._base_origin) * self._scale

    async def sleep(self, seconds: float) -> None:
        await self._base.sleep(seconds / self._scale)


# asyncio's default loops keep runnable callbacks in ``_ready``; draining it is how
# ManualClock knows woken tasks have finished reacting (the same trick as asynctest's
# ClockedTestCase). Loops that schedule ``call_soon`` elsewhere (qasync routes it through Qt
# timers, uvloop has no ``_ready``) get a fixed number of yields instead.
_FALLBACK_SETTLE_ROUNDS = 100
_MAX_SETTLE_ROUNDS = 100_000


def _ready_queue(loop: asyncio.AbstractEventLoop) -> object | None:
    if type(loop).call_soon is not asyncio.BaseEventLoop.call_soon:
        return None
    ready: object | None = getattr(loop, "_ready", None)
    return ready


class ManualClock(Clock):
    """A clock for tests: time stands still until :meth:`advance` moves it.

    ``sleep(s)`` registers a deadline ``now() + s`` and suspends. ``advance(seconds)`` first
    lets every runnable task run (so tasks created just before it get to register their
    sleeps), then wakes sleepers one at a time in deadline order (ties: the order they went to
    sleep). Before each wake-up ``now()`` is set to that sleeper's deadline exactly, and the
    woken task and whatever it triggers run until the loop is idle before the next sleeper
    wakes, so a periodic task with period 1 wakes 5 times during ``advance(5)`` and sees
    ``now()`` = 1, 2, 3, 4, 5. Finally ``now()`` becomes the requested time.

    All methods must run on the event loop the sleepers use. Only tasks waiting on this clock
    are affected: code that calls ``asyncio.sleep`` or ``asyncio.wait_for`` directly still
    waits in real time, which is the point of routing all waits through a :class:`Clock`.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        # (deadline, tie-breaking sequence number, future the sleeper awaits)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._sequence = itertools.count()
        self._advancing = False

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if math.isnan(seconds):
            raise ValueError("cannot sleep for NaN seconds")
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        await self._wait_until(self._now + seconds)

    async def sleep_until(self, deadline: float) -> None:
        # Overridden so the registered deadline is exactly ``deadline``, not
        # ``now + (deadline - now)``, which can differ in the last bit.
        if math.isnan(deadline):
            raise ValueError("cannot sleep until NaN")
        if deadline <= self._now:
            await asyncio.sleep(0)
            return
        await self._wait_until(deadline)

    async def _wait_until(self, deadline: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (deadline, next(self._sequence), future))
        # If the sleeping task is cancelled, the future is cancelled with it; advance() skips
        # done futures, so no clean-up is needed here.
        await future

    @property
    def sleepers(self) -> int:
        """How many tasks are currently suspended in ``sleep`` on this clock."""
        return sum(1 for _, _, future in self._sleepers if not future.done())

    def next_deadline(self) -> float | None:
        """The earliest deadline any sleeper waits for, or None when nobody sleeps."""
        self._discard_cancelled()
        return self._sleepers[0][0] if self._sleepers else None

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, waking and running every sleeper that comes due."""
        if not seconds >= 0:  # also rejects NaN
            raise ValueError(f"cannot advance a clock by {seconds!r} seconds")
        await self.advance_to(self._now + seconds)

    async def advance_to(self, when: float) -> None:
        """Move time forward to ``when`` (see :meth:`advance`)."""
        if not when >= self._now:
            raise ValueError(f"cannot move a clock back from {self._now!r} to {when!r}")
        if self._advancing:
            # Two advancers would interleave their wake-ups and break deadline order.
            raise RuntimeError("ManualClock.advance() is already running")
        self._advancing = True
        try:
            await self.settle()
            while True:
                self._discard_cancelled()
                if not self._sleepers or self._sleepers[0][0] > when:
                    break
                deadline, _, future = heapq.heappop(self._sleepers)
                self._now = deadline
                future.set_result(None)
                await self.settle()
            self._now = when
        finally:
            self._advancing = False

    async def settle(self) -> None:
        """Yield until every task that can run without time passing has run.

        Raises RuntimeError if the loop never goes idle (a task busy-waits with
        ``asyncio.sleep(0)``), because then a test's view of the state would be arbitrary.
        """
        ready = _ready_queue(asyncio.get_running_loop())
        if ready is None:
            for _ in range(_FALLBACK_SETTLE_ROUNDS):
                await asyncio.sleep(0)
            return
        for _ in range(_MAX_SETTLE_ROUNDS):
            await asyncio.sleep(0)
            if not ready:
                return
        raise RuntimeError("the event loop never went idle: is a task busy-waiting?")

    def _discard_cancelled(self) -> None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)


async def wait_for[T](clock: Clock, awaitable: Awaitable[T], timeout: float) -> T:
    """Await ``awaitable`` for at most ``timeout`` seconds of ``clock`` time.

    Like ``asyncio.wait_for``: on timeout the inner task is cancelled (and awaited) and
    ``TimeoutError`` is raised; if the caller is cancelled, the inner task is cancelled too.
    If the awaitable finishes in the same instant the timeout expires, its result wins.
    """
    task = asyncio.ensure_future(awaitable)
    timer = asyncio.ensure_future(clock.sleep(timeout))
    try:
        await asyncio.wait((task, timer), return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        timer.cancel()
        raise
    timer.cancel()
    if task.done():
        return task.result()
    task.cancel()
    try:
        # Let the task run its clean-up; if it swallows the cancellation and finishes, fine.
        result = await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # our caller was cancelled while we waited: that takes precedence
        raise TimeoutError(f"timed out after {timeout} s") from None
    return result


class WallClock(ABC):
    """Wall time and blocking sleep, for work on a worker thread (see the module docstring).

    Never use it on the event loop's thread: ``sleep`` blocks the thread.
    """

    @abstractmethod
    def time(self) -> float:
        """Seconds since the Unix epoch (UTC)."""

    @abstractmethod
    def sleep(self, seconds: float) -> None:
        """Block the calling thread for ``seconds`` (<= 0: return at once)."""


class SystemWallClock(WallClock):
    """The computer's clock."""

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class ManualWallClock(WallClock):
    """A wall clock for tests: ``sleep`` and ``advance`` move its time, nothing waits."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self._now = float(start)
        self.slept: list[float] = []  # what was slept, in order: tests check polling intervals

    def time(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(max(0.0, seconds))

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time does not go back")
        self._now += seconds
