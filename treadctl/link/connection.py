"""What both links share: listeners, connect with retry, and reconnect with backoff.

Shape::

    ReconnectingLink(clock, backends, connect_timeout, connect_attempts, reconnect_delays)
     ├── add_listener / remove_listener, _emit    a broken listener never stops the others
     ├── _connect(address)      attempts with backoff, then the subclass's _setup; a failure
     │                          leaves nothing connected and raises a LinkError
     ├── disconnect()           on purpose: Disconnected(expected=True), no reconnect
     └── reconnect task         after an unexpected disconnect, on the clock, with backoff;
                                emits Reconnecting per failed attempt, then _on_reconnected()
    subclasses: TreadmillLink (treadctl.link.treadmill), HeartRateLink (treadctl.link.heart_rate)
     └── provide _setup(client), _on_link_down(), _on_reconnected()

**Disconnects** are reported at once. Unless :meth:`ReconnectingLink.disconnect` was called,
the link reconnects with backoff; after a reconnect it holds no control and **resumes
nothing**: the caller decides what the belt does next.

**The error boundary**: ``BleakError``, ``OSError`` and ``TimeoutError`` from a connect become
:class:`ConnectFailed` (or :class:`NoAdapterError`) with the original as ``__cause__``;
:meth:`disconnect` logs them and raises nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Iterable
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError

from treadctl.clock import Clock
from treadctl.link.adapter import no_adapter_error
from treadctl.link.backends import BleakBackends
from treadctl.link.errors import ConnectFailed, LinkError, NoAdapterError
from treadctl.link.events import Disconnected, LinkEvent, Listener, Reconnecting

__all__ = ["ReconnectingLink"]

logger = logging.getLogger(__name__)


class ReconnectingLink:
    """Connect with retry, disconnect, and reconnect with backoff; subclasses add GATT setup."""

    def __init__(
        self,
        clock: Clock,
        *,
        backends: BleakBackends | None = None,
        connect_timeout: float = 10.0,
        connect_attempts: int = 3,
        reconnect_delays: Iterable[float] = (0.5, 1.0, 2.0, 4.0, 8.0),
    ) -> None:
        self._clock = clock
        self._backends = backends or BleakBackends()
        self._connect_timeout = connect_timeout
        self._connect_attempts = connect_attempts
        self._reconnect_delays = tuple(reconnect_delays)
        self._client: BleakClient | None = None
        self._address: str | None = None
        self._listeners: list[Listener] = []
        self._closing = False
        self._reconnect_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- events -------------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def _emit(self, event: LinkEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                # A broken listener (a UI slot, the recorder) must not stop samples reaching
                # the others, least of all the session runner's watchdog.
                logger.exception("link listener %r failed on %s", listener, type(event).__name__)

    # -- connection ---------------------------------------------------------------------------

    @property
    def is_connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    @property
    def address(self) -> str | None:
        return self._address

    async def _connect(self, address: str) -> None:
        """Connect (with retry) and set up; on failure nothing stays connected.

        Raises :class:`NoAdapterError`, or :class:`ConnectFailed` with the Bleak or OS error
        as ``__cause__``; a :class:`LinkError` the set-up raised itself passes unchanged.
        """
        self._closing = False
        self._address = address
        client = await self._connect_with_retry(address)
        try:
            await self._setup(client)
        except BaseException as error:
            # Closing first: the disconnect that follows is ours, not a drop to recover from.
            self._closing = True
            with contextlib.suppress(BleakError, OSError, TimeoutError):
                await client.disconnect()
            if isinstance(error, BleakError | OSError | TimeoutError):
                raise ConnectFailed(
                    f"connected to {address}, but setting up the link failed: {error}"
                ) from error
            raise

    async def _open(self, address: str) -> BleakClient:
        """One connection attempt: find the device, connect, return the client."""
        try:
            device = await BleakScanner.find_device_by_address(
                address, timeout=self._connect_timeout, **self._backends.scanner_kwargs()
            )
            if device is None:
                raise ConnectFailed(f"{address} not found (is it on and not connected elsewhere?)")
            client = BleakClient(
                device,
                disconnected_callback=self._on_bleak_disconnect,
                timeout=self._connect_timeout,
                **self._backends.client_kwargs(),
            )
            await client.connect()
        except (BleakError, OSError) as error:
            if (no_adapter := no_adapter_error(error)) is not None:
                raise no_adapter from error
            raise
        return client

    async def _connect_with_retry(self, address: str) -> BleakClient:
        last: BaseException | None = None
        for attempt in range(1, self._connect_attempts + 1):
            try:
                return await self._open(address)
            except NoAdapterError:
                raise
            except (BleakError, OSError, TimeoutError, ConnectFailed) as error:
                last = error
                logger.info("connect to %s, attempt %d failed: %s", address, attempt, error)
                if attempt < self._connect_attempts:
                    await self._clock.sleep(self._backoff(attempt))
        raise ConnectFailed(
            f"could not connect to {address} after {self._connect_attempts} attempts: {last}"
        ) from last

    def _backoff(self, attempt: int) -> float:
        delays = self._reconnect_delays or (1.0,)
        return delays[min(attempt - 1, len(delays) - 1)]

    async def disconnect(self) -> None:
        """Disconnect on purpose: no reconnect follows."""
        self._closing = True
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnect_task
            self._reconnect_task = None
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.disconnect()
            except (BleakError, OSError, TimeoutError) as error:
                logger.warning("disconnect from %s: %s", self._address, error)
            self._link_down(expected=True)

    def _on_bleak_disconnect(self, client: BleakClient) -> None:
        if client is not self._client:
            return  # a stale client from an earlier connection
        self._client = None
        self._link_down(expected=self._closing)
        if not self._closing and self._reconnect_task is None:
            self._reconnect_task = self._spawn(self._reconnect_loop())

    def _link_down(self, expected: bool) -> None:
        self._on_link_down()
        self._emit(Disconnected(self._clock.now(), expected))

    def _on_link_down(self) -> None:
        """Subclasses drop per-connection state here."""

    async def _reconnect_loop(self) -> None:
        attempt = 0
        try:
            while not self._closing and self._address is not None:
                attempt += 1
                delay = self._backoff(attempt)
                try:
                    client = await self._open(self._address)
                    try:
                        await self._setup(client)
                    except BaseException:
                        with contextlib.suppress(BleakError, OSError, TimeoutError):
                            await client.disconnect()
                        raise
                except (BleakError, OSError, TimeoutError, LinkError) as error:
                    self._emit(Reconnecting(self._clock.now(), attempt, delay, str(error)))
                    await self._clock.sleep(delay)
                    continue
                self._on_reconnected()
                return
        finally:
            self._reconnect_task = None

    def _on_reconnected(self) -> None:
        """Subclasses emit their reconnected event here."""

    async def _setup(self, client: BleakClient) -> None:
        raise NotImplementedError

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)  # keep a reference: the loop holds tasks only weakly
        task.add_done_callback(self._tasks.discard)
        return task
