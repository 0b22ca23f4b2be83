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

A count before the belt moves: Start (a program or a manual session) and Resume of a stopped
session first count down ``START_COUNTDOWN_S`` seconds on the core's clock (``start_countdown``
3, 2, 1, then 0 as the intent goes to the core), so a person about to be moved — perhaps facing
away — hears and sees it coming. Any stop, pause, E-stop, "end session" or a lost link during
the count cancels it (``countdown_cancelled``): nothing is started.

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
    Direction,
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
    SessionShared,
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

#: Seconds counted (3, 2, 1) before a start or resume reaches the core.
START_COUNTDOWN_S = 3

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
    session_shared = Signal(object)  # AfterSessionReport: export folder and uploads, after
    # -- the count before the belt moves (see the module doc) --
    start_countdown = Signal(int, str, object)  # seconds left (0: now), "Starting"/"Resuming",
    #                                             the Direction the person will face
    countdown_cancelled = Signal()

    def __init__(self, core: AppCore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.core = core
        # Deliveries held back while a stop goes out first (None: not holding).
        self._held: list[Callable[[], None]] | None = None
        self._release: asyncio.TimerHandle | None = None
        self._counting: asyncio.Task[None] | None = None
        self._facing = Direction.FORWARD  # the way the person faces, as the session last said
        self.countdown_s = START_COUNTDOWN_S
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

    @property
    def last_sample(self) -> Sample | None:
        return self.core.last_sample

    def data_age_s(self) -> float | None:
        """Seconds (on the core's clock) since the last treadmill record; None: none yet."""
        sample = self.core.last_sample
        return None if sample is None else max(0.0, self.core.now() - sample.t)

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
        first = program.segments()
        facing = first[0].segment.direction if first else Direction.FORWARD
        self._count_then("Starting", facing, lambda: self.core.start_program(program))

    def start_manual(self) -> None:
        self._count_then("Starting", Direction.FORWARD, self.core.start_manual)

    def resume(self) -> None:
        if self.session_active and self.session_state is SessionState.STOPPED:
            self._count_then("Resuming", self._facing, self.core.resume)
        else:
            self.core.resume()  # nothing to resume: the core says so

    @property
    def counting_down(self) -> bool:
        return self._counting is not None

    def cancel_countdown(self) -> None:
        task, self._counting = self._counting, None
        if task is not None:
            task.cancel()
            self.countdown_cancelled.emit()

    def _count_then(self, what: str, facing: Direction, intent: Callable[[], None]) -> None:
        self.cancel_countdown()
        if not self.is_connected or self.countdown_s <= 0:
            intent()  # nothing will move: the core says why at once
            return
        self._counting = asyncio.ensure_future(self._count(what, facing, intent))

    async def _count(self, what: str, facing: Direction, intent: Callable[[], None]) -> None:
        for left in range(self.countdown_s, 0, -1):
            self.start_countdown.emit(left, what, facing)
            await self.core.clock.sleep(1.0)
        self._counting = None
        self.start_countdown.emit(0, what, facing)
        intent()

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
        self.cancel_countdown()
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
        match event:
            case Progress(direction=direction):
                self._facing = direction
            case Disconnected():
                self.cancel_countdown()  # nothing can start now; a count would mislead
            case _:
                pass
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
            case SessionShared(report=report):
                return self.session_shared, (report,)
        raise AssertionError(f"no signal for {event!r}")  # pragma: no cover - a new event
