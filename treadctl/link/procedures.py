"""The control point's queue: one procedure at a time, and a stop goes first.

Shape::

    ProcedureQueue
     ├── acquire(priority)   wait for the control point; STOP before NORMAL, then by arrival
     ├── release()           hand it straight to the next waiter (or free it)
     └── queued              how many wait

**One procedure at a time** (FTMP v1.0 §4.4.14): a procedure is the write plus its 0x80
answer, and a treadmill answers a second write during one with ATT error 0xFE. A stop waits for
no queued command: it is granted the control point as soon as the procedure in flight ends.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

__all__ = ["ProcedureQueue"]


class ProcedureQueue:
    """One control-point procedure at a time; stops are granted before anything queued.

    A plain lock would serve waiters first-come; here waiters sit in a heap by (priority,
    arrival), so a stop asked for behind three speed changes runs next.
    """

    STOP = 0
    NORMAL = 1

    def __init__(self) -> None:
        self._busy = False
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    @property
    def queued(self) -> int:
        return sum(1 for *_, f in self._waiters if not f.done())

    async def acquire(self, priority: int) -> None:
        if not self._busy and not self._waiters:
            self._busy = True
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._seq), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # it was granted just as it was cancelled: pass it on
            raise

    def release(self) -> None:
        while self._waiters:
            *_, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)  # ownership passes straight to the next waiter
                return
        self._busy = False
