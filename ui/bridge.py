"""The bridge: the one QObject between the engine and the widgets.

Shape (who owns what)::

    Bridge(clock, backends, *, sessions_dir, limits=DEFAULT_LIMITS, scan_timeout_s=3.0)
     ├── link: TreadmillLink            owned here; no widget ever sees it
     ├── strap: HeartRateLink           owned here too: the heart-rate strap in use, if any
     │                                  (``connect_strap`` / ``disconnect_strap``)
     ├── profile                        who runs the next session and with which limits
     │                                  (``set_profile``; none chosen: the base ``limits``)
     ├── runner: SessionRunner | None   one at a time, of one of three kinds:
     │     IDLE     while connected and no session runs: no recorder, never started. It exists
     │              so that STOP, a console start and a lost link go through a runner and its
     │              governor between sessions too (the engine has no other path to the belt).
     │     PROGRAM  a program, recorded (SessionRecorder in ``sessions_dir``)
     │     MANUAL   manual mode, recorded; targets from the manual up/down intents
     ├── engine events → Qt signals     a listener on the link, one on the strap and one on
     │                                  each runner
     └── intents (plain methods)        scan, connect_to, scan_then_connect, connect_strap,
                                        disconnect_strap, start_program, start_manual, resume,
                                        pause, stop, estop, skip, extend, finish_session,
                                        manual_speed, manual_incline, manual_turn, set_profile,
                                        shutdown

Every belt intent is a call on the current runner, so it passes the safety governor. Methods
that need the loop (scan, connect, switching runners) start a task and report through signals;
none of them blocks the Qt thread. Engine listeners run on the loop's thread, which with qasync
is the Qt thread, so signals are emitted directly — except right after a stop.

Stop first, screen second: a stop, E-stop, pause or "end session" the person asked for holds
back the signals its events cause (the state pill, the buttons, the status line — a relayout of
the window, ~3-5 ms on the Qt thread) until the treadmill has answered the stop, or
``STOP_FIRST_S`` at most; then they are emitted in order. The runner has started the stop's
write before it returns (eagerly); held, the window's work no longer sits between that write's
steps on the loop (tests/bench/bench_app.py: the E-stop figure).

The strap: one ``HeartRateLink`` for the bridge's lifetime, attached to every runner the bridge
creates (idle ones too) and detached when that runner ends, so a strap connected mid-session
counts at once and whatever strap is in use counts in every later session. While its readings
are fresh the runner takes them over the treadmill's hand-grip heart rate. A strap dropping out
is *not* the treadmill's link being lost: no ``link_down``, no notice, nothing stops; the
strap's link reconnects by itself with backoff (``strap_lost``, then ``strap_reconnecting``),
and the session falls back to the hand grips once the last reading is stale. The link reports
no event of its own when it is back, so the first reading after a drop-out is what says so
(``strap_connected`` again).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bleak.exc import BleakError
from PySide6.QtCore import QObject, Signal

from protocols.ftms import StopOrPause
from treadctl.clock import Clock
from treadctl.limits import DEFAULT_LIMITS, Direction, Limits
from treadctl.link import (
    BleakBackends,
    CommandAnswered,
    Connected,
    Disconnected,
    HeartRateLink,
    HeartRateSample,
    LinkError,
    LinkEvent,
    Reconnected,
    Reconnecting,
    Sample,
    StrapReconnected,
    TreadmillLink,
    scan,
)
from treadctl.program import PlannedSegment, Program
from treadctl.recorder import SessionRecorder
from treadctl.safety import NoticeKind, SetTarget
from treadctl.session import (
    CommandFailedEvent,
    Countdown,
    EndReason,
    NoticeRaised,
    Progress,
    SegmentStarted,
    SessionEvent,
    SessionFinished,
    SessionRunner,
    SessionState,
    StateChanged,
)

logger = logging.getLogger(__name__)

#: How long closing the window waits for the stop to reach the belt and the log to close.
SHUTDOWN_TIMEOUT_S = 5.0

#: After a stop the user asked for, the window's share of it waits for the treadmill's answer
#: to the stop, this long at most (see the module doc). Too short for anyone to notice.
STOP_FIRST_S = 0.1

#: How long a strap reading counts as current (as long as the session runner trusts one).
STRAP_FRESH_S = 5.0

#: Manual mode steps per button press.
MANUAL_SPEED_STEP_KMH = 0.5
MANUAL_INCLINE_STEP_PCT = 1.0

# Notices an idle runner raises that would only confuse: there is no session to resume.
_IDLE_QUIET = {
    NoticeKind.STARTED_AT_CONSOLE,
    NoticeKind.STOPPED,
    NoticeKind.RESUME_REQUIRED,
    NoticeKind.LINK_RESTORED,
}


class StrapState(enum.Enum):
    NONE = "none"  # no strap in use
    CONNECTING = "connecting"
    CONNECTED = "connected"
    LOST = "lost"  # dropped out; its link reconnects by itself


class SessionKind(enum.Enum):
    IDLE = "idle"
    PROGRAM = "program"
    MANUAL = "manual"


@dataclass(frozen=True)
class SessionInfo:
    """What a started session is: its program (None in manual mode) and plan."""

    kind: SessionKind
    program: Program | None
    plan: tuple[PlannedSegment, ...]


class Bridge(QObject):
    """Engine events in, Qt signals out; user intents in, runner calls out."""

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
    session_finished = Signal(object, object)  # SessionFinished, log path (Path | None)
    manual_target_changed = Signal(object)  # SetTarget
    profile_changed = Signal(object)  # str | None: who runs the next session
    message = Signal(str)  # something the app itself has to say (not an engine notice)

    def __init__(
        self,
        clock: Clock,
        backends: BleakBackends,
        *,
        sessions_dir: Path,
        limits: Limits = DEFAULT_LIMITS,
        scan_timeout_s: float = 3.0,
        link: TreadmillLink | None = None,
        strap: HeartRateLink | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._backends = backends
        self._sessions_dir = sessions_dir
        self._base_limits = limits
        self._limits = limits
        self._profile_name: str | None = None
        self._starting = False
        self._scan_timeout_s = scan_timeout_s
        self._link = link or TreadmillLink(clock, backends=backends)
        self._link.add_listener(self._on_link_event)
        self._strap = strap or HeartRateLink(clock, backends=backends)
        self._strap.add_listener(self._on_strap_event)
        self._strap_state = StrapState.NONE
        self._strap_address: str | None = None
        self._strap_bpm: tuple[float, int] | None = None  # (clock time, bpm) of the last reading
        self._strap_task: asyncio.Task[None] | None = None
        self._names: dict[str, str] = {}  # address -> advertised name, from scans
        self._runner: SessionRunner | None = None
        self._kind: SessionKind | None = None
        self._session_task: asyncio.Task[None] | None = None
        self._switch_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False
        # Deliveries held back while a stop goes out first (None: not holding).
        self._held: list[Callable[[], None]] | None = None
        self._release: asyncio.TimerHandle | None = None
        self._manual = SetTarget(limits.start_speed_kmh)

    # -- read-only state ------------------------------------------------------------------------

    @property
    def limits(self) -> Limits:
        """The limits the next session runs with: the profile's, or the base limits."""
        return self._limits

    @property
    def profile_name(self) -> str | None:
        """The profile the next session is recorded for (None: no profile chosen)."""
        return self._profile_name

    @property
    def sessions_dir(self) -> Path:
        return self._sessions_dir

    @property
    def closing(self) -> bool:
        """True once ``shutdown`` began: whatever ends now ends because the app closes."""
        return self._closing

    @property
    def starting_session(self) -> bool:
        """True while a program or manual session is being switched to (the one before it
        may be finishing right now: its end is not the end of someone's turn)."""
        return self._starting

    @property
    def is_connected(self) -> bool:
        return self._link.is_connected

    @property
    def address(self) -> str | None:
        return self._link.address if self._link.is_connected else None

    @property
    def strap_state(self) -> StrapState:
        return self._strap_state

    @property
    def strap_address(self) -> str | None:
        """The strap in use (connecting, connected or lost); None when there is none."""
        return self._strap_address if self._strap_state is not StrapState.NONE else None

    @property
    def strap_name(self) -> str | None:
        """The strap's advertised name as a scan saw it, else its address."""
        address = self.strap_address
        return None if address is None else self._names.get(address, address)

    @property
    def strap_bpm(self) -> int | None:
        """The strap's last reading while it is current (``STRAP_FRESH_S``), else None."""
        if self._strap_state is not StrapState.CONNECTED or self._strap_bpm is None:
            return None
        t, bpm = self._strap_bpm
        return bpm if self._clock.now() - t <= STRAP_FRESH_S else None

    @property
    def session_kind(self) -> SessionKind | None:
        """The current runner's kind; ``None`` while not connected."""
        return self._kind

    @property
    def in_session(self) -> bool:
        return self._kind in (SessionKind.PROGRAM, SessionKind.MANUAL)

    @property
    def session_active(self) -> bool:
        """A program or manual session runs and has not finished (its runner may still be
        winding down after ``session_finished``: that one is over for the person)."""
        return self.in_session and self.session_state is not SessionState.FINISHED

    @property
    def session_state(self) -> SessionState | None:
        return self._runner.state if self._runner is not None else None

    @property
    def manual_target(self) -> SetTarget:
        return self._manual

    # -- tasks ----------------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)  # the loop holds tasks only weakly
        task.add_done_callback(self._tasks.discard)
        return task

    # -- scanning and connecting ----------------------------------------------------------------

    def scan(self) -> None:
        self._spawn(self._scan())

    async def _scan(self) -> None:
        self.scan_started.emit()
        try:
            found = await scan(self._scan_timeout_s, backends=self._backends)
        except (LinkError, BleakError, OSError) as error:
            self.scan_failed.emit(str(error))
            return
        self._names.update({d.address: d.name for d in found if d.name})
        self.scan_finished.emit(found)

    def connect_to(self, address: str) -> None:
        self._spawn(self._connect(address))

    def scan_then_connect(self, address: str) -> None:
        """Fill the device list, then connect to ``address`` (``--simulate`` at start)."""

        async def both() -> None:
            await self._scan()
            await self._connect(address)

        self._spawn(both())

    async def _connect(self, address: str) -> None:
        if self._link.is_connected and self._link.address == address:
            return
        self.connecting.emit(address)
        try:
            if self._link.is_connected or self._link.address is not None:
                await self._end_current()
                await self._link.disconnect()
            await self._link.connect(address)
        except (LinkError, BleakError, OSError, TimeoutError) as error:
            self.connect_failed.emit(str(error))
            return
        # `connected` is emitted by the link's Connected event; the idle runner follows.
        await self._switch(None, SessionKind.IDLE)

    # -- the heart-rate strap -------------------------------------------------------------------

    def connect_strap(self, address: str) -> None:
        """Use the strap at ``address`` (instead of the one in use, if another)."""
        if self._closing:
            return
        if self._strap_state is not StrapState.NONE and self._strap_address == address:
            return  # in use already: connected, connecting or reconnecting by itself
        previous = self._strap_task
        self._strap_address, self._strap_bpm = address, None
        self._strap_state = StrapState.CONNECTING
        self.strap_connecting.emit(address)
        self._strap_task = self._spawn(self._connect_strap(address, previous))

    def disconnect_strap(self) -> None:
        """Stop using the strap: disconnect it (also while it is connecting or reconnecting)."""
        if self._strap_state is StrapState.NONE:
            return
        previous = self._strap_task
        self._strap_state = StrapState.NONE
        self._strap_bpm = None
        self._strap_task = self._spawn(self._disconnect_strap(previous))

    async def _after(self, task: asyncio.Task[None] | None) -> None:
        """Cancel ``task`` (the strap's previous connect or disconnect) and wait for its end."""
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])  # without raising its CancelledError in this task

    async def _connect_strap(self, address: str, previous: asyncio.Task[None] | None) -> None:
        await self._after(previous)
        try:
            await self._strap.disconnect()  # the strap used before, if any: expected, not lost
            await self._strap.connect(address)
        except (LinkError, BleakError, OSError, TimeoutError) as error:
            # A drop during the set-up may have started the link's reconnect loop: end it.
            await self._strap.disconnect()
            self._strap_state = StrapState.NONE
            self.strap_connect_failed.emit(str(error))
            return
        self._strap_state = StrapState.CONNECTED
        self.strap_connected.emit(address, self._names.get(address, address))

    async def _disconnect_strap(self, previous: asyncio.Task[None] | None) -> None:
        await self._after(previous)
        # Shielded: a connect asked for meanwhile (or shutdown) cancels this task, and a
        # disconnect cut short could leave the strap connected with nobody holding it.
        await asyncio.shield(self._spawn(self._strap.disconnect()))
        self.strap_disconnected.emit()

    def _on_strap_event(self, event: LinkEvent) -> None:
        state = self._strap_state
        match event:
            case HeartRateSample(heart_rate_bpm=bpm, sensor_contact=contact):
                if state in (StrapState.NONE, StrapState.CONNECTING):
                    return  # being let go, or not reported connected yet
                if state is StrapState.LOST:
                    return  # not before the link says it is back (StrapReconnected)
                if contact is not False:
                    self._strap_bpm = (event.t, bpm)
                    self.strap_reading.emit(bpm)
            case Disconnected(expected=False) if state is StrapState.CONNECTED:
                self._strap_state = StrapState.LOST
                self._strap_bpm = None
                self.strap_lost.emit()
            case Reconnecting() if state is StrapState.LOST:
                self.strap_reconnecting.emit(event)
            case StrapReconnected(address=address, name=name) if state is StrapState.LOST:
                self._strap_state = StrapState.CONNECTED
                self.strap_connected.emit(address, name or self._names.get(address, address))
            case _:
                pass

    # -- profiles -------------------------------------------------------------------------------

    def set_profile(self, name: str | None, limits: Limits | None = None) -> bool:
        """Run the next sessions as profile ``name`` with ``limits`` (None: the base limits).

        Refused (False, with a message) while a session runs: it keeps the limits and the
        profile it started with, and switching people mid-session would mislabel its log.
        """
        if self.session_active:
            self.message.emit("Finish the session before switching profiles.")
            return False
        self._profile_name = name
        self._limits = limits if limits is not None else self._base_limits
        self.profile_changed.emit(name)
        return True

    # -- sessions -------------------------------------------------------------------------------

    def start_program(self, program: Program) -> None:
        """Start ``program`` now (the runner's own Start: slow start, through the governor)."""
        if not self._check_connected():
            return
        self._spawn(self._switch(program, SessionKind.PROGRAM))

    def start_manual(self) -> None:
        if not self._check_connected():
            return
        self._spawn(self._switch(None, SessionKind.MANUAL))

    def _check_connected(self) -> bool:
        if self._link.is_connected:
            return True
        self.message.emit("Not connected to a treadmill: connect first.")
        return False

    async def _switch(self, program: Program | None, kind: SessionKind) -> None:
        """End the current runner (belt stopped, log closed) and start one of ``kind``."""
        async with self._switch_lock:
            if kind is SessionKind.IDLE and self._runner is not None:
                # A session started while this switch waited (the user pressed Start as the
                # last one ended): it is what runs now. Ending it here would also go wrong, as
                # its runner may not have begun to run, and a finish before that is lost.
                return
            self._starting = kind is not SessionKind.IDLE
            try:
                await self._end_current()
            finally:
                self._starting = False
            if self._closing or not self._link.is_connected:
                return
            recorder = None
            profile = None
            if kind is not SessionKind.IDLE:
                recorder = SessionRecorder(self._sessions_dir, self._clock)
                profile = self._profile_name
            runner = SessionRunner(
                self._link,
                self._clock,
                self._limits,
                program,
                recorder=recorder,
                profile_name=profile,
            )
            runner.add_listener(lambda event: self._on_session_event(runner, kind, recorder, event))
            # Whether a strap is in use or not: one connected later counts in this session too.
            runner.attach_heart_rate(self._strap)
            self._runner, self._kind = runner, kind
            self._manual = SetTarget(self._limits.start_speed_kmh)
            if kind is not SessionKind.IDLE:
                # Before the runner runs: its first SegmentStarted comes with its first step.
                self.session_started.emit(SessionInfo(kind, program, tuple(runner.plan)))
                if kind is SessionKind.MANUAL:
                    t = self._manual
                    runner.set_manual(t.speed_kmh, t.incline_pct, t.direction)
                    self.manual_target_changed.emit(t)
            self._session_task = self._spawn(self._run(runner, kind))

    async def _run(self, runner: SessionRunner, kind: SessionKind) -> None:
        try:
            await runner.run(start=kind is not SessionKind.IDLE)
        except Exception as error:
            # The runner stops the belt on its own faults; what is left is to say so.
            logger.exception("session runner failed")
            self.message.emit(f"The session ended with an error: {error}")
        finally:
            runner.detach_heart_rate(self._strap)
            if self._runner is runner:
                # Ended by itself (completed): not replaced. Back to an idle runner.
                self._runner = self._kind = None
                if kind is not SessionKind.IDLE and not self._closing:
                    self._spawn(self._switch(None, SessionKind.IDLE))

    async def _end_current(self) -> None:
        runner, task = self._runner, self._session_task
        self._runner = self._kind = None
        self._session_task = None
        if runner is None or task is None:
            return
        runner.finish(EndReason.STOPPED)
        try:
            await asyncio.wait_for(asyncio.shield(task), SHUTDOWN_TIMEOUT_S)
        except TimeoutError:
            logger.error("the session did not wind down within %s s", SHUTDOWN_TIMEOUT_S)

    # -- user intents (each one a runner call, so each one passes the governor) ----------------

    def resume(self) -> None:
        if self._runner is not None and self.in_session:
            self._runner.start()

    def pause(self) -> None:
        if self._runner is not None:
            self._stop_first(self._runner.pause)

    def stop(self) -> None:
        if self._runner is None:
            self._no_runner()
            return
        self._stop_first(self._runner.stop)

    def estop(self) -> None:
        if self._runner is None:
            self._no_runner()
            return
        self._stop_first(self._runner.estop)

    def _no_runner(self) -> None:
        self.message.emit(
            "Not connected: the app cannot reach the belt. Use the treadmill's own stop "
            "button or safety key."
        )

    def skip(self) -> None:
        if self._runner is not None and self._kind is SessionKind.PROGRAM:
            self._runner.skip()

    def extend(self, seconds: float) -> None:
        if self._runner is not None and self._kind is SessionKind.PROGRAM:
            self._runner.extend(seconds)

    def finish_session(self) -> None:
        """End the session: the runner stops the belt and closes the log."""
        if self._runner is not None and self.in_session:
            runner = self._runner
            self._stop_first(lambda: runner.finish(EndReason.STOPPED))

    # -- stop first, screen second (see the module doc) -----------------------------------------

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

    def _deliver(self, delivery: Callable[[], None]) -> None:
        if self._held is not None:
            self._held.append(delivery)
        else:
            delivery()

    def _release_held(self) -> None:
        if self._release is not None:
            self._release.cancel()
            self._release = None
        held, self._held = self._held, None
        for delivery in held or ():
            delivery()

    def manual_speed(self, steps: int) -> None:
        t = self._manual
        # Kept within the caps only so that "down" works at once after "up" past a cap; the
        # governor caps (and says so) whatever is asked.
        top = self._limits.max_speed(t.direction)
        kmh = min(top, max(0.0, round(t.speed_kmh + steps * MANUAL_SPEED_STEP_KMH, 2)))
        self._set_manual(SetTarget(kmh, t.incline_pct, t.direction))

    def manual_incline(self, steps: int) -> None:
        t = self._manual
        top = self._limits.max_incline(t.direction)
        low = self._limits.min_incline_pct
        pct = min(top, max(low, round(t.incline_pct + steps * MANUAL_INCLINE_STEP_PCT, 2)))
        self._set_manual(SetTarget(t.speed_kmh, pct, t.direction))

    def manual_turn(self) -> None:
        """Face the other way: the governor runs the turnaround (slow, hold, flip)."""
        t = self._manual
        new = Direction.BACKWARD if t.direction is Direction.FORWARD else Direction.FORWARD
        kmh = min(t.speed_kmh, self._limits.max_speed(new))
        pct = min(t.incline_pct, self._limits.max_incline(new))
        self._set_manual(SetTarget(kmh, pct, new))

    def _set_manual(self, target: SetTarget) -> None:
        if self._runner is None or self._kind is not SessionKind.MANUAL:
            return
        self._manual = target
        self._runner.set_manual(target.speed_kmh, target.incline_pct, target.direction)
        self.manual_target_changed.emit(target)

    async def shutdown(self) -> None:
        """Stop the belt (through the runner), close the log, disconnect the treadmill and the
        strap. Idempotent."""
        self._closing = True
        runner = self._runner
        if runner is not None:
            # An explicit stop, not just finish: finish leaves a belt it believes stopped
            # alone, and a belt started at the console between sessions must stop too.
            runner.stop()
        await self._end_current()
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
        await self._link.disconnect()
        await self._strap.disconnect()
        if self._strap_state is not StrapState.NONE:
            self._strap_state = StrapState.NONE
            self._strap_bpm = None
            self.strap_disconnected.emit()

    # -- engine events → signals ----------------------------------------------------------------

    def _on_link_event(self, event: LinkEvent) -> None:
        if (
            self._held is not None
            and isinstance(event, CommandAnswered)
            and isinstance(event.request, StopOrPause)
        ):
            # The stop is through: what was held back can be shown (after this dispatch).
            asyncio.get_running_loop().call_soon(self._release_held)
        self._deliver(lambda: self._emit_link_event(event))

    def _emit_link_event(self, event: LinkEvent) -> None:
        match event:
            case Sample():
                self.sample.emit(event)
            case Connected(info=info):
                self.connected.emit(info)
            case Disconnected(expected=expected):
                self.link_down.emit(expected)
            case Reconnecting():
                self.reconnecting.emit(event)
            case Reconnected(info=info):
                self.reconnected.emit(info)
            case _:
                pass

    def _on_session_event(
        self,
        runner: SessionRunner,
        kind: SessionKind,
        recorder: SessionRecorder | None,
        event: SessionEvent,
    ) -> None:
        self._deliver(lambda: self._emit_session_event(runner, kind, recorder, event))

    def _emit_session_event(
        self,
        runner: SessionRunner,
        kind: SessionKind,
        recorder: SessionRecorder | None,
        event: SessionEvent,
    ) -> None:
        if kind is SessionKind.IDLE:
            if (
                runner is self._runner
                and isinstance(event, NoticeRaised)
                and event.notice.kind not in _IDLE_QUIET
            ):
                self.notice.emit(event.notice)
            return
        if isinstance(event, SessionFinished):
            # Also for a session being replaced: it did end, and its log is closed.
            self.session_finished.emit(event, recorder.path if recorder is not None else None)
            return
        if runner is not self._runner:
            return  # winding down after being replaced: its state is no longer on screen
        match event:
            case Progress():
                # The runner's own accounting (counter steps, missing counters), which Progress
                # carries — not the treadmill's raw counter, which does not start at 0 with the
                # session.
                self.progress.emit(event, event.distance_m)
            case SegmentStarted():
                self.segment_started.emit(event)
            case Countdown():
                self.countdown.emit(event)
            case NoticeRaised(notice=notice):
                self.notice.emit(notice)
            case StateChanged():
                self.state_changed.emit(event)
            case CommandFailedEvent():
                self.command_failed.emit(event)
