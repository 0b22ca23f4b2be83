"""Virtual time: an asyncio event loop whose clock jumps to the next timer when all is idle.

Shape::

    VirtualTimeLoop(start=0.0)        asyncio's selector loop, with
     ├── time()                       virtual seconds: moves only when the loop has nothing
     │                                to run, and then straight to the earliest timer
     └── selector.select(timeout)     polls real I/O without waiting; nothing ready and a
                                      timer pending: jumps to it instead of sleeping
    run(main)                         asyncio.run(main) on a VirtualTimeLoop
    settle()                          yield until nothing can run at this instant
    advance(seconds)                  sleep `seconds` of virtual time, then settle()

Why: a simulated session (``treadctl run --simulate``, the tests) has no real I/O at all —
the app's link, Bleak's backend, Bumble's controllers on their ``LocalLink`` and the virtual
treadmill all run in this process, on this loop. So whenever every task waits, the only thing
that can happen next is the earliest timer, and sleeping until it would be wasted. Jumping
there makes a 30-minute program take as long as its CPU work, gives the same result every
run, and keeps *every* timing at its real value: the 3 s stale-data watchdog, control-point
timeouts, Bumble's advertising and connection timers and ``asyncio.timeout`` all read the
same ``loop.time()``. Code reads that time through :class:`treadctl.clock.LoopClock`.

What it keeps from a real loop:

- Order. Timers fire in deadline order, and before time moves on, everything that became
  runnable at the current instant runs (time never moves while a callback is ready), so the
  loop is deterministic: the same program with the same faults gives the same trace.
- Real I/O and signals. Every turn polls the selector without waiting, so a reader (a
  terminal), ``call_soon_threadsafe`` and Ctrl-C still arrive, at the virtual instant they
  are seen. A virtual run does not pace itself to them: it is for runs nobody follows live.
- Threads. Work handed to an executor (``run_in_executor``, ``asyncio.to_thread``) takes no
  virtual time: while any is unfinished the clock stands still and the loop waits for it in
  real time, so a thread's result cannot arrive "late" by a timeout that never really
  elapsed. (The session log's fsync thread is fire-and-forget and does not hold time.)
- A loop with no timer and nothing to run waits in real time, as any loop does (only real
  I/O or another thread can wake it).

Why not ``looptime`` (PyPI), which does the same for tests: its time jumps only after 42
(configurable) no-op loop turns, it steps executor waits in real time (not deterministic),
and its pytest plugin, active once installed, fails every test that uses a fixture in a
project without pytest-asyncio (0.9: ``_should_patch`` reads ``None.__name__``). What this
needs is the ~40 lines below.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor
from typing import Any

__all__ = ["VirtualTimeLoop", "advance", "run", "settle"]

# settle() gives up after this many loop turns without the loop going idle at the instant.
_MAX_SETTLE_TURNS = 100_000


class _JumpingSelector(selectors.DefaultSelector):
    """The platform's selector, polled without waiting; when nothing is ready, the loop's
    ``jump`` moves virtual time to the next timer instead of the selector sleeping."""

    def __init__(self) -> None:
        super().__init__()
        self.jump: Callable[[], bool] | None = None

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0 or self.jump is None:
            return ready
        if self.jump():
            return []
        # No timer, or a thread still working: wait for it (or for I/O) in real time.
        return super().select(timeout)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop on virtual time; see the module docstring.

    ``start`` is the reading of ``time()`` when the loop is made (0.0 by default, so runs
    agree to the last bit).
    """

    def __init__(self, start: float = 0.0) -> None:
        selector = _JumpingSelector()
        super().__init__(selector)
        self._now = float(start)
        self._executor_work = 0
        selector.jump = self._jump

    def time(self) -> float:
        return self._now

    def _jump(self) -> bool:
        """Move time to the earliest timer's deadline; False if there is none to move to (or
        an executor's work is unfinished: it takes no virtual time)."""
        if self._executor_work:
            return False
        # asyncio's own heap of timers; before calling select() the loop has removed the
        # cancelled ones from its head, so the head is the next timer that will run. Its
        # exact deadline (not now + timeout, which can fall a rounding error short) is what
        # the woken callbacks see as now.
        scheduled: list[asyncio.TimerHandle] = getattr(self, "_scheduled", [])
        if not scheduled:
            return False
        self._now = max(self._now, scheduled[0].when())
        return True

    def run_in_executor[T, *Ts](
        self, executor: Executor | None, func: Callable[[*Ts], T], *args: *Ts
    ) -> asyncio.Future[T]:
        future = super().run_in_executor(executor, func, *args)
        self._hold_time_until(future)
        return future

    async def shutdown_default_executor(self, timeout: float | None = None) -> None:
        # asyncio joins the default executor's threads under a (300 s) timeout: on virtual
        # time that timeout would fire at once, as the only timer.
        self._executor_work += 1
        try:
            await super().shutdown_default_executor(timeout)
        finally:
            self._executor_work -= 1

    def _hold_time_until(self, future: asyncio.Future[Any]) -> None:
        self._executor_work += 1

        def done(_: asyncio.Future[Any]) -> None:
            self._executor_work -= 1

        future.add_done_callback(done)


def run[T](main: Coroutine[Any, Any, T], *, debug: bool | None = None) -> T:
    """``asyncio.run(main)`` on a fresh :class:`VirtualTimeLoop`."""
    return asyncio.run(main, debug=debug, loop_factory=VirtualTimeLoop)


def _virtual_loop() -> VirtualTimeLoop:
    loop = asyncio.get_running_loop()
    if not isinstance(loop, VirtualTimeLoop):
        raise RuntimeError(f"not running on a VirtualTimeLoop but on {type(loop).__name__}")
    return loop


async def settle() -> None:
    """Yield until nothing can run without time moving: no callback ready and no timer due.

    Everything that was woken at this instant, and everything that causes, has run when this
    returns. Raises RuntimeError on a loop that never goes idle (a task busy-waiting), or
    when not on a :class:`VirtualTimeLoop`.
    """
    loop = _virtual_loop()
    # asyncio's queue of ready callbacks and heap of timers, as in ManualClock.settle: when
    # this task runs again and the queue is empty, every other callback has run.
    ready = getattr(loop, "_ready", None)
    scheduled: list[asyncio.TimerHandle] = getattr(loop, "_scheduled", [])
    resolution: float = getattr(loop, "_clock_resolution", 0.0)
    for _ in range(_MAX_SETTLE_TURNS):
        await asyncio.sleep(0)
        # The heap's head has the earliest deadline; if it is due (even if cancelled), one
        # more turn runs it (or drops it).
        due = bool(scheduled) and scheduled[0].when() < loop.time() + resolution
        if not ready and not due:
            return
    raise RuntimeError("the event loop never went idle: is a task busy-waiting?")


async def advance(seconds: float) -> None:
    """Let ``seconds`` of virtual time pass (everything due meanwhile runs, in order), then
    :func:`settle` at the new instant."""
    _virtual_loop()
    await asyncio.sleep(seconds)
    await settle()
