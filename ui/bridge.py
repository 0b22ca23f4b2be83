"""The bridge: the one QObject between the application core and the widgets.

Shape::

    Bridge(core)
     ├── core: AppCore                  the engine: link, strap, person, sessions, decisions
     ├── core events → Qt signals       one mapping (``_SIGNALS``), in the order they come
     ├── stop first, screen second      the hold below
     └── intents and state              the core's, by name, for the widgets (no decisions)

It decides nothing: what a button does, what follows a stop, a lost link or a session's end is
the core's (``treadctl.core``). The core's listeners run on the loop's thread, which with
qasync is the Qt thread, so signals are emitted directly — except right after a stop.

Stop first, screen second: a stop, E-stop, pause or "end session" the person asked for holds
back the signals its events cause (the state pill, the buttons, the status line — a relayout of
the window, ~3-5 ms on the Qt thread) until the treadmill has answered the stop
(``StopAnswered``), or ``STOP_FIRST_S`` at most; then they are emitted in order. The runner
has started the stop's write before the intent returns (eagerly); held, the window's work no
longer sits between that write's steps on the loop (tests/bench/bench_app.py: the E-stop
figure).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

from treadctl.core import (
    AppCore,
    CommandFailedEvent,
    Connected,
    Connecting,
    ConnectionFailed,
    CoreEvent,
    Countdown,
    DataFolder,
    Diagnostic,
    Disconnected,
    FittedProgram,
    Limits,
    ManualTargetChanged,
    Message,
    NoticeRaised,
    PersonChanged,
    Program,
    Progress,
    Reconnected,
    Reconnecting,
    Sample,
    ScanFailed,
    ScanFinished,
    ScanStarted,
    SegmentStarted,
    SessionEnded,
    SessionKind,
    SessionStarted,
    SessionState,
    SetTarget,
    StateChanged,
    StopAnswered,
    StrapConnected,
    StrapConnectFailed,
    StrapConnecting,
    StrapDisconnected,
    StrapLost,
    StrapReading,
    StrapReconnecting,
    StrapState,
)

#: After a stop the user asked for, the window's share of it waits for the treadmill's answer
#: to the stop, this long at most (see the module doc). Too short for anyone to notice.
STOP_FIRST_S = 0.1


class Bridge(QObject):
    """Core events in, Qt signals out; user intents in, core calls out."""

    # -- link --
    scan_started = Signal()
    scan_finished = Signal(list)  # list[FoundDevice], strongest first
    scan_failed = Signal(str)
    connecting = Signal(str)  # address
    connected = Signal(object)  # TreadmillInfo
    connect_failed = Signal(str)
    link_down = Signal(bool)  # expected (True only after our own disconnect)
    reconnecting = Signal(object)  # Reconnecting
    reconnected = Signal(object)  # TreadmillInfo
    sample = Signal(object)  # Sample: every record, in a session or not
    # -- heart-rate strap (its own link: losing it is never the treadmill's link lost) --
    strap_connecting = Signal(str)  # address
    strap_connected = Signal(str, str)  # address, name (or address); again after a drop-out
    strap_connect_failed = Signal(str)
    strap_lost = Signal()  # dropped out: reconnecting; sessions use the treadmill's HR
    strap_reconnecting = Signal(object)  # Reconnecting
    strap_disconnected = Signal()  # on purpose (disconnect_strap, shutdown)
    strap_reading = Signal(int)  # bpm: every measurement made with skin contact
    # -- session --
    session_started = Signal(object)  # SessionInfo
    segment_started = Signal(object)  # SegmentStarted
    countdown = Signal(object)  # Countdown
    progress = Signal(object, float)  # Progress, session distance (m)
    notice = Signal(object)  # Notice
    state_changed = Signal(object)  # StateChanged
    command_failed = Signal(object)  # CommandFailedEvent
    session_finished = Signal(object)  # SessionEnded: belt stopped, log closed and imported
    manual_target_changed = Signal(object)  # SetTarget
    profile_changed = Signal(object)  # PersonChanged: who runs the next session, their limits
    message = Signal(str)  # something the app itself has to say (not an engine notice)
    diagnostic = Signal(str, bool)  # why the treadmill misbehaves; cleared: that is over

    def __init__(self, core: AppCore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.core = core
        # Deliveries held back while a stop goes out first (None: not holding).
        self._held: list[Callable[[], None]] | None = None
        self._release: asyncio.TimerHandle | None = None
        core.add_listener(self._on_core_event)

    # -- the core's state, for the widgets --------------------------------------------------------

    @property
    def limits(self) -> Limits:
        return self.core.limits

    @property
    def profile_name(self) -> str | None:
        return self.core.profile_name

    @property
    def folder(self) -> DataFolder:
        return self.core.folder

    @property
    def closing(self) -> bool:
        return self.core.closing

    @property
    def is_connected(self) -> bool:
        return self.core.is_connected

    @property
    def address(self) -> str | None:
        return self.core.address

    @property
    def strap_state(self) -> StrapState:
        return self.core.strap.state

    @property
    def strap_address(self) -> str | None:
        return self.core.strap.address

    @property
    def strap_name(self) -> str | None:
        return self.core.strap.name

    @property
    def strap_bpm(self) -> int | None:
        return self.core.strap.bpm

    @property
    def session_kind(self) -> SessionKind | None:
        return self.core.session_kind

    @property
    def in_session(self) -> bool:
        return self.core.in_session

    @property
    def session_active(self) -> bool:
        return self.core.session_active

    @property
    def session_state(self) -> SessionState | None:
        return self.core.session_state

    @property
    def manual_target(self) -> SetTarget:
        return self.core.manual_target

    def now(self) -> float:
        """The engine's clock (scaled in tests and with --time-scale): a ``Sample.t``'s age is
        ``now() - t`` in the seconds the watchdog counts."""
        return self.core.now()

    # -- intents (the core's; the stopping ones hold the screen back first) -----------------------

    def scan(self) -> None:
        self.core.scan()

    def connect_to(self, address: str) -> None:
        self.core.connect_to(address)

    def scan_then_connect(self, address: str) -> None:
        self.core.scan_then_connect(address)

    def connect_strap(self, address: str) -> None:
        self.core.connect_strap(address)

    def disconnect_strap(self) -> None:
        self.core.disconnect_strap()

    def fit(self, program: Program) -> FittedProgram:
        return self.core.fit(program)

    def start_program(self, program: Program) -> None:
        self.core.start_program(program)

    def start_manual(self) -> None:
        self.core.start_manual()

    def resume(self) -> None:
        self.core.resume()

    def skip(self) -> None:
        self.core.skip()

    def extend(self, seconds: float) -> None:
        self.core.extend(seconds)

    def manual_speed(self, steps: int) -> None:
        self.core.manual_speed(steps)

    def manual_incline(self, steps: int) -> None:
        self.core.manual_incline(steps)

    def manual_turn(self) -> None:
        self.core.manual_turn()

    def pause(self) -> None:
        self._stop_first(self.core.pause)

    def stop(self) -> None:
        self._stop_first(self.core.stop)

    def estop(self) -> None:
        self._stop_first(self.core.estop)

    def finish_session(self) -> None:
        self._stop_first(self.core.finish_session)

    async def shutdown(self) -> None:
        await self.core.shutdown()

    # -- stop first, screen second (see the module doc) -------------------------------------------

    def _stop_first(self, intent: Callable[[], None]) -> None:
        if self._held is None:
            self._held = []
        try:
            intent()
        finally:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop to send anything on: nothing to wait for
                self._release_held()
            else:
                if self._release is not None:
                    self._release.cancel()
                self._release = loop.call_later(STOP_FIRST_S, self._release_held)

    def _release_held(self) -> None:
        if self._release is not None:
            self._release.cancel()
            self._release = None
        held, self._held = self._held, None
        for delivery in held or ():
            delivery()

    # -- core events → signals --------------------------------------------------------------------

    def _on_core_event(self, event: CoreEvent) -> None:
        if isinstance(event, StopAnswered):
            if self._held is not None:
                # The stop is through: what was held back can be shown (after this dispatch).
                asyncio.get_running_loop().call_soon(self._release_held)
            return
        signal, args = self._signal_for(event)
        if self._held is not None:
            self._held.append(lambda: signal.emit(*args))
        else:
            signal.emit(*args)

    def _signal_for(self, event: CoreEvent) -> tuple[SignalInstance, tuple[Any, ...]]:
        """The one event → signal mapping."""
        match event:
            case Sample():
                return self.sample, (event,)
            case Connected(info=info):
                return self.connected, (info,)
            case Disconnected(expected=expected):
                return self.link_down, (expected,)
            case Reconnecting():
                return self.reconnecting, (event,)
            case Reconnected(info=info):
                return self.reconnected, (info,)
            case ScanStarted():
                return self.scan_started, ()
            case ScanFinished(devices=devices):
                return self.scan_finished, (list(devices),)
            case ScanFailed(message=text):
                return self.scan_failed, (text,)
            case Connecting(address=address):
                return self.connecting, (address,)
            case ConnectionFailed(message=text):
                return self.connect_failed, (text,)
            case StrapConnecting(address=address):
                return self.strap_connecting, (address,)
            case StrapConnected(address=address, name=name):
                return self.strap_connected, (address, name)
            case StrapConnectFailed(message=text):
                return self.strap_connect_failed, (text,)
            case StrapLost():
                return self.strap_lost, ()
            case StrapReconnecting(attempt=attempt):
                return self.strap_reconnecting, (attempt,)
            case StrapDisconnected():
                return self.strap_disconnected, ()
            case StrapReading(bpm=bpm):
                return self.strap_reading, (bpm,)
            case SessionStarted(info=info):
                return self.session_started, (info,)
            case SegmentStarted():
                return self.segment_started, (event,)
            case Countdown():
                return self.countdown, (event,)
            case Progress():
                # The session's own accounting, which Progress carries — not the treadmill's
                # raw counter, which does not start at 0 with the session.
                return self.progress, (event, event.distance_m)
            case NoticeRaised(notice=notice):
                return self.notice, (notice,)
            case StateChanged():
                return self.state_changed, (event,)
            case CommandFailedEvent():
                return self.command_failed, (event,)
            case SessionEnded():
                return self.session_finished, (event,)
            case ManualTargetChanged(target=target):
                return self.manual_target_changed, (target,)
            case PersonChanged():
                return self.profile_changed, (event,)
            case Diagnostic(text=text, cleared=cleared):
                return self.diagnostic, (text, cleared)
            case Message(text=text):
                return self.message, (text,)
        raise AssertionError(f"no signal for {event!r}")  # pragma: no cover - a new event
