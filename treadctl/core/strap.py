"""The heart-rate strap in use: one ``HeartRateLink`` for the core's lifetime, and its state.

Shape::

    Strap(clock, link, emit, spawn, names)
     ├── connect(address) / disconnect()      intents; each cancels the one before it
     ├── state: StrapState                    NONE → CONNECTING → CONNECTED ⇄ LOST → ...
     ├── address, name, bpm                   what a front end shows
     └── link: HeartRateLink                  attached to every session runner (the core does)

A strap dropping out is *not* the treadmill's link being lost: no ``Disconnected`` event, no
notice, nothing stops; the strap's link reconnects by itself with backoff (``StrapLost``, then
``StrapReconnecting``), and sessions fall back to the treadmill's hand grips once the last
reading is stale. The link says when it is back (``StrapReconnected``): a strap that is back
but silent shows as connected (``StrapConnected`` again).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from treadctl.clock import Clock
from treadctl.core.events import (
    CoreEvent,
    StrapConnected,
    StrapConnectFailed,
    StrapConnecting,
    StrapDisconnected,
    StrapLost,
    StrapReading,
    StrapReconnecting,
    StrapState,
)
from treadctl.link import (
    Disconnected,
    HeartRateLink,
    HeartRateSample,
    LinkError,
    LinkEvent,
    Reconnecting,
    StrapReconnected,
)

__all__ = ["STRAP_FRESH_S", "Strap"]

#: How long a strap reading counts as current (as long as the session runner trusts one).
STRAP_FRESH_S = 5.0


class Strap:
    """See the module docstring."""

    def __init__(
        self,
        clock: Clock,
        link: HeartRateLink,
        emit: Callable[[CoreEvent], None],
        spawn: Callable[[Coroutine[Any, Any, Any]], asyncio.Task[Any]],
        names: Mapping[str, str],
    ) -> None:
        self._clock = clock
        self.link = link
        self._emit = emit
        self._spawn = spawn
        self._names = names  # address -> advertised name, from the core's scans
        self._state = StrapState.NONE
        self._address: str | None = None
        self._bpm: tuple[float, int] | None = None  # (clock time, bpm) of the last reading
        self._task: asyncio.Task[None] | None = None
        link.add_listener(self._on_event)

    @property
    def state(self) -> StrapState:
        return self._state

    @property
    def address(self) -> str | None:
        """The strap in use (connecting, connected or lost); None when there is none."""
        return self._address if self._state is not StrapState.NONE else None

    @property
    def name(self) -> str | None:
        """The strap's advertised name as a scan saw it, or as it said on connecting, else
        its address."""
        address = self.address
        if address is None:
            return None
        return self._names.get(address) or self.link.name or address

    @property
    def bpm(self) -> int | None:
        """The last reading while it is current (``STRAP_FRESH_S``), else None."""
        if self._state is not StrapState.CONNECTED or self._bpm is None:
            return None
        t, bpm = self._bpm
        return bpm if self._clock.now() - t <= STRAP_FRESH_S else None

    # -- intents ----------------------------------------------------------------------------------

    def connect(self, address: str) -> asyncio.Task[None] | None:
        """Use the strap at ``address`` (instead of the one in use, if another). Returns the
        task that connects it (None when it is in use already)."""
        if self._state is not StrapState.NONE and self._address == address:
            return None  # in use already: connected, connecting or reconnecting by itself
        previous = self._task
        self._address, self._bpm = address, None
        self._state = StrapState.CONNECTING
        self._emit(StrapConnecting(address))
        self._task = self._spawn(self._connect(address, previous))
        return self._task

    def disconnect(self) -> None:
        """Stop using the strap: disconnect it (also while it is connecting or reconnecting)."""
        if self._state is StrapState.NONE:
            return
        previous = self._task
        self._state = StrapState.NONE
        self._bpm = None
        self._task = self._spawn(self._disconnect(previous))

    async def close(self) -> None:
        """Let go of the strap for good (shutdown)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        await self.link.disconnect()
        if self._state is not StrapState.NONE:
            self._state = StrapState.NONE
            self._bpm = None
            self._emit(StrapDisconnected())

    # -- work -------------------------------------------------------------------------------------

    @staticmethod
    async def _after(task: asyncio.Task[None] | None) -> None:
        """Cancel ``task`` (the previous connect or disconnect) and wait for its end."""
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])  # without raising its CancelledError in this task

    async def _connect(self, address: str, previous: asyncio.Task[None] | None) -> None:
        await self._after(previous)
        try:
            await self.link.disconnect()  # the strap used before, if any: expected, not lost
            await self.link.connect(address)
        except LinkError as error:
            # A drop during the set-up may have started the link's reconnect loop: end it.
            await self.link.disconnect()
            self._state = StrapState.NONE
            self._emit(StrapConnectFailed(address, str(error)))
            return
        self._state = StrapState.CONNECTED
        self._emit(StrapConnected(address, self._names.get(address) or self.link.name or address))

    async def _disconnect(self, previous: asyncio.Task[None] | None) -> None:
        await self._after(previous)
        # Shielded: a connect asked for meanwhile (or shutdown) cancels this task, and a
        # disconnect cut short could leave the strap connected with nobody holding it.
        await asyncio.shield(self._spawn(self.link.disconnect()))
        self._emit(StrapDisconnected())

    def _on_event(self, event: LinkEvent) -> None:
        state = self._state
        match event:
            case HeartRateSample(heart_rate_bpm=bpm, sensor_contact=contact):
                if state in (StrapState.NONE, StrapState.CONNECTING):
                    return  # being let go, or not reported connected yet
                if state is StrapState.LOST:
                    return  # not before the link says it is back (StrapReconnected)
                if contact is not False:
                    self._bpm = (event.t, bpm)
                    self._emit(StrapReading(bpm))
            case Disconnected(expected=False) if state is StrapState.CONNECTED:
                self._state = StrapState.LOST
                self._bpm = None
                self._emit(StrapLost())
            case Reconnecting() if state is StrapState.LOST:
                self._emit(StrapReconnecting(event))
            case StrapReconnected(address=address, name=name) if state is StrapState.LOST:
                self._state = StrapState.CONNECTED
                self._emit(StrapConnected(address, name or self._names.get(address, address)))
            case _:
                pass
